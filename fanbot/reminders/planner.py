"""Which reminders are owed, derived from the sessions as they are now.

Pure functions, no I/O: the dispatcher hands in the setups, fan requests,
timed sessions and existing deliveries, and gets back what to send now, what to
record as missed, and when to look again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fanbot.domain.limits import MAX_LEAD_MINUTES, MAX_LEADS
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import (
    Delivery,
    DeliveryKey,
    FanRequest,
    ReminderSetup,
    SessionSlot,
    Target,
)
from fanbot.i18n import N_

DEFAULT_LEADS = (60,)
DEFAULT_KINDS = (SessionKind.QUALIFYING, SessionKind.RACE)
# Fans' DMs cover the sessions that decide a race weekend.
FAN_KINDS = frozenset({SessionKind.QUALIFYING, SessionKind.HYPERPOLE, SessionKind.RACE})
# A reminder sent more than this after its due time says "(late)".
LATE_AFTER = timedelta(seconds=60)
# How long after the start a green-flag post is still worth sending.
GREEN_FLAG_GRACE = timedelta(minutes=10)
# How far back a restart looks for reminders to record as missed.
MISSED_LOOKBACK = timedelta(hours=24)


class LeadError(ValueError):
    """Text that is not a list of durations. ``message`` is an English msgid and
    ``fields`` its values, for the reader's language; ``str()`` is the English."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message.format(**fields) if fields else message)
        self.message = message
        self.fields = fields


_DURATION = re.compile(r"^\s*(\d{1,4})\s*(d|h|m|min|mins|minutes?|hours?|days?|j|jours?)\s*$", re.I)


def parse_leads(text: str) -> tuple[int, ...]:
    """ "24h, 1h, 10m" -> (1440, 60, 10): minutes, longest first, no duplicates."""
    found: set[int] = set()
    parts = [p for p in re.split(r"[,;]", text) if p.strip()]
    if not parts:
        raise LeadError(N_("Give at least one duration, like 24h, 1h, 10m."))
    for part in parts:
        match = _DURATION.match(part)
        if not match:
            raise LeadError(
                N_("'{text}' is not a duration: write it like 24h, 1h or 10m."), text=part.strip()
            )
        amount, unit = int(match.group(1)), match.group(2).lower()
        minutes = amount * (1440 if unit[0] in "dj" else 60 if unit[0] == "h" else 1)
        if minutes < 1 or minutes > MAX_LEAD_MINUTES:
            raise LeadError(N_("'{text}' is out of range: between 1 minute and 7 days."), text=part.strip())
        found.add(minutes)
    if len(found) > MAX_LEADS:
        raise LeadError(N_("At most five reminder times, please."))
    return tuple(sorted(found, reverse=True))


def parse_kinds(text: str) -> tuple[SessionKind, ...]:
    """ "qualifying, race" -> the session kinds, in the catalog's order."""
    names = {k.value: k for k in SessionKind}
    chosen: set[SessionKind] = set()
    for part in re.split(r"[,;\s]+", text.strip().lower()):
        if not part:
            continue
        if part not in names:
            raise LeadError(
                N_("'{text}' is not a session kind: choose from {kinds}."),
                text=part,
                kinds=", ".join(k.value for k in SessionKind),
            )
        chosen.add(names[part])
    if not chosen:
        raise LeadError(N_("Name at least one session kind, like qualifying, race."))
    return tuple(k for k in SessionKind if k in chosen)


def delivery_nonce(key: DeliveryKey) -> str:
    """Discord's message nonce for this reminder: the same on every attempt, so
    Discord (``enforce_nonce``) drops a resend of a message it already took.
    At most 25 characters, as Discord allows."""
    start = to_iso_utc(key.session_start)
    text = f"{key.target.kind}:{key.target.id}:{key.session_id}:{key.lead_minutes}:{start}"
    return "r" + hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Wanted:
    """One reminder somebody is owed: target, session, lead, and since when."""

    key: DeliveryKey
    slot: SessionSlot
    since: datetime

    @property
    def due(self) -> datetime:
        return self.key.session_start - timedelta(minutes=self.key.lead_minutes)

    @property
    def useful_until(self) -> datetime:
        """A heads-up is pointless once the session has started; a green flag a
        few minutes into the race is still welcome."""
        if self.key.lead_minutes == 0:
            return self.key.session_start + GREEN_FLAG_GRACE
        return self.key.session_start

    @property
    def nonce(self) -> str:
        return delivery_nonce(self.key)


def setup_applies(setup: ReminderSetup, slot: SessionSlot) -> bool:
    if slot.event_guild_id is not None and slot.event_guild_id != setup.guild_id:
        return False
    if setup.guild_id in slot.replaced_in:
        return False
    return not setup.series or slot.series in setup.series


def setup_leads(setup: ReminderSetup, kind: SessionKind) -> tuple[int, ...]:
    leads = setup.leads if kind in setup.kinds else ()
    if kind is SessionKind.RACE and setup.green_flag:
        leads = (*leads, 0)
    return leads


def wanted_reminders(
    setups: Iterable[ReminderSetup], fans: Iterable[FanRequest], slots: Sequence[SessionSlot]
) -> list[Wanted]:
    """Every (target, session, lead) owed for these sessions."""
    found: list[Wanted] = []
    catalog_setups: list[ReminderSetup] = []
    by_guild: dict[int, ReminderSetup] = {}
    for setup in setups:
        catalog_setups.append(setup)
        by_guild[setup.guild_id] = setup
    fans_by_event: dict[int, list[FanRequest]] = {}
    for fan in fans:
        fans_by_event.setdefault(fan.event_id, []).append(fan)
    for slot in slots:
        # A guild's own event concerns that guild alone; a catalog event, every guild.
        if slot.event_guild_id is None:
            candidates = catalog_setups
        else:
            own = by_guild.get(slot.event_guild_id)
            candidates = [own] if own else []
        for setup in candidates:
            if not setup_applies(setup, slot):
                continue
            for lead in setup_leads(setup, slot.kind):
                key = DeliveryKey(Target("guild", setup.guild_id), slot.session_id, lead, slot.start)
                found.append(Wanted(key, slot, setup.since))
        if slot.kind in FAN_KINDS:
            for fan in fans_by_event.get(slot.event_id, ()):
                for lead in fan.leads:
                    key = DeliveryKey(Target("user", fan.user_id), slot.session_id, lead, slot.start)
                    found.append(Wanted(key, slot, fan.since))
    return found


@dataclass
class Plan:
    send: list[Wanted] = field(default_factory=list)
    missed: list[Wanted] = field(default_factory=list)
    # Abandoned claims (their process died, or a retry is due) to take over now.
    retake: list[Wanted] = field(default_factory=list)
    # Overdue reminders made pointless by a closer one for the same session: written
    # down so they are never sent later.
    superseded: list[Wanted] = field(default_factory=list)
    # Claims that lapsed after their session started: closed as missed.
    abandoned: list[Wanted] = field(default_factory=list)
    # The next reminder to fall due (the dispatcher prepares it a little ahead) and the
    # next claim to lapse (a lease or a retry time: nothing to prepare, looked at then).
    next_send: datetime | None = None
    next_lapse: datetime | None = None

    @property
    def next_due(self) -> datetime | None:
        """The next instant anything changes."""
        return _earliest(self.next_send, self.next_lapse)

    def next_pass(self, ahead: timedelta) -> datetime | None:
        """When to start looking again: ``ahead`` before the next due time, but at a
        lapse itself (looking earlier would find the claim still held, and look again)."""
        return _earliest(self.next_send - ahead if self.next_send else None, self.next_lapse)

    def wake_at(self, instant: datetime) -> None:
        self.next_send = _earliest(self.next_send, instant)

    def lapse_at(self, instant: datetime) -> None:
        self.next_lapse = _earliest(self.next_lapse, instant)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return min(a, b)


def plan(
    wanted: Sequence[Wanted],
    deliveries: Iterable[Delivery],
    now: datetime,
    *,
    ahead: timedelta = timedelta(0),
    in_flight: Collection[DeliveryKey] = frozenset(),
) -> Plan:
    """Split what is owed into: send now, record as missed, and the next instant to look.

    ``ahead``: reminders falling due that soon are handed out to send as well, so that
    the dispatcher can claim and prepare them before their due instant and post them at it.
    ``in_flight``: claims the asking process is still sending (or about to): never
    retaken nor abandoned here, whatever their lease says, and no reason to wake up (the
    dispatcher looks again when one of them ends without being closed).
    """
    done: dict[DeliveryKey, Delivery] = {d.key: d for d in deliveries}
    result = Plan()
    overdue: dict[tuple[object, int], list[Wanted]] = {}
    for w in wanted:
        if w.key in in_flight:
            continue
        existing = done.get(w.key)
        if existing is not None:
            if existing.state == "claimed" and existing.claimed_until is not None:
                if w.useful_until <= now:
                    if existing.claimed_until <= now:
                        result.abandoned.append(w)
                elif existing.claimed_until <= now:
                    result.retake.append(w)
                else:
                    result.lapse_at(existing.claimed_until)
            continue
        if w.due > now + ahead:
            result.wake_at(w.due)
            continue
        if w.useful_until <= now:
            # Came due while nobody was sending. Owed only if it fell due after the
            # guild or fan asked; then it is written down as missed, never dropped quietly.
            if w.due >= w.since:
                result.missed.append(w)
            continue
        overdue.setdefault((w.key.target, w.key.session_id), []).append(w)
    for group in overdue.values():
        # Several overdue leads for one session (a long outage, or a setup made
        # late): the closest to the start is sent, the others are superseded.
        group.sort(key=lambda w: w.key.lead_minutes)
        result.send.append(group[0])
        result.superseded.extend(group[1:])
    return result


def is_late(w: Wanted, sent_at: datetime) -> bool:
    """Late means owed at its due time and sent well after it (not a setup made
    after the due time, which gets its first reminder at once)."""
    return w.due >= w.since and sent_at - w.due > LATE_AFTER
