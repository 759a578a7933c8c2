-- Version 5, for fast reads.

-- Counters that every write changing a name moves, whichever process makes it: "catalog"
-- for the shared catalog's names (fanbot import), "guild:<id>" for one guild's own
-- (its moderators; the row appears with the guild's first such write). Name indexes held
-- in memory compare them to know when to rebuild: a moderator's edit rebuilds that guild's
-- small index only, and reminder bookkeeping moves none.
CREATE TABLE name_revision (
    scope TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

INSERT INTO name_revision (scope, value) VALUES ('catalog', 0);

-- /circuit reads the events at one circuit (without it, SQLite walked every catalog event).
CREATE INDEX events_by_circuit ON events (circuit_id);
