"""A fan's own install of fanbot, through ``fanbot run`` against the fake Discord: with the bot
in no server at all, /nextrace answers in the fan's DM with the bot and in a group DM, from
the catalog. The bot runs on the real clock, so the race asked about is a made-up catalog
weekend two days ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.store import Store
from testing.fakediscord import FakeDiscord
from testing.fanbot_process import TOKEN, kill_fanbot, start_fanbot
from tests.support.reminder_world import weekend

RACE = "E2E User Install 6 Hours (fictional)"


async def prepare(db: Path) -> None:
    """The shipped catalog, and one catalog weekend two days from now (Le Mans time)."""
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    store = await Store.open(db, seed=shipped_catalog())
    try:
        sessions = [
            ("qualifying", day.isoformat(), "10:00"),
            ("race", (day + timedelta(days=1)).isoformat(), "12:00"),
        ]
        await store.import_catalog(weekend("e2e-user-install", sessions, name=RACE))
    finally:
        await store.close()


async def test_a_user_install_answers_nextrace_in_a_dm_with_the_bot_in_no_server(tmp_path: Path) -> None:
    db = tmp_path / "fanbot.sqlite3"
    await prepare(db)
    fake = FakeDiscord(bot_token=TOKEN)
    fan = fake.install_app_for_user(fake.add_user(username="fan"))
    friend = fake.add_user(username="friend")
    group = fake.add_private_channel(fan, friend, name="Race night")
    await fake.start()
    bot = await start_fanbot(fake, db)
    try:
        await fake.wait_until(lambda: fake.sync_count >= 1 and fake.gateway.identifies >= 1, 30, "the bot")
        assert fake.guilds == {}
        assert fake.commands["nextrace"]["integration_types"] == [0, 1]

        dm = await fake.slash(None, None, fan, "nextrace", timeout=15)
        assert dm.payload["authorizing_integration_owners"] == {"1": str(fan.id)}
        final = await dm.wait_final()
        assert final["embeds"][0]["title"].startswith(f"Next race: {RACE}")
        buttons = [c for row in final["components"] for c in row["components"]]
        assert [b["label"] for b in buttons] == ["Remind me"]

        there = await fake.slash(None, group, fan, "nextrace", timeout=15)
        assert there.payload["context"] == 2
        assert (await there.wait_final())["embeds"][0]["title"].startswith(f"Next race: {RACE}")
        assert fake.messages_in(group)  # seen by the group
    finally:
        await kill_fanbot(bot)
        await fake.stop()
    assert fake.unknown_routes == []
