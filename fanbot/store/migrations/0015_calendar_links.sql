-- Version 15: each guild's calendar subscription link (/calendar link,
-- fanbot.store.calendar_links). The token is the secret part of the link's path: whoever
-- holds it reads the guild's calendar, so a moderator can replace it (/calendar link
-- reset) and the old link stops working. Made on first use; one per guild.
CREATE TABLE calendar_links (
    guild_id    INTEGER PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL
);
