-- Threads (v1.22): a reply in a thread names the thread's first message, its root, in the same
-- room. Replies stay messages of the room (same ids, same catch-up); the room's own timeline
-- is the messages without a root. A root is never deleted as a row (deleting leaves a
-- placeholder); should a root row go (an account removed with its messages), its replies stay,
-- in the room's timeline.
ALTER TABLE messages ADD COLUMN thread_root BIGINT REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX messages_thread ON messages (thread_root, id) WHERE thread_root IS NOT NULL;
CREATE INDEX messages_main ON messages (room_id, id) WHERE thread_root IS NULL;
