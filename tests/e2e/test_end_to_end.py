"""fanbot as users deploy it: the ``fanbot run`` process, talking HTTP and websocket
to a local fake Discord (testing/fakediscord), with its own SQLite file.

The bot runs on the real clock here, so the reminder below is placed a few real
seconds ahead (a made-up guild event; its session time is set to the second)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup, Target
from fanbot.store import Store
from testing.fakediscord import FakeDiscord
from testing.fanbot_process import TOKEN, kill_fanbot, start_fanbot
from tests.support.process_world import ProcessWorld
from tests.support.reminder_world import weekend

GUILD_ID = 1_200_000_000_000_000_001
GENERAL_ID = 1_200_000_000_000_000_010
REMINDERS_ID = 1_200_000_000_000_000_011
MOD_ID = 1_200_000_000_000_000_100
FAN_ID = 1_200_000_000_000_000_101


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
    await fake.start()
    yield built
    await fake.stop()


async def prepare_reminder(db: Path, due_in: timedelta) -> None:
    """A guild event whose race reminder (1 minute ahead) falls due ``due_in`` from now."""
    store = await Store.open(db, seed=shipped_catalog())
    try:
        await store.import_catalog(
            weekend("e2e-race", [("race", "2030-01-01", "12:00")], name="E2E 6 Hours"), guild_id=GUILD_ID
        )
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1) + due_in
        async with store.database.write() as db_conn:
            await db_conn.execute(
                "UPDATE sessions SET start_at = ?, sort_at = ?, horizon_at = ? WHERE key = 'race' AND "
                "event_id = (SELECT id FROM events WHERE key = 'e2e-race')",
                (to_iso_utc(start), to_iso_utc(start), to_iso_utc(start)),
            )
        await store.reminders.save_setup(
            ReminderSetup(
                guild_id=GUILD_ID,
                channel_id=REMINDERS_ID,
                role_id=None,
                series=(),
                kinds=(SessionKind.RACE,),
                leads=(1,),
                green_flag=False,
                since=datetime.now(UTC) - timedelta(hours=1),
            ),
            now=datetime.now(UTC),
        )
    finally:
        await store.close()


async def delivery_state(db: Path) -> list[tuple[str, int | None]]:
    store = await Store.open(db)
    try:
        return [
            (d.state, d.message_id) for d in await store.reminders.deliveries_of(Target("guild", GUILD_ID))
        ]
    finally:
        await store.close()


async def test_killed_after_discord_accepted_a_reminder_then_restarted_posts_it_exactly_once(world):
    await prepare_reminder(world.db, due_in=timedelta(seconds=4))
    world.fake.hold_after_accept("POST", f"/channels/{REMINDERS_ID}/messages")
    first = await start_fanbot(world.fake, world.db, FANBOT_REMINDER_LEASE_SECONDS="2")
    try:
        held = await world.fake.wait_held(timeout=30)
        first.send_signal(signal.SIGKILL)  # Discord has the message; the bot never hears back
        await first.wait()
    finally:
        await kill_fanbot(first)
    world.fake.release_held()
    [posted] = world.fake.messages_in(world.reminders)
    assert await delivery_state(world.db) == [("claimed", None)]

    second = await start_fanbot(world.fake, world.db, FANBOT_REMINDER_LEASE_SECONDS="2")
    try:
        for _ in range(300):
            if await delivery_state(world.db) == [("sent", int(posted["id"]))]:
                break
            await asyncio.sleep(0.1)
    finally:
        await kill_fanbot(second)
    assert await delivery_state(world.db) == [("sent", int(posted["id"]))]
    assert [m["id"] for m in world.fake.messages_in(world.reminders)] == [posted["id"]]
    assert world.fake.nonce_dedupes == 1
    resent = world.fake.requests_to("POST", f"/channels/{REMINDERS_ID}/messages")
    assert [r.json["nonce"] for r in resent] == [held.json["nonce"]] * 2
    assert "E2E 6 Hours" in posted["content"]


async def test_the_process_syncs_every_command_in_french_too_and_answers_them(world):
    bot = await start_fanbot(world.fake, world.db)
    try:
        await world.fake.wait_until(
            lambda: world.fake.sync_count >= 1 and world.fake.gateway.identifies >= 1,
            30,
            "the bot's command sync",
        )
        commands = world.fake.commands
        assert {
            "nextrace",
            "schedule",
            "race",
            "lineup",
            "circuit",
            "driver",
            "help",
            "reminders",
            "remindme",
        } <= set(commands)
        for command in commands.values():
            assert command.get("name_localizations", {}).get("fr"), command["name"]
        await asyncio.sleep(2.5)  # discord.py waits guild_ready_timeout (2 s) before on_ready
        answer = await world.fake.slash(
            world.guild, world.general, world.fan, "race", {"event": "Petit Le Mans 2012"}
        )
        final = await answer.wait_final()
        assert "Petit Le Mans" in str(final)
        setup = await world.fake.slash(
            world.guild, world.general, world.mod, "reminders setup", {"channel": world.reminders}
        )
        assert setup.ephemeral
        assert "Reminders are on" in str(await setup.wait_final())
    finally:
        await kill_fanbot(bot)
    assert world.fake.unknown_routes == []


def _shown(result: object) -> str:
    """Everything the user sees of a final answer: content and embeds as text."""
    final = result.final  # type: ignore[attr-defined]
    assert final is not None
    return str(final.get("content") or "") + str(final.get("embeds") or "")


async def wait_ready(world: ProcessWorld) -> None:
    # discord.py waits guild_ready_timeout (2 s) after the last GUILD_CREATE before on_ready,
    # then fanbot sets its presence: the fake sees it as a presence update.
    await world.fake.wait_until(lambda: world.fake.gateway.identifies >= 1, 30, "the bot's IDENTIFY")
    await asyncio.sleep(2.5)


async def test_every_fan_command_and_a_moderators_new_event_through_the_process(world):
    bot = await start_fanbot(world.fake, world.db)
    try:
        await wait_ready(world)
        asked = {
            "nextrace": {},
            "schedule": {"series": "ALMS", "season": 2012},
            "race": {"event": "Petit Le Mans 2012"},
            "lineup": {"event": "Petit Le Mans 2012"},
            "circuit": {"circuit": "Road Atlanta"},
            "driver": {"driver": "Neel Jani"},
            "help": {},
        }
        expected: dict[str, str | tuple[str, ...]] = {
            # With the real date: the next race, or the last one when none is scheduled.
            "nextrace": ("Next race", "No race is scheduled"),
            "schedule": "Petit Le Mans",
            "race": "Petit Le Mans",
            "lineup": "Neel Jani",
            "circuit": "Road Atlanta",
            "driver": "Neel Jani",
            "help": "/nextrace",
        }
        for command, options in asked.items():
            answer = await world.fake.slash(world.guild, world.general, world.fan, command, options)
            await answer.wait_final()
            shown = _shown(answer)
            assert "went wrong" not in shown, (command, shown)
            wanted = expected[command]
            assert any(w in shown for w in ((wanted,) if isinstance(wanted, str) else wanted)), (
                command,
                shown,
            )
        choices = await world.fake.autocomplete(
            world.guild, world.general, world.fan, "race", option="event", typed="petit le m"
        )
        assert any("Petit Le Mans" in c["name"] for c in choices)

        # A moderator adds the server's own race at Spa (fictional): after the preview is
        # confirmed, it is the server's next race.
        # Two hours from now, typed in the circuit's time (Spa: Brussels): sooner than any
        # catalog race can be.
        soon = (datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
        preview = await world.fake.slash(
            world.guild,
            world.general,
            world.mod,
            "event add",
            {
                "name": "E2E Club Race (fictional)",
                "series": "WEC",
                "circuit": "Spa",
                "race": soon,
            },
        )
        await preview.wait_final()
        confirmed = await world.fake.click(preview.final, label="Confirm", user=world.mod)
        await confirmed.wait_final()
        nextrace = await world.fake.slash(world.guild, world.general, world.fan, "nextrace", {})
        await nextrace.wait_final()
        assert "E2E Club Race (fictional)" in _shown(nextrace)
    finally:
        await kill_fanbot(bot)
    assert world.fake.unknown_routes == []


async def test_a_reminder_fires_in_its_channel_and_a_restart_loses_nothing(world):
    await prepare_reminder(world.db, timedelta(seconds=12))
    bot = await start_fanbot(world.fake, world.db)
    try:
        await wait_ready(world)
        remind = await world.fake.slash(
            world.guild, world.general, world.fan, "remindme add", {"event": "E2E 6 Hours", "before": "1m"}
        )
        assert "I will send you a direct message" in str(await remind.wait_final())
        posted = await world.fake.wait_for_message(
            world.reminders, lambda m: "E2E 6 Hours" in str(m), timeout=20
        )
        assert posted["nonce"]
    finally:
        # A graceful stop, as a deployment restarts the service.
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 15)
    assert await delivery_state(world.db) == [("sent", int(posted["id"]))]

    restarted = await start_fanbot(world.fake, world.db)
    try:
        await wait_ready(world)
        status = await world.fake.slash(world.guild, world.general, world.mod, "reminders status", {})
        assert "race-reminders" in str(await status.wait_final()) or str(REMINDERS_ID) in str(status.final)
        mine = await world.fake.slash(world.guild, world.general, world.fan, "remindme list", {})
        assert "E2E 6 Hours" in str(await mine.wait_final())
        await asyncio.sleep(2)  # a pass of the restarted dispatcher has run
    finally:
        await kill_fanbot(restarted)
    # The reminder was not posted again, and its delivery is still recorded as sent.
    assert len([m for m in world.fake.messages_in(world.reminders) if "E2E 6 Hours" in str(m)]) == 1
    assert await delivery_state(world.db) == [("sent", int(posted["id"]))]
