-- Stored notifications (one row per recipient) and persistent channel subscriptions.
CREATE TABLE notifications (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,
    title   TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    url     TEXT,
    ts      BIGINT  NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

CREATE TABLE channel_subscriptions (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, channel)
);
CREATE INDEX channel_subscriptions_channel ON channel_subscriptions (channel);
