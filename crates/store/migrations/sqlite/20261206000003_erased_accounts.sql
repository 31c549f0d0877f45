-- Erased accounts (the owner deleted it, keeping its messages): the row stays, nameless.
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
