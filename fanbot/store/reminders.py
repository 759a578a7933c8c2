"""Reminder state in the store: who wants reminding, and what was delivered.

Due times are not stored; the dispatcher derives them from the sessions as they
are now (``sessions_starting``) and the settings here. A delivery row is written
*before* a reminder is sent (a claim, inside a write transaction, so two bot
processes on one database never both take it) and finished after Discord
answered. The unique key on deliveries is the "never twice" guarantee.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Literal

from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import (
    Claim,
    Delivery,
    DeliveryKey,
    FanRequest,
    ReminderSetup,
    SessionSlot,
    Target,
)
from fanbot.store.backend import Database, Row
from fanbot.store.rows import stored_instant
from fanbot.store.settings import GuildSettings

# The dispatcher's writes may wait this long for another process's write lock (they wait
# without holding up reads); a command's writes give up sooner, to answer in time.
DISPATCH_WAIT_SECONDS = 30.0


def _join(values: Iterable[object]) -> str:
    return "|".join(str(v) for v in values)


def _split_ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("|") if x)


def _when(text: str | None) -> datetime | None:
    return stored_instant(text) if text else None


class Reminders:
    """The reminder tables. Reached as ``store.reminders``; SQL stays in the store.

    Its writes are ``names="none"``: they change no event, circuit or driver name, so
    the name indexes built from the store stay valid while reminders go out. Its reads
    are ``fetch_all``: one trip to the database thread instead of three (execute, fetch,
    close); every command checks for pending notices here, so it adds up."""

    def __init__(self, database: Database, settings: GuildSettings) -> None:
        self._db = database
        self._settings = settings

    # ------------------------------------------------------------ guild setups

    async def save_setup(self, setup: ReminderSetup, *, now: datetime) -> None:
        """Create or replace a guild's setup; saving again also clears a broken mark."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO reminder_setups (guild_id, channel_id, role_id, series, kinds, leads, "
                "green_flag, active, since, broken_at, broken_reason, broken_told, updated_by, "
                "updated_at, threads, threads_problem) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, NULL, NULL, 0, ?, ?, ?, NULL) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "role_id = excluded.role_id, series = excluded.series, kinds = excluded.kinds, "
                "leads = excluded.leads, green_flag = excluded.green_flag, active = 1, "
                # Saving again is a moderator's fresh start: threads are tried again too.
                "threads = excluded.threads, threads_problem = NULL, "
                # A guild that was already set up keeps its 'since': reminders it was
                # owed during an outage are still reported as missed.
                "since = CASE WHEN reminder_setups.active = 1 THEN reminder_setups.since "
                "ELSE excluded.since END, "
                "broken_at = NULL, broken_reason = NULL, broken_told = 0, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (
                    setup.guild_id,
                    setup.channel_id,
                    setup.role_id,
                    _join(setup.series),
                    _join(k.value for k in setup.kinds),
                    _join(setup.leads),
                    int(setup.green_flag),
                    to_iso_utc(setup.since),
                    setup.updated_by,
                    to_iso_utc(now),
                    int(setup.threads),
                ),
            )

    async def setup(self, guild_id: int) -> ReminderSetup | None:
        rows = await self._db.fetch_all("SELECT * FROM reminder_setups WHERE guild_id = ?", (guild_id,))
        return _setup(rows[0]) if rows else None

    async def active_setups(self) -> list[ReminderSetup]:
        """Every guild that wants reminders and whose channel still works."""
        rows = await self._db.fetch_all(
            "SELECT * FROM reminder_setups WHERE active = 1 AND broken_at IS NULL ORDER BY guild_id"
        )
        return [_setup(r) for r in rows]

    async def turn_off(self, guild_id: int, *, by: int | None, now: datetime) -> bool:
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE reminder_setups SET active = 0, updated_by = ?, updated_at = ? "
                "WHERE guild_id = ? AND active = 1",
                (by, to_iso_utc(now), guild_id),
            )
        return changed > 0

    async def mark_broken(self, guild_id: int, reason: str, *, now: datetime) -> None:
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE reminder_setups SET broken_at = ?, broken_reason = ?, broken_told = 0 "
                "WHERE guild_id = ? AND broken_at IS NULL",
                (to_iso_utc(now), reason[:300], guild_id),
            )

    async def set_threads_problem(self, guild_id: int, problem: str | None) -> None:
        """Why the guild's reminders go in its channel rather than a thread (a permission
        missing), or None once a thread works again: shown in /reminders status."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE reminder_setups SET threads_problem = ? WHERE guild_id = ?",
                (problem[:300] if problem else None, guild_id),
            )

    async def take_broken_notice(self, guild_id: int) -> ReminderSetup | None:
        """The guild's broken setup if no moderator has been told yet; marks it told."""
        setup = await self.setup(guild_id)
        if setup is None or not setup.broken or setup.broken_told or not setup.active:
            return None
        async with self._db.write(names="none") as tx:
            await tx.execute("UPDATE reminder_setups SET broken_told = 1 WHERE guild_id = ?", (guild_id,))
        return setup

    # ------------------------------------------------------------ fans

    async def add_fan_request(
        self,
        *,
        user_id: int,
        event_id: int,
        guild_id: int | None,
        leads: Sequence[int],
        locale: str,
        now: datetime,
    ) -> bool:
        """Remember that a fan wants DMs for an event; False if they already asked
        (the leads are then updated)."""
        async with self._db.write(names="none") as tx:
            existing = await tx.fetch_one(
                "SELECT id FROM fan_reminders WHERE user_id = ? AND event_id = ?", (user_id, event_id)
            )
            if existing is not None:
                await tx.execute(
                    "UPDATE fan_reminders SET leads = ?, locale = ? WHERE id = ?",
                    (_join(leads), locale, existing[0]),
                )
            else:
                await tx.execute(
                    "INSERT INTO fan_reminders (user_id, event_id, guild_id, leads, locale, since) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, event_id, guild_id, _join(leads), locale, to_iso_utc(now)),
                )
            # Asking again is the fan saying their DMs are open now.
            await tx.execute("DELETE FROM closed_dms WHERE user_id = ?", (user_id,))
        return existing is None

    async def fan_requests(self, *, user_id: int | None = None) -> list[FanRequest]:
        """One fan's requests, or (``user_id`` None) every fan's whose DMs are open."""
        if user_id is not None:
            rows = await self._db.fetch_all(
                "SELECT * FROM fan_reminders WHERE user_id = ? ORDER BY id", (user_id,)
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT f.* FROM fan_reminders f LEFT JOIN closed_dms d ON d.user_id = f.user_id "
                "WHERE d.user_id IS NULL ORDER BY f.id"
            )
        return [_fan(r) for r in rows]

    async def cancel_fan_request(self, *, user_id: int, event_id: int | None) -> int:
        """Drop one request (or all of a fan's, ``event_id`` None); how many went."""
        async with self._db.write(names="none") as tx:
            # Returned once the block has committed.
            return await tx.execute(
                "DELETE FROM fan_reminders WHERE user_id = ? AND (CAST(? AS BIGINT) IS NULL OR event_id = ?)",
                (user_id, event_id, event_id),
            )

    async def close_dms(self, user_id: int, *, now: datetime) -> None:
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "INSERT INTO closed_dms (user_id, closed_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, to_iso_utc(now)),
            )

    async def take_closed_dm_notice(self, user_id: int) -> bool:
        """True once after a fan's DMs refused a reminder: they are to be told."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE closed_dms SET told = 1 WHERE user_id = ? AND told = 0", (user_id,)
            )
        return changed > 0

    async def dms_closed(self, user_id: int) -> bool:
        rows = await self._db.fetch_all("SELECT 1 FROM closed_dms WHERE user_id = ?", (user_id,))
        return bool(rows)

    # ------------------------------------------------------------ sessions and deliveries

    async def sessions_starting(self, after: datetime, upto: datetime) -> list[SessionSlot]:
        """Timed sessions of events that are not cancelled, starting in (after, upto]."""
        rows = await self._db.fetch_all(
            "SELECT s.id, s.event_id, s.kind, s.start_at, e.guild_id, sr.code "
            "FROM sessions s CROSS JOIN events e JOIN series sr ON sr.id = e.series_id "
            "WHERE e.id = s.event_id AND s.start_at > ? AND s.start_at <= ? "
            "AND e.status != 'cancelled' ORDER BY s.start_at, s.id",
            (to_iso_utc(after), to_iso_utc(upto)),
        )
        slots = []
        for r in rows:
            try:
                kind = SessionKind(r["kind"])
            except ValueError:
                kind = SessionKind.OTHER
            slots.append(
                SessionSlot(
                    session_id=int(r["id"]),
                    event_id=int(r["event_id"]),
                    event_guild_id=r["guild_id"],
                    series=str(r["code"]),
                    kind=kind,
                    start=stored_instant(r["start_at"]),
                )
            )
        return await self._with_stand_ins(slots)

    async def _with_stand_ins(self, slots: list[SessionSlot]) -> list[SessionSlot]:
        """Mark the catalog's sessions with the guilds whose own event replaces them."""
        catalog_events = sorted({s.event_id for s in slots if s.event_guild_id is None})
        if not catalog_events:
            return slots
        marks = ", ".join("?" for _ in catalog_events)
        rows = await self._db.fetch_all(
            f"SELECT replaces_event_id, guild_id FROM events WHERE replaces_event_id IN ({marks})",
            catalog_events,
        )
        if not rows:
            return slots
        guilds: dict[int, set[int]] = {}
        for r in rows:
            guilds.setdefault(int(r["replaces_event_id"]), set()).add(int(r["guild_id"]))
        return [
            replace(s, replaced_in=frozenset(guilds[s.event_id])) if s.event_id in guilds else s
            for s in slots
        ]

    async def first_start_after(self, instant: datetime) -> datetime | None:
        """The earliest timed session starting after ``instant`` (an index lookup):
        where the dispatcher's next window begins when the current one is empty."""
        rows = await self._db.fetch_all(
            "SELECT MIN(start_at) FROM sessions WHERE start_at > ?", (to_iso_utc(instant),)
        )
        return _when(rows[0][0]) if rows else None

    async def deliveries_for(self, session_ids: Iterable[int]) -> list[Delivery]:
        ids = list(dict.fromkeys(session_ids))
        found: list[Delivery] = []
        # SQLite caps bound parameters; a fan-out window can hold many sessions.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.fetch_all(f"SELECT * FROM deliveries WHERE session_id IN ({marks})", chunk)
            found.extend(_delivery(r) for r in rows)
        return found

    async def deliveries_of(self, target: Target, *, limit: int = 10) -> list[Delivery]:
        """A target's most recent deliveries, newest first (for status and tests)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM deliveries WHERE target_kind = ? AND target_id = ? ORDER BY id DESC LIMIT ?",
            (target.kind, target.id, limit),
        )
        return [_delivery(r) for r in rows]

    async def claim(
        self,
        wanted: Sequence[tuple[DeliveryKey, datetime, str]],
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
    ) -> list[Claim]:
        """Claim (key, due, nonce) deliveries for ``owner`` in one transaction.

        A key with no row is inserted as claimed; a row claimed by someone whose
        lease ran out is taken over (same nonce, so a resend of a message Discord
        already accepted is dropped by Discord, for as long as it remembers the nonce).
        A takeover carries the lapsed lease's end and the error the earlier attempt
        left, and starts with no error of its own. Anything else belongs to another
        process or is finished, and is skipped.
        """
        claims: list[Claim] = []
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            for key, due, nonce in wanted:
                params = (
                    key.target.kind,
                    key.target.id,
                    key.session_id,
                    key.lead_minutes,
                    to_iso_utc(key.session_start),
                )
                rowid = await tx.insert(
                    "INSERT INTO deliveries (target_kind, target_id, session_id, lead_minutes, "
                    "session_start, due_at, state, claimed_by, claimed_until, attempts, nonce) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'claimed', ?, ?, 1, ?) ON CONFLICT DO NOTHING",
                    (*params, to_iso_utc(due), owner, to_iso_utc(lease_until), nonce),
                )
                if rowid is not None:
                    claims.append(Claim(rowid, key, due, nonce, 1))
                    continue
                # Read, then taken: writers hold the store's write lock, so nobody takes
                # it in between, and what the earlier attempt left is read before the
                # takeover clears it (the error then describes the current attempt).
                lapsed = await tx.fetch_one(
                    "SELECT id, nonce, attempts, claimed_until, error FROM deliveries "
                    "WHERE target_kind = ? AND target_id = ? AND session_id = ? AND lead_minutes = ? "
                    "AND session_start = ? AND state = 'claimed' AND claimed_until <= ?",
                    (*params, to_iso_utc(now)),
                )
                if lapsed is None:
                    continue
                await tx.execute(
                    "UPDATE deliveries SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1, "
                    "error = NULL WHERE id = ?",
                    (owner, to_iso_utc(lease_until), lapsed[0]),
                )
                claims.append(
                    Claim(
                        int(lapsed[0]),
                        key,
                        due,
                        str(lapsed[1]),
                        int(lapsed[2]) + 1,
                        retaken_from=_when(lapsed[3]),
                        previous_error=lapsed[4],
                    )
                )
        return claims

    async def record(
        self,
        keys: Sequence[tuple[DeliveryKey, datetime, str]],
        state: Literal["missed", "failed"],
        *,
        now: datetime,
        error: str,
    ) -> int:
        """Write down reminders that will not be sent (missed after downtime, or
        superseded); a key that already has a row is left alone."""
        written = 0
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            for key, due, nonce in keys:
                inserted = await tx.execute(
                    "INSERT INTO deliveries (target_kind, target_id, session_id, lead_minutes, "
                    "session_start, due_at, state, nonce, finished_at, error) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        key.target.kind,
                        key.target.id,
                        key.session_id,
                        key.lead_minutes,
                        to_iso_utc(key.session_start),
                        to_iso_utc(due),
                        state,
                        nonce,
                        to_iso_utc(now),
                        error,
                    ),
                )
                written += inserted
        return written

    async def abandon(self, keys: Sequence[DeliveryKey], *, now: datetime) -> int:
        """Close claims whose process died and whose session has started: they may
        or may not have reached Discord, and it is too late to find out by resending."""
        closed = 0
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            for key in keys:
                abandoned = await tx.execute(
                    "UPDATE deliveries SET state = 'missed', finished_at = ?, claimed_until = NULL, "
                    "error = 'claim abandoned by a stopped process; maybe sent' "
                    "WHERE target_kind = ? AND target_id = ? AND session_id = ? AND lead_minutes = ? "
                    "AND session_start = ? AND state = 'claimed' AND claimed_until <= ?",
                    (
                        to_iso_utc(now),
                        key.target.kind,
                        key.target.id,
                        key.session_id,
                        key.lead_minutes,
                        to_iso_utc(key.session_start),
                        to_iso_utc(now),
                    ),
                )
                closed += abandoned
        return closed

    async def guild_locale(self, guild_id: int) -> str | None:
        """The language a guild's moderators chose for its posts (None: Discord's)."""
        return await self._settings.guild_locale(guild_id)

    async def finish(
        self,
        delivery_id: int,
        state: Literal["sent", "missed", "failed"],
        *,
        owner: str,
        now: datetime,
        channel_id: int | None = None,
        message_id: int | None = None,
        late: bool = False,
        error: str | None = None,
    ) -> bool:
        """Close a claim this process holds. False if it lost the claim meanwhile."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            changed = await tx.execute(
                "UPDATE deliveries SET state = ?, finished_at = ?, channel_id = ?, message_id = ?, "
                "late = ?, error = ?, claimed_until = NULL WHERE id = ? AND state = 'claimed' "
                "AND claimed_by = ?",
                (state, to_iso_utc(now), channel_id, message_id, int(late), error, delivery_id, owner),
            )
        return changed > 0

    async def renew(self, delivery_ids: Sequence[int], *, owner: str, until: datetime) -> None:
        """Extend the leases of claims ``owner`` still holds (queued in a live process)."""
        if not delivery_ids:
            return
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.executemany(
                "UPDATE deliveries SET claimed_until = ? "
                "WHERE id = ? AND state = 'claimed' AND claimed_by = ?",
                [(to_iso_utc(until), delivery_id, owner) for delivery_id in delivery_ids],
            )

    async def retry_later(self, delivery_id: int, *, owner: str, until: datetime, error: str) -> None:
        """Keep the claim but let it lapse at ``until``, when it is tried again."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE deliveries SET claimed_until = ?, error = ? WHERE id = ? AND state = 'claimed' "
                "AND claimed_by = ?",
                (to_iso_utc(until), error[:300], delivery_id, owner),
            )


def _setup(r: Row) -> ReminderSetup:
    kinds = []
    for k in str(r["kinds"]).split("|"):
        if k:
            kinds.append(SessionKind(k))
    return ReminderSetup(
        guild_id=int(r["guild_id"]),
        channel_id=int(r["channel_id"]),
        role_id=r["role_id"],
        series=tuple(x for x in str(r["series"]).split("|") if x),
        kinds=tuple(kinds),
        leads=_split_ints(str(r["leads"])),
        green_flag=bool(r["green_flag"]),
        since=from_iso_utc(r["since"]),
        active=bool(r["active"]),
        broken_at=_when(r["broken_at"]),
        broken_reason=r["broken_reason"],
        broken_told=bool(r["broken_told"]),
        updated_by=r["updated_by"],
        threads=bool(r["threads"]),
        threads_problem=r["threads_problem"],
    )


def _fan(r: Row) -> FanRequest:
    return FanRequest(
        id=int(r["id"]),
        user_id=int(r["user_id"]),
        event_id=int(r["event_id"]),
        guild_id=r["guild_id"],
        leads=_split_ints(str(r["leads"])),
        locale=str(r["locale"]),
        since=from_iso_utc(r["since"]),
    )


def _delivery(r: Row) -> Delivery:
    key = DeliveryKey(
        Target(r["target_kind"], int(r["target_id"])),
        int(r["session_id"]),
        int(r["lead_minutes"]),
        stored_instant(r["session_start"]),
    )
    return Delivery(
        id=int(r["id"]),
        key=key,
        due=stored_instant(r["due_at"]),
        state=r["state"],
        claimed_by=r["claimed_by"],
        claimed_until=_when(r["claimed_until"]),
        attempts=int(r["attempts"]),
        nonce=str(r["nonce"]),
        channel_id=r["channel_id"],
        message_id=r["message_id"],
        finished_at=_when(r["finished_at"]),
        late=bool(r["late"]),
        error=r["error"],
    )
