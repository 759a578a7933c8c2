-- Version 13: a calendar board per guild (fanbot.store.boards): one message in a channel
-- of the guild's choosing that lists its next events, pinned when the bot may, and edited
-- when the calendar changes or a session passes. Its text is not stored: it is rendered
-- from the calendar as it is now, and only a digest of what the message shows is kept, so
-- that nothing is edited when nothing changed.
CREATE TABLE calendar_boards (
    guild_id       INTEGER PRIMARY KEY,
    channel_id     INTEGER NOT NULL,
    message_id     INTEGER,                  -- NULL: deleted; posted again with the next change
    series         TEXT,                     -- one series code; NULL = every series
    event_count    INTEGER NOT NULL,         -- how many events it lists
    content_hash   TEXT,                     -- sha-256 of what the message last showed
    pin_state      TEXT NOT NULL DEFAULT 'unpinned'
                   CHECK (pin_state IN ('unpinned', 'pinned', 'no_permission', 'pins_full', 'failed')),
    deletions      INTEGER NOT NULL DEFAULT 0,   -- times its message was found deleted
    posted_at      TEXT NOT NULL,            -- last (re)posted: a repost waits a day after it
    edited_at      TEXT,
    stopped_at     TEXT,                     -- no longer kept (see stopped_reason)
    stopped_reason TEXT CHECK (stopped_reason IN ('deleted', 'forbidden', 'gone')),
    updated_by     INTEGER,
    updated_at     TEXT NOT NULL
);
