-- Profile pictures (v1.25): the id under which an account's picture is kept in the file store
-- (a new id for each picture, so it is cached for good), and its content type.
ALTER TABLE users ADD COLUMN avatar TEXT;
ALTER TABLE users ADD COLUMN avatar_type TEXT;
CREATE UNIQUE INDEX users_by_avatar ON users (avatar) WHERE avatar IS NOT NULL;
