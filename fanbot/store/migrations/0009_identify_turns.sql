-- Version 9: turns to IDENTIFY with Discord's gateway, shared by the processes of a
-- sharded bot (fanbot.store.identify).

-- Discord lets a bot start max_concurrency gateway sessions per 5 seconds: one per
-- "bucket" (shard id modulo max_concurrency) in each 5-second window, all processes
-- together. One row per bucket: when a shard of that bucket last identified (whole
-- seconds, rounded up, so that a turn is never taken early).
CREATE TABLE identify_turns (
    bucket           INTEGER PRIMARY KEY,
    last_identify_at TEXT NOT NULL
);
