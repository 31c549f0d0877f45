-- Display names (v1.26): the name a person likes to be called by, shown in place of their
-- username; NULL when they set none.
ALTER TABLE users ADD COLUMN display_name TEXT;
