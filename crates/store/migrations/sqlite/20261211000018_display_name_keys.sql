-- People search by display name (v1.31): the display name folded as names are (case and
-- look-alike characters), so `find_people` finds "Ana García" by "GARCÍA" or "garc". Written
-- with the name since; the server brings every key in line with its name on start (names set
-- before, a change of the folding rule, a write by an older build), as it cannot be computed
-- in SQL.
ALTER TABLE users ADD COLUMN display_name_key TEXT;
