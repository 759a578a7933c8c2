"""The events mirror as users deploy it: ``fanbot run`` in its own process against the fake
Discord, on the real clock, with made-up ALMS races of the server's own a few days ahead.

One run goes through the issue's "done when": a moderator turns the mirror on; the
process is killed (SIGKILL) after Discord created the first race's event and before the
bot could record it; after a restart the server's next two weeks are in its Events tab,
each race exactly once; a moved race moves its Discord event, a cancelled one cancels it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.domain.mirror import MirroredEvent
from fanbot.store import Store
from testing.fakediscord import FakeDiscord
from testing.fakediscord.scheduled_event_routes import CREATE_EVENTS
from testing.fanbot_process import TOKEN, kill_fanbot, start_fanbot
from tests.support.mirror_world import ZONE, Weekend, at_two_pm, guild_catalog, live, marker_of, starts
from tests.support.process_world import ProcessWorld

GUILD_ID = 1_250_000_000_000_000_001
GENERAL_ID = 1_250_000_000_000_000_010
REMINDERS_ID = 1_250_000_000_000_000_011
MOD_ID = 1_250_000_000_000_000_100
FAN_ID = 1_250_000_000_000_000_101
START_SECONDS = 60.0

A = Weekend("e2e-mirror-a", "E2E Mirror Race A (fictional)", days=2)
B = Weekend("e2e-mirror-b", "E2E Mirror Race B (fictional)", days=9)
LATER = Weekend("e2e-mirror-later", "E2E Mirror Race Later (fictional)", days=20)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ProcessWorld]:
    fake = FakeDiscord(bot_token=TOKEN)
    built = ProcessWorld.build(
        fake,
        tmp_path / "fanbot.sqlite3",
        guild_id=GUILD_ID,
        general_id=GENERAL_ID,
        reminders_id=REMINDERS_ID,
        mod_id=MOD_ID,
        fan_id=FAN_ID,
    )
    built.guild.bot_role.permissions |= CREATE_EVENTS
    await fake.start()
    yield built
    await fake.stop()


async def prepare(db: Path, now: datetime) -> None:
    store = await Store.open(db, seed=shipped_catalog())
    try:
        await store.import_catalog(guild_catalog([A, B, LATER], now), guild_id=GUILD_ID)
    finally:
        await store.close()


async def recorded(db: Path) -> list[MirroredEvent]:
    store = await Store.open(db)
    try:
        return await store.mirror.mirrored(GUILD_ID)
    finally:
        await store.close()


async def until_recorded(db: Path, count: int) -> list[MirroredEvent]:
    """The bot process's rows, once it has written ``count`` (read as another process would)."""
    for _ in range(300):
        rows = await recorded(db)
        if len(rows) == count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot never recorded {count} Discord events: {await recorded(db)}")


async def ready(world: ProcessWorld) -> None:
    await world.fake.wait_until(
        lambda: world.fake.gateway.identifies >= 1, START_SECONDS, "the bot's IDENTIFY"
    )
    await asyncio.sleep(2.5)  # discord.py waits guild_ready_timeout (2 s) before on_ready


async def confirm(world: ProcessWorld, command: str, options: dict[str, Any]) -> None:
    preview = await world.fake.slash(world.guild, world.general, world.mod, command, options)
    await preview.wait_final()
    done = await world.fake.click(preview.final, label="Confirm", user=world.mod)
    await done.wait_final()


def named(world: ProcessWorld, weekend: Weekend) -> dict[str, Any]:
    [found] = [e for e in world.fake.scheduled_events_in(world.guild) if e["name"].startswith(weekend.name)]
    return found


async def test_the_mirror_through_fanbot_run_survives_a_kill_between_create_and_record(world):
    now = datetime.now(UTC)
    await prepare(world.db, now)
    fake = world.fake
    fake.hold_after_accept("POST", "/guilds/*/scheduled-events")
    first = await start_fanbot(fake, world.db)
    try:
        await ready(world)
        on = await fake.slash(world.guild, world.general, world.mod, "events mirror on", {"series": "ALMS"})
        assert "2 of them now" in str(await on.wait_final())
        await fake.wait_held(timeout=30)
        first.send_signal(signal.SIGKILL)  # Discord made the event; the bot never heard back
        await first.wait()
    finally:
        await kill_fanbot(first)
    fake.release_held()
    [orphan] = fake.scheduled_events_in(world.guild)
    assert await recorded(world.db) == []

    second = await start_fanbot(fake, world.db)
    try:
        rows = await until_recorded(world.db, 2)
        await fake.wait_until(lambda: len(live(fake.scheduled_events_in(world.guild))) == 2, 30, "two events")
        shown = fake.scheduled_events_in(world.guild)
        # The next two weeks, each race exactly once: the orphan adopted, not made again.
        assert sorted(e["name"].split(" (")[0] for e in shown) == ["E2E Mirror Race A", "E2E Mirror Race B"]
        assert named(world, A)["id"] == orphan["id"]
        assert {r.discord_event_id for r in rows} == {int(e["id"]) for e in shown}
        assert {marker_of(e) for e in shown} == {r.key for r in rows}
        assert len(fake.requests_to("POST", "/guilds/*/scheduled-events")) == 2

        # A moderator moves race A a day later: its Discord event moves.
        moved = at_two_pm(A.race_start(now) + timedelta(days=1)).astimezone(ZONE)
        await confirm(world, "event postpone", {"event": A.name, "race": f"{moved:%Y-%m-%d %H:%M}"})
        await fake.wait_until(lambda: starts(named(world, A)) == moved, 30, "race A's event moved")

        # And cancels race B: its Discord event is cancelled.
        await confirm(world, "event cancel", {"event": B.name})
        await fake.wait_until(lambda: named(world, B)["status"] == 4, 30, "race B's event cancelled")
    finally:
        await kill_fanbot(second)
    assert len(fake.scheduled_events_in(world.guild)) == 2
    assert fake.unknown_routes == []
