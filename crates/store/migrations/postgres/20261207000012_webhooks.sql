-- Incoming webhooks (v1.19): a room's secret address where programs post messages as a bot.
-- The bot is an account of its own (bot = 1: no password, never signed in, not listed among
-- people); deleting the webhook keeps it, so its messages keep their author. At most
-- WEBHOOKS_MAX per room (checked on insert). A closed room's webhooks take nothing more.
ALTER TABLE users ADD COLUMN bot BIGINT NOT NULL DEFAULT 0;

CREATE TABLE webhooks (
    id          TEXT   PRIMARY KEY,
    room_id     BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    bot_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash TEXT   NOT NULL,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhooks_by_room ON webhooks (room_id, created_at);
