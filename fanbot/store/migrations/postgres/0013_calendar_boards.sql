-- Version 13: a calendar board per guild (see SQLite's 0013_calendar_boards.sql).
CREATE TABLE calendar_boards (
    guild_id       bigint PRIMARY KEY,
    channel_id     bigint NOT NULL,
    message_id     bigint,                            -- NULL: deleted; posted again with the next change
    series         text COLLATE "C",                  -- one series code; NULL = every series
    event_count    integer NOT NULL,                  -- how many events it lists
    content_hash   text COLLATE "C",                  -- sha-256 of what the message last showed
    pin_state      text COLLATE "C" NOT NULL DEFAULT 'unpinned'
                   CHECK (pin_state IN ('unpinned', 'pinned', 'no_permission', 'pins_full', 'failed')),
    deletions      integer NOT NULL DEFAULT 0,        -- times its message was found deleted
    posted_at      timestamptz NOT NULL,              -- last (re)posted: a repost waits a day after it
    edited_at      timestamptz,
    stopped_at     timestamptz,                       -- no longer kept (see stopped_reason)
    stopped_reason text COLLATE "C" CHECK (stopped_reason IN ('deleted', 'forbidden', 'gone')),
    updated_by     bigint,
    updated_at     timestamptz NOT NULL
);
