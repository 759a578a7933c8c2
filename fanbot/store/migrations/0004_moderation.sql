-- Version 4: moderators' changes to their guild's calendar.

-- Every change a moderator makes, with the event as it was and as it became
-- (JSON text), so "who moved the race?" has an answer. No foreign key to
-- events on purpose: the record of a removed event must outlive it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    at          TEXT NOT NULL,             -- UTC instant, 2027-06-12T14:00:00Z
    action      TEXT NOT NULL,             -- "event.add", "session.edit", "entry.remove", ...
    event_id    INTEGER,
    event_key   TEXT,                      -- stable: finds the history of a removed event too
    event_name  TEXT,
    before_json TEXT,                      -- NULL when the thing was created
    after_json  TEXT                       -- NULL when the thing was removed
);
CREATE INDEX audit_by_event ON audit_log (guild_id, event_key, id);

-- Guild files once made guild copies of the shared circuits they named; point
-- those events back at the shared circuit and drop the copies, so each circuit
-- is listed once.
UPDATE events SET circuit_id = (
    SELECT shared.id FROM circuits guild_copy JOIN circuits shared
        ON shared.key = guild_copy.key AND shared.guild_id IS NULL
    WHERE guild_copy.id = events.circuit_id
)
WHERE circuit_id IN (
    SELECT guild_copy.id FROM circuits guild_copy JOIN circuits shared
        ON shared.key = guild_copy.key AND shared.guild_id IS NULL
    WHERE guild_copy.guild_id IS NOT NULL
);

DELETE FROM circuits
WHERE guild_id IS NOT NULL AND key IN (SELECT key FROM circuits WHERE guild_id IS NULL);
