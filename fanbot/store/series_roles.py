"""Pings by series: the role a guild keeps for each series (``series_roles``).

A guild that set up series roles (``/reminders roles setup`` or ``use``) has one row per
series; a reminder mentions the role of its event's series (the rule is the dispatcher's,
``fanbot.reminders.dispatcher.mention_role``). A role that was deleted, or that Discord
answered 404 for, is not forgotten: its row keeps the series with no role and says what
happened, so that ``/reminders status`` can tell the moderators, and the guild's reminders
of that series ping nobody rather than falling back to a role its members never chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fanbot.domain.localtime import to_iso_utc
from fanbot.store.backend import Database, Row
from fanbot.store.rows import stored_instant

# A problem is a sentence for moderators, or Discord's error: kept short.
PROBLEM_LIMIT = 300


@dataclass(frozen=True)
class SeriesRole:
    """The role a guild pings for one series; ``role_id`` None: it was lost (``problem``
    says how and ``problem_at`` when)."""

    guild_id: int
    series: str
    role_id: int | None
    created: bool  # fanbot created the role (rather than a moderator naming one)
    problem: str | None = None
    problem_at: datetime | None = None
    updated_by: int | None = None

    @property
    def lost(self) -> bool:
        return self.role_id is None


def _series_role(r: Row) -> SeriesRole:
    return SeriesRole(
        guild_id=int(r["guild_id"]),
        series=str(r["series_code"]),
        role_id=int(r["role_id"]) if r["role_id"] is not None else None,
        created=bool(r["created"]),
        problem=str(r["problem"]) if r["problem"] is not None else None,
        problem_at=stored_instant(r["problem_at"]) if r["problem_at"] else None,
        updated_by=int(r["updated_by"]) if r["updated_by"] is not None else None,
    )


class SeriesRoles:
    """``series_roles``, reached as ``store.series_roles``. Its writes are ``names="none"``:
    they change no name the name indexes hold."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def of_guild(self, guild_id: int) -> list[SeriesRole]:
        """The guild's series roles, lost ones included, by series code."""
        rows = await self._db.fetch_all(
            "SELECT * FROM series_roles WHERE guild_id = ? ORDER BY series_code", (guild_id,)
        )
        return [_series_role(r) for r in rows]

    async def mention_roles(self, guild_ids: Iterable[int]) -> dict[int, dict[str, int | None]]:
        """For each of ``guild_ids`` that set up series roles: series code -> the role to
        mention (None: lost). Guilds without any row are left out: they ping the role of
        their reminder setup, if any. One read for a whole batch of reminders."""
        wanted = set(guild_ids)
        if not wanted:
            return {}
        # The table holds only the guilds that use the feature (a few rows each): read it
        # whole rather than bind thousands of guild ids.
        rows = await self._db.fetch_all("SELECT guild_id, series_code, role_id FROM series_roles")
        found: dict[int, dict[str, int | None]] = {}
        for r in rows:
            guild_id = int(r["guild_id"])
            if guild_id in wanted:
                role = int(r["role_id"]) if r["role_id"] is not None else None
                found.setdefault(guild_id, {})[str(r["series_code"])] = role
        return found

    async def set_role(
        self, guild_id: int, series: str, role_id: int, *, created: bool, by: int | None, now: datetime
    ) -> None:
        """The role to ping for ``series`` from now on (clears any problem noted)."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO series_roles (guild_id, series_code, role_id, created, problem, "
                "problem_at, updated_by, updated_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?) "
                "ON CONFLICT (guild_id, series_code) DO UPDATE SET role_id = excluded.role_id, "
                "created = excluded.created, problem = NULL, problem_at = NULL, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (guild_id, series, role_id, int(created), by, to_iso_utc(now)),
            )

    async def lose_role(self, guild_id: int, role_id: int, reason: str, *, now: datetime) -> list[str]:
        """A role the guild deleted (or Discord no longer knows): cleared from every series
        that pinged it, with ``reason`` kept for ``/reminders status``. The series codes
        it was the role of (empty: not one of the guild's series roles)."""
        async with self._db.write(names="none") as tx:
            rows = await tx.fetch_all(
                "SELECT series_code FROM series_roles WHERE guild_id = ? AND role_id = ? "
                "ORDER BY series_code",
                (guild_id, role_id),
            )
            if rows:
                await tx.execute(
                    "UPDATE series_roles SET role_id = NULL, problem = ?, problem_at = ?, updated_at = ? "
                    "WHERE guild_id = ? AND role_id = ?",
                    (reason[:PROBLEM_LIMIT], to_iso_utc(now), to_iso_utc(now), guild_id, role_id),
                )
        return [str(r[0]) for r in rows]

    async def note_problem(self, guild_id: int, series: str, problem: str, *, now: datetime) -> bool:
        """Something went wrong with ``series``'s role that a moderator must fix (it is
        above fanbot's own role, Manage Roles was taken away): kept until the role is set
        again. False if the guild has no role for that series."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE series_roles SET problem = ?, problem_at = ? WHERE guild_id = ? AND series_code = ?",
                (problem[:PROBLEM_LIMIT], to_iso_utc(now), guild_id, series),
            )
        return changed > 0

    async def clear(self, guild_id: int) -> int:
        """The guild stops pinging by series (the roles themselves stay in Discord): its
        reminders ping the role of its setup again. How many series it had."""
        async with self._db.write(names="none") as tx:
            return await tx.execute("DELETE FROM series_roles WHERE guild_id = ?", (guild_id,))
