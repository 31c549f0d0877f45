-- Who blocked whom (v1.11): the blocked account's DMs, invites and mentions never reach the
-- person who blocked it.
CREATE TABLE blocks (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);
