-- A sign-in attempt is counted before its password is checked, in one statement; the row keeps
-- the counted attempt's mark so the server can tell it from one refused by a hold.
ALTER TABLE login_failures ADD COLUMN claim TEXT;
