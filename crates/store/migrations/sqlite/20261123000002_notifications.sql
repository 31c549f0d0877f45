-- Stored notifications (one row per recipient) and persistent channel subscriptions.
CREATE TABLE notifications (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,
    title   TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    url     TEXT,
    ts      INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

CREATE TABLE channel_subscriptions (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel)
);
CREATE INDEX channel_subscriptions_channel ON channel_subscriptions (channel);
