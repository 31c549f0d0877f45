-- Who blocked whom (v1.11): the blocked account's DMs, invites and mentions never reach the
-- person who blocked it.
CREATE TABLE blocks (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);
