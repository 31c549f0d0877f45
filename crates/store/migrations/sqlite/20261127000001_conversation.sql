-- Edits, deletions, reactions and replies. `changed_ts` is the server time of a message's
-- latest edit, deletion or reaction: clients that were away ask for what changed since.
ALTER TABLE messages ADD COLUMN edited_ts  INTEGER;
ALTER TABLE messages ADD COLUMN deleted_ts INTEGER;
ALTER TABLE messages ADD COLUMN changed_ts INTEGER;
ALTER TABLE messages ADD COLUMN reply_to   INTEGER REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX messages_changed ON messages (room_id, changed_ts);

CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);
