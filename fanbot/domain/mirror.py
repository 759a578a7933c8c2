"""The Discord scheduled events mirror as plain data: a server's choice (``MirrorSetup``)
and which Discord event stands for which race (``MirroredEvent``).

Shared by the store (which keeps them), the planner (``fanbot.reminders.mirror_plan``,
which decides what to create, edit, cancel or delete) and the bot (which does it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# How far ahead a server's races are mirrored by default, and at most. Discord keeps at
# most 100 scheduled or active events per server (``MIRROR_CAP``); two months of every
# series is a few dozen races, far enough ahead for fans and well under the cap.
DEFAULT_DAYS = 14
MAX_DAYS = 60
# Discord's cap on a server's SCHEDULED and ACTIVE events, all creators together.
DISCORD_EVENT_CAP = 100
# Places the mirror always leaves free under Discord's cap, so that the server's own
# people can still add events of their own: the mirror fills at most 95.
CAP_HEADROOM = 5
MIRROR_CAP = DISCORD_EVENT_CAP - CAP_HEADROOM

# 'scheduled': the bot keeps it in step with the race. 'cancelled': the bot cancelled it
# (the race was). 'gone': someone deleted or cancelled it in Discord by hand; it is not
# made again for that race (``/events mirror on`` starts over).
MirrorState = Literal["scheduled", "cancelled", "gone"]

# (event id, session id): a race session, the key of the mirror's table.
RaceKey = tuple[int, int]


@dataclass(frozen=True)
class MirrorSetup:
    guild_id: int
    series: tuple[str, ...]  # empty: every series
    days: int
    active: bool = True
    broken_at: datetime | None = None
    broken_reason: str | None = None
    broken_told: bool = False
    # Races the last sync left out to stay under Discord's cap (0: none).
    skipped: int = 0
    synced_at: datetime | None = None  # when a sync last sent changes to Discord
    updated_by: int | None = None

    @property
    def broken(self) -> bool:
        return self.broken_at is not None

    @property
    def running(self) -> bool:
        """On, and not stopped by a refusal from Discord."""
        return self.active and not self.broken


@dataclass(frozen=True)
class MirroredEvent:
    """One Discord event of the mirror: the race session it stands for, and what the bot
    last sent for it (``payload_hash``), so that nothing unchanged is sent again."""

    guild_id: int
    event_id: int
    session_id: int
    discord_event_id: int
    state: MirrorState
    payload_hash: str
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> RaceKey:
        return (self.event_id, self.session_id)
