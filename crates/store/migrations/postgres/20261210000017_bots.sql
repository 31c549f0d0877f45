-- Bots (v1.28) and their slash commands (v1.29). A bot is an account (users.bot = 1) a person
-- owns; it signs in only with API tokens, which are sessions that never expire. A bot's
-- sessions hold only while its row here exists and its owner is neither banned nor deleted
-- (checked with every session). Deleting a bot removes its row and its commands; its account
-- stays, name released, so its messages keep their author (as a deleted webhook's bot).
CREATE TABLE bots (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    owner_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL
);
CREATE INDEX bots_by_owner ON bots (owner_id, created_at);

-- A command's name is the workspace's: one bot answers `/deploy`. `secret` signs the calls
-- the server makes to `url` (HMAC-SHA256), so it is kept as it is, not hashed.
CREATE TABLE bot_commands (
    name        TEXT    PRIMARY KEY,
    bot_id      BIGINT  NOT NULL REFERENCES bots (user_id) ON DELETE CASCADE,
    description TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX bot_commands_by_bot ON bot_commands (bot_id);
