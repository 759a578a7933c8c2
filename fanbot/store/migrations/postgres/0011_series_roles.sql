-- Version 11: pings by series (see SQLite's 0011_series_roles.sql for why a lost role
-- keeps its row). Flags stay integers 0/1, as in SQLite.
CREATE TABLE series_roles (
    guild_id     bigint NOT NULL,
    series_code  text COLLATE "C" NOT NULL,
    role_id      bigint,
    created      integer NOT NULL DEFAULT 0,
    problem      text COLLATE "C",
    problem_at   timestamptz,
    updated_by   bigint,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (guild_id, series_code)
);
