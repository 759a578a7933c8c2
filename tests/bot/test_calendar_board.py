"""/calendar board through the unmodified discord.py against the fake Discord in this
process, on a clock the test sets: the board is posted and pinned, edits itself when a
moderator moves a session (once) and not otherwise, crosses a passed session out, drops
an event that is over, is posted again after a deletion (at most once a day) and stops
after two; and the fake's pin routes, answered as Discord documents them."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import discord
import pytest

from fanbot.bot.app import FanBot
from fanbot.bot.board_keeper import BoardKeeper
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.reminders.dispatcher import Shards
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, NotInvocable, pointed_at
from testing.fakediscord.channel_routes import PIN_MESSAGES
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS
from tests.support.reminder_world import weekend

TOKEN = "fake-token"
START_SECONDS = 60.0
# Le Mans in March 2030 (UTC+1), after the shipped catalog's last WEC race: the board
# shows the guild's own weekend alone. Qualifying lasts 75 minutes (the estimate), the race 6 h.
SESSIONS = [("qualifying", "2030-03-09", "10:00"), ("race", "2030-03-10", "14:00")]
Q_START = parse_instant("2030-03-09T09:00:00Z")
R_START = parse_instant("2030-03-10T13:00:00Z")
T0 = parse_instant("2030-03-01T08:00:00Z")


def t(instant_iso: str, style: str = "f") -> str:
    return f"<t:{int(parse_instant(instant_iso).timestamp())}:{style}>"


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    board: FakeChannel
    mod: FakeUser
    bot: FanBot
    clock: FixedClock

    @property
    def keeper(self) -> BoardKeeper:
        assert self.bot.board_keeper is not None
        return self.bot.board_keeper

    def board_messages(self) -> list[dict[str, object]]:
        """The bot's board posts in the board channel (Discord's pin notices left out)."""
        return [m for m in self.fake.messages_in(self.board) if m["type"] == 0]

    def requests(self, method: str) -> list[object]:
        return self.fake.requests_to(method, f"/channels/{self.board.id}/messages*")

    async def slash(self, command: str, options: dict[str, object] | None = None) -> str:
        result = await self.fake.slash(self.guild, self.general, self.mod, command, options or {})
        final = await result.wait_final()
        return str(final.get("content") or "") + " ".join(str(e) for e in final.get("embeds") or [])

    async def move(self, session: str, start: str) -> None:
        """A moderator moves a session: the preview, then Confirm."""
        preview = await self.fake.slash(
            self.guild,
            self.general,
            self.mod,
            "session edit",
            {"event": "Club 6 Hours", "session": session, "start": start},
        )
        await preview.wait_final()
        confirmed = await self.fake.click(preview.final, label="Confirm", user=self.mod)
        await confirmed.wait_final()


@contextlib.asynccontextmanager
async def world_of(tmp_path: Path, template: Path, *, bot_permissions: int) -> AsyncIterator[World]:
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(name="Endurance fans", bot_permissions=bot_permissions)
    general = guild.add_text_channel(name="general")
    board = guild.add_text_channel(name="calendar")
    mod = fake.add_user(username="marshal")
    guild.add_member(
        mod,
        permissions=discord.Permissions(
            manage_events=True, view_channel=True, send_messages=True, manage_messages=True
        ).value,
    )
    db = tmp_path / "fanbot.sqlite3"
    shutil.copy(template, db)
    clock = FixedClock(T0)
    await fake.start()
    bot = FanBot(db, clock=clock, guild_ready_timeout=0.1)
    try:
        with pointed_at(fake):
            runner = asyncio.create_task(bot.start(TOKEN))
            try:
                await fake.wait_until(lambda: bot.is_ready() or runner.done(), START_SECONDS, "on_ready")
                if runner.done():
                    runner.result()
                keeper = bot.board_keeper
                assert keeper is not None
                await fake.wait_until(lambda: keeper._task is not None, 10, "the board keeper")
                await bot.store.import_catalog(
                    weekend("club-6h", SESSIONS, name="Club 6 Hours"), guild_id=guild.id
                )
                yield World(fake, guild, general, board, mod, bot, clock)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 10)
    finally:
        await fake.stop()
    assert fake.unknown_routes == []


async def test_the_board_is_pinned_and_edits_itself_when_a_session_moves_and_not_otherwise(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(
        tmp_path, seeded_template, bot_permissions=DEFAULT_BOT_PERMISSIONS | PIN_MESSAGES
    ) as w:
        reply = await w.slash("calendar board setup", {"channel": w.board, "series": "WEC", "count": 3})
        assert f"<#{w.board.id}>: pinned." in reply
        [posted] = w.board_messages()
        assert [m["id"] for m in w.fake.pinned(w.board)] == [posted["id"]]
        shown = posted["embeds"][0]
        assert shown["title"] == "Next WEC races"
        assert shown["description"].splitlines() == [
            "**Club 6 Hours 2030** · WEC · Circuit de la Sarthe",
            f"**Qualifying** — {t('2030-03-09T09:00:00Z')} ({t('2030-03-09T09:00:00Z', 'R')})",
            f"**Race** — {t('2030-03-10T13:00:00Z')} ({t('2030-03-10T13:00:00Z', 'R')})",
        ]

        # A moderator moves qualifying by 90 minutes: the board is edited once, with the new time.
        await w.move("qualifying", "2030-03-09 11:30")
        await w.fake.wait_until(lambda: len(w.requests("PATCH")) == 1, 10, "the board's edit")
        await w.keeper.run_once()  # a pass with nothing new: no edit
        [edit] = w.requests("PATCH")
        assert edit.path == f"/channels/{w.board.id}/messages/{posted['id']}"
        description = edit.json["embeds"][0]["description"]
        assert t("2030-03-09T10:30:00Z") in description
        assert t("2030-03-09T09:00:00Z") not in description
        assert w.board_messages()[0]["embeds"][0]["description"] == description

        # Time passes without a boundary: nothing to edit.
        w.clock.instant = parse_instant("2030-03-09T10:00:00Z")
        await w.keeper.run_once()
        assert len(w.requests("PATCH")) == 1

        # Qualifying is over (10:30 + 75 min): crossed out; the race is still to come.
        w.clock.instant = parse_instant("2030-03-09T12:00:00Z")
        await w.keeper.run_once()
        assert len(w.requests("PATCH")) == 2
        lines = w.board_messages()[0]["embeds"][0]["description"].splitlines()
        assert lines[1] == f"~~Qualifying — {t('2030-03-09T10:30:00Z')}~~"
        assert lines[2].startswith("**Race**")

        # The race is over: the weekend drops off, and nothing else is scheduled.
        w.clock.instant = R_START + timedelta(hours=6, minutes=1)
        await w.keeper.run_once()
        assert w.board_messages()[0]["embeds"][0]["description"] == "No WEC race is scheduled."
        assert len(w.board_messages()) == 1  # always the one message, edited
        assert len(w.requests("POST")) == 1

        status = await w.slash("calendar board status")
        assert f"Channel: <#{w.board.id}>" in status
        assert "the next 3 WEC events" in status
        assert f"/{posted['id']} (pinned)" in status


async def test_a_deleted_board_comes_back_with_the_next_change_at_most_once_a_day_and_stops_at_the_second(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(
        tmp_path, seeded_template, bot_permissions=DEFAULT_BOT_PERMISSIONS | PIN_MESSAGES
    ) as w:
        await w.slash("calendar board setup", {"channel": w.board})
        [first] = w.board_messages()
        await w.fake.member_deletes(w.board, w.mod, first["id"])
        assert w.fake.pinned(w.board) == []

        # The next change finds it deleted, within a day of its post: not posted again yet.
        await w.move("race", "2030-03-10 15:00")
        await w.fake.wait_until(lambda: len(w.requests("PATCH")) == 1, 10, "the edit that finds it deleted")
        await w.keeper.run_once()
        assert w.board_messages() == []
        status = await w.slash("calendar board status")
        assert "Deleted: posted again with the next change, not before" in status

        # A day after it was posted, the change is shown in a new message, pinned again.
        w.clock.instant = T0 + timedelta(days=1)
        await w.keeper.run_once()
        [second] = w.board_messages()
        assert t("2030-03-10T14:00:00Z") in second["embeds"][0]["description"]
        assert [m["id"] for m in w.fake.pinned(w.board)] == [second["id"]]
        assert "Deleted by moderators: 1 of 2 times" in await w.slash("calendar board status")

        # Deleted again: the next change stops it, and nothing is posted any more.
        await w.fake.member_deletes(w.board, w.mod, second["id"])
        w.clock.instant = T0 + timedelta(days=3)
        await w.move("race", "2030-03-10 16:00")
        await w.fake.wait_until(
            lambda: len(w.requests("PATCH")) == 2, 10, "the edit that finds it deleted again"
        )
        await w.keeper.run_once()
        assert w.board_messages() == []
        assert len(w.requests("POST")) == 2
        assert "Stopped: moderators deleted it twice." in await w.slash("calendar board status")

        # Set up again, it is posted at once and counts afresh; off deletes it.
        assert "pinned" in await w.slash("calendar board setup", {"channel": w.board})
        [third] = w.board_messages()
        assert "deleted" not in (await w.slash("calendar board status")).lower()
        assert "is off" in await w.slash("calendar board off")
        assert w.fake.message(third["id"]) is None


async def test_without_pin_messages_the_board_is_posted_unpinned_and_says_what_to_grant(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(tmp_path, seeded_template, bot_permissions=DEFAULT_BOT_PERMISSIONS) as w:
        reply = await w.slash("calendar board setup", {"channel": w.board, "count": 1})
        assert "not pinned: give me Pin Messages in its channel" in reply
        assert len(w.board_messages()) == 1
        # The bot read its permissions from the gateway's cache: no request to be refused.
        assert w.fake.requests_to("PUT", "/channels/*/pins/*") == []

        # A process that does not hold the guild's shard leaves its board alone.
        other = next(i for i in range(2) if (w.guild.id >> 22) % 2 != i)
        elsewhere = BoardKeeper(w.bot, shards=Shards(frozenset({other}), 2))
        w.clock.instant = Q_START + timedelta(minutes=1)
        await elsewhere.run_once()
        assert w.requests("PATCH") == []
        await w.keeper.run_once()
        assert len(w.requests("PATCH")) == 1


async def test_the_fakes_pins_answer_discord_py_as_discord_documents(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(
        tmp_path, seeded_template, bot_permissions=DEFAULT_BOT_PERMISSIONS | PIN_MESSAGES
    ) as w:
        channel = w.bot.get_channel(w.board.id)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("first")
        second = await channel.send("second")
        await first.pin(reason="test")
        await first.pin()  # already pinned: nothing changes
        await second.pin()
        pins = [m async for m in channel.pins()]
        assert [m.id for m in pins] == [second.id, first.id]  # the last pinned first
        assert all(m.pinned and m.pinned_at is not None for m in pins)
        notices = [m for m in w.fake.messages_in(w.board) if m["type"] == 6]
        assert [n["message_reference"]["message_id"] for n in notices] == [str(first.id), str(second.id)]

        # The channel is full (Discord: 250 pins; lowered here): 30003.
        w.fake.max_pins = 2
        third = await channel.send("third")
        with pytest.raises(discord.HTTPException) as full:
            await third.pin()
        assert (full.value.status, full.value.code) == (400, 30003)
        await first.unpin()
        await third.pin()
        assert [m.id async for m in channel.pins(limit=1)] == [third.id]

        # The deprecated routes answer too.
        route = discord.http.Route("GET", "/channels/{channel_id}/pins", channel_id=channel.id)
        listed = await w.bot.http.request(route)
        assert [int(m["id"]) for m in listed] == [third.id, second.id]

        # Without Pin Messages in the channel (Manage Messages no longer suffices): 403 50013.
        w.board.set_overwrite(w.guild.bot_role, allow=0, deny=PIN_MESSAGES)
        with pytest.raises(discord.Forbidden) as refused:
            await second.unpin()
        assert refused.value.code == 50013
        # A deleted pinned message is no longer among the pins.
        await w.fake.member_deletes(w.board, w.mod, third.id)
        assert [m["id"] for m in w.fake.pinned(w.board)] == [str(second.id)]


async def test_a_moderator_deleting_a_message_reaches_bots_that_listen_for_message_events() -> None:
    """The driver's ``member_deletes``: MESSAGE_DELETE as Discord sends it, to a plain
    discord.py client with the guild messages intent (fanbot asks for none)."""
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(name="Endurance fans")
    channel = guild.add_text_channel(name="general")
    mod = fake.add_user(username="marshal")
    fan = fake.add_user(username="fan")
    guild.add_member(mod, permissions=discord.Permissions(view_channel=True, manage_messages=True).value)
    guild.add_member(fan)
    await fake.start()
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)
    deleted: list[discord.RawMessageDeleteEvent] = []

    @client.event
    async def on_raw_message_delete(event: discord.RawMessageDeleteEvent) -> None:
        deleted.append(event)

    try:
        with pointed_at(fake):
            runner = asyncio.create_task(client.start(TOKEN))
            try:
                await fake.wait_until(client.is_ready, START_SECONDS, "on_ready")
                said = await fake.user_says(channel, fan, "hello")
                theirs = await fake.user_says(channel, mod, "mine")
                with pytest.raises(NotInvocable):  # a member without Manage Messages
                    await fake.member_deletes(channel, fan, theirs["id"])
                await fake.member_deletes(channel, mod, said["id"])
                await fake.wait_until(lambda: deleted, 5, "MESSAGE_DELETE")
            finally:
                await client.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 10)
    finally:
        await fake.stop()
    assert [(e.message_id, e.channel_id, e.guild_id) for e in deleted] == [
        (int(said["id"]), channel.id, guild.id)
    ]
    assert fake.message(said["id"]) is None
