-- Edits, deletions, reactions and replies. `changed_ts` is the server time of a message's
-- latest edit, deletion or reaction: clients that were away ask for what changed since.
ALTER TABLE messages ADD COLUMN edited_ts  BIGINT;
ALTER TABLE messages ADD COLUMN deleted_ts BIGINT;
ALTER TABLE messages ADD COLUMN changed_ts BIGINT;
ALTER TABLE messages ADD COLUMN reply_to   BIGINT REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX messages_changed ON messages (room_id, changed_ts);

CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);
