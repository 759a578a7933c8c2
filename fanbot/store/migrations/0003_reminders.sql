-- Version 3: reminders. Due times are never stored as plans: they are derived
-- from the sessions as they are now (start minus lead), so an edit, a
-- postponement or a cancellation moves or drops reminders with nothing to update.
-- What is stored is who wants reminding (setups, fan requests) and what was
-- done (deliveries).

-- One per guild: where its reminders go and which ones it wants.
CREATE TABLE reminder_setups (
    guild_id      INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL,
    role_id       INTEGER,                         -- the only mention fanbot ever makes
    series        TEXT NOT NULL DEFAULT '',        -- '|'-separated codes; '' = every series
    kinds         TEXT NOT NULL DEFAULT 'qualifying|race',
    leads         TEXT NOT NULL DEFAULT '60',      -- '|'-separated minutes before each session
    green_flag    INTEGER NOT NULL DEFAULT 1,      -- also post when the race starts
    active        INTEGER NOT NULL DEFAULT 1,
    since         TEXT NOT NULL,                   -- reminders due before this were never owed
    broken_at     TEXT,                            -- the channel could not be posted in (403/404)
    broken_reason TEXT,
    broken_told   INTEGER NOT NULL DEFAULT 0,      -- a moderator has been shown the failure
    updated_by    INTEGER,
    updated_at    TEXT NOT NULL
);

-- A fan's "remind me" for one event, sent by DM.
CREATE TABLE fan_reminders (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    guild_id  INTEGER,                              -- where it was asked (NULL: in DMs)
    leads     TEXT NOT NULL DEFAULT '60',
    locale    TEXT NOT NULL DEFAULT 'en',
    since     TEXT NOT NULL,
    UNIQUE (user_id, event_id)
);
CREATE INDEX fan_reminders_by_event ON fan_reminders (event_id);

-- Fans whose DMs refused a reminder: not retried, told once.
CREATE TABLE closed_dms (
    user_id    INTEGER PRIMARY KEY,
    closed_at  TEXT NOT NULL,
    told       INTEGER NOT NULL DEFAULT 0
);

-- One row per reminder that was claimed, sent, missed or failed. The unique key
-- is what "never twice" means: one post per target, session, lead and announced
-- start (a session moved to a new time is a new reminder).
CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY,
    target_kind    TEXT NOT NULL CHECK (target_kind IN ('guild', 'user')),
    target_id      INTEGER NOT NULL,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    lead_minutes   INTEGER NOT NULL,
    session_start  TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'missed', 'failed')),
    claimed_by     TEXT,
    claimed_until  TEXT,                            -- a claim older than this is abandoned
    attempts       INTEGER NOT NULL DEFAULT 0,
    nonce          TEXT NOT NULL,                   -- the same on every retry: Discord drops repeats
    channel_id     INTEGER,
    message_id     INTEGER,
    finished_at    TEXT,
    late           INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    UNIQUE (target_kind, target_id, session_id, lead_minutes, session_start)
);
CREATE INDEX deliveries_by_session ON deliveries (session_id);
CREATE INDEX deliveries_by_claim ON deliveries (state, claimed_until);

-- The dispatcher's window query: sessions starting between two instants.
CREATE INDEX sessions_by_start ON sessions (start_at);

-- The role a guild's admins named as moderators (besides Manage Events).
ALTER TABLE guild_settings ADD COLUMN moderator_role_id INTEGER;
