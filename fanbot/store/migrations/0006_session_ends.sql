-- Version 6: every session has an end.

-- The race's maximum length in minutes as the series publishes it ("1,000 miles or 10 hours,
-- whichever first" is 600); NULL when no source gives it. A race without its own duration
-- lasts this long (domain/session_time.py).
ALTER TABLE events ADD COLUMN length_minutes INTEGER;

-- sessions.horizon_at now means the latest instant a session may still be running: its
-- start (or, known only by its day, the end of that day) plus its length, the length
-- estimated for its kind and series when no source gives one. The store derives it again
-- for every session after this migration (Store._migrate).
