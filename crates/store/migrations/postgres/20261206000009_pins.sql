-- Pinned messages (v1.14): one pin per message, at most PINS_MAX per room (checked on
-- insert). A deleted message loses its pin; so does the pinner's account when it is removed.
CREATE TABLE pins (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ts         BIGINT NOT NULL
);
CREATE INDEX pins_by_room ON pins (room_id, ts);
