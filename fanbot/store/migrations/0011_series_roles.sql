-- Version 11: pings by series (fanbot.store.series_roles). Members pick, in a menu the
-- moderators post with /reminders roles setup, the series that may ping them; fanbot
-- keeps one role per series and a reminder mentions the role of its event's series only.

-- One row per (guild, series) that has, or had, a role. A role that was deleted (or that
-- Discord answered 404 for) keeps its row with role_id NULL and the problem written down:
-- /reminders status shows it, and the guild stays on series roles (its reminders of that
-- series ping nobody) until a moderator names or creates another.
CREATE TABLE series_roles (
    guild_id     INTEGER NOT NULL,
    series_code  TEXT NOT NULL,
    role_id      INTEGER,
    created      INTEGER NOT NULL DEFAULT 0,   -- 1: fanbot created the role; 0: a moderator named it
    problem      TEXT,                         -- the last thing that went wrong with it, for status
    problem_at   TEXT,
    updated_by   INTEGER,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, series_code)
);
