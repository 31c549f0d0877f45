-- Who was removed from a private room: only its creator or an admin may let them back in.
CREATE TABLE room_kicks (
    room_id   INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kicked_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
