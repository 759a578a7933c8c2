-- fanbot schema, version 1: the race catalog and guild-owned events.
-- Instants are UTC text in the form 2012-10-20T15:30:00Z, so they sort as text.
-- Plain SQL on purpose: PostgreSQL must be able to run it one day.

CREATE TABLE series (
    id      INTEGER PRIMARY KEY,
    code    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    source  TEXT
);

CREATE TABLE circuits (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,                -- NULL: the shared catalog
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    location   TEXT,
    country    TEXT,
    timezone   TEXT NOT NULL,          -- IANA name, e.g. America/New_York
    length_km  REAL,
    turns      INTEGER,
    aliases    TEXT NOT NULL DEFAULT '',  -- '|'-separated other names people use
    source     TEXT,
    notes      TEXT
);
CREATE UNIQUE INDEX circuits_by_scope_key ON circuits (COALESCE(guild_id, -1), key);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,                -- NULL: the shared catalog
    key        TEXT NOT NULL,          -- stable id: re-imports update, .ics UIDs derive from it
    series_id  INTEGER NOT NULL REFERENCES series (id),
    circuit_id INTEGER NOT NULL REFERENCES circuits (id),
    season     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    edition    INTEGER,
    length     TEXT,                   -- "6 hours", "1,000 miles or 10 hours"
    status     TEXT NOT NULL DEFAULT 'scheduled'
               CHECK (status IN ('scheduled', 'postponed', 'cancelled')),
    info_url   TEXT,
    watch_url  TEXT,
    source     TEXT,
    notes      TEXT,
    version    INTEGER NOT NULL DEFAULT 1  -- bumped on every change: concurrent edits re-check it
);
CREATE UNIQUE INDEX events_by_scope_key ON events (COALESCE(guild_id, -1), key);
CREATE INDEX events_by_guild ON events (guild_id);

CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key              TEXT NOT NULL,    -- "race", "qualifying", "qualifying-2": stable within the event
    kind             TEXT NOT NULL,
    start_at         TEXT,             -- UTC instant; NULL when the time is not known
    local_date       TEXT,             -- the day at the circuit; NULL when not known either
    sort_at          TEXT,             -- start_at, or the start of the local day: orders sessions
    horizon_at       TEXT,             -- start_at, or the end of the local day: "still to come" until then
    duration_minutes INTEGER,
    notes            TEXT,
    UNIQUE (event_id, key)
);
-- The hot query: "sessions still to come after instant T".
CREATE INDEX sessions_by_horizon ON sessions (horizon_at);

CREATE TABLE entries (
    id        INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    number    TEXT,                    -- text: "055" and "0" are real car numbers
    class     TEXT,
    team      TEXT,
    car       TEXT,
    position  INTEGER NOT NULL,        -- order within the entry list
    source    TEXT,
    notes     TEXT
);
CREATE INDEX entries_by_event ON entries (event_id, position);

CREATE TABLE drivers (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    source  TEXT
);

CREATE TABLE entry_drivers (
    entry_id  INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    driver_id INTEGER NOT NULL REFERENCES drivers (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (entry_id, position)
);
CREATE INDEX entry_drivers_by_driver ON entry_drivers (driver_id);
