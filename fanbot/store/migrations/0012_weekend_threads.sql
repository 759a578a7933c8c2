-- Version 12: a thread per race weekend. A guild may ask for each event's reminders to
-- go in one thread (or forum post) of its reminder channel instead of the channel itself.

-- The guild's choice, and why its reminders go in the channel after all (a thread
-- permission missing), shown in /reminders status until a thread works again.
ALTER TABLE reminder_setups ADD COLUMN threads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reminder_setups ADD COLUMN threads_problem TEXT;

-- One thread per (guild, event, reminder channel). The row is claimed *before* the
-- thread is created (thread_id NULL, claimed_by, claimed_until), as a reminder is
-- before it is sent: two processes never both create one, and a process that died
-- between Discord creating it and this row recording it leaves a lapsed claim, whose
-- taker looks for the thread among the channel's threads before creating another.
-- No foreign key to events: a removed event's thread is still archived.
CREATE TABLE weekend_threads (
    guild_id       INTEGER NOT NULL,
    event_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,                -- the reminder channel (or forum) it is in
    thread_id      INTEGER,                         -- NULL while claimed and not yet created
    claimed_by     TEXT,
    claimed_until  TEXT,                            -- a claim older than this is abandoned
    created_at     TEXT,
    archived_at    TEXT,                            -- archived by fanbot after the race
    gone_at        TEXT,                            -- deleted on Discord: the channel again
    PRIMARY KEY (guild_id, event_id, channel_id)
);
-- The archive pass: threads still open.
CREATE INDEX weekend_threads_open ON weekend_threads (archived_at, gone_at);
