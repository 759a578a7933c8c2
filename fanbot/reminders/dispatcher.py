"""The one task that sends reminders.

It sleeps until the next due reminder (derived from the sessions as they are
now), is woken early by any write to the store, and never sleeps longer than
``max_sleep`` so that a clock jump, another process's import or a lost wake-up
heals itself. Each reminder is claimed in a transaction before it is sent and
marked sent only after Discord accepted it; the claim carries a fixed nonce, so
a process that died in between is replaced by one whose resend Discord drops.
Discord remembers a nonce for a few minutes only: a claim taken over later than
that, from an attempt that may have posted, first looks for that attempt's message
in the channel's recent history (``Courier.find_posted``) and posts only if it is
not there.

Pacing is the courier's business, not the dispatcher's: the Discord courier shares
one budget with every other REST call of the process (``fanbot.bot.rest_budget.RestBudget``),
so the dispatcher only keeps a bounded number of sends in flight and the next batch
claimed before the current one runs dry.

A claim waiting for its turn (or for Discord's answer) belongs to this process until it
ends: its key is in flight, so no later pass takes it again, and its lease is renewed
while this process lives, so no other process takes it over either. Only the claims of
a process that stopped lapse, and are taken over with the same nonce.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from fanbot.clock import Clock
from fanbot.domain.model import Event, Session
from fanbot.domain.reminders import NOT_POSTED, Claim, DeliveryKey, FanRequest, ReminderSetup, Target
from fanbot.metrics import PENDING_REMINDERS, REMINDERS
from fanbot.reminders import planner
from fanbot.reminders.corrections import Correction
from fanbot.reminders.mentions import mention_role
from fanbot.reminders.nap import Nap
from fanbot.reminders.planner import Wanted
from fanbot.store import Scope, Store, StoreBusy, writes_are_bookkeeping

log = logging.getLogger(__name__)

MAX_PARALLEL_SENDS = 16
# On stop, how long sends under way may take to finish and be written down.
STOP_GRACE_SECONDS = 5.0
MAX_ATTEMPTS = 8
# A claim is a lease: claim what can be sent well within it (200 is 4 s at Discord's
# 50 messages/s; a claim still waiting when half its lease is gone is renewed), and claim
# the next batch while the last sends of this one are still going, so the sender never
# waits for the database.
CLAIM_BATCH = 200
CLAIM_AHEAD = 50
# A pass over a large store takes a while (loading the window, planning, claiming): it
# starts this long before the next due time, and each reminder waits for its instant.
PREPARE_AHEAD = timedelta(seconds=1)
# How long Discord keeps a message's nonce: its Create Message documentation says of
# ``enforce_nonce`` (which discord.py 2.7 sends with every nonce) that the nonce "will be
# checked for uniqueness in the past few minutes" and names no figure
# (https://discord.com/developers/docs/resources/message#create-message). Counted short:
# "a few minutes" is at least two, and the minute left over covers the clocks of other
# processes running ahead of ours. A takeover later than this after the due time (before
# which nothing is posted) cannot count on Discord to drop a resend.
NONCE_WINDOW = timedelta(minutes=1)
# An earlier attempt posted at its due time at the earliest, by its own process's clock:
# its message is looked for from this long before the due time, for clocks that differ.
HISTORY_SLACK = timedelta(minutes=1)



@dataclass(frozen=True)
class Notice:
    """Everything a courier needs to post one reminder."""

    target: Target
    event: Event
    session: Session
    lead_minutes: int
    late: bool
    nonce: str
    setup: ReminderSetup | None  # guild reminders: channel, settings
    fan_locale: str | None  # DM reminders: the fan's language
    # The one role a guild reminder mentions, by the rule of ``fanbot.reminders.mentions``
    # (a series role, else the setup's role); None: it mentions nobody.
    mention_role_id: int | None = None


@dataclass(frozen=True)
class Delivered:
    channel_id: int
    message_id: int
    # When the message was posted, if it was found rather than just posted.
    posted_at: datetime | None = None


@dataclass(frozen=True)
class TargetGone:
    """403/404: the channel is gone or closed to us, or the fan's DMs are closed."""

    reason: str


@dataclass(frozen=True)
class TryLater:
    """429, 5xx or a network error: worth another try while the reminder is useful.

    ``maybe_posted``: whether Discord may have taken the message all the same (a 5xx, an
    answer lost on the way); a 429 is a refusal, nothing was posted."""

    reason: str
    retry_after: float | None = None
    maybe_posted: bool = True


@dataclass(frozen=True)
class Refused:
    """Any other 4xx: retrying the same request would fail the same way."""

    reason: str


Outcome = Delivered | TargetGone | TryLater | Refused


@dataclass(frozen=True)
class HistoryUnreadable:
    """The target's recent messages could not be read (no Read Message History, 403, 404,
    a network error)."""

    reason: str


class Courier(Protocol):
    """The way to Discord: reminders (``deliver``), a look for one already posted
    (``find_posted``), and corrections of them."""

    async def deliver(self, notice: Notice) -> Outcome: ...

    async def find_posted(self, notice: Notice, *, since: datetime) -> Delivered | HistoryUnreadable | None:
        """This reminder's own message among the recent messages of its channel or DM posted
        after ``since`` (matched by the delivery's marker), or None if it is not there."""
        ...

    async def send_correction(self, correction: Correction, *, guild_id: int, fan_locale: str | None) -> bool:
        """Post one correction (``guild_id``: the guild whose moderator made the change;
        ``fan_locale``: a DM's language). False if Discord refused it: the courier logs
        that, and the other corrections still go out."""
        ...


@dataclass(frozen=True)
class Shards:
    """Which targets this process sends for: guilds of its shards, DMs on shard 0."""

    ids: frozenset[int] = frozenset({0})
    count: int = 1

    def owns_guild(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.count in self.ids

    @property
    def sends_dms(self) -> bool:
        return 0 in self.ids


def _as_stored(instant: datetime) -> datetime:
    """A lease as the store keeps it: to the second, cut down (it lapses that much sooner)."""
    return instant.replace(microsecond=0)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        courier: Courier,
        *,
        shards: Shards | None = None,
        lease: timedelta = timedelta(seconds=60),
        max_sleep: timedelta = timedelta(hours=1),
        prepare_ahead: timedelta = PREPARE_AHEAD,
    ) -> None:
        self.store = store
        self.clock = clock
        self.courier = courier
        self.shards = shards or Shards()
        self.lease = lease
        self.max_sleep = max_sleep
        self.prepare_ahead = prepare_ahead
        # Who holds a claim: unique per process start, so a restarted process does
        # not mistake its predecessor's claims for its own.
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._nap = Nap()
        self._task: asyncio.Task[None] | None = None
        # Sends in flight, across passes: the loop plans its next pass while the last
        # second of the previous one is still going out, so sending never pauses for it.
        self._sending: set[asyncio.Task[None]] = set()
        # The claims those sends hold, from the claim until the send ends: no pass takes
        # one of them again, whatever its lease says.
        self._in_flight: set[DeliveryKey] = set()
        # Their leases (delivery id -> claimed until), renewed while this process lives;
        # a send drops out once Discord answered, before writing down the outcome.
        self._leases: dict[int, datetime] = {}
        self._renewer: asyncio.Task[None] | None = None
        self._renewer_nap: asyncio.Future[None] | None = None
        self._gate = asyncio.Semaphore(MAX_PARALLEL_SENDS)
        self.sent = 0
        # Reminders an earlier attempt had posted, found in the channel and not posted again.
        self.found_posted = 0
        self.passes = 0
        self._stopping = False
        store.on_write(self.wake)

    def wake(self) -> None:
        """Look again now: something that could bring a reminder forward changed."""
        self._wake_now()

    @property
    def _woken(self) -> bool:
        """Whether a wake came since the loop last looked (the tests read it)."""
        return self._nap.woken

    def _wake_now(self) -> None:
        self._nap.wake()

    def start(self) -> None:
        self._stopping = False
        if self._task is None:
            self._task = asyncio.create_task(self._run_forever(), name="fanbot-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Sends under way may finish and write down what Discord answered (a stop between
        # the two would leave a posted reminder "claimed", to be posted again after a
        # restart); the ones not yet started give their claim back instead. Whatever is
        # still going after the grace is cancelled: its claim is retaken after its lease,
        # with the same nonce.
        self._stopping = True
        sending = list(self._sending)
        if sending:
            _, unfinished = await asyncio.wait(sending, timeout=STOP_GRACE_SECONDS)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None

    async def _run_forever(self) -> None:
        # Its claims and closed deliveries bring nothing forward, and a pass (of this loop or
        # another) after each of them would take the event loop from the sends going out.
        writes_are_bookkeeping()
        while True:
            # Cleared before looking, so a change made while we look still wakes us.
            self._nap.woken = False
            try:
                _, next_pass = await self._pass(drain=False)
            except StoreBusy:
                # Another process held the write lock for long (a big import): soon again.
                log.warning("the database stayed locked; looking again in a few seconds")
                next_pass = self.clock.now() + timedelta(seconds=5)
            except Exception:
                log.exception("reminder pass failed; trying again shortly")
                next_pass = self.clock.now() + timedelta(seconds=30)
            if self._nap.woken or (next_pass is not None and next_pass <= self.clock.now()):
                continue
            wait = self.max_sleep
            if next_pass is not None:
                wait = min(wait, next_pass - self.clock.now())
            await self._nap.sleep(max(wait.total_seconds(), 0.001))

    async def run_once(self, *, drain: bool = True) -> datetime | None:
        """Send what is due, record what was missed; the next instant to look again.

        ``drain=False`` (the dispatcher's own loop): return while the last second of
        sends is still going out, to plan the next pass meanwhile."""
        next_due, _ = await self._pass(drain=drain)
        return next_due

    async def _pass(self, *, drain: bool) -> tuple[datetime | None, datetime | None]:
        """One pass: (the next instant something changes, when to start the next pass).

        The next pass starts ``prepare_ahead`` before a due time, but at a lease's or a
        retry's end itself: started earlier, it would find the claim still held."""
        self.passes += 1
        ahead = self.prepare_ahead
        now = self.clock.now()
        rem = self.store.reminders
        setups = [s for s in await rem.active_setups() if self.shards.owns_guild(s.guild_id)]
        fans = await rem.fan_requests() if self.shards.sends_dms else []
        if not setups and not fans:
            PENDING_REMINDERS.set(0)
            return None, None
        longest = timedelta(
            minutes=max([*(max(s.leads, default=0) for s in setups), *(max(f.leads) for f in fans), 0])
        )
        window_end = now + longest + self.max_sleep
        slots = await rem.sessions_starting(now - planner.MISSED_LOOKBACK, window_end)
        wanted = planner.wanted_reminders(setups, fans, slots)
        if not wanted:
            PENDING_REMINDERS.set(0)
            # Nothing owed in this window: look again when the next session could matter.
            later = await rem.first_start_after(window_end)
            if later is None:
                return None, None
            return max(now, later - longest), max(now, later - longest) - ahead
        deliveries = await rem.deliveries_for({w.key.session_id for w in wanted})
        plan = planner.plan(wanted, deliveries, now, ahead=ahead, in_flight=self._in_flight)
        # Owed within the window and not yet written down as sent, missed or failed.
        closed = {d.key for d in deliveries if d.state != "claimed"}
        PENDING_REMINDERS.set(sum(1 for w in wanted if w.key not in closed and w.useful_until > now))
        if plan.missed:
            written = await rem.record(
                [(w.key, w.due, w.nonce) for w in plan.missed], "missed", now=now, error="came due while down"
            )
            REMINDERS.labels(result="missed").inc(written)
            if written:
                log.warning("recorded %d reminder(s) as missed (their sessions had started)", written)
        if plan.superseded:
            superseded = await rem.record(
                [(w.key, w.due, w.nonce) for w in plan.superseded],
                "missed",
                now=now,
                error="superseded by a reminder closer to the start",
            )
            REMINDERS.labels(result="missed").inc(superseded)
        if plan.abandoned:
            REMINDERS.labels(result="missed").inc(await rem.abandon([w.key for w in plan.abandoned], now=now))
        todo = plan.send + plan.retake
        if todo:
            await self._deliver_all(todo, setups, fans, drain=drain)
            return now, now  # look again at once: sending took time, more may be due
        if plan.next_due is None:
            later = await rem.first_start_after(window_end)
            if later is None:
                return None, None
            return max(now, later - longest), max(now, later - longest) - ahead
        return plan.next_due, plan.next_pass(ahead)

    async def _deliver_all(
        self,
        todo: Sequence[Wanted],
        setups: Iterable[ReminderSetup],
        fans: Iterable[FanRequest],
        *,
        drain: bool,
    ) -> None:
        setup_of = {s.guild_id: s for s in setups}
        fan_of = {(f.user_id, f.event_id): f for f in fans}
        by_key = {w.key: w for w in todo}
        events: dict[tuple[int | None, int], Event | None] = {}
        # The guilds' roles by series, read once for the batch (a change made while it
        # goes out applies from the next pass).
        series_roles = await self.store.series_roles.mention_roles(
            {w.key.target.id for w in todo if w.key.target.kind == "guild"}
        )

        async def one(claim: Claim) -> None:
            left_claimed = False
            try:
                async with self._gate:
                    left_claimed = await self._deliver(
                        claim, by_key[claim.key], setup_of, fan_of, events, series_roles
                    )
            except Exception:
                log.exception("reminder %s failed unexpectedly", claim.delivery_id)
                left_claimed = True
            finally:
                self._in_flight.discard(claim.key)
                self._leases.pop(claim.delivery_id, None)
                if not self._leases and self._renewer_nap is not None:
                    self._renewer_nap.cancel()  # nothing left to renew: the renewer ends
            if left_claimed:
                # Still claimed (a retry later, or a failure): a pass must see it again
                # now that it is no longer in flight, and the loop may be asleep past it.
                self._wake_now()

        sending = self._sending
        for start in range(0, len(todo), CLAIM_BATCH):
            while len(sending) > CLAIM_AHEAD:
                await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
            # Another pass of this process (run_once called concurrently) may have
            # claimed some meanwhile: they are its to send.
            batch = [w for w in todo[start : start + CLAIM_BATCH] if w.key not in self._in_flight]
            if not batch:
                continue
            now = self.clock.now()
            lease_until = now + self.lease
            claims = await self.store.reminders.claim(
                [(w.key, w.due, w.nonce) for w in batch],
                owner=self.owner,
                now=now,
                lease_until=lease_until,
            )
            for claim in claims:
                if claim.key in self._in_flight:
                    continue
                self._in_flight.add(claim.key)
                self._leases[claim.delivery_id] = _as_stored(lease_until)
                task = asyncio.create_task(one(claim))
                sending.add(task)
                task.add_done_callback(sending.discard)
            if self._leases and (self._renewer is None or self._renewer.done()):
                self._renewer = asyncio.create_task(self._keep_leases(), name="fanbot-reminder-leases")
        while len(sending) > (0 if drain else CLAIM_AHEAD):
            await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
        if drain and not self._leases and self._renewer is not None:
            await asyncio.gather(self._renewer, return_exceptions=True)  # ending: nothing to renew

    async def _keep_leases(self) -> None:
        """Renew the leases of the claims this process still holds, until none is left.

        A long queue (a slow Discord, retries inside discord.py) may keep a claim waiting
        longer than its lease: it is renewed when half of its lease has gone, so that
        another process does not take over a reminder this live process is about to send.
        """
        rem = self.store.reminders
        half = self.lease / 2
        while self._leases:
            now = self.clock.now()
            expiring = [i for i, until in self._leases.items() if until - now <= half]
            until = now + self.lease
            try:
                await rem.renew(expiring, owner=self.owner, until=until)
            except Exception:
                log.exception("could not renew the leases of %d reminders", len(expiring))
            for delivery_id in expiring:
                if delivery_id in self._leases:  # not ended meanwhile
                    self._leases[delivery_id] = _as_stored(until)
            if not self._leases:
                break
            soonest = min(self._leases.values()) - half - self.clock.now()
            self._renewer_nap = asyncio.ensure_future(
                asyncio.sleep(max(soonest.total_seconds(), self.lease.total_seconds() / 20))
            )
            try:
                await asyncio.gather(self._renewer_nap, return_exceptions=True)
            finally:
                self._renewer_nap.cancel()
                self._renewer_nap = None

    async def _deliver(
        self,
        claim: Claim,
        wanted: Wanted,
        setup_of: dict[int, ReminderSetup],
        fan_of: dict[tuple[int, int], FanRequest],
        events: dict[tuple[int | None, int], Event | None],
        series_roles: Mapping[int, Mapping[str, int | None]],
    ) -> bool:
        """Send one claimed reminder and write down the outcome. True if the claim was
        left for a later try (its retry time is its new lease)."""
        rem = self.store.reminders
        target = claim.key.target
        setup = setup_of.get(target.id) if target.kind == "guild" else None
        fan = fan_of.get((target.id, wanted.slot.event_id)) if target.kind == "user" else None
        scope_guild = target.id if target.kind == "guild" else (fan.guild_id if fan else None)
        if wanted.slot.event_guild_id is None:
            scope_guild = None  # a catalog event looks the same from every guild: load it once
        cache_key = (scope_guild, wanted.slot.event_id)
        if cache_key not in events:
            events[cache_key] = await self.store.event(Scope(scope_guild), wanted.slot.event_id)
        event = events[cache_key]
        session = next((s for s in event.sessions if s.id == claim.key.session_id), None) if event else None
        if event is None or session is None:
            await self._finish(
                claim.delivery_id,
                "failed",
                owner=self.owner,
                now=self.clock.now(),
                error="event no longer visible",
            )
            return False
        early = (wanted.due - self.clock.now()).total_seconds()
        if early > 0:
            await asyncio.sleep(early)  # prepared ahead: posted at its due instant, not before
        now = self.clock.now()
        if self._stopping:
            # Not sent: given back at once, for the next process to take (same nonce).
            await rem.retry_later(
                claim.delivery_id, owner=self.owner, until=now, error=NOT_POSTED + "stopped before sending"
            )
            return False
        if now >= wanted.useful_until:
            await self._finish(
                claim.delivery_id, "missed", owner=self.owner, now=now, error="too late to send"
            )
            return False
        late = planner.is_late(wanted, now)
        notice = Notice(
            target,
            event,
            session,
            claim.key.lead_minutes,
            late,
            claim.nonce,
            setup,
            fan.locale if fan else None,
            mention_role(setup, wanted.slot.series, series_roles.get(target.id)),
        )
        if self._nonce_may_be_forgotten(claim, now):
            earlier = await self._earlier_post(claim, notice)
            if earlier is not None:
                self._leases.pop(claim.delivery_id, None)
                log.info(
                    "reminder %s was posted by an earlier attempt (message %s): not posted again",
                    claim.delivery_id,
                    earlier.message_id,
                )
                await self._finish(
                    claim.delivery_id,
                    "sent",
                    owner=self.owner,
                    now=self.clock.now(),
                    channel_id=earlier.channel_id,
                    message_id=earlier.message_id,
                    late=planner.is_late(wanted, earlier.posted_at or now),
                )
                self.found_posted += 1
                return False
        outcome = await self.courier.deliver(notice)
        # Answered: no more renewals, which could otherwise land after the retry time below.
        self._leases.pop(claim.delivery_id, None)
        now = self.clock.now()
        if isinstance(outcome, Delivered):
            await self._finish(
                claim.delivery_id,
                "sent",
                owner=self.owner,
                now=now,
                channel_id=outcome.channel_id,
                message_id=outcome.message_id,
                late=late,
            )
            self.sent += 1
        elif isinstance(outcome, TargetGone):
            await self._finish(claim.delivery_id, "failed", owner=self.owner, now=now, error=outcome.reason)
            if target.kind == "guild":
                log.warning(
                    "guild %s: reminder channel unusable (%s); setup marked broken", target.id, outcome.reason
                )
                await rem.mark_broken(target.id, outcome.reason, now=now)
            else:
                log.info("user %s does not accept DMs; their reminders stop", target.id)
                await rem.close_dms(target.id, now=now)
        elif isinstance(outcome, Refused):
            log.error("reminder %s refused by Discord: %s", claim.delivery_id, outcome.reason)
            await self._finish(claim.delivery_id, "failed", owner=self.owner, now=now, error=outcome.reason)
        else:
            backoff = max(outcome.retry_after or 0.0, min(2.0**claim.attempts, 60.0))
            retry_at = now + timedelta(seconds=backoff)
            if claim.attempts >= MAX_ATTEMPTS or retry_at >= wanted.useful_until:
                await self._finish(
                    claim.delivery_id,
                    "failed",
                    owner=self.owner,
                    now=now,
                    error=f"gave up after {claim.attempts} attempt(s): {outcome.reason}",
                )
            else:
                log.info("reminder %s: %s; retrying in %.1f s", claim.delivery_id, outcome.reason, backoff)
                # Written down so that whoever retries knows whether to look for a message first.
                error = outcome.reason if outcome.maybe_posted else NOT_POSTED + outcome.reason
                await rem.retry_later(claim.delivery_id, owner=self.owner, until=retry_at, error=error)
                return True
        return False

    async def _finish(
        self, delivery_id: int, state: Literal["sent", "missed", "failed"], **details: Any
    ) -> None:
        """Close a claim (``Reminders.finish``) and count what became of the reminder
        (``fanbot_reminders_total``: a sent one is counted as late when it was)."""
        written = await self.store.reminders.finish(delivery_id, state, **details)
        if written or state == "sent":  # sent is sent, even if the claim was lost meanwhile
            REMINDERS.labels(result="late" if state == "sent" and details.get("late") else state).inc()

    @staticmethod
    def _nonce_may_be_forgotten(claim: Claim, now: datetime) -> bool:
        """Whether an earlier attempt of this claim may have posted a message that Discord
        no longer recognises by its nonce: a resend would post the reminder twice."""
        return claim.earlier_attempt_may_have_posted and now - claim.due > NONCE_WINDOW

    async def _earlier_post(self, claim: Claim, notice: Notice) -> Delivered | None:
        """The earlier attempt's message if it is in the channel (or DM), else None."""
        found = await self.courier.find_posted(notice, since=claim.due - HISTORY_SLACK)
        if isinstance(found, HistoryUnreadable):
            # Posted all the same: a missed reminder is worse than a rare duplicate.
            log.warning(
                "reminder %s (%s %s): could not read the recent messages to see whether an earlier "
                "attempt posted it (%s); posting it, which may post it twice",
                claim.delivery_id,
                notice.target.kind,
                notice.target.id,
                found.reason,
            )
            return None
        return found
