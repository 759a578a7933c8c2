"""What a guild's admins set (its moderator role, its language) and the name counters
that tell every process when its name indexes are out of date.
"""

from __future__ import annotations

from fanbot.store.backend import Database, name_scope
from fanbot.store.postgres import PostgresDatabase


class GuildSettings:
    """``guild_settings`` and ``name_revision`` (``Store`` and ``store.reminders`` pass through)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def moderator_role(self, guild_id: int) -> int | None:
        """The role a guild's admins named as moderators, if any."""
        rows = await self._db.rows(
            "SELECT moderator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    async def set_moderator_role(self, guild_id: int, role_id: int | None) -> None:
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO guild_settings (guild_id, moderator_role_id) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET moderator_role_id = excluded.moderator_role_id",
                (guild_id, role_id),
            )

    async def guild_locale(self, guild_id: int) -> str | None:
        """The language a guild's moderators chose for its posts (None: Discord's)."""
        rows = await self._db.fetch_all("SELECT locale FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return str(rows[0][0]) if rows and rows[0][0] else None

    async def change_token(self, guild_id: int | None = None) -> tuple[int, int]:
        """(catalog, guild): the first moves when any process commits a write that may
        change a catalog name, the second when one may change ``guild_id``'s own names.
        The name indexes compare them to know when to rebuild; every lookup asks.

        On PostgreSQL, while the other processes' writes are heard (``name_tokens``), the
        whole table is read once (a row for the catalog and one per guild whose names were
        ever edited: small) and kept until a write may move a counter, so that a lookup
        makes no trip (half a millisecond, most of a lookup's reads) whatever its guild;
        otherwise, and always on SQLite (microseconds), its two counters are read."""
        own = name_scope(guild_id) if guild_id is not None else ""
        kept = self._db.name_tokens if isinstance(self._db, PostgresDatabase) else None
        if kept is not None:
            catalog, guild = kept.get("catalog"), kept.get(own)
            if catalog is not None and guild is not None:
                return catalog, guild
            era = kept.era
            rows = await self._db.rows("SELECT scope, value FROM name_revision")
            every = {str(r[0]): int(r[1]) for r in rows}
            kept.keep(era, every)
            return every.get("catalog", 0), every.get(own, 0)
        rows = await self._db.rows(
            "SELECT scope, value FROM name_revision WHERE scope IN ('catalog', ?)", (own,)
        )
        values = {str(r[0]): int(r[1]) for r in rows}
        return values.get("catalog", 0), values.get(own, 0)
