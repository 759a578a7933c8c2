-- Version 2: recorded results (shown behind spoiler markup) and per-guild settings.

CREATE TABLE results (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    class       TEXT NOT NULL,         -- "Overall", "P2", "GT", ...
    position    INTEGER NOT NULL,
    number      TEXT,
    description TEXT NOT NULL,
    source      TEXT,
    UNIQUE (event_id, class, position)
);

CREATE TABLE guild_settings (
    guild_id  INTEGER PRIMARY KEY,
    locale    TEXT                     -- NULL: follow Discord's guild locale
);
