-- Version 5, for fast reads.

-- Counters that every write changing a name moves, whichever process makes it: "catalog"
-- for the shared catalog's names (fanbot import), "guild" for any guild's own (moderators).
-- Name indexes held in memory compare them to know when to rebuild: a moderator's edit
-- rebuilds small guild indexes only, and reminder bookkeeping moves neither.
CREATE TABLE name_revision (
    scope TEXT PRIMARY KEY CHECK (scope IN ('catalog', 'guild')),
    value INTEGER NOT NULL
);

INSERT INTO name_revision (scope, value) VALUES ('catalog', 0), ('guild', 0);

-- /circuit reads the events at one circuit (without it, SQLite walked every catalog event).
CREATE INDEX events_by_circuit ON events (circuit_id);
