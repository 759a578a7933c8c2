-- Version 6: every session has an end.

-- The race's maximum length in minutes as the series publishes it ("1,000 miles or 10 hours,
-- whichever first" is 600); NULL when no source gives it (domain/session_time.py).
ALTER TABLE events ADD COLUMN length_minutes integer;

-- sessions.horizon_at now means the latest instant a session may still be running; the store
-- derives it again for every session after this migration (schema.migrate).
