"""The fan commands wherever a fan is: installed by a fan to their account, they answer in a
server the bot is not in, in the bot's DM and in group DMs, from the catalog; the moderators'
commands stay in servers that added the bot. The real bot, in this process, against the fake
Discord (testing/fakediscord). The server's own weekend below is fictional."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fanbot.bot.app import FanBot
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.store import Store
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, NotInvocable, pointed_at
from testing.fakediscord.installs import USE_EXTERNAL_APPS
from tests.support.reminder_world import weekend

TOKEN = "fake-token"
HOME_ID = 1_300_000_000_000_000_001
AWAY_ID = 1_300_000_000_000_000_002
CLUB = "Club 6 Hours (fictional)"
# The own weekend of a server the bot has left (its events stay in the database).
LEFTOVER = "Leftover 4 Hours (fictional)"
PETIT = "Petit Le Mans"
# Every command a fan may install to their account; all others stay in servers.
FAN_COMMANDS = {"nextrace", "schedule", "race", "lineup", "circuit", "driver", "help", "remindme"}
START_SECONDS = 60.0


@dataclass
class World:
    fake: FakeDiscord
    bot: FanBot
    clock: FixedClock
    home: FakeGuild  # the server that added the bot, with its own weekend
    general: FakeChannel
    away: FakeGuild  # a server the bot is not in (any more)
    lounge: FakeChannel
    group: FakeChannel  # a group DM of alice, bob and carol
    alice: FakeUser  # installed the app to her account
    bob: FakeUser  # did not; a member of the bot's server
    carol: FakeUser  # did not; in no server with the bot


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bot's database, seeded once for the module (each test starts from a copy)."""
    db = tmp_path_factory.mktemp("user-installs") / "seeded.sqlite3"

    async def seed() -> None:
        store = await Store.open(db, seed=shipped_catalog())
        try:
            # The server's own weekend comes before Petit Le Mans 2012: /nextrace shows it there.
            sessions = [("qualifying", "2012-10-05", "10:00"), ("race", "2012-10-06", "12:00")]
            await store.import_catalog(weekend("club-6h", sessions, name=CLUB), guild_id=HOME_ID)
            await store.import_catalog(weekend("left-4h", sessions, name=LEFTOVER), guild_id=AWAY_ID)
        finally:
            await store.close()

    asyncio.run(seed())
    return db


@pytest.fixture
async def world(tmp_path: Path, seeded: Path) -> AsyncIterator[World]:
    db = tmp_path / "fanbot.sqlite3"
    shutil.copyfile(seeded, db)
    fake = FakeDiscord(bot_token=TOKEN)
    home = fake.add_guild(HOME_ID, "Endurance fans")
    general = home.add_text_channel(name="general")
    alice, bob, carol = (fake.add_user(username=name) for name in ("alice", "bob", "carol"))
    home.add_member(alice)
    home.add_member(bob)
    away = fake.add_guild_without_bot(AWAY_ID, "Another server", locale="fr")
    lounge = away.add_text_channel(name="lounge")
    for user in (alice, bob, carol):
        away.add_member(user)
    group = fake.add_private_channel(alice, bob, carol, name="Race night")
    fake.install_app_for_user(alice)
    clock = FixedClock(parse_instant("2012-10-01T00:00:00Z"))
    await fake.start()
    bot = FanBot(db, clock=clock, guild_ready_timeout=0.1)
    try:
        with pointed_at(fake):
            runner = asyncio.create_task(bot.start(TOKEN))
            try:
                await fake.wait_until(lambda: bot.is_ready() or runner.done(), START_SECONDS, "the bot")
                if runner.done():
                    runner.result()
                yield World(fake, bot, clock, home, general, away, lounge, group, alice, bob, carol)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 10)
    finally:
        await fake.stop()


def title(result: Any) -> str:
    return str(result.embeds[0]["title"])


def owners(result: Any) -> dict[str, str]:
    return dict(result.payload["authorizing_integration_owners"])


async def test_the_synced_tree_lets_users_install_the_fan_commands_and_keeps_the_rest_in_servers(world):
    synced = {c["name"]: c for c in world.fake.global_commands}
    assert set(synced) >= FAN_COMMANDS
    dump = {
        name: (c["integration_types"], c["contexts"], c["default_member_permissions"], c["dm_permission"])
        for name, c in synced.items()
    }
    for name in FAN_COMMANDS:
        assert dump[name] == ([0, 1], [0, 1, 2], None, True), name
    # Every other command (the moderators', /reminders, whatever is added later) is the
    # server's alone, and keeps what hides it from members; but /calendar, shown to members
    # for /calendar link (its other subcommands check for a moderator on each call).
    for name in set(dump) - FAN_COMMANDS:
        installs, contexts, permissions, _ = dump[name]
        assert (installs, contexts) == ([0], [0]), name
        assert (permissions is None) == (name == "calendar"), name
    assert dump["reminders"][2] == str(1 << 33)  # Manage Events
    # The localizations are still there.
    assert synced["nextrace"]["name_localizations"]["fr"] == "prochainecourse"
    for command in synced.values():
        assert command["name_localizations"].get("fr"), command["name"]
        assert command["description_localizations"].get("fr"), command["name"]


async def test_a_user_install_answers_from_the_catalog_in_a_server_without_the_bot(world):
    here = await world.fake.slash(world.home, world.general, world.alice, "nextrace")
    assert title(here).startswith(f"Next race: {CLUB}")  # the server's own weekend, where the bot is

    away = await world.fake.slash(world.away, world.lounge, world.alice, "nextrace")
    assert owners(away) == {"1": str(world.alice.id)}
    assert away.payload["context"] == 0
    assert title(away).startswith(f"Next race: {PETIT}")  # the catalog's, not what the server left
    assert not away.ephemeral
    assert world.fake.messages_in(world.lounge)[-1]["id"] == away.original["id"]  # seen by the server

    # A server's own events never answer elsewhere, not even by name.
    race = await world.fake.slash(world.away, world.lounge, world.alice, "race", {"event": LEFTOVER})
    assert race.ephemeral
    assert race.content.startswith("No event matches")
    choices = await world.fake.autocomplete(
        world.away, world.lounge, world.alice, "race", option="event", typed="club"
    )
    assert all("Club" not in c["name"] for c in choices)
    left = await world.fake.autocomplete(
        world.away, world.lounge, world.alice, "race", option="event", typed="leftover"
    )
    assert all("Leftover" not in c["name"] for c in left)
    at_home = await world.fake.autocomplete(
        world.home, world.general, world.alice, "race", option="event", typed="club"
    )
    assert any(CLUB in c["name"] for c in at_home)


async def test_a_reader_language_fanbot_lacks_falls_back_to_the_servers_or_english_without_one(world):
    away = await world.fake.slash(world.away, world.lounge, world.alice, "nextrace", locale="de")
    assert title(away).startswith(f"Prochaine course\u00a0: {PETIT}")  # that server's language: French
    dm = await world.fake.slash(None, world.group, world.alice, "nextrace", locale="de")
    assert "guild_locale" not in dm.payload
    assert title(dm).startswith(f"Next race: {PETIT}")


async def test_a_user_install_answers_in_the_bots_dm_and_in_a_group_dm(world):
    dm = await world.fake.slash(None, None, world.alice, "nextrace")
    assert dm.payload["context"] == 1
    assert owners(dm) == {"0": "0", "1": str(world.alice.id)}  # she also shares a server with the bot
    assert title(dm).startswith(f"Next race: {PETIT}")

    group = await world.fake.slash(
        None, world.group, world.alice, "schedule", {"series": "ALMS", "season": 2012}
    )
    assert (group.payload["context"], owners(group)) == (2, {"1": str(world.alice.id)})
    assert "Petit Le Mans" in str(group.final)
    helped = await world.fake.slash(None, world.group, world.alice, "help")
    assert helped.ephemeral
    assert "/nextrace" in str(helped.final)


async def test_only_those_who_installed_it_reach_the_app_where_the_bot_is_not(world):
    with pytest.raises(NotInvocable, match="has not installed the app"):
        await world.fake.slash(world.away, world.lounge, world.bob, "nextrace")
    with pytest.raises(NotInvocable, match="has not installed the app"):
        await world.fake.slash(None, world.group, world.carol, "nextrace")
    with pytest.raises(NotInvocable):
        await world.fake.slash(None, None, world.carol, "nextrace")  # no server with the bot, no install


async def test_moderator_commands_and_reminders_stay_in_servers_that_added_the_bot(world):
    for command in ("reminders status", "event history"):
        with pytest.raises(NotInvocable, match="not available in context"):
            await world.fake.slash(None, None, world.alice, command)
        with pytest.raises(NotInvocable, match="not available in context"):
            await world.fake.slash(None, world.group, world.alice, command)
        with pytest.raises(NotInvocable, match="not installed to this server"):
            await world.fake.slash(world.away, world.lounge, world.alice, command)


async def test_where_the_server_turns_off_external_apps_the_answer_is_for_the_asker_and_still_works(world):
    world.away.everyone.permissions &= ~USE_EXTERNAL_APPS
    answer = await world.fake.slash(world.away, world.lounge, world.alice, "nextrace")
    assert answer.ephemeral
    assert title(answer).startswith(f"Next race: {PETIT}")
    assert world.fake.messages_in(world.lounge) == []
    pressed = await world.fake.click(answer.original, label="Remind me", user=world.alice)
    assert pressed.ephemeral
    assert "I will send you a direct message" in str(await pressed.wait_final())
    with pytest.raises(NotInvocable):
        await world.fake.click(answer.original, label="Remind me", user=world.bob)


async def test_remind_me_from_a_user_install_is_kept_without_a_server_and_sent_by_dm(world):
    answer = await world.fake.slash(None, world.group, world.alice, "nextrace")
    # Bob did not install the app: the button answers him through Alice's install.
    pressed = await world.fake.click(answer.original, label="Remind me", user=world.bob)
    assert owners(pressed) == {"1": str(world.alice.id)}
    done = await pressed.wait_final()
    assert done["content"].startswith("Done: I will send you a direct message")
    [confirmation] = world.fake.dm_messages(world.bob)
    assert PETIT in confirmation["content"]
    [request] = await world.bot.store.reminders.fan_requests(user_id=world.bob.id)
    assert request.guild_id is None

    # An hour before qualifying (18:00 UTC), the reminder reaches Bob's DMs.
    world.clock.instant = parse_instant("2012-10-19T17:00:05Z")
    assert world.bot.dispatcher is not None
    world.bot.dispatcher.wake()
    reminder = await world.fake.wait_until(
        lambda: world.fake.dm_messages(world.bob)[1:], 10, "the DM reminder"
    )
    assert PETIT in str(reminder[0])


async def test_remind_me_in_a_server_without_the_bot_keeps_no_server(world):
    answer = await world.fake.slash(
        world.away, world.lounge, world.alice, "remindme add", {"event": "Petit Le Mans 2012"}
    )
    assert owners(answer) == {"1": str(world.alice.id)}
    assert "I will send you a direct message" in str(await answer.wait_final())
    [request] = await world.bot.store.reminders.fan_requests(user_id=world.alice.id)
    assert request.guild_id is None


async def test_a_fan_the_bot_cannot_write_to_is_told_what_to_check_and_nothing_is_kept(world):
    answer = await world.fake.slash(None, world.group, world.alice, "nextrace")
    # Carol shares no server with the bot: the fake Discord refuses the confirmation DM (50007).
    pressed = await world.fake.click(answer.original, label="Remind me", user=world.carol)
    refused = await pressed.wait_final()
    assert refused["content"].startswith("I could not send you a direct message")
    assert "Privacy settings let me write to you" in refused["content"]
    assert await world.bot.store.reminders.fan_requests(user_id=world.carol.id) == []
