"""The reminder value types: who is reminded, of what, and what became of each delivery.

Plain data shared by the planner (which derives what is owed), the dispatcher
(which sends it) and the store (which keeps it); none of them owns these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fanbot.domain.model import SessionKind

TargetKind = Literal["guild", "user"]
DeliveryState = Literal["claimed", "sent", "missed", "failed"]

# How a claimed delivery's error begins when its attempt surely did not reach Discord (a
# 429, a process stopping before it sent): whoever takes the claim over then knows there is
# no earlier message to look for. Any other attempt left claimed may have posted.
NOT_POSTED = "not posted: "


@dataclass(frozen=True)
class Target:
    """Where a reminder goes: a guild's reminder channel, or a fan's DMs."""

    kind: TargetKind
    id: int


@dataclass(frozen=True)
class ReminderSetup:
    guild_id: int
    channel_id: int
    role_id: int | None
    series: tuple[str, ...]  # empty: every series
    kinds: tuple[SessionKind, ...]
    leads: tuple[int, ...]  # minutes before each chosen session
    green_flag: bool
    since: datetime
    active: bool = True
    broken_at: datetime | None = None
    broken_reason: str | None = None
    broken_told: bool = False
    updated_by: int | None = None
    # One thread (or forum post) per race weekend in the channel, instead of the channel.
    threads: bool = False
    # Why the reminders go in the channel after all (a thread permission is missing);
    # cleared when a thread works again or the setup is saved.
    threads_problem: str | None = None

    @property
    def broken(self) -> bool:
        return self.broken_at is not None


@dataclass(frozen=True)
class FanRequest:
    id: int
    user_id: int
    event_id: int
    guild_id: int | None
    leads: tuple[int, ...]
    locale: str
    since: datetime


@dataclass(frozen=True)
class SessionSlot:
    """A timed session of an event that is not cancelled: what reminders are about."""

    session_id: int
    event_id: int
    event_guild_id: int | None
    series: str
    kind: SessionKind
    start: datetime
    # Guilds whose own event stands in for this catalog event (a subscribed feed's
    # weekend): they are reminded of their own sessions instead.
    replaced_in: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DeliveryKey:
    target: Target
    session_id: int
    lead_minutes: int
    session_start: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    key: DeliveryKey
    due: datetime
    state: DeliveryState
    claimed_by: str | None
    claimed_until: datetime | None
    attempts: int
    nonce: str
    channel_id: int | None
    message_id: int | None
    finished_at: datetime | None
    late: bool
    error: str | None


@dataclass(frozen=True)
class Claim:
    """A delivery this process may now send (new, or taken over from a dead claim).

    A takeover says what it took over: the end of the lapsed lease (``retaken_from``) and
    the error the earlier attempt left (``previous_error``), from which the dispatcher
    tells whether that attempt may have posted a message already."""

    delivery_id: int
    key: DeliveryKey
    due: datetime
    nonce: str
    attempts: int
    retaken_from: datetime | None = None
    previous_error: str | None = None

    @property
    def earlier_attempt_may_have_posted(self) -> bool:
        """Taken over from an attempt whose outcome nobody wrote down: its process died
        (or was cut off) after sending, or Discord's answer never came (a network error,
        a 5xx). Not so for a fresh claim, nor after a 429 or a stop before sending."""
        if self.retaken_from is None:
            return False
        return not (self.previous_error or "").startswith(NOT_POSTED)


ThreadClaimKind = Literal["open", "create", "busy", "gone"]


@dataclass(frozen=True)
class WeekendThread:
    """The thread a guild's reminders of one event go in, in one reminder channel."""

    guild_id: int
    event_id: int
    channel_id: int  # the reminder channel (or forum) the thread is in
    thread_id: int | None  # None while claimed and not yet created
    created_at: datetime | None = None
    archived_at: datetime | None = None
    gone_at: datetime | None = None


@dataclass(frozen=True)
class ThreadClaim:
    """What asking for an event's thread gave.

    ``open``: the thread exists (``thread_id``), post in it. ``create``: this process holds
    the claim and creates it; ``retaken`` when the claim was taken over from an attempt
    that may have created the thread without recording it (a process that stopped, an
    answer that never came): look for it first.
    ``busy``: another live process is creating it (ask again at ``until``). ``gone``: it was
    deleted on Discord (a text channel's weekend goes on in the channel; a forum opens a
    new post)."""

    kind: ThreadClaimKind
    thread_id: int | None = None
    retaken: bool = False
    until: datetime | None = None
