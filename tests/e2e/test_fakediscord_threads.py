"""The fake Discord's threads and forum posts, against a bare, unmodified discord.py bot:
creating them (in a text channel, from a message, as a forum post with tags), posting in
them with the permissions Discord checks there, archiving, locking and unarchiving by
posting, listing the active and the archived ones, and their gateway events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest

from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, pointed_at
from testing.fakediscord.model import NEWS
from testing.fakediscord.permissions import (
    DEFAULT_BOT_PERMISSIONS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
)
from testing.fakediscord.thread_routes import (
    CREATE_PUBLIC_THREADS,
    MANAGE_THREADS,
    THREAD_CREATED,
    FakeThread,
)

TOKEN = "fake-token"
GUILD_ID = 1_170_000_000_000_000_001
CHANNEL_ID = 1_170_000_000_000_000_010
FORUM_ID = 1_170_000_000_000_000_020


@dataclass
class ThreadWorld:
    fake: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    forum: FakeChannel
    bot: discord.Client

    def text(self) -> discord.TextChannel:
        found = self.bot.get_channel(CHANNEL_ID)
        assert isinstance(found, discord.TextChannel)
        return found

    def forum_channel(self) -> discord.ForumChannel:
        found = self.bot.get_channel(FORUM_ID)
        assert isinstance(found, discord.ForumChannel)
        return found

    def fake_thread(self, thread_id: int) -> FakeThread:
        return self.fake.threads[thread_id]


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    with pointed_at(fake):
        runner = asyncio.create_task(client.start(TOKEN))
        await fake.wait_until(lambda: client.is_ready() or runner.done(), 5, "the bot's on_ready")
        if runner.done():
            runner.result()
        try:
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 5)


@pytest.fixture
async def world() -> AsyncIterator[ThreadWorld]:
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(
        GUILD_ID, name="Endurance fans", bot_permissions=DEFAULT_BOT_PERMISSIONS | CREATE_PUBLIC_THREADS
    )
    channel = guild.add_text_channel(CHANNEL_ID, "race-reminders")
    forum = fake.add_forum_channel(guild, FORUM_ID, "race-weekends", tags=("WEC", "IMSA", "ELMS"))
    await fake.start()
    try:
        async with running(fake) as bot:
            yield ThreadWorld(fake, guild, channel, forum, bot)
        assert fake.unknown_routes == []  # every route discord.py took is one the fake knows
    finally:
        await fake.stop()


async def test_a_public_thread_without_a_message_is_announced_and_takes_messages(world: ThreadWorld) -> None:
    thread = await world.text().create_thread(
        name="6 Hours of Spa 2026", type=discord.ChannelType.public_thread, auto_archive_duration=4320
    )

    assert (thread.name, thread.parent_id, thread.owner_id) == (
        "6 Hours of Spa 2026",
        CHANNEL_ID,
        world.bot.user.id,
    )
    assert thread.type is discord.ChannelType.public_thread
    assert thread.auto_archive_duration == 4320
    [request] = world.fake.requests_to("POST", f"/channels/{CHANNEL_ID}/threads")
    assert request.status == 201
    # THREAD_CREATE reached the bot's cache; Discord says so in the channel too.
    await world.fake.wait_until(lambda: world.text().guild.get_thread(thread.id), 5, "THREAD_CREATE")
    [notice] = world.fake.messages_in(world.channel)
    assert (notice["type"], notice["content"]) == (THREAD_CREATED, "6 Hours of Spa 2026")

    posted = await thread.send("Qualifying in an hour", nonce="n1")
    again = await thread.send("Qualifying in an hour", nonce="n1")  # enforce_nonce, in a thread too

    assert posted.channel.id == thread.id
    assert again.id == posted.id
    assert [m["content"] for m in world.fake.messages_in(thread.id)] == ["Qualifying in an hour"]
    assert world.fake_thread(thread.id).message_count == 1


async def test_names_and_archive_durations_are_checked_as_discord_does(world: ThreadWorld) -> None:
    http = world.bot.http
    with pytest.raises(discord.HTTPException) as long_name:
        await http.start_thread_without_message(
            CHANNEL_ID, name="x" * 101, auto_archive_duration=1440, type=11
        )
    with pytest.raises(discord.HTTPException) as odd_duration:
        await http.start_thread_without_message(CHANNEL_ID, name="Spa", auto_archive_duration=30, type=11)  # type: ignore[arg-type]

    assert (long_name.value.status, long_name.value.code) == (400, 50035)
    assert (odd_duration.value.status, odd_duration.value.code) == (400, 50035)
    assert world.fake.threads_in(world.channel) == []


async def test_creating_a_thread_needs_create_public_threads(world: ThreadWorld) -> None:
    world.channel.set_overwrite(world.guild.bot_member, deny=CREATE_PUBLIC_THREADS)

    with pytest.raises(discord.Forbidden) as refused:
        await world.text().create_thread(name="Spa", type=discord.ChannelType.public_thread)

    assert refused.value.code == 50013
    assert world.fake.threads_in(world.channel) == []


async def test_posting_in_a_thread_needs_send_messages_in_threads_not_send_messages(
    world: ThreadWorld,
) -> None:
    thread = await world.text().create_thread(name="Spa", type=discord.ChannelType.public_thread)
    world.channel.set_overwrite(world.guild.bot_member, allow=SEND_MESSAGES, deny=SEND_MESSAGES_IN_THREADS)

    with pytest.raises(discord.Forbidden) as refused:
        await thread.send("hello")
    await world.text().send("the channel itself still works")

    assert refused.value.code == 50013
    world.channel.set_overwrite(world.guild.bot_member, allow=SEND_MESSAGES_IN_THREADS, deny=SEND_MESSAGES)
    await thread.send("in the thread it does")
    with pytest.raises(discord.Forbidden):
        await world.text().send("but not in the channel")


async def test_a_thread_from_a_message_has_its_id_and_there_is_one_per_message(world: ThreadWorld) -> None:
    message = await world.text().send("Race day")
    thread = await message.create_thread(name="Race day chat")

    assert thread.id == message.id
    assert world.fake.message(message.id)["thread"]["id"] == str(thread.id)
    with pytest.raises(discord.HTTPException) as twice:
        await message.create_thread(name="again")
    assert (twice.value.status, twice.value.code) == (400, 160004)


async def test_a_forum_post_starts_with_its_message_and_carries_at_most_five_known_tags(
    world: ThreadWorld,
) -> None:
    forum = world.forum_channel()
    wec = next(t for t in forum.available_tags if t.name == "WEC")
    created = await forum.create_thread(
        name="6 Hours of Spa 2026", content="Qualifying soon", applied_tags=[wec]
    )

    assert created.message.id == created.thread.id  # a post's first message has the post's id
    assert [t.name for t in created.thread.applied_tags] == ["WEC"]
    assert [m["content"] for m in world.fake.messages_in(created.thread.id)] == ["Qualifying soon"]
    assert world.fake.messages_in(world.forum) == []  # a forum holds posts, not messages

    with pytest.raises(discord.HTTPException) as no_message:
        await world.bot.http.request(
            discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=FORUM_ID),
            json={"name": "empty", "type": 11},
        )
    assert (no_message.value.status, no_message.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as unknown_tag:
        await forum.create_thread(name="x", content="y", applied_tags=[discord.Object(id=1)])  # type: ignore[list-item]
    assert unknown_tag.value.code == 50035
    many = [
        {"id": str(i), "name": f"t{i}", "moderated": False, "emoji_id": None, "emoji_name": None}
        for i in range(1, 7)
    ]
    world.forum.available_tags = many
    with pytest.raises(discord.HTTPException) as six:
        await world.bot.http.request(
            discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=FORUM_ID),
            json={"name": "six", "message": {"content": "x"}, "applied_tags": [t["id"] for t in many]},
        )
    assert six.value.code == 50035
    with pytest.raises(discord.HTTPException) as plain:
        await world.bot.get_partial_messageable(FORUM_ID).send("not a post")
    assert (plain.value.status, plain.value.code) == (400, 50008)


async def test_archiving_then_posting_unarchives_unless_locked(world: ThreadWorld) -> None:
    thread = await world.text().create_thread(name="Spa", type=discord.ChannelType.public_thread)

    archived = await thread.edit(archived=True)  # its creator may, without Manage Threads
    assert archived.archived
    await world.fake.wait_until(
        lambda: (t := world.text().guild.get_thread(thread.id)) is None or t.archived, 5, "THREAD_UPDATE"
    )
    await thread.send("the race was moved")
    assert not world.fake_thread(thread.id).archived

    with pytest.raises(discord.Forbidden):
        await thread.edit(locked=True)  # locking needs Manage Threads
    world.fake.archive_thread(world.fake_thread(thread.id), locked=True)
    with pytest.raises(discord.HTTPException) as locked:
        await thread.send("still there?")
    assert (locked.value.status, locked.value.code) == (400, 50083)
    with pytest.raises(discord.HTTPException) as renamed:
        await thread.edit(name="renamed while archived")
    assert renamed.value.code == 50083

    world.guild.bot_role.permissions |= MANAGE_THREADS
    await thread.send("a moderator may")
    assert not world.fake_thread(thread.id).archived


async def test_active_and_archived_threads_are_listed_as_discord_lists_them(world: ThreadWorld) -> None:
    text = world.text()
    first = await text.create_thread(name="Sebring", type=discord.ChannelType.public_thread)
    second = await text.create_thread(name="Spa", type=discord.ChannelType.public_thread)
    third = await text.create_thread(name="Le Mans", type=discord.ChannelType.public_thread)
    await first.edit(archived=True)
    await second.edit(archived=True)

    active = await text.guild.active_threads()
    archived = [t async for t in text.archived_threads(limit=50)]

    assert [t.id for t in active] == [third.id]
    assert [t.id for t in archived] == [second.id, first.id]  # the last archived first
    older = [t async for t in text.archived_threads(limit=50, before=archived[0].archive_timestamp)]
    assert [t.id for t in older] == [first.id]
    world.channel.set_overwrite(world.guild.bot_member, deny=READ_MESSAGE_HISTORY)
    with pytest.raises(discord.Forbidden):
        [t async for t in text.archived_threads(limit=50)]


async def test_a_deleted_thread_is_unknown_and_active_threads_come_with_guild_create(
    world: ThreadWorld,
) -> None:
    kept = await world.text().create_thread(name="Kept", type=discord.ChannelType.public_thread)
    gone = await world.text().create_thread(name="Gone", type=discord.ChannelType.public_thread)
    world.fake.delete_thread(world.fake_thread(gone.id))

    with pytest.raises(discord.NotFound) as unknown:
        await gone.send("hello?")
    assert unknown.value.code == 10003

    await world.bot.close()
    async with running(world.fake) as again:  # a new session: GUILD_CREATE lists the threads
        guild = again.get_guild(GUILD_ID)
        assert guild is not None
        assert [t.id for t in guild.threads] == [kept.id]


async def test_an_announcement_channel_takes_announcement_threads_only(world: ThreadWorld) -> None:
    added = world.guild.add_channel(None, "announcements", NEWS)
    news = await world.fake.wait_until(lambda: world.bot.get_channel(added.id), 5, "CHANNEL_CREATE")
    assert isinstance(news, discord.TextChannel)
    assert news.is_news()

    thread = await news.create_thread(name="Spa", type=discord.ChannelType.news_thread)
    with pytest.raises(discord.HTTPException) as public:
        await news.create_thread(name="Spa", type=discord.ChannelType.public_thread)

    assert thread.type is discord.ChannelType.news_thread
    assert (public.value.status, public.value.code) == (400, 50035)
