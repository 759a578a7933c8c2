"""Answers behind /reminders and /remindme: settings checked and saved, and the
reminders they will produce (derived by the same planner the dispatcher uses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fanbot.answers.context import Asker
from fanbot.answers.errors import OPTION_BEFORE, WHAT_SERIES, AnswerError, BadOption, NotFound
from fanbot.domain.model import Event, Session
from fanbot.domain.reminders import FanRequest, ReminderSetup, Target
from fanbot.i18n import N_
from fanbot.reminders import planner
from fanbot.reminders.planner import LeadError
from fanbot.store import Scope, Store

# How far ahead /reminders status looks for the next reminders.
STATUS_HORIZON = timedelta(days=400)


class NothingToRemind(AnswerError):
    message = N_(
        "{event} has no qualifying or race still to come with a known time; nothing to remind you of."
    )


class DmsClosed(AnswerError):
    message = N_(
        "I could not send you a direct message, so I cannot remind you. Allow direct messages from "
        "this server's members (Privacy settings), then ask again."
    )


@dataclass(frozen=True)
class Upcoming:
    """One reminder that will be sent: when, and about which session."""

    due: datetime
    event: Event
    session: Session
    lead_minutes: int


def read_leads(text: str | None, default: tuple[int, ...] = planner.DEFAULT_LEADS) -> tuple[int, ...]:
    if not text:
        return default
    try:
        return planner.parse_leads(text)
    except LeadError as exc:
        raise BadOption(value=text, option=OPTION_BEFORE, hint=exc.message, hint_fields=exc.fields) from exc


async def read_series(store: Store, text: str | None) -> tuple[str, ...]:
    """ "WEC, imsa" -> ("IMSA", "WEC"); an unknown code is refused with the known ones."""
    if not text:
        return ()
    known = {s.code.upper(): s.code for s in await store.series()}
    chosen = []
    for part in text.replace(";", ",").split(","):
        code = part.strip().upper()
        if not code:
            continue
        if code not in known:
            raise NotFound(WHAT_SERIES, part.strip(), sorted(known.values()))
        chosen.append(known[code])
    return tuple(sorted(set(chosen)))


async def upcoming_reminders(
    store: Store, *, setups: list[ReminderSetup], fans: list[FanRequest], now: datetime, limit: int = 5
) -> list[Upcoming]:
    """The next ``limit`` reminders these settings will produce, soonest first."""
    slots = await store.reminders.sessions_starting(now, now + STATUS_HORIZON)
    wanted = [w for w in planner.wanted_reminders(setups, fans, slots) if w.due > now]
    wanted.sort(key=lambda w: (w.due, w.key.session_id))
    wanted = wanted[:limit]
    found: list[Upcoming] = []
    for w in wanted:
        scope = Scope(w.key.target.id if w.key.target.kind == "guild" else w.slot.event_guild_id)
        event = await store.event(scope, w.slot.event_id)
        session = next((s for s in event.sessions if s.id == w.key.session_id), None) if event else None
        if event is not None and session is not None:
            found.append(Upcoming(w.due, event, session, w.key.lead_minutes))
    return found


@dataclass(frozen=True)
class Subscription:
    event: Event
    leads: tuple[int, ...]
    new: bool
    upcoming: list[Upcoming]


async def subscribe(
    asker: Asker, *, user_id: int, event_text: str, before: str | None, locale: str
) -> Subscription:
    """A fan asks for DMs before an event's qualifying and race."""
    event = await asker.resolve_event(event_text)
    leads = read_leads(before)
    now = asker.now
    fan = FanRequest(0, user_id, event.id, asker.scope.guild_id, leads, locale, now)
    upcoming = await upcoming_reminders(asker.store, setups=[], fans=[fan], now=now, limit=10)
    if not upcoming:
        raise NothingToRemind(event=event.display_name)
    new = await asker.store.reminders.add_fan_request(
        user_id=user_id, event_id=event.id, guild_id=asker.scope.guild_id, leads=leads, locale=locale, now=now
    )
    return Subscription(event, leads, new, upcoming)


@dataclass(frozen=True)
class FanList:
    items: list[tuple[FanRequest, Event | None]]
    upcoming: list[Upcoming]
    dms_closed: bool


async def fan_list(store: Store, *, user_id: int, now: datetime) -> FanList:
    requests = await store.reminders.fan_requests(user_id=user_id)
    items = [(r, await store.event(Scope(r.guild_id), r.event_id)) for r in requests]
    upcoming = await upcoming_reminders(store, setups=[], fans=requests, now=now, limit=10)
    return FanList(items, upcoming, await store.reminders.dms_closed(user_id))


@dataclass(frozen=True)
class GuildStatus:
    setup: ReminderSetup | None
    upcoming: list[Upcoming]
    recent_failures: list[str]


async def guild_status(store: Store, *, guild_id: int, now: datetime) -> GuildStatus:
    setup = await store.reminders.setup(guild_id)
    if setup is None or not setup.active:
        return GuildStatus(setup, [], [])
    upcoming = await upcoming_reminders(store, setups=[setup], fans=[], now=now)
    recent = await store.reminders.deliveries_of(Target("guild", guild_id), limit=10)
    failures = [f"{d.state}: {d.error}" for d in recent if d.state in ("failed", "missed") and d.error]
    return GuildStatus(setup, upcoming, failures[:3])
