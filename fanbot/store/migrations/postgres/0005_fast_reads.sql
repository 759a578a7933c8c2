-- Version 5, for fast reads.

-- Counters that every write changing a name moves, whichever process makes it: "catalog"
-- for the shared catalog's names, "guild:<id>" for one guild's own (see SQLite's
-- 0005_fast_reads.sql).
CREATE TABLE name_revision (
    scope text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);

INSERT INTO name_revision (scope, value) VALUES ('catalog', 0);

-- /circuit reads the events at one circuit.
CREATE INDEX events_by_circuit ON events (circuit_id);
