"""What the fake Discord holds, and building the world it holds.

:class:`FakeDiscordState` keeps every piece of state (users, guilds, DM channels, messages,
synced commands, interactions, fault rules, the requests seen) and the calls that build and
look up the world (guilds, users, channels), the fake's addresses, and the waits on it. The
other concerns of :class:`~testing.fakediscord.server.FakeDiscord` are mixins on top of it:
faults and rate limits, messages, the REST routes, and the driver that acts as a user.
"""

# Tests read best as ``await fake.wait_ready(timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import random
from collections import deque
from collections.abc import Callable, Iterable
from typing import TypeVar

from aiohttp import web

from .gateway import GUILD_MEMBERS, Gateway
from .interactions import InteractionState
from .model import DM, FakeChannel, FakeGuild, FakeMember, FakeUser
from .permissions import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS
from .records import (
    API_PREFIX,
    BucketState,
    DelayRule,
    FaultRule,
    HeldRequest,
    HoldRule,
    RequestRecord,
    RouteLimit,
)
from .rest import JSON, Route, RouteSpec
from .sharding import recommended_shards as shards_for_guilds
from .sharding import spread_guild_id
from .snowflake import SnowflakeGenerator
from .waiting import Changes

T = TypeVar("T")


class FakeDiscordState:
    """The state of a local Discord for one discord.py client; see the package docstring."""

    def __init__(
        self,
        bot_token: str = "fake-token",
        application_id: int | None = None,
        bot_user_id: int | None = None,
        *,
        bot_name: str = "fanbot",
        host: str = "127.0.0.1",
        port: int = 0,
        global_limit_per_second: int | None = 50,
        nonce_window_seconds: float = 300.0,
        interaction_deadline_seconds: float = 3.0,
        followup_window_seconds: float = 15 * 60.0,
        heartbeat_interval_ms: int = 41_250,
        gateway_compression: bool = False,
        attachment_size_limit: int = 10 * 1024 * 1024,
        require_mutual_guild_for_dm: bool = True,
        recommended_shard_count: int | None = None,
        max_concurrency: int = 1,
        identify_interval_seconds: float = 5.0,
        reject_early_identify: bool = False,
        max_guilds_per_shard: int = 2500,
        session_start_total: int = 1000,
    ) -> None:
        self.ids = SnowflakeGenerator()
        self.bot_token = bot_token
        self.application_id = application_id if application_id is not None else self.ids.next()
        self.bot_user = FakeUser(
            bot_user_id if bot_user_id is not None else self.application_id, bot_name, bot=True
        )
        self.owner = FakeUser(self.ids.next(), "app-owner")
        self.host = host
        self._wanted_port = port
        self.port = 0
        self.global_limit_per_second = global_limit_per_second
        self.nonce_window_seconds = nonce_window_seconds
        self.interaction_deadline_seconds = interaction_deadline_seconds
        self.followup_window_seconds = followup_window_seconds
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.gateway_compression = gateway_compression
        self.attachment_size_limit = attachment_size_limit
        self.require_mutual_guild_for_dm = require_mutual_guild_for_dm

        # Sharding (sharding.py, gateway.py): what GET /gateway/bot says and the gateway enforces.
        # None: one shard per 1,000 guilds.
        self.recommended_shard_count = recommended_shard_count
        self.max_concurrency = max_concurrency
        # Discord allows one IDENTIFY per bucket per 5 s; every earlier one is recorded in
        # gateway.identify_violations, and answered op 9 (not READY) with reject_early_identify.
        # Off by default: tests that restart a bot within 5 s would each wait 5 s more.
        self.identify_interval_seconds = identify_interval_seconds
        self.reject_early_identify = reject_early_identify
        self.max_guilds_per_shard = max_guilds_per_shard
        self.session_start_total = session_start_total
        self._auto_guilds = 0

        # The world, its messages and uploaded files (messages.py), the nonces seen (channel_routes.py).
        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user, self.owner.id: self.owner}
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self._messages: dict[int, list[JSON]] = {}
        self._message_index: dict[int, JSON] = {}
        self._files: dict[int, tuple[str, bytes, str | None]] = {}
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

        # What the bot sent and did: requests, synced commands, interactions (driver.py).
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[tuple[str, str]] = []
        self.rate_limited_count = 0
        self.nonce_dedupes = 0
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.sync_count = 0
        self.interactions: list[InteractionState] = []
        self._interactions_by_id: dict[int, InteractionState] = {}
        self._interactions_by_token: dict[str, InteractionState] = {}

        # Faults and rate limits (faults.py).
        self._fail_rules: list[FaultRule] = []
        self._delay_rules: list[DelayRule] = []
        self._hold_rules: list[HoldRule] = []
        self._ratio: tuple[float, tuple[int, ...], random.Random, str, str] | None = None
        self._held: list[HeldRequest] = []
        self._global_window: deque[float] = deque()
        self._route_limits: list[RouteLimit] = []
        self._buckets: dict[tuple[str, str], BucketState] = {}

        self.gateway = Gateway(self)
        self._changes = Changes()
        self._runner: web.AppRunner | None = None

        # The route table binds the handlers of every mixin: FakeDiscord.start() builds it.
        self._routes: list[Route] = []

    # ==== routes of optional features =============================================================

    def _feature_routes(self) -> list[RouteSpec]:
        """Routes added by feature mixins (scheduled events, threads, roles...): each mixin
        returns ``[*super()._feature_routes(), ...its own]``, so a feature is one module and
        one base of ``FakeDiscord``, with no edit to the main route table."""
        return []

    # ==== world building ==========================================================================

    def add_guild(
        self,
        guild_id: int | None = None,
        name: str = "Guild",
        *,
        locale: str = "en-US",
        owner: FakeUser | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
    ) -> FakeGuild:
        """A guild the bot is in. Added while the bot is connected, it arrives as GUILD_CREATE
        (the bot "joined") on its shard. Without ``guild_id``, guilds get ids that spread them
        evenly over shards (:func:`~testing.fakediscord.sharding.spread_guild_id`)."""
        gid = guild_id if guild_id is not None else self._next_guild_id()
        guild = FakeGuild(
            gid,
            name,
            locale=locale,
            ids=self.ids,
            bot_user=self.bot_user,
            owner_id=owner.id if owner is not None else None,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
            emit=self._emit,
        )
        self.guilds[gid] = guild
        if owner is not None:
            self.users.setdefault(owner.id, owner)
            guild.add_member(owner)
        for session in list(self.gateway.live.values()):
            if session.covers(gid):
                session.record("GUILD_CREATE", self.guild_create_payload(guild, session.intents))
        self._changed()
        return guild

    def _next_guild_id(self) -> int:
        while True:
            gid = spread_guild_id(self._auto_guilds)
            self._auto_guilds += 1
            if gid not in self.guilds:
                return gid

    def recommended_shards(self) -> int:
        """The ``shards`` of ``GET /gateway/bot``: ``recommended_shard_count``, or one per
        1,000 guilds."""
        if self.recommended_shard_count is not None:
            return self.recommended_shard_count
        return shards_for_guilds(len(self.guilds))

    def add_user(
        self,
        user_id: int | None = None,
        username: str = "user",
        *,
        global_name: str | None = None,
        bot: bool = False,
        accepts_dms: bool = True,
    ) -> FakeUser:
        uid = user_id if user_id is not None else self.ids.next()
        user = FakeUser(uid, username, global_name=global_name, bot=bot, accepts_dms=accepts_dms)
        self.users[uid] = user
        return user

    def guild(self, guild: FakeGuild | int) -> FakeGuild:
        return guild if isinstance(guild, FakeGuild) else self.guilds[guild]

    def user(self, user: FakeUser | FakeMember | int) -> FakeUser:
        if isinstance(user, FakeMember):
            return user.user
        return user if isinstance(user, FakeUser) else self.users[user]

    def channel(self, channel_id: int) -> FakeChannel | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        for dm in self.dm_channels.values():
            if dm.id == channel_id:
                return dm
        return None

    def open_dm(self, user: FakeUser | int) -> FakeChannel:
        """The DM channel between the bot and ``user`` (one per user, created on first use)."""
        u = self.user(user)
        dm = self.dm_channels.get(u.id)
        if dm is None:
            dm = FakeChannel(self.ids.next(), "", DM, recipient=u)
            self.dm_channels[u.id] = dm
        return dm

    def _emit(self, event: str, data: JSON, guild_id: int | None) -> None:
        self.gateway.dispatch(event, data, guild_id)
        self._changed()

    def _changed(self) -> None:
        self._changes.bump()

    # ==== payloads ==================================================================================

    def bot_user_json(self) -> JSON:
        data = self.bot_user.to_json()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US", bot=True)
        return data

    def guild_create_payload(self, guild: FakeGuild, intents: int) -> JSON:
        """Guild members beyond the bot only come with the GUILD_MEMBERS intent."""
        members = list(guild.members.values()) if intents & GUILD_MEMBERS else [guild.bot_member]
        return guild.to_json(members=members, gateway=True)

    # ==== addresses and readiness ===================================================================

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a bot in another process."""
        return {"DISCORD_API_BASE_URL": self.api_base_url, "DISCORD_GATEWAY_URL": self.gateway_url}

    async def wait_ready(
        self, timeout: float = 5.0, shard_count: int | None = None, shard_ids: Iterable[int] | None = None
    ) -> None:
        """Until every shard of the bot (or only ``shard_ids``, the shards of one process)
        identified (or resumed) and is connected."""
        wanted = None if shard_ids is None else list(shard_ids)

        def ready() -> bool:
            shards = self.gateway.ready_shards()
            counts = {n for _, n in shards} if shard_count is None else {shard_count}
            return any(
                all((i, n) in shards for i in (range(n) if wanted is None else wanted)) for n in counts
            )

        await self._changes.wait_for(ready, timeout, "the bot's gateway session(s)")

    async def wait_shard_ready(self, guild: FakeGuild | int | None, timeout: float = 5.0) -> None:
        """Until the session of ``guild``'s shard (shard 0 for DMs, ``None``) is connected,
        whichever process holds it."""
        gid = guild.id if isinstance(guild, FakeGuild) else guild
        what = f"the gateway session of guild {gid}'s shard" if gid is not None else "shard 0's session"
        await self._changes.wait_for(lambda: self.gateway.connected_for(gid), timeout, what)

    # ==== inspection ================================================================================

    def requests_to(self, method: str, path_glob: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.matches(method, path_glob)]

    @property
    def commands(self) -> dict[str, JSON]:
        """Synced chat-input commands by name: global ones, then guild ones they don't shadow."""
        out: dict[str, JSON] = {}
        for cmd in self.global_commands:
            out.setdefault(cmd["name"], copy.deepcopy(cmd))
        for cmds in self.guild_commands.values():
            for cmd in cmds:
                out.setdefault(cmd["name"], copy.deepcopy(cmd))
        return out

    async def wait_until(
        self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "a condition"
    ) -> T:
        """Wait until ``predicate()`` is truthy: re-checked on every change in the fake and every
        20 ms, so it may look at the bot's state too."""
        return await self._changes.wait_for(predicate, timeout, what, poll=0.02)

    async def wait_for_request(
        self, method: str, path_glob: str, *, count: int = 1, timeout: float = 5.0, answered: bool = False
    ) -> RequestRecord:
        """The ``count``-th request matching (answered ones only with ``answered``)."""

        def found() -> RequestRecord | None:
            hits = [
                r for r in self.requests_to(method, path_glob) if not answered or r.answered_at is not None
            ]
            return hits[count - 1] if len(hits) >= count else None

        return await self._changes.wait_for(found, timeout, f"{count} request(s) {method} {path_glob}")
