-- Version 7: the other names fans know a race by.

-- '|'-separated, like circuits.aliases: "24 Heures du Mans|24h du Mans|Le Mans 24". The name
-- lookup answers to each, alone and with the season (answers/context.py, _event_index).
ALTER TABLE events ADD COLUMN aliases TEXT NOT NULL DEFAULT '';
