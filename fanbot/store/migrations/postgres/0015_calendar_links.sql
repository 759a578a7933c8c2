-- Version 15: each guild's calendar subscription link (see SQLite's 0015_calendar_links.sql).
CREATE TABLE calendar_links (
    guild_id    bigint PRIMARY KEY,
    token       text COLLATE "C" NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    created_by  bigint NOT NULL
);
