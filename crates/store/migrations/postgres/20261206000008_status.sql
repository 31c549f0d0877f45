-- A person's status line (v1.13), shown in the people directory.
ALTER TABLE users ADD COLUMN status TEXT;
