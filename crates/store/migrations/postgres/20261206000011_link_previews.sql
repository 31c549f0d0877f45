-- Link previews (v1.16). What the server read from a link's page, one row per address; a
-- fetch that gave no preview is kept too (title NULL), so a bad link is not fetched again
-- and again. The image is a file of the file store (its preview copy), named by image_id.
CREATE TABLE link_previews (
    url         TEXT PRIMARY KEY,
    fetched_ts  BIGINT NOT NULL,
    title       TEXT,
    site        TEXT NOT NULL DEFAULT '',
    description TEXT,
    image_id    TEXT UNIQUE,
    image_type  TEXT
);

-- The link of a message its preview is made from (the first one of its text); the preview
-- shows once link_previews has a title for it.
CREATE TABLE message_previews (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    url        TEXT NOT NULL
);
CREATE INDEX message_previews_by_url ON message_previews (url);
