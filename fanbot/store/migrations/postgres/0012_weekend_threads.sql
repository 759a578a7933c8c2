-- Version 12: a thread per race weekend (see SQLite's 0012_weekend_threads.sql for why).

ALTER TABLE reminder_setups ADD COLUMN threads integer NOT NULL DEFAULT 0;
ALTER TABLE reminder_setups ADD COLUMN threads_problem text COLLATE "C";

CREATE TABLE weekend_threads (
    guild_id       bigint NOT NULL,
    event_id       bigint NOT NULL,
    channel_id     bigint NOT NULL,                 -- the reminder channel (or forum) it is in
    thread_id      bigint,                          -- NULL while claimed and not yet created
    claimed_by     text COLLATE "C",
    claimed_until  timestamptz,                     -- a claim older than this is abandoned
    created_at     timestamptz,
    archived_at    timestamptz,                     -- archived by fanbot after the race
    gone_at        timestamptz,                     -- deleted on Discord: the channel again
    PRIMARY KEY (guild_id, event_id, channel_id)
);
CREATE INDEX weekend_threads_open ON weekend_threads (archived_at, gone_at);
