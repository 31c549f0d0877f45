-- Name keys that fold look-alike characters (recomputed by the store on start-up, see
-- `meta.name_keys`), guests whose name was released, and indexes for per-user caps.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN released_at BIGINT;
CREATE INDEX rooms_created_by ON rooms (created_by);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
