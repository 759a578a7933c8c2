"""The fake Discord's roles against a bare, unmodified discord.py client: creating, editing
and deleting roles, giving and taking them from members, behind MANAGE_ROLES and the role
hierarchy, with Discord's error codes, and the gateway events that keep discord.py's cache
right."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest

from testing.fakediscord import FakeDiscord, FakeGuild, FakeRole, FakeUser, pointed_at
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS, MANAGE_ROLES
from testing.fakediscord.role_routes import MAX_ROLES

TOKEN = "fake-token"
GUILD_ID = 1_170_000_000_000_000_001
FAN_ID = 1_170_000_000_000_000_100


@dataclass
class RoleWorld:
    fake: FakeDiscord
    guild: FakeGuild
    fan: FakeUser
    # A role above the bot's own (position 5) and one below it (position 1).
    high: FakeRole
    client: discord.Client

    @property
    def cached(self) -> discord.Guild:
        found = self.client.get_guild(self.guild.id)
        assert found is not None
        return found


async def _world(*, manage_roles: bool) -> AsyncIterator[RoleWorld]:
    fake = FakeDiscord(bot_token=TOKEN)
    permissions = DEFAULT_BOT_PERMISSIONS | (MANAGE_ROLES if manage_roles else 0)
    guild = fake.add_guild(GUILD_ID, name="Endurance fans", bot_permissions=permissions)
    fan = fake.add_user(FAN_ID, "fan")
    guild.add_member(fan)
    high = guild.add_role(name="Marshals", position=5)
    intents = discord.Intents.default()
    intents.members = True  # GUILD_MEMBER_UPDATE, and the members in GUILD_CREATE
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)
    await fake.start()
    with pointed_at(fake):
        runner = asyncio.create_task(client.start(TOKEN))
        await fake.wait_until(lambda: client.is_ready() or runner.done(), 5, "the client's on_ready")
        if runner.done():
            runner.result()
        try:
            yield RoleWorld(fake, guild, fan, high, client)
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 5)
            await fake.stop()


@pytest.fixture
async def world() -> AsyncIterator[RoleWorld]:
    async for w in _world(manage_roles=True):
        yield w


@pytest.fixture
async def powerless() -> AsyncIterator[RoleWorld]:
    async for w in _world(manage_roles=False):
        yield w


async def test_a_new_role_goes_just_above_everyone_and_reaches_the_cache(world: RoleWorld) -> None:
    role = await world.cached.create_role(name="WEC pings", mentionable=True, reason="pings by series")

    made = world.guild.roles[role.id]
    assert (made.name, made.position, made.mentionable, made.permissions) == ("WEC pings", 1, True, 0)
    # The roles at or above position 1 moved up one, the bot's among them.
    assert world.guild.bot_role.position == 2
    assert world.high.position == 6
    [request] = world.fake.requests_to("POST", f"/guilds/{GUILD_ID}/roles")
    assert request.headers["X-Audit-Log-Reason"] == "pings by series"
    cached = await world.fake.wait_until(lambda: world.cached.get_role(role.id), what="GUILD_ROLE_CREATE")
    await world.fake.wait_until(lambda: world.cached.me.top_role.position == 2, what="GUILD_ROLE_UPDATE")
    assert cached < world.cached.me.top_role


async def test_roles_need_manage_roles(powerless: RoleWorld) -> None:
    with pytest.raises(discord.Forbidden) as created:
        await powerless.cached.create_role(name="WEC pings")
    member = await powerless.cached.fetch_member(FAN_ID)
    with pytest.raises(discord.Forbidden) as given:
        await member.add_roles(discord.Object(id=powerless.high.id))

    assert created.value.code == given.value.code == 50013
    assert len(powerless.guild.roles) == 3  # @everyone, the bot's, Marshals


async def test_bad_role_fields_are_refused_with_discords_form_errors(world: RoleWorld) -> None:
    with pytest.raises(discord.HTTPException) as long_name:
        await world.cached.create_role(name="x" * 101)
    with pytest.raises(discord.Forbidden) as beyond_mine:
        await world.cached.create_role(name="Admins", permissions=discord.Permissions(administrator=True))

    assert (long_name.value.status, long_name.value.code) == (400, 50035)
    assert "name" in long_name.value.text
    assert beyond_mine.value.code == 50013


async def test_a_guild_holds_at_most_250_roles(world: RoleWorld) -> None:
    while len(world.guild.roles) < MAX_ROLES:
        world.guild.roles[world.fake.ids.next()] = FakeRole(world.fake.ids.next(), GUILD_ID, "filler")

    with pytest.raises(discord.HTTPException) as full:
        await world.cached.create_role(name="WEC pings")

    assert (full.value.status, full.value.code) == (400, 30005)


async def test_a_member_is_given_and_taken_a_role_below_the_bots_own(world: RoleWorld) -> None:
    role = await world.cached.create_role(name="IMSA pings")
    member = await world.cached.fetch_member(FAN_ID)

    await member.add_roles(role, reason="picked IMSA")
    assert world.guild.members[FAN_ID].roles == [role.id]
    cached = await world.fake.wait_until(
        lambda: (m := world.cached.get_member(FAN_ID)) is not None and role in m.roles and m,
        what="GUILD_MEMBER_UPDATE",
    )
    await member.add_roles(role)  # already held: nothing changes
    updates = [r for r in world.fake.requests_to("PUT", "/guilds/*/members/*/roles/*") if r.status == 204]
    assert len(updates) == 2

    await cached.remove_roles(role)
    assert world.guild.members[FAN_ID].roles == []


async def test_roles_above_the_bot_managed_unknown_or_everyone_are_refused(world: RoleWorld) -> None:
    member = await world.cached.fetch_member(FAN_ID)
    refused: dict[str, tuple[int, int]] = {}
    for what, role_id in {
        "above": world.high.id,
        "managed": world.guild.bot_role.id,
        "unknown": 1_170_000_000_000_009_999,
        "everyone": GUILD_ID,
    }.items():
        with pytest.raises(discord.HTTPException) as exc:
            await member.add_roles(discord.Object(id=role_id))
        refused[what] = (exc.value.status, exc.value.code)

    assert refused == {
        "above": (403, 50013),
        "managed": (403, 50013),
        "unknown": (404, 10011),
        "everyone": (404, 10011),
    }
    assert world.guild.members[FAN_ID].roles == []


async def test_the_same_position_ranks_the_older_role_higher(world: RoleWorld) -> None:
    # A moderator drags the bot's role down beside a younger role: still above it, by id.
    younger = world.guild.add_role(name="Fans", position=1)
    world.fake.move_role(world.guild, world.guild.bot_role, 1)
    member = await world.cached.fetch_member(FAN_ID)
    await member.add_roles(discord.Object(id=younger.id))
    # Dragged to the bottom, below every role: refused.
    world.fake.move_role(world.guild, world.guild.bot_role, 0)
    with pytest.raises(discord.Forbidden):
        await member.remove_roles(discord.Object(id=younger.id))

    assert world.guild.members[FAN_ID].roles == [younger.id]


async def test_editing_and_deleting_roles_reach_the_cache_and_the_members(world: RoleWorld) -> None:
    role = await world.cached.create_role(name="ELMS pings")
    await world.fake.wait_until(lambda: world.cached.get_role(role.id), what="GUILD_ROLE_CREATE")
    edited = await role.edit(name="ELMS fans", mentionable=True)
    assert edited is not None
    assert edited.name == "ELMS fans"
    await world.fake.wait_until(
        lambda: (r := world.cached.get_role(role.id)) is not None and r.name == "ELMS fans",
        what="GUILD_ROLE_UPDATE",
    )
    member = await world.cached.fetch_member(FAN_ID)
    await member.add_roles(role)

    await role.delete(reason="no longer")
    await world.fake.wait_until(lambda: world.cached.get_role(role.id) is None, what="GUILD_ROLE_DELETE")
    assert world.guild.members[FAN_ID].roles == []
    with pytest.raises(discord.NotFound) as again:
        await role.delete()
    assert again.value.code == 10011
    with pytest.raises(discord.HTTPException) as everyone:
        await world.cached.default_role.delete()
    assert (everyone.value.status, everyone.value.code) == (400, 50028)
    with pytest.raises(discord.Forbidden):
        await world.cached.get_role(world.high.id).delete()  # type: ignore[union-attr]


async def test_a_moderator_deleting_a_role_is_announced(world: RoleWorld) -> None:
    deleted: list[int] = []

    async def on_guild_role_delete(role: discord.Role) -> None:
        deleted.append(role.id)

    world.client.event(on_guild_role_delete)
    world.fake.delete_role(world.guild, world.high)

    await world.fake.wait_until(lambda: deleted, what="on_guild_role_delete")
    assert deleted == [world.high.id]
    assert world.high.id not in world.guild.roles
