-- The bytes each user uploaded lately (their daily upload quota) are summed per user.
CREATE INDEX attachments_uploader ON attachments (user_id, created_ts);
