-- Failed sign-ins are counted per name (known or not, so the answer tells nothing about which
-- names exist) and slow that name down; a browser its owner signed in from before (a known
-- device, by the SHA-256 of its cookie) is not held back.
CREATE TABLE login_failures (
    name_key       TEXT    PRIMARY KEY,
    failures       BIGINT  NOT NULL,
    last_failed_at BIGINT  NOT NULL,
    blocked_until  BIGINT  NOT NULL
);
CREATE INDEX login_failures_age ON login_failures (last_failed_at);
CREATE TABLE known_devices (
    token_hash   TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_used_at BIGINT  NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id, last_used_at);
