-- Each person's saved messages (v1.15), at most SAVED_MAX (checked on insert). A person's
-- saved times are distinct (a later save is stamped at least 1 ms after their previous one),
-- so a page resumes from one without ties. A deleted message leaves every list.
CREATE TABLE saved_messages (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ts         INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX saved_messages_by_time ON saved_messages (user_id, ts);
