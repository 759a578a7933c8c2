-- Version 14: calendar feeds a server subscribed to (/calendar subscribe, fanbot.store.feeds).
--
-- A feed's events are the guild's own events (events.feed_id names the subscription that
-- owns them). One that stands for a catalog race the guild already sees names it in
-- events.replaces_event_id: the guild then sees its event instead of the catalog's, whose
-- line-up and results it keeps showing (the scope rule in fanbot.store.reads).
CREATE TABLE feed_subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    url             TEXT NOT NULL,          -- as fetched (webcal:// already made https://)
    series          TEXT NOT NULL,          -- the series code its events take
    refresh_minutes INTEGER NOT NULL,       -- the moderator's choice (the feed may ask for less)
    created_by      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    next_fetch_at   TEXT NOT NULL,          -- jittered, so servers do not all fetch at once
    last_fetch_at   TEXT,
    last_ok_at      TEXT,
    last_change_at  TEXT,                   -- last fetch that changed the guild's calendar
    failing_since   TEXT,                   -- NULL: the last fetch worked
    last_error      TEXT,                   -- JSON of the last failure's Problem
    told_broken     INTEGER NOT NULL DEFAULT 0,  -- a moderator was told it has failed for a day
    unread          TEXT,                   -- JSON: what the last good read could not import
    events          INTEGER NOT NULL DEFAULT 0,  -- events the last good read gave
    UNIQUE (guild_id, url)
);
CREATE INDEX feed_subscriptions_due ON feed_subscriptions (next_fetch_at);

-- One row per URL, whichever servers subscribed to it: one fetch serves them all.
CREATE TABLE feed_sources (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    body_sha256    TEXT,
    fetched_at     TEXT
);

-- What the feed last said of each field it sets, per event and session, so that a
-- moderator's edit of that field stands until the feed itself changes it again.
CREATE TABLE feed_fields (
    subscription_id INTEGER NOT NULL REFERENCES feed_subscriptions (id) ON DELETE CASCADE,
    event_key       TEXT NOT NULL,
    field           TEXT NOT NULL,          -- "name", "status", "session:<key>"
    value           TEXT,
    PRIMARY KEY (subscription_id, event_key, field)
);

ALTER TABLE events ADD COLUMN feed_id INTEGER;
ALTER TABLE events ADD COLUMN replaces_event_id INTEGER;
CREATE INDEX events_replacing ON events (replaces_event_id, guild_id) WHERE replaces_event_id IS NOT NULL;
