-- Version 9: turns to IDENTIFY with Discord's gateway, shared by the processes of a
-- sharded bot (see SQLite's 0009_identify_turns.sql).
CREATE TABLE identify_turns (
    bucket           integer PRIMARY KEY,
    last_identify_at timestamptz NOT NULL
);
