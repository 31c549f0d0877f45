-- Files uploaded to a room. A row without `message_id` is an upload not sent yet (only its
-- uploader may attach it, to a message in the same room); the bytes live in the file store,
-- named by `id` (random, 32 hex digits).
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    preview_type TEXT,
    created_ts   INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id, position);
CREATE INDEX attachments_unsent ON attachments (created_ts) WHERE message_id IS NULL;
