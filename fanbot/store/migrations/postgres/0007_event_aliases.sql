-- Version 7: the other names fans know a race by, '|'-separated like circuits.aliases.
ALTER TABLE events ADD COLUMN aliases text COLLATE "C" NOT NULL DEFAULT '';
