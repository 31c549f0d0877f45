-- A ban can also refuse new accounts and guests from the addresses the banned account used
-- (v1.10), so sessions remember the address they were started from (IPv6 cut to its /64, as
-- every limit counts it), and a ban can remove what an account wrote lately: by author and time.
ALTER TABLE sessions ADD COLUMN client_addr TEXT;
CREATE TABLE address_bans (
    client_addr TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (client_addr, user_id)
);
CREATE INDEX address_bans_user ON address_bans (user_id);
CREATE INDEX messages_author ON messages (user_id, ts);
CREATE INDEX rooms_creator ON rooms (created_by, created_at);
