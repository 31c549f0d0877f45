-- Moderation: mutes per room, banned accounts, and the audit log of every moderation action.
CREATE TABLE room_mutes (
    room_id BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until   BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

ALTER TABLE users ADD COLUMN banned_at BIGINT;

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    ts        BIGINT NOT NULL,
    actor_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT,
    room      TEXT,
    detail    TEXT
);
