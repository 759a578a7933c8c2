-- Version 10: the Discord scheduled events mirror (fanbot.store.mirror): a server may have
-- one Discord scheduled event (its Events tab) kept for each race of its next days.

-- One per guild that turned the mirror on (/events mirror on).
CREATE TABLE mirror_setups (
    guild_id       INTEGER PRIMARY KEY,
    series         TEXT NOT NULL DEFAULT '',        -- '|'-separated codes; '' = every series
    days           INTEGER NOT NULL DEFAULT 14,     -- how far ahead races are mirrored
    active         INTEGER NOT NULL DEFAULT 1,
    broken_at      TEXT,                            -- Discord refused (403): the mirror stopped
    broken_reason  TEXT,
    broken_told    INTEGER NOT NULL DEFAULT 0,      -- a moderator has been shown why
    skipped        INTEGER NOT NULL DEFAULT 0,      -- races the last sync left out under Discord's cap
    synced_at      TEXT,                            -- when a sync last sent changes to Discord
    updated_by     INTEGER,
    updated_at     TEXT NOT NULL
);

-- Which Discord event mirrors which race session. No foreign key on purpose: a race
-- removed from the calendar must leave its row behind, so that its Discord event is deleted.
CREATE TABLE mirror_events (
    guild_id          INTEGER NOT NULL,
    event_id          INTEGER NOT NULL,
    session_id        INTEGER NOT NULL,
    discord_event_id  INTEGER NOT NULL,
    -- 'gone': someone deleted or cancelled it in Discord; not made again for this race.
    state             TEXT NOT NULL CHECK (state IN ('scheduled', 'cancelled', 'gone')),
    payload_hash      TEXT NOT NULL,                -- what was last sent: no edit while unchanged
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (guild_id, event_id, session_id)
);
