"""The fake Discord's scheduled event routes against an unmodified discord.py client: what
Discord documents (DISCORD-PLATFORM.md) for EXTERNAL events, their limits, the cap of 100,
status changes, permissions, "Interested" users and the gateway dispatches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from testing.fakediscord import FakeDiscord, FakeGuild, pointed_at
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS
from testing.fakediscord.scheduled_event_routes import CREATE_EVENTS, MANAGE_EVENTS

TOKEN = "fake-token"
GUILD_ID = 1_160_000_000_000_000_001


class Client(discord.Client):
    def __init__(self, *, scheduled_events_intent: bool) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_scheduled_events = scheduled_events_intent
        super().__init__(intents=intents, guild_ready_timeout=0.1)
        self.seen: list[str] = []

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.seen.append(f"create {event.name}")

    async def on_scheduled_event_update(
        self, before: discord.ScheduledEvent, after: discord.ScheduledEvent
    ) -> None:
        self.seen.append(f"update {after.name} {after.status.name}")

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        self.seen.append(f"delete {event.name}")


@dataclass
class World:
    fake: FakeDiscord
    fake_guild: FakeGuild
    client: Client
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def guild(self) -> discord.Guild:
        guild = self.client.get_guild(GUILD_ID)
        assert guild is not None
        return guild

    async def create(self, **overrides: Any) -> discord.ScheduledEvent:
        options: dict[str, Any] = {
            "name": "6 Hours (fictional)",
            "start_time": self.now + timedelta(days=1),
            "end_time": self.now + timedelta(days=1, hours=6),
            "entity_type": discord.EntityType.external,
            "privacy_level": discord.PrivacyLevel.guild_only,
            "location": "Circuit de la Sarthe, France",
            "description": "Race: <t:1:F>",
        }
        options.update(overrides)
        return await self.guild.create_scheduled_event(**options)


@contextlib.asynccontextmanager
async def connected(
    *, permissions: int = DEFAULT_BOT_PERMISSIONS | CREATE_EVENTS, intent: bool = True
) -> AsyncIterator[World]:
    fake = FakeDiscord(bot_token=TOKEN)
    fake_guild = fake.add_guild(GUILD_ID, name="Endurance fans", bot_permissions=permissions)
    await fake.start()
    client = Client(scheduled_events_intent=intent)
    try:
        with pointed_at(fake):
            runner = asyncio.create_task(client.start(TOKEN))
            try:
                await fake.wait_until(lambda: client.is_ready() or runner.done(), 30, "the client's on_ready")
                yield World(fake, fake_guild, client)
            finally:
                await client.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 10)
    finally:
        await fake.stop()


async def test_an_external_event_is_created_listed_edited_and_deleted_as_discord_answers() -> None:
    async with connected() as w:
        made = await w.create()
        await w.fake.wait_until(
            lambda: "create 6 Hours (fictional)" in w.client.seen, 5, "the CREATE dispatch"
        )
        [listed] = await w.guild.fetch_scheduled_events()
        edited = await made.edit(name="6 Hours of Spa (fictional)", location="Spa-Francorchamps, Belgium")
        await w.fake.wait_until(lambda: any(s.startswith("update") for s in w.client.seen), 5, "the UPDATE")
        await edited.delete()
        await w.fake.wait_until(lambda: any(s.startswith("delete") for s in w.client.seen), 5, "the DELETE")
        with pytest.raises(discord.NotFound) as gone:
            await w.guild.fetch_scheduled_event(made.id)

    assert (made.entity_type, made.status) == (discord.EntityType.external, discord.EventStatus.scheduled)
    assert made.creator_id == w.fake.bot_user.id
    assert made.location == "Circuit de la Sarthe, France"
    assert listed.id == made.id
    assert listed.user_count == 0
    assert edited.location == "Spa-Francorchamps, Belgium"
    assert edited.start_time == made.start_time
    assert gone.value.code == 10070
    body = w.fake.requests_to("POST", "/guilds/*/scheduled-events")[0].json
    assert (body["entity_type"], body["privacy_level"], body["entity_metadata"]) == (
        3, 2, {"location": "Circuit de la Sarthe, France"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "field_"),
    [
        ({"name": "x" * 101}, "name"),
        ({"description": "x" * 1001}, "description"),
        ({"location": "x" * 101}, "entity_metadata"),
        ({"start_time": datetime.now(UTC) - timedelta(minutes=1)}, "scheduled_start_time"),
        ({"end_time": datetime.now(UTC) + timedelta(hours=1)}, "scheduled_end_time"),  # before the start
    ],
)
async def test_what_discord_refuses_is_refused_with_its_form_error(
    overrides: dict[str, Any], field_: str
) -> None:
    async with connected() as w:
        with pytest.raises(discord.HTTPException) as refused:
            await w.create(**overrides)
        kept = w.fake.scheduled_events_in(w.fake_guild)

    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert field_ in str(w.fake.requests[-1].response)
    assert kept == []


async def test_an_external_event_without_an_end_or_a_location_is_refused() -> None:
    async with connected() as w:
        route = discord.http.Route("POST", "/guilds/{guild_id}/scheduled-events", guild_id=GUILD_ID)
        start = (w.now + timedelta(days=1)).isoformat()
        with pytest.raises(discord.HTTPException) as refused:
            await w.client.http.request(
                route, json={"name": "x", "entity_type": 3, "privacy_level": 2, "scheduled_start_time": start}
            )

    errors = refused.value.text
    assert refused.value.code == 50035
    assert "scheduled_end_time" in errors
    assert "location" in errors


async def test_the_101st_scheduled_or_active_event_is_refused_with_30038() -> None:
    async with connected() as w:
        owner = w.fake.add_user(username="organiser")
        start, end = w.now + timedelta(days=3), w.now + timedelta(days=3, hours=1)
        for n in range(99):
            w.fake.add_scheduled_event(w.fake_guild, name=f"Event {n}", start=start, end=end, creator=owner)
        w.fake.add_scheduled_event(w.fake_guild, name="Done", start=start, end=end, creator=owner, status=3)
        hundredth = await w.create()
        with pytest.raises(discord.HTTPException) as full:
            await w.create(name="One too many")
        await hundredth.cancel()
        after_cancel = await w.create(name="Room again")

    assert (full.value.status, full.value.code) == (400, 30038)
    assert "Maximum number of uncompleted guild scheduled events reached (100)" in full.value.text
    assert after_cancel.name == "Room again"


async def test_status_moves_as_discord_allows_and_finished_events_cannot_change() -> None:
    async with connected() as w:
        made = await w.create()
        with pytest.raises(discord.HTTPException) as skipped:
            # SCHEDULED -> COMPLETED is not a move Discord allows.
            await made.edit(status=discord.EventStatus.completed)
        cancelled = await made.cancel()
        with pytest.raises(discord.HTTPException) as finished:
            await cancelled.edit(name="Back on")
        # EXTERNAL events start and complete by themselves, on the fake's clock.
        later = await w.create(name="Later")
        w.fake.scheduled_event_clock = lambda: w.now + timedelta(days=1, hours=1)
        active = await w.guild.fetch_scheduled_event(later.id)
        w.fake.scheduled_event_clock = lambda: w.now + timedelta(days=2)
        completed = await w.guild.fetch_scheduled_event(later.id)

    assert (skipped.value.status, skipped.value.code) == (400, 50035)
    assert cancelled.status is discord.EventStatus.cancelled
    assert (finished.value.status, finished.value.code) == (400, 180000)
    assert active.status is discord.EventStatus.active
    assert completed.status is discord.EventStatus.completed


async def test_creating_needs_create_events_and_editing_the_bots_own_needs_either() -> None:
    async with connected(permissions=DEFAULT_BOT_PERMISSIONS | MANAGE_EVENTS) as w:
        with pytest.raises(discord.Forbidden) as no_create:
            await w.create()
        owner = w.fake.add_user(username="organiser")
        theirs = w.fake.add_scheduled_event(
            w.fake_guild,
            name="Theirs",
            start=w.now + timedelta(days=1),
            end=w.now + timedelta(days=2),
            creator=owner,
        )
        mine = w.fake.add_scheduled_event(
            w.fake_guild,
            name="Mine",
            start=w.now + timedelta(days=1),
            end=w.now + timedelta(days=2),
            creator=w.fake.bot_user,
        )
        edited = await (await w.guild.fetch_scheduled_event(int(mine["id"]))).edit(name="Mine, edited")
        w.fake_guild.bot_role.permissions = DEFAULT_BOT_PERMISSIONS | CREATE_EVENTS
        with pytest.raises(discord.Forbidden) as not_theirs:
            await (await w.guild.fetch_scheduled_event(int(theirs["id"]))).delete()

    assert (no_create.value.status, no_create.value.code) == (403, 50013)
    assert edited.name == "Mine, edited"
    assert not_theirs.value.code == 50013


async def test_interested_users_are_listed_and_counted() -> None:
    async with connected() as w:
        made = await w.create()
        fans = [w.fake.add_user(username=f"fan{n}") for n in range(3)]
        for fan in fans:
            w.fake_guild.add_member(fan)
            w.fake.mark_interested(w.fake_guild, made.id, fan)
        users = [u async for u in made.users()]
        counted = await w.guild.fetch_scheduled_event(made.id, with_counts=True)
        route = discord.http.Route(
            "GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users", guild_id=GUILD_ID, event_id=made.id
        )
        with pytest.raises(discord.HTTPException) as bad_limit:
            await w.client.http.request(route, params={"limit": 101})

    assert sorted(u.id for u in users) == sorted(f.id for f in fans)
    assert counted.user_count == 3
    assert bad_limit.value.code == 50035


async def test_dispatches_go_only_to_clients_with_the_scheduled_events_intent() -> None:
    async with connected(intent=False) as w:
        await w.create()
        await w.create(name="Second")
        await w.client.wait_until_ready()

    assert w.client.seen == []
    assert len(w.fake.scheduled_events_in(w.fake_guild)) == 2
