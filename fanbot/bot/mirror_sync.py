"""The Discord scheduled events mirror at work: one loop that brings each server's Events
tab in step with its calendar, through discord.py (``Guild.create_scheduled_event``,
``ScheduledEvent.edit/cancel/delete``), under the process's REST budget like every call.

When it syncs a server: once the bot is ready (every server with the mirror on, of this
process's shards), when a moderator changed the calendar (``calendar_changed``), when a
moderator turned the mirror on or off, and every ``SYNC_EVERY`` (races come into the
window as days pass; the catalog changes with ``fanbot import``). One task does all of
it, one server at a time, so two syncs of a server never overlap in a process; a server
is synced only by the process that holds its shard.

What a sync costs: the plan is made from the store first (``mirror_plan``); if it holds
nothing to do, no request is sent at all. Otherwise the server's events are listed once
(to adopt an event a crash left unrecorded, to see what people deleted by hand, and to
count everyone's events under Discord's cap), then each change is one request.

A refusal from Discord (403: a permission was taken away) stops the mirror for that
server: ``/events mirror status`` says why, the next moderator is told once, and
``/events mirror on`` starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from fanbot.domain.mirror import MirroredEvent, MirrorSetup, MirrorState
from fanbot.domain.model import Event
from fanbot.i18n import pick_locale, translator
from fanbot.reminders import mirror_plan as plan
from fanbot.reminders.nap import Nap
from fanbot.render.mirror import mirror_payload
from fanbot.store import Scope, writes_are_bookkeeping

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

SYNC_EVERY = timedelta(minutes=10)
# What Discord's audit log says of the mirror's changes.
REASON = "fanbot: events mirror (/events mirror)"
# Discord's JSON error codes the sync acts on.
UNKNOWN_SCHEDULED_EVENT = 10070
CAP_REACHED = 30038
FINISHED_EVENT = 180000


@dataclass
class Outcome:
    """What one server's sync did."""

    created: int = 0
    adopted: int = 0
    edited: int = 0
    cancelled: int = 0
    deleted: int = 0
    skipped: int = 0
    stopped: str | None = None  # why Discord refused (the mirror stopped)
    full: bool = False  # Discord said the server is at its cap: no more creates this time


class Stopped(Exception):
    """Discord refused: the mirror stops for this server."""


async def calendar_events(
    bot: FanBot, setup: MirrorSetup, rows: Sequence[MirroredEvent], now: datetime
) -> list[Event]:
    """The events a plan needs: those with a race in the window, and those the rows
    point at (as they are now; one missing was removed)."""
    store = bot.store
    ids = await store.mirror.race_event_ids(setup.guild_id, now, now + timedelta(days=setup.days))
    ids += [r.event_id for r in rows]
    return await store.events_by_id(Scope(setup.guild_id), ids)


def remote_events(bot: FanBot, listed: Sequence[discord.ScheduledEvent]) -> dict[int, plan.RemoteEvent]:
    """The server's Discord events as the planner reads them."""
    me = bot.user.id if bot.user else None
    found = {}
    for event in listed:
        ours = me is not None and event.creator_id == me
        found[event.id] = plan.RemoteEvent(
            id=event.id,
            status=plan.RemoteStatus(event.status.value),
            ours=ours,
            marker=plan.read_marker(event.description) if ours else None,
        )
    return found


class MirrorSync:
    """The mirror's one loop in this process (started by ``EventsMirrorCog``)."""

    def __init__(self, bot: FanBot, *, every: timedelta = SYNC_EVERY) -> None:
        self.bot = bot
        self.every = every
        self._pending: set[int] = set()
        self._everyone = True
        self._nap = Nap()
        self._task: asyncio.Task[None] | None = None
        # Each pass of the loop that finished, for tests and the log.
        self.passes = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="fanbot-events-mirror")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def calendar_changed(self, guild_id: int | None = None) -> None:
        """Sync ``guild_id`` soon (every server of this process with None)."""
        if guild_id is None:
            self._everyone = True
        else:
            self._pending.add(guild_id)
        self._nap.wake()

    async def _run(self) -> None:
        # Its records of Discord's events change no calendar: they wake no other loop.
        writes_are_bookkeeping()
        await self.bot.wait_until_ready()
        while True:
            # Cleared before syncing, so a change made while it syncs wakes it again.
            self._nap.woken = False
            if self._everyone:
                self._everyone = False
                try:
                    setups = await self.bot.store.mirror.setups_to_sync()
                except Exception:
                    log.exception("could not read which servers mirror their races")
                    setups = []
                self._pending.update(s.guild_id for s in setups)
            shards = self.bot.reminder_shards()
            while self._pending:
                guild_id = min(self._pending)
                self._pending.discard(guild_id)
                if not shards.owns_guild(guild_id):
                    continue
                try:
                    await self.sync_guild(guild_id)
                except Exception:
                    log.exception(
                        "the events mirror of guild %s could not sync; trying again later", guild_id
                    )
            self.passes += 1
            if not self._nap.woken:
                await self._nap.sleep(self.every.total_seconds())
            if not self._nap.woken:
                self._everyone = True  # the period is up: every server again

    # ------------------------------------------------------------ one server

    async def sync_guild(self, guild_id: int) -> Outcome | None:
        """Bring one server's Discord events in step with its calendar; None when there
        was nothing to sync (the mirror is stopped, or the bot is not in the server)."""
        store = self.bot.store
        setup = await store.mirror.setup(guild_id)
        guild = self.bot.get_guild(guild_id)
        if setup is None or setup.broken or guild is None:
            return None
        now = self.bot.clock.now()
        rows = await store.mirror.mirrored(guild_id)
        if not setup.active and not any(r.state == "scheduled" for r in rows):
            return None
        events = await calendar_events(self.bot, setup, rows, now)
        tr = translator(pick_locale(await store.settings.guild_locale(guild_id), guild.preferred_locale))

        def payload_for(race: plan.Race) -> plan.MirrorPayload:
            return mirror_payload(race, tr)

        made = plan.plan_mirror(now=now, setup=setup, events=events, rows=rows, payload_for=payload_for)
        outcome = Outcome()
        listed: dict[int, discord.ScheduledEvent] = {}
        if made.needs_discord:
            try:
                found = await guild.fetch_scheduled_events(with_counts=False)
            except discord.Forbidden as exc:
                return await self._stop(guild_id, exc, outcome)
            listed = {e.id: e for e in found}
            made = plan.plan_mirror(
                now=now,
                setup=setup,
                events=events,
                rows=rows,
                payload_for=payload_for,
                remote=remote_events(self.bot, found),
            )
        outcome.skipped = made.skipped
        try:
            for action in made.actions:
                await self._apply(guild, action, listed, outcome)
        except Stopped as exc:
            return await self._stop(guild_id, exc, outcome)
        # Written only when something was sent or left out: a check that found nothing to
        # do writes nothing either (every write wakes the other processes).
        if setup.active and (made.needs_discord or outcome.skipped != setup.skipped):
            await store.mirror.note_sync(guild_id, now=self.bot.clock.now(), skipped=outcome.skipped)
        if made.needs_discord:
            log.info("events mirror of guild %s: %s", guild_id, outcome)
        return outcome

    async def _stop(self, guild_id: int, exc: Exception, outcome: Outcome) -> Outcome:
        reason = str(exc.__cause__ or exc)
        log.warning("events mirror of guild %s stopped: Discord refused (%s)", guild_id, reason)
        await self.bot.store.mirror.mark_broken(guild_id, reason, now=self.bot.clock.now())
        outcome.stopped = reason
        return outcome

    async def _apply(
        self,
        guild: discord.Guild,
        action: plan.Action,
        listed: dict[int, discord.ScheduledEvent],
        outcome: Outcome,
    ) -> None:
        """Do one action; a 403 raises ``Stopped``, other failures leave it to the next
        sync (the row says what Discord last accepted)."""
        mirror = self.bot.store.mirror
        now = self.bot.clock.now()
        try:
            if isinstance(action, plan.Forget):
                await mirror.forget(guild.id, [action.row.key])
            elif isinstance(action, plan.Disowned):
                await mirror.record(_row(action.row, state="gone"), now=now)
            elif isinstance(action, plan.Create):
                if outcome.full:
                    outcome.skipped += 1
                    return
                created = await guild.create_scheduled_event(
                    name=action.payload.name,
                    description=action.payload.description,
                    start_time=action.payload.start,
                    end_time=action.payload.end,
                    entity_type=discord.EntityType.external,
                    privacy_level=discord.PrivacyLevel.guild_only,
                    location=action.payload.location,
                    reason=REASON,
                )
                await mirror.record(_recorded(guild.id, action.race, created.id, action.payload), now=now)
                outcome.created += 1
            elif isinstance(action, plan.Adopt):
                await self._edit(listed[action.discord_event_id], action.payload)
                await mirror.record(
                    _recorded(guild.id, action.race, action.discord_event_id, action.payload), now=now
                )
                outcome.adopted += 1
            elif isinstance(action, plan.Edit):
                await self._edit(listed[action.row.discord_event_id], action.payload)
                await mirror.record(
                    _recorded(guild.id, action.race, action.row.discord_event_id, action.payload), now=now
                )
                outcome.edited += 1
            elif isinstance(action, plan.Cancel):
                await listed[action.row.discord_event_id].cancel(reason=REASON)
                await mirror.record(_row(action.row, state="cancelled"), now=now)
                outcome.cancelled += 1
            elif isinstance(action, plan.Delete):
                there = listed.get(action.row.discord_event_id)
                if there is not None:
                    await there.delete(reason=REASON)
                await mirror.forget(guild.id, [action.row.key])
                outcome.deleted += 1
        except discord.Forbidden as exc:
            raise Stopped(f"{exc.status} {exc.text}") from exc
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_SCHEDULED_EVENT:
                raise
            # Deleted in Discord meanwhile: a row stays as a mark, so it is not made again.
            row = getattr(action, "row", None)
            if isinstance(row, MirroredEvent):
                if isinstance(action, plan.Delete):
                    await mirror.forget(guild.id, [row.key])
                else:
                    await mirror.record(_row(row, state="gone"), now=now)
        except discord.HTTPException as exc:
            if exc.code == CAP_REACHED:
                # Someone else's events filled the server since it was listed: no more
                # creates this time (the status says how many were left out).
                outcome.full = True
                outcome.skipped += 1
            elif exc.code == FINISHED_EVENT:
                log.info("guild %s: a mirrored event had already ended in Discord", guild.id)
            elif 400 <= exc.status < 500:
                # Refused for this event alone: the others still go; tried again next sync.
                log.warning("guild %s: Discord refused %s: %s %s", guild.id, type(action).__name__,
                            exc.status, exc.text)  # fmt: skip
            else:
                raise

    @staticmethod
    async def _edit(event: discord.ScheduledEvent, payload: plan.MirrorPayload) -> None:
        await event.edit(
            name=payload.name,
            description=payload.description,
            start_time=payload.start,
            end_time=payload.end,
            location=payload.location,
            reason=REASON,
        )


def _recorded(guild_id: int, race: plan.Race, discord_id: int, payload: plan.MirrorPayload) -> MirroredEvent:
    return MirroredEvent(
        guild_id=guild_id,
        event_id=race.event.id,
        session_id=race.session.id,
        discord_event_id=discord_id,
        state="scheduled",
        payload_hash=payload.digest(),
        starts_at=payload.start,
        ends_at=payload.end,
    )


def _row(row: MirroredEvent, *, state: MirrorState) -> MirroredEvent:
    return dataclasses.replace(row, state=state)
