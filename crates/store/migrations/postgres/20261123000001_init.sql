-- Accounts, sessions, rooms, private-room membership and messages.
-- Timestamps are Unix milliseconds; flags are integers (0/1) so both backends read them alike.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT   NOT NULL,
    username_key  TEXT   NOT NULL UNIQUE,
    password_hash TEXT,
    role          TEXT   NOT NULL CHECK (role IN ('guest', 'member', 'admin')),
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT   NOT NULL UNIQUE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE rooms (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL UNIQUE,
    topic      TEXT,
    private    BIGINT NOT NULL DEFAULT 0,
    kind       TEXT   NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    closed_at  BIGINT
);

CREATE TABLE room_members (
    room_id  BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE messages (
    id        BIGSERIAL PRIMARY KEY,
    room_id   BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text      TEXT   NOT NULL,
    ts        BIGINT NOT NULL,
    client_id TEXT,
    UNIQUE (user_id, client_id)
);
CREATE INDEX messages_room ON messages (room_id, id);
CREATE INDEX messages_ts ON messages (ts);

INSERT INTO rooms (name, name_key, topic, private, kind, created_at)
VALUES ('general', 'general', 'The global chat everyone can join', 0, 'room', 0);
