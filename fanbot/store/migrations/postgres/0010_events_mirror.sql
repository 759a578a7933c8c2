-- Version 10: the Discord scheduled events mirror (see SQLite's 0010_events_mirror.sql).
-- Flags stay integers 0/1, as in SQLite: the store's SQL compares them with 1 and 0.

-- One per guild that turned the mirror on (/events mirror on).
CREATE TABLE mirror_setups (
    guild_id       bigint PRIMARY KEY,
    series         text COLLATE "C" NOT NULL DEFAULT '',  -- '|'-separated codes; '' = every series
    days           integer NOT NULL DEFAULT 14,           -- how far ahead races are mirrored
    active         integer NOT NULL DEFAULT 1,
    broken_at      timestamptz,                           -- Discord refused (403): the mirror stopped
    broken_reason  text COLLATE "C",
    broken_told    integer NOT NULL DEFAULT 0,            -- a moderator has been shown why
    skipped        integer NOT NULL DEFAULT 0,            -- races the last sync left out under Discord's cap
    synced_at      timestamptz,                           -- when a sync last sent changes to Discord
    updated_by     bigint,
    updated_at     timestamptz NOT NULL
);

-- Which Discord event mirrors which race session (no foreign key: a removed race leaves
-- its row behind, so that its Discord event is deleted).
CREATE TABLE mirror_events (
    guild_id          bigint NOT NULL,
    event_id          bigint NOT NULL,
    session_id        bigint NOT NULL,
    discord_event_id  bigint NOT NULL,
    -- 'gone': someone deleted or cancelled it in Discord; not made again for this race.
    state             text COLLATE "C" NOT NULL CHECK (state IN ('scheduled', 'cancelled', 'gone')),
    payload_hash      text COLLATE "C" NOT NULL,          -- what was last sent: no edit while unchanged
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (guild_id, event_id, session_id)
);
