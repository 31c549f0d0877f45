-- The rooms each user keeps in their list (joined public rooms, private rooms, DMs) with their
-- read marker: the id of the newest message they have read there, and when they last read.
CREATE TABLE saved_rooms (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id   INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    last_read INTEGER NOT NULL DEFAULT 0,
    muted     INTEGER NOT NULL DEFAULT 0,
    read_at   INTEGER,
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
CREATE INDEX saved_rooms_room ON saved_rooms (room_id);

-- Members of private rooms and DMs keep them, read up to now.
INSERT INTO saved_rooms (user_id, room_id, last_read, saved_at)
SELECT m.user_id, m.room_id,
       COALESCE((SELECT MAX(id) FROM messages WHERE messages.room_id = m.room_id), 0),
       m.added_at
FROM room_members m;
