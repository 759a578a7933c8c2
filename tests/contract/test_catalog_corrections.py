"""A change of the shared catalog (``fanbot sync``) owes a correction to every guild that
was reminded of the moved session, each in its own channel, and to the fans DM'd."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.reminders import DeliveryKey, Target
from fanbot.reminders.corrections import Correction, post_corrections
from fanbot.reminders.planner import delivery_nonce
from fanbot.store import Scope, Store

GUILD_A, GUILD_B, FAN = 1001, 1002, 77
NOW = parse_instant("2012-10-20T12:00:00Z")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[Correction, int]] = []

    async def send_correction(self, correction: Correction, *, guild_id: int, fan_locale: str | None) -> bool:
        self.sent.append((correction, guild_id))
        return True


async def test_every_guild_reminded_of_a_moved_catalog_session_is_corrected_in_its_own_channel(
    backend: Store,
) -> None:
    [plm] = [e for e in await backend.events(Scope.catalog(), series="ALMS", season=2012) if "Petit" in e.name]
    race = plm.race
    assert race is not None
    assert race.start is not None
    reminders = backend.reminders
    for target, channel in (
        (Target("guild", GUILD_A), 11),
        (Target("guild", GUILD_B), 22),
        (Target("user", FAN), None),
    ):
        key = DeliveryKey(target, race.id, 60, race.start)
        [claim] = await reminders.claim(
            [(key, race.start - timedelta(hours=1), delivery_nonce(key))],
            owner="a",
            now=NOW,
            lease_until=NOW + timedelta(minutes=1),
        )
        assert await reminders.finish(
            claim.delivery_id, "sent", owner="a", now=NOW, channel_id=channel, message_id=5
        )
    moved = replace(
        plm,
        sessions=tuple(
            replace(s, start=s.start + timedelta(hours=2)) if s.id == race.id and s.start else s
            for s in plm.sessions
        ),
    )
    courier = Recorder()
    assert await post_corrections(backend, courier, None, plm, moved) == 3  # type: ignore[arg-type]
    where = sorted(
        (c.target.kind, c.channel_id, guild) for c, guild in courier.sent if c.target.kind == "guild"
    )
    assert where == [("guild", 11, GUILD_A), ("guild", 22, GUILD_B)]
    assert [c.new_start for c, _ in courier.sent] == [race.start + timedelta(hours=2)] * 3
