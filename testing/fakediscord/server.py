"""FakeDiscord: REST API v10 and gateway on 127.0.0.1 for the unmodified discord.py client.

Why a fake server rather than patching discord.py: everything between the bot's code and the
wire (discord.py's HTTP client, its rate-limit handling and retries, the gateway reconnect and
RESUME logic, multipart uploads) runs for real. The fake keeps the state a user would see
(messages per channel, DMs, the synced command schema), drives the bot like a user (slash
commands, autocomplete, buttons) and injects the failures that are hard to get from Discord on
demand (5xx, 429 with and without the global flag, slow answers, answers that never come after
a message was accepted, dropped websockets).
"""

# Tests read best as ``await fake.slash(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
import mimetypes
import random
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from .gateway import GUILD_MEMBERS, Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionResult,
    InteractionState,
    InteractionTimeout,
    NotInvocable,
    OptionBuilder,
    check_visible,
    find_command,
    find_component,
)
from .model import DM, FakeChannel, FakeGuild, FakeMember, FakeUser
from .permissions import (
    ATTACH_FILES,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM_PERMISSIONS,
    MANAGE_MESSAGES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    has_all,
)
from .records import (
    API_PREFIX,
    BucketState,
    DelayRule,
    FaultRule,
    HeldRequest,
    HoldRule,
    RequestRecord,
    RouteLimit,
    UploadedFile,
)
from .snowflake import SnowflakeGenerator, iso_now
from .validation import (
    EPHEMERAL,
    LOADING,
    DiscordError,
    FormErrors,
    check_choices,
    check_commands,
    check_message,
)
from .waiting import Changes

log = logging.getLogger("fakediscord")

T = TypeVar("T")

JSON = dict[str, Any]

BOT = "bot"  # needs "Authorization: Bot <token>"; counts towards the global limit
TOKEN = "token"  # interaction/webhook token in the URL; no Authorization, not globally limited
NONE = "none"

#: Flags a bot may set when creating a message: SUPPRESS_EMBEDS, EPHEMERAL (interactions only),
#: SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)
RECORDED_HEADERS = ("Authorization", "Content-Type", "User-Agent", "X-Audit-Log-Reason")

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    request: web.Request
    record: RequestRecord
    params: dict[str, str]

    @property
    def body(self) -> JSON:
        return self.record.json if isinstance(self.record.json, dict) else {}


Handler = Callable[[Ctx], Awaitable[Reply]]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: str
    login: bool = False


def _json_response(reply: Reply) -> web.Response:
    """Content-Type exactly ``application/json``: with a charset discord.py reads the body as text."""
    if reply.status == 204 or reply.body is None:
        return web.Response(status=reply.status, headers=reply.headers)
    body = json.dumps(reply.body, separators=(",", ":")).encode()
    return web.Response(
        status=reply.status, body=body, headers={**reply.headers, "Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> DiscordError:
    return DiscordError(status, code, message)


def _message_body(status: int) -> str:
    try:
        return f"{status}: {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status}: Error"


class FakeDiscord:
    """A local Discord for one discord.py client. See the package docstring for the API."""

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

        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user, self.owner.id: self.owner}
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self._messages: dict[int, list[JSON]] = {}
        self._message_index: dict[int, JSON] = {}
        self._files: dict[int, tuple[str, bytes, str | None]] = {}
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

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
        self._routes = self._build_routes()

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
        (the bot "joined")."""
        gid = guild_id if guild_id is not None else self.ids.next()
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

    # ==== lifecycle =================================================================================

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

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch_http)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._wanted_port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        log.debug("fake Discord listening on %s", self.base_url)

    async def stop(self) -> None:
        self.release_held()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_ready(self, timeout: float = 5.0, shard_count: int | None = None) -> None:
        """Until every shard of the bot identified (or resumed) and is connected."""

        def ready() -> bool:
            shards = self.gateway.ready_shards()
            counts = {n for _, n in shards} if shard_count is None else {shard_count}
            return any(all((i, n) in shards for i in range(n)) for n in counts)

        await self._changes.wait_for(ready, timeout, "the bot's gateway session(s)")

    # ==== HTTP plumbing =============================================================================

    def _build_routes(self) -> list[Route]:
        webhook_message = r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)"
        table: list[tuple[str, str, Handler, str, bool]] = [
            ("GET", r"/users/@me", self._get_me, BOT, True),
            ("GET", r"/oauth2/applications/@me", self._get_application, BOT, True),
            ("GET", r"/applications/@me", self._get_application, BOT, True),
            ("GET", r"/gateway", self._get_gateway, NONE, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, BOT, False),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user, BOT, False),
            ("POST", r"/users/@me/channels", self._open_dm, BOT, False),
            ("GET", r"/applications/(?P<app_id>\d+)/commands", self._get_commands, BOT, False),
            ("PUT", r"/applications/(?P<app_id>\d+)/commands", self._put_commands, BOT, False),
            ("POST", r"/applications/(?P<app_id>\d+)/commands", self._post_command, BOT, False),
            (
                "GET",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._get_commands,
                BOT,
                False,
            ),
            (
                "PUT",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._put_commands,
                BOT,
                False,
            ),
            (
                "POST",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._post_command,
                BOT,
                False,
            ),
            (
                "DELETE",
                r"/applications/(?P<app_id>\d+)/commands/(?P<command_id>\d+)",
                self._delete_command,
                BOT,
                False,
            ),
            (
                "DELETE",
                r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands/(?P<command_id>\d+)",
                self._delete_command,
                BOT,
                False,
            ),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._callback,
                TOKEN,
                False,
            ),
            ("POST", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)", self._followup, TOKEN, False),
            ("GET", webhook_message, self._webhook_get, TOKEN, False),
            ("PATCH", webhook_message, self._webhook_edit, TOKEN, False),
            ("DELETE", webhook_message, self._webhook_delete, TOKEN, False),
            ("GET", r"/channels/(?P<channel_id>\d+)", self._get_channel, BOT, False),
            ("GET", r"/channels/(?P<channel_id>\d+)/messages", self._history, BOT, False),
            ("POST", r"/channels/(?P<channel_id>\d+)/messages", self._create_message, BOT, False),
            (
                "GET",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._get_message,
                BOT,
                False,
            ),
            (
                "PATCH",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._edit_message,
                BOT,
                False,
            ),
            (
                "DELETE",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._delete_message,
                BOT,
                False,
            ),
            ("POST", r"/channels/(?P<channel_id>\d+)/typing", self._typing, BOT, False),
            ("GET", r"/guilds/(?P<guild_id>\d+)", self._get_guild, BOT, False),
            ("GET", r"/guilds/(?P<guild_id>\d+)/roles", self._get_roles, BOT, False),
            ("GET", r"/guilds/(?P<guild_id>\d+)/channels", self._get_guild_channels, BOT, False),
            ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", self._get_member, BOT, False),
        ]
        return [Route(m, re.compile(f"^{p}$"), h, a, login) for m, p, h, a, login in table]

    async def _dispatch_http(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.gateway.handle(request)
        if request.method == "GET" and request.path.startswith("/attachments/"):
            return self._serve_file(request)
        return await self._handle_api(request)

    def _serve_file(self, request: web.Request) -> web.Response:
        parts = request.path.split("/")
        try:
            _, content, content_type = self._files[int(parts[3])]
        except (IndexError, ValueError, KeyError):
            return _json_response(Reply(404, {"message": "404: Not Found", "code": 0}))
        return web.Response(
            body=content, headers={"Content-Type": content_type or "application/octet-stream"}
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX) :] or "/"
        record = RequestRecord(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=None,
            headers={k: request.headers[k] for k in RECORDED_HEADERS if k in request.headers},
            time=time.monotonic(),
        )
        self.requests.append(record)
        held: HeldRequest | None = None
        try:
            await self._read_body(request, record)
            if not request.path.startswith(API_PREFIX + "/"):
                self.unknown_routes.append((request.method, request.path))
                reply = Reply(404, {"message": "404: Not Found", "code": 0})
            else:
                reply, held = await self._process(request, record)
        except DiscordError as exc:
            reply = Reply(exc.status, exc.body)
        record.status = reply.status
        record.response = reply.body
        response = _json_response(reply)
        self._changed()
        if held is not None:
            await held.release.wait()
        record.answered_at = time.monotonic()
        self._changed()
        return response

    async def _read_body(self, request: web.Request, record: RequestRecord) -> None:
        if not request.can_read_body:
            return
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                raw = bytes(await part.read(decode=False))
                name = part.name or ""
                if name == "payload_json":
                    record.json = self._parse_json(raw)
                elif part.filename:
                    record.files.append(
                        UploadedFile(name, part.filename, part.headers.get("Content-Type"), raw)
                    )
            return
        raw = await request.read()
        if raw:
            record.json = self._parse_json(raw)

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return route, m.groupdict()
        return None

    async def _process(self, request: web.Request, record: RequestRecord) -> tuple[Reply, HeldRequest | None]:
        for rule in list(self._delay_rules):
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._delay_rules.remove(rule)
                await asyncio.sleep(rule.seconds)
        found = self._match(record.method, record.path)
        if found is None:
            self.unknown_routes.append((record.method, record.path))
            log.warning("fake Discord has no route for %s %s", record.method, record.path)
            return Reply(404, {"message": "404: Not Found", "code": 0}), None
        route, params = found
        auth = request.headers.get("Authorization")
        record.bot_auth = auth is not None and auth.startswith("Bot ")
        if route.auth == BOT and auth != f"Bot {self.bot_token}":
            return Reply(401, {"message": "401: Unauthorized", "code": 0}), None
        fault = self._take_fault(record, route)
        if fault is not None:
            return fault, None
        if route.auth == BOT and self.global_limit_per_second is not None:
            limited = self._global_limit()
            if limited is not None:
                record.fault = "global-rate-limit"
                return limited, None
        bucket_headers, limited = self._route_limit(record)
        if limited is not None:
            record.fault = "route-rate-limit"
            return limited, None
        try:
            reply = await route.handler(Ctx(request, record, params))
        except DiscordError as exc:
            reply = Reply(exc.status, exc.body)
        reply.headers.update(bucket_headers)
        held = None
        if 200 <= reply.status < 300:
            held = self._take_hold(record)
        return reply, held

    # ==== faults ====================================================================================

    def fail_next(
        self,
        method: str,
        path_glob: str,
        status: int,
        times: int = 1,
        *,
        code: int = 0,
        retry_after: float | None = None,
        global_: bool = False,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of handling them.

        Nothing is stored for a failed request. A 429 looks like Discord's (JSON retry_after and
        global, Retry-After, X-RateLimit-Scope and Via headers), so discord.py waits and retries.
        """
        self._fail_rules.append(
            FaultRule(method, path_glob, status, times, code, retry_after, global_, message)
        )

    def fail_ratio(
        self,
        p: float,
        statuses: Iterable[int] = (500, 503, 429),
        seed: int | None = None,
        *,
        method: str = "*",
        path_glob: str = "*",
    ) -> None:
        """Fail a random fraction ``p`` of API requests (login excluded); ``p=0`` switches it off."""
        self._ratio = None if p <= 0 else (p, tuple(statuses), random.Random(seed), method, path_glob)

    def delay(self, method: str, path_glob: str, seconds: float, times: int | None = None) -> None:
        """Answer matching requests ``seconds`` late (before handling them)."""
        self._delay_rules.append(DelayRule(method, path_glob, seconds, times))

    def hold_after_accept(
        self, method: str = "POST", path_glob: str = "/channels/*/messages", times: int | None = 1
    ) -> None:
        """Handle matching requests fully (the message is stored and announced) but keep the
        response until :meth:`release_held`: Discord accepted it, the bot never heard back."""
        self._hold_rules.append(HoldRule(method, path_glob, times))

    async def wait_held(self, timeout: float = 5.0) -> RequestRecord:
        held = await self._changes.wait_for(
            lambda: next((h for h in self._held if not h.release.is_set()), None), timeout, "a held request"
        )
        return held.record

    def release_held(self) -> int:
        """Let every held response go and stop holding new ones; returns how many were held."""
        count = 0
        for held in self._held:
            if not held.release.is_set():
                held.release.set()
                count += 1
        self._held.clear()
        self._hold_rules.clear()
        self._changed()
        return count

    @property
    def held_requests(self) -> list[RequestRecord]:
        return [h.record for h in self._held if not h.release.is_set()]

    def clear_faults(self) -> None:
        self._fail_rules.clear()
        self._delay_rules.clear()
        self._ratio = None
        self.release_held()

    def set_route_limit(
        self, method: str, path_glob: str, limit: int, per_seconds: float, *, bucket: str | None = None
    ) -> None:
        """A per-route bucket with X-RateLimit-* headers, per major parameter (channel, guild,
        webhook). ``set_route_limit("POST", "/channels/*/messages", 5, 5.0)`` is Discord's."""
        self._route_limits.append(
            RouteLimit(method, path_glob, limit, per_seconds, bucket or secrets.token_hex(8))
        )

    async def drop_websocket(self, code: int | None = None) -> int:
        """Cut the gateway connection(s) so the client reconnects and RESUMEs; returns how many.
        ``code=None`` aborts the TCP connection; a code sends a close frame with it."""
        return await self.gateway.drop(code)

    def send_reconnect(self) -> int:
        """Op 7: ask the client to reconnect and resume."""
        return self.gateway.send_op(7, None)

    def invalidate_session(self, *, resumable: bool = False) -> int:
        """Op 9: the session is gone (or, with ``resumable``, may be resumed)."""
        return self.gateway.invalidate(resumable=resumable)

    def _rate_limited(self, retry_after: float, *, global_: bool, scope: str) -> Reply:
        self.rate_limited_count += 1
        retry = max(0.001, math.ceil(retry_after * 1000) / 1000)
        headers = {
            "Retry-After": str(max(1, math.ceil(retry))),
            "X-RateLimit-Scope": scope,
            "Via": "1.1 google",
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": global_, "code": 0}
        return Reply(429, body, headers)

    def _fault_reply(
        self, status: int, *, code: int, retry_after: float | None, global_: bool, message: str | None
    ) -> Reply:
        if status == 429:
            return self._rate_limited(
                0.05 if retry_after is None else retry_after,
                global_=global_,
                scope="global" if global_ else "user",
            )
        return Reply(status, {"message": message or _message_body(status), "code": code})

    def _take_fault(self, record: RequestRecord, route: Route) -> Reply | None:
        for rule in self._fail_rules:
            if rule.remaining is not None and rule.remaining <= 0:
                continue
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                self._fail_rules = [r for r in self._fail_rules if r.remaining is None or r.remaining > 0]
                record.fault = f"fail_next {rule.status}"
                return self._fault_reply(
                    rule.status,
                    code=rule.code,
                    retry_after=rule.retry_after,
                    global_=rule.global_,
                    message=rule.message,
                )
        if self._ratio is not None and not route.login:
            p, statuses, rng, method, glob = self._ratio
            if record.matches(method, glob) and rng.random() < p:
                status = rng.choice(statuses)
                record.fault = f"fail_ratio {status}"
                return self._fault_reply(status, code=0, retry_after=None, global_=False, message=None)
        return None

    def _global_limit(self) -> Reply | None:
        assert self.global_limit_per_second is not None
        now = time.monotonic()
        window = self._global_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.global_limit_per_second:
            return self._rate_limited(window[0] + 1.0 - now, global_=True, scope="global")
        window.append(now)
        return None

    @staticmethod
    def _major(path: str) -> str:
        m = re.match(r"^/(channels|guilds)/(\d+)", path) or re.match(r"^/(webhooks)/(\d+/[^/]+)", path)
        return f"{m.group(1)}:{m.group(2)}" if m else ""

    def _route_limit(self, record: RequestRecord) -> tuple[dict[str, str], Reply | None]:
        for lim in self._route_limits:
            if not record.matches(lim.method, lim.path_glob):
                continue
            key = (lim.bucket, self._major(record.path))
            now = time.monotonic()
            state = self._buckets.get(key)
            if state is None or now >= state.window_start + lim.per_seconds:
                state = self._buckets[key] = BucketState(now)
            reset_after = state.window_start + lim.per_seconds - now
            if state.count >= lim.limit:
                reply = self._rate_limited(reset_after, global_=False, scope="user")
                reply.headers.update(self._bucket_headers(lim, 0, reset_after))
                return {}, reply
            state.count += 1
            return self._bucket_headers(lim, lim.limit - state.count, reset_after), None
        return {}, None

    @staticmethod
    def _bucket_headers(lim: RouteLimit, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(lim.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": lim.bucket,
        }

    def _take_hold(self, record: RequestRecord) -> HeldRequest | None:
        for rule in self._hold_rules:
            if rule.remaining is not None and rule.remaining <= 0:
                continue
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                record.held = True
                held = HeldRequest(record, asyncio.Event())
                self._held.append(held)
                return held
        return None

    # ==== inspection ================================================================================

    def requests_to(self, method: str, path_glob: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.matches(method, path_glob)]

    def message(self, message_id: int | str) -> JSON | None:
        """A stored message (copy, attachments with their ``content`` bytes), or None if deleted."""
        msg = self._message_index.get(int(message_id))
        return None if msg is None else copy.deepcopy(msg)

    def messages_in(self, channel: FakeChannel | int, *, include_ephemeral: bool = False) -> list[JSON]:
        """Messages of a channel, oldest first, as the channel's members see them (ephemeral
        interaction answers only with ``include_ephemeral``)."""
        cid = channel.id if isinstance(channel, FakeChannel) else channel
        return [
            copy.deepcopy(m)
            for m in self._messages.get(cid, [])
            if include_ephemeral or not int(m.get("flags") or 0) & EPHEMERAL
        ]

    def dm_messages(self, user: FakeUser | int) -> list[JSON]:
        uid = user.id if isinstance(user, FakeUser) else user
        dm = self.dm_channels.get(uid)
        return [] if dm is None else self.messages_in(dm, include_ephemeral=True)

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

    async def wait_for_message(
        self,
        channel: FakeChannel | int,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        timeout: float = 5.0,
        include_ephemeral: bool = False,
    ) -> JSON:
        def found() -> JSON | None:
            for m in self.messages_in(channel, include_ephemeral=include_ephemeral):
                if predicate is None or predicate(m):
                    return m
            return None

        return await self._changes.wait_for(found, timeout, f"a message in channel {channel}")

    # ==== messages ==================================================================================

    @staticmethod
    def public(msg: JSON) -> JSON:
        """A message as it goes on the wire: attachment bytes stay in the fake."""
        out = copy.deepcopy(msg)
        for att in out.get("attachments") or []:
            att.pop("content", None)
        return out

    def _store_file(self, channel_id: int, filename: str, content: bytes, content_type: str | None) -> JSON:
        att_id = self.ids.next()
        ctype = content_type
        if not ctype or ctype == "application/octet-stream":
            ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            if ctype.startswith("text/"):
                ctype += "; charset=utf-8"
        self._files[att_id] = (filename, content, ctype)
        url = f"{self.base_url}/attachments/{channel_id}/{att_id}/{quote(filename)}"
        return {
            "id": str(att_id),
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
            "content": content,
        }

    def _attachments(
        self, channel_id: int, body: JSON, files: list[UploadedFile], existing: list[JSON]
    ) -> list[JSON]:
        total = sum(len(f.content) for f in files)
        if total > self.attachment_size_limit:
            raise _error(413, 40005, "Request entity too large")
        by_index: dict[int, UploadedFile] = {}
        for pos, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else pos] = f
        spec = body.get("attachments")
        new: list[tuple[UploadedFile, JSON | None]]
        if spec is None:
            kept = list(existing)
            new = [(upload, None) for upload in files]
        else:
            wanted = {str(a.get("id")) for a in spec}
            kept = [a for a in existing if str(a["id"]) in wanted]
            existing_ids = {str(a["id"]) for a in existing}
            new = []
            used: set[int] = set()
            for a in spec:
                aid = str(a.get("id"))
                if aid in existing_ids or not aid.isdigit():
                    continue
                upload = by_index.get(int(aid))
                if upload is not None:
                    new.append((upload, a))
                    used.add(int(aid))
            new.extend((upload, None) for i, upload in by_index.items() if i not in used)
        out = kept
        for upload, meta in new:
            filename = (meta or {}).get("filename") or upload.filename
            data = self._store_file(channel_id, filename, upload.content, upload.content_type)
            if meta and meta.get("description"):
                data["description"] = meta["description"]
            out.append(data)
        return out

    def _mentions(self, msg: JSON, body: JSON, guild: FakeGuild | None, author: FakeUser) -> None:
        content = msg.get("content") or ""
        allowed = body.get("allowed_mentions")

        def ok(kind: str, ident: str | None = None) -> bool:
            if allowed is None:
                return True
            if kind in (allowed.get("parse") or []):
                return True
            return ident is not None and ident in {str(x) for x in allowed.get(kind) or []}

        mentions = []
        for uid in dict.fromkeys(USER_MENTION.findall(content)):
            user = self.users.get(int(uid))
            if user is not None and ok("users", uid):
                data = user.to_json()
                if guild is not None and user.id in guild.members:
                    data["member"] = guild.members[user.id].to_json(with_user=False)
                mentions.append(data)
        roles = []
        if guild is not None:
            for rid in dict.fromkeys(ROLE_MENTION.findall(content)):
                if int(rid) in guild.roles and ok("roles", rid):
                    roles.append(rid)
        everyone = False
        if ("@everyone" in content or "@here" in content) and ok("everyone"):
            everyone = guild is None or guild.base_permissions(author.id) & MENTION_EVERYONE != 0
        msg.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone and guild is not None)

    def _new_message(
        self,
        channel: FakeChannel,
        body: JSON,
        files: list[UploadedFile],
        *,
        author: FakeUser,
        msg_type: int = 0,
        interaction: InteractionState | None = None,
        extra_flags: int = 0,
    ) -> JSON:
        mid = self.ids.next()
        flags = (int(body.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
        if interaction is None:
            flags &= ~EPHEMERAL
        msg: JSON = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.to_json(),
            "content": body.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel.id, body, files, []),
            "embeds": [self._embed(e) for e in body.get("embeds") or []],
            "components": copy.deepcopy(body.get("components") or []),
            "pinned": False,
            "type": msg_type,
            "flags": flags,
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            msg["message_reference"] = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel.id),
            }
            if channel.guild_id is not None:
                msg["message_reference"]["guild_id"] = str(channel.guild_id)
            referenced = self._message_index.get(int(ref["message_id"]))
            msg["referenced_message"] = None if referenced is None else self.public(referenced)
            if msg_type == 0:
                msg["type"] = 19
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            meta: JSON = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.to_json(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.command_name is not None and interaction.type == APPLICATION_COMMAND:
                meta["name"] = interaction.command_name
                meta["command_type"] = 1
            if interaction.component_message_id is not None:
                meta["interacted_message_id"] = str(interaction.component_message_id)
            if interaction.original_id is not None:
                meta["original_response_message_id"] = str(interaction.original_id)
            msg["interaction_metadata"] = meta
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        self._mentions(msg, body, guild, author)
        self._store(channel, msg)
        return msg

    @staticmethod
    def _embed(embed: JSON) -> JSON:
        out = copy.deepcopy(embed)
        out.setdefault("type", "rich")
        for f in out.get("fields") or []:
            f.setdefault("inline", False)
        return out

    def _store(self, channel: FakeChannel, msg: JSON) -> None:
        self._messages.setdefault(channel.id, []).append(msg)
        self._message_index[int(msg["id"])] = msg
        if not int(msg.get("flags") or 0) & EPHEMERAL:
            channel.last_message_id = int(msg["id"])
            self._announce("MESSAGE_CREATE", channel, msg)
        self._changed()

    def _announce(self, event: str, channel: FakeChannel, msg: JSON) -> None:
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        data = self.public(msg)
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
            guild = self.guilds.get(channel.guild_id)
            author_id = int(msg["author"]["id"])
            if guild is not None and author_id in guild.members and "webhook_id" not in msg:
                data["member"] = guild.members[author_id].to_json(with_user=False)
        self.gateway.dispatch(event, data, channel.guild_id)

    def _edit(self, channel: FakeChannel, msg: JSON, body: JSON, files: list[UploadedFile]) -> JSON:
        new_flags = int(msg.get("flags") or 0) | (int(body.get("flags") or 0) & SETTABLE_FLAGS & ~EPHEMERAL)
        merged: JSON = {
            "content": body.get("content", msg.get("content")),
            "embeds": body.get("embeds", msg.get("embeds")),
            "components": body.get("components", msg.get("components")),
            "flags": new_flags,
            "attachments": body.get("attachments", msg.get("attachments")),
        }
        was_loading = bool(int(msg.get("flags") or 0) & LOADING)
        check_message(merged, file_count=len(files), require_content=True)
        if "content" in body:
            msg["content"] = body.get("content") or ""
        if "embeds" in body:
            msg["embeds"] = [self._embed(e) for e in body.get("embeds") or []]
        if "components" in body:
            msg["components"] = copy.deepcopy(body.get("components") or [])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(channel.id, body, files, msg.get("attachments") or [])
        msg["flags"] = new_flags & ~LOADING
        if not was_loading:
            msg["edited_timestamp"] = iso_now()
        if "content" in body or "allowed_mentions" in body:
            guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
            self._mentions(msg, body, guild, self.user(int(msg["author"]["id"])))
        self._announce("MESSAGE_UPDATE", channel, msg)
        self._changed()
        return msg

    def _remove(self, channel: FakeChannel, msg: JSON) -> None:
        self._messages[channel.id] = [m for m in self._messages.get(channel.id, []) if m is not msg]
        self._message_index.pop(int(msg["id"]), None)
        if not int(msg.get("flags") or 0) & EPHEMERAL:
            data: JSON = {"id": msg["id"], "channel_id": str(channel.id)}
            if channel.guild_id is not None:
                data["guild_id"] = str(channel.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data, channel.guild_id)
        self._changed()

    async def user_says(
        self, channel: FakeChannel | int, user: FakeUser | FakeMember | int, content: str, **extra: Any
    ) -> JSON:
        """A user posts a message (MESSAGE_CREATE to the bot, subject to its intents)."""
        ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        if ch is None:
            raise ValueError(f"unknown channel {channel}")
        return self.public(self._new_message(ch, {"content": content, **extra}, [], author=self.user(user)))

    # ==== REST handlers: users, application, gateway ===============================================

    async def _get_me(self, ctx: Ctx) -> Reply:
        return Reply(200, self.bot_user_json())

    async def _get_application(self, ctx: Ctx) -> Reply:
        return Reply(
            200,
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.to_json(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "tags": [],
                "bot": self.bot_user_json(),
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            },
        )

    async def _get_gateway(self, ctx: Ctx) -> Reply:
        return Reply(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, ctx: Ctx) -> Reply:
        return Reply(
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    async def _get_user(self, ctx: Ctx) -> Reply:
        user = self.users.get(int(ctx.params["user_id"]))
        if user is None:
            raise _error(404, 10013, "Unknown User")
        return Reply(200, user.to_json())

    async def _open_dm(self, ctx: Ctx) -> Reply:
        rid = ctx.body.get("recipient_id")
        user = self.users.get(int(rid)) if rid is not None and str(rid).isdigit() else None
        if user is None or user.id == self.bot_user.id:
            raise _error(400, 50033, "Invalid Recipient(s)")
        return Reply(200, self.open_dm(user).to_json())

    # ==== REST handlers: commands ===================================================================

    def _command_list(self, ctx: Ctx) -> tuple[list[JSON], int | None]:
        if int(ctx.params["app_id"]) != self.application_id:
            raise _error(403, 50001, "Missing Access")
        gid = ctx.params.get("guild_id")
        if gid is None:
            return self.global_commands, None
        if int(gid) not in self.guilds:
            raise _error(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(int(gid), []), int(gid)

    def _normalise_command(self, cmd: JSON, guild_id: int | None, previous: JSON | None) -> JSON:
        stored = copy.deepcopy(cmd)
        stored["type"] = int(stored.get("type", 1))
        stored["application_id"] = str(self.application_id)
        perms = stored.get("default_member_permissions")
        stored["default_member_permissions"] = None if perms is None else str(int(perms))
        stored.setdefault("nsfw", False)
        stored.setdefault("name_localizations", None)
        stored.setdefault("description_localizations", None)
        stored.setdefault("description", "")
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored.setdefault("dm_permission", True)
            stored.setdefault("contexts", None)
            stored.setdefault("integration_types", [0])
        stored["id"] = previous["id"] if previous is not None else str(self.ids.next())
        unchanged = previous is not None and {k: v for k, v in previous.items() if k != "version"} == stored
        stored["version"] = (
            previous["version"] if previous is not None and unchanged else str(self.ids.next())
        )
        return stored

    async def _put_commands(self, ctx: Ctx) -> Reply:
        current, guild_id = self._command_list(ctx)
        body = ctx.record.json
        check_commands(body, guild=guild_id is not None)
        old = {(c["name"], c["type"]): c for c in current}
        new = [
            self._normalise_command(c, guild_id, old.get((c["name"], int(c.get("type", 1))))) for c in body
        ]
        current[:] = new
        self.sync_count += 1
        self._changed()
        return Reply(200, copy.deepcopy(new))

    async def _post_command(self, ctx: Ctx) -> Reply:
        current, guild_id = self._command_list(ctx)
        body = ctx.body
        check_commands([body], guild=guild_id is not None)
        key = (body["name"], int(body.get("type", 1)))
        previous = next((c for c in current if (c["name"], c["type"]) == key), None)
        stored = self._normalise_command(body, guild_id, previous)
        if previous is not None:
            current[current.index(previous)] = stored
        else:
            current.append(stored)
        self._changed()
        return Reply(200 if previous is not None else 201, copy.deepcopy(stored))

    async def _get_commands(self, ctx: Ctx) -> Reply:
        current, _ = self._command_list(ctx)
        return Reply(200, copy.deepcopy(current))

    async def _delete_command(self, ctx: Ctx) -> Reply:
        current, _ = self._command_list(ctx)
        found = next((c for c in current if c["id"] == ctx.params["command_id"]), None)
        if found is None:
            raise _error(404, 10063, "Unknown application command")
        current.remove(found)
        self._changed()
        return Reply(204)

    # ==== REST handlers: channels and messages ======================================================

    def _channel_for_bot(self, channel_id: str, need: int = VIEW_CHANNEL) -> FakeChannel:
        channel = self.channel(int(channel_id))
        if channel is None:
            raise _error(404, 10003, "Unknown Channel")
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            perms = guild.channel_permissions(self.bot_user.id, channel)
            if not perms & VIEW_CHANNEL:
                raise _error(403, 50001, "Missing Access")
            if not has_all(perms, need):
                raise _error(403, 50013, "Missing Permissions")
        return channel

    async def _get_channel(self, ctx: Ctx) -> Reply:
        return Reply(200, self._channel_for_bot(ctx.params["channel_id"]).to_json())

    async def _typing(self, ctx: Ctx) -> Reply:
        self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | SEND_MESSAGES)
        return Reply(204)

    async def _history(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        q = ctx.record.query
        try:
            limit = int(q.get("limit", "50"))
        except ValueError:
            limit = 50
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(
                ("limit",), "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN", "limit out of range"
            )
            raise DiscordError.form(errors)
        visible = [m for m in self._messages.get(channel.id, []) if not int(m.get("flags") or 0) & EPHEMERAL]
        if "before" in q:
            before = int(q["before"])
            chosen = [m for m in visible if int(m["id"]) < before][-limit:]
        elif "after" in q:
            after = int(q["after"])
            chosen = [m for m in visible if int(m["id"]) > after][:limit]
        elif "around" in q:
            around = int(q["around"])
            older = [m for m in visible if int(m["id"]) < around][-(limit // 2) :] if limit // 2 else []
            newer = [m for m in visible if int(m["id"]) >= around][: limit - len(older)]
            chosen = older + newer
        else:
            chosen = visible[-limit:]
        return Reply(200, [self.public(m) for m in reversed(chosen)])

    def _channel_message(self, channel: FakeChannel, message_id: str) -> JSON:
        msg = self._message_index.get(int(message_id))
        if msg is None or msg["channel_id"] != str(channel.id) or int(msg.get("flags") or 0) & EPHEMERAL:
            raise _error(404, 10008, "Unknown Message")
        return msg

    async def _get_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return Reply(200, self.public(self._channel_message(channel, ctx.params["message_id"])))

    async def _create_message(self, ctx: Ctx) -> Reply:
        record = ctx.record
        body = ctx.body
        need = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if record.files else 0)
        channel = self._channel_for_bot(ctx.params["channel_id"], need)
        if channel.is_dm:
            self._check_dm_allowed(channel)
        check_message(body, file_count=len(record.files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel.id, self.bot_user.id, str(nonce))
            seen = self._nonces.get(key)
            now = time.monotonic()
            if seen is not None and now - seen[1] <= self.nonce_window_seconds:
                original = self._message_index.get(seen[0])
                if original is not None:
                    self.nonce_dedupes += 1
                    record.deduped = True
                    self._changed()
                    return Reply(200, self.public(original))
        msg = self._new_message(channel, body, record.files, author=self.bot_user)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel.id, self.bot_user.id, str(nonce))] = (int(msg["id"]), time.monotonic())
        return Reply(200, self.public(msg))

    def _check_dm_allowed(self, channel: FakeChannel) -> None:
        user = channel.recipient
        if user is None or not user.accepts_dms or user.bot:
            raise _error(403, 50007, "Cannot send messages to this user")
        if self.require_mutual_guild_for_dm and not any(user.id in g.members for g in self.guilds.values()):
            raise _error(403, 50007, "Cannot send messages to this user")

    async def _edit_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"])
        msg = self._channel_message(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id:
            raise _error(403, 50005, "Cannot edit a message authored by another user")
        return Reply(200, self.public(self._edit(channel, msg, ctx.body, ctx.record.files)))

    async def _delete_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"])
        msg = self._channel_message(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id and channel.guild_id is not None:
            perms = self.guilds[channel.guild_id].channel_permissions(self.bot_user.id, channel)
            if not has_all(perms, MANAGE_MESSAGES):
                raise _error(403, 50013, "Missing Permissions")
        self._remove(channel, msg)
        return Reply(204)

    # ==== REST handlers: guilds =====================================================================

    def _guild_for_bot(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise _error(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        data = guild.to_json()
        if ctx.record.query.get("with_counts", "").lower() in ("true", "1"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return Reply(200, data)

    async def _get_roles(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        return Reply(200, [r.to_json() for r in guild.roles.values()])

    async def _get_guild_channels(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        return Reply(200, [c.to_json() for c in guild.channels.values()])

    async def _get_member(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        member = guild.members.get(int(ctx.params["user_id"]))
        if member is None:
            raise _error(404, 10007, "Unknown Member")
        return Reply(200, member.to_json())

    # ==== REST handlers: interactions and their webhooks ============================================

    async def _callback(self, ctx: Ctx) -> Reply:
        state = self._interactions_by_id.get(int(ctx.params["interaction_id"]))
        if state is None or state.token != ctx.params["token"]:
            raise _error(404, 10062, "Unknown interaction")
        age = time.monotonic() - state.created
        if age > self.interaction_deadline_seconds:
            state.refused.append(
                f"callback after {age:.2f}s (deadline {self.interaction_deadline_seconds:g}s)"
            )
            self._changed()
            raise _error(404, 10062, "Unknown interaction")
        if state.callback_type is not None:
            state.refused.append("second callback")
            raise _error(400, 40060, "Interaction has already been acknowledged.")
        body = ctx.body
        ctype = int(body.get("type") or 0)
        data: JSON = body.get("data") or {}
        allowed = {APPLICATION_COMMAND: {4, 5, 9}, MESSAGE_COMPONENT: {4, 5, 6, 7, 9}, AUTOCOMPLETE: {8}}[
            state.type
        ]
        if ctype not in allowed:
            errors = FormErrors()
            errors.add(
                ("type",), "INTERACTION_CALLBACK_TYPE_INVALID", f"Callback type {ctype} is not valid here"
            )
            raise DiscordError.form(errors)
        channel = self.channel(state.channel_id)
        assert channel is not None
        message: JSON | None = None
        if ctype == 4:
            check_message(data, file_count=len(ctx.record.files))
            state.callback_type = ctype
            message = self._new_message(
                channel, data, ctx.record.files, author=self.bot_user,
                msg_type=20 if state.type == APPLICATION_COMMAND else 0, interaction=state,
            )  # fmt: skip
            state.original_id = int(message["id"])
        elif ctype == 5:
            state.callback_type = ctype
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                channel, {}, [], author=self.bot_user,
                msg_type=20 if state.type == APPLICATION_COMMAND else 0, interaction=state, extra_flags=flags,
            )  # fmt: skip
            state.original_id = int(message["id"])
        elif ctype in (6, 7):
            assert state.component_message_id is not None
            target = self._message_index.get(state.component_message_id)
            if target is None:
                raise _error(404, 10008, "Unknown Message")
            state.original_id = state.component_message_id
            if ctype == 7:
                message = self._edit(channel, target, data, ctx.record.files)
                state.edits += 1
        elif ctype == 8:
            check_choices(data.get("choices"))
        state.callback_type = ctype
        state.callback_data = copy.deepcopy(data)
        self._changed()
        if ctx.record.query.get("with_response") not in ("1", "true", "True"):
            return Reply(204)
        inner: JSON = {"id": str(state.id), "type": state.type}
        resource: JSON = {"type": ctype}
        if message is not None:
            inner["response_message_id"] = message["id"]
            inner["response_message_loading"] = ctype == 5
            inner["response_message_ephemeral"] = bool(int(message.get("flags") or 0) & EPHEMERAL)
            resource["message"] = self.public(message)
        return Reply(200, {"interaction": inner, "resource": resource})

    def _interaction_for_webhook(self, ctx: Ctx) -> InteractionState:
        state = self._interactions_by_token.get(ctx.params["token"])
        if state is None or int(ctx.params["app_id"]) != self.application_id:
            raise _error(404, 10015, "Unknown Webhook")
        if time.monotonic() - state.created > self.followup_window_seconds:
            raise _error(401, 50027, "Invalid Webhook Token")
        return state

    async def _followup(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        if state.callback_type is None:
            raise _error(404, 10015, "Unknown Webhook")
        channel = self.channel(state.channel_id)
        assert channel is not None
        body = ctx.body
        original = self._message_index.get(state.original_id) if state.original_id is not None else None
        if original is not None and int(original.get("flags") or 0) & LOADING:
            msg = self._edit(channel, original, body, ctx.record.files)
        else:
            check_message(body, file_count=len(ctx.record.files))
            msg = self._new_message(
                channel, body, ctx.record.files, author=self.bot_user,
                msg_type=20 if state.type == APPLICATION_COMMAND else 0, interaction=state,
            )  # fmt: skip
        state.followup_ids.append(int(msg["id"]))
        self._changed()
        if ctx.record.query.get("wait") in ("1", "true", "True"):
            return Reply(200, self.public(msg))
        return Reply(204)

    def _webhook_message(self, state: InteractionState, message_id: str) -> JSON:
        if message_id == "@original":
            mid = state.original_id
            if state.original_deleted:
                mid = None
        else:
            mid = int(message_id)
            if mid != state.original_id and mid not in state.followup_ids:
                mid = None
        msg = self._message_index.get(mid) if mid is not None else None
        if msg is None:
            raise _error(404, 10008, "Unknown Message")
        return msg

    async def _webhook_get(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        return Reply(200, self.public(self._webhook_message(state, ctx.params["message_id"])))

    async def _webhook_edit(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        msg = self._webhook_message(state, ctx.params["message_id"])
        channel = self.channel(int(msg["channel_id"]))
        assert channel is not None
        edited = self._edit(channel, msg, ctx.body, ctx.record.files)
        if int(msg["id"]) == state.original_id:
            state.edits += 1
        self._changed()
        return Reply(200, self.public(edited))

    async def _webhook_delete(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        msg = self._webhook_message(state, ctx.params["message_id"])
        channel = self.channel(int(msg["channel_id"]))
        assert channel is not None
        if int(msg["id"]) == state.original_id:
            state.original_deleted = True
        self._remove(channel, msg)
        return Reply(204)

    # ==== driving the bot like a user ===============================================================

    def _place(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int | None,
        user: FakeUser | FakeMember | int,
    ) -> tuple[FakeGuild | None, FakeChannel, FakeUser]:
        u = self.user(user)
        if guild is None:
            if channel is None:
                return None, self.open_dm(u), u
            ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
            if ch is None or not ch.is_dm:
                raise NotInvocable(f"channel {channel} is not a DM channel; pass its guild")
            return None, ch, u
        g = self.guild(guild)
        if u.id not in g.members:
            raise NotInvocable(f"{u.username} is not a member of guild {g.name}")
        ch = channel if isinstance(channel, FakeChannel) else self.channel(int(channel)) if channel else None
        if ch is None or ch.guild_id != g.id:
            raise NotInvocable(f"channel {channel} is not a channel of guild {g.name}")
        if not g.channel_permissions(u.id, ch) & VIEW_CHANNEL:
            raise NotInvocable(f"{u.username} cannot see channel {ch.name}")
        return g, ch, u

    def _interaction_payload(
        self,
        itype: int,
        data: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        user: FakeUser,
        locale: str,
    ) -> tuple[int, str, JSON]:
        iid = self.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if guild is not None:
            perms = guild.channel_permissions(user.id, channel)
            channel_json = channel.to_json()
            channel_json["permissions"] = str(perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                channel=channel_json,
                member=guild.members[user.id].to_json(permissions=perms),
                app_permissions=str(guild.channel_permissions(self.bot_user.id, channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                channel={**channel.to_json(), "permissions": str(DM_PERMISSIONS)},
                user=user.to_json(),
                app_permissions=str(DM_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        return iid, token, payload

    async def _send_interaction(
        self,
        itype: int,
        data: JSON,
        guild: FakeGuild | None,
        channel: FakeChannel,
        user: FakeUser,
        locale: str,
        *,
        command_name: str | None,
        component_message_id: int | None = None,
        message: JSON | None = None,
        timeout: float,
    ) -> InteractionState:
        await self.wait_ready(timeout)
        iid, token, payload = self._interaction_payload(itype, data, guild, channel, user, locale)
        if message is not None:
            payload["message"] = message
        state = InteractionState(
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            guild_id=guild.id if guild is not None else None,
            channel_id=channel.id,
            user=user,
            created=time.monotonic(),
            command_name=command_name,
            component_message_id=component_message_id,
        )
        self.interactions.append(state)
        self._interactions_by_id[iid] = state
        self._interactions_by_token[token] = state
        state.created = time.monotonic()
        if not self.gateway.dispatch("INTERACTION_CREATE", payload, state.guild_id):
            raise RuntimeError("no gateway session takes this interaction's shard")
        what = command_name or "the interaction"
        try:
            await self._changes.wait_for(
                lambda: state.callback_type is not None or bool(state.refused),
                timeout,
                "the interaction callback",
            )
        except TimeoutError:
            recent = self.unknown_routes[-5:]
            raise InteractionTimeout(
                f"the bot did not answer {what} within {timeout:g}s (unknown routes: {recent or 'none'})"
            ) from None
        if state.callback_type is None:
            # Discord refused the callback (too late): the user sees "The application did not respond".
            raise InteractionTimeout(f"the bot's answer to {what} was refused: {state.refused}")
        return state

    async def slash(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int | None,
        user: FakeUser | FakeMember | int,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
        timeout: float = 10.0,
    ) -> InteractionResult:
        """Run ``/command`` (``"reminders setup"`` for sub-commands) as ``user`` and return once
        the bot called back. Names may be given localized for ``locale``."""
        g, ch, u = self._place(guild, channel, user)
        words = command.strip().lstrip("/").split()
        cmd = find_command(self, g, words[0], locale)
        check_visible(cmd, g, u, ch if g is not None else None)
        builder = OptionBuilder(self, g, ch, u, locale)
        opts = builder.build(cmd, words[1:], options or {})
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if opts:
            data["options"] = opts
        if builder.resolved:
            data["resolved"] = builder.resolved
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        name = " ".join([cmd["name"], *words[1:]])
        state = await self._send_interaction(
            APPLICATION_COMMAND, data, g, ch, u, locale, command_name=name, timeout=timeout
        )
        return InteractionResult(self, state)

    async def autocomplete(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int | None,
        user: FakeUser | FakeMember | int,
        command: str,
        *,
        option: str,
        typed: str = "",
        options: Mapping[str, Any] | None = None,
        locale: str = "en-US",
        timeout: float = 10.0,
        **filled: Any,
    ) -> list[JSON]:
        """The choices the bot offers while ``user`` types ``typed`` into ``option``; other
        options already filled in come as ``options={...}`` or keyword arguments."""
        g, ch, u = self._place(guild, channel, user)
        words = command.strip().lstrip("/").split()
        cmd = find_command(self, g, words[0], locale)
        check_visible(cmd, g, u, ch if g is not None else None)
        builder = OptionBuilder(self, g, ch, u, locale)
        opts = builder.build(cmd, words[1:], {**(options or {}), **filled}, focused=option, typed=typed)
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if builder.resolved:
            data["resolved"] = builder.resolved
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        name = " ".join([cmd["name"], *words[1:]])
        state = await self._send_interaction(
            AUTOCOMPLETE, data, g, ch, u, locale, command_name=name, timeout=timeout
        )
        return list((state.callback_data or {}).get("choices") or [])

    async def click(
        self,
        message: JSON | int | str,
        custom_id: str | None = None,
        *,
        user: FakeUser | FakeMember | int,
        label: str | None = None,
        values: list[str] | None = None,
        locale: str = "en-US",
        timeout: float = 10.0,
    ) -> InteractionResult:
        """Press a button (or pick ``values`` in a select menu) on a message the bot sent."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self._message_index.get(mid)
        if stored is None:
            raise NotInvocable(f"message {mid} does not exist (any more)")
        comp = find_component(stored, custom_id, label)
        if comp.get("disabled"):
            raise NotInvocable(f"component {comp.get('custom_id')!r} is disabled")
        if comp.get("type") == 2 and comp.get("style") in (5, 6):
            raise NotInvocable("link and premium buttons do not send interactions")
        channel = self.channel(int(stored["channel_id"]))
        assert channel is not None
        u = self.user(user)
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        if int(stored.get("flags") or 0) & EPHEMERAL:
            meta = stored.get("interaction_metadata") or {}
            if str((meta.get("user") or {}).get("id")) != str(u.id):
                raise NotInvocable("only the user who got an ephemeral message can click it")
        g, ch, u = self._place(guild, channel, u)
        data: JSON = {"custom_id": comp.get("custom_id"), "component_type": comp.get("type")}
        if values is not None:
            data["values"] = list(values)
        elif comp.get("type") in (3, 5, 6, 7, 8):
            raise NotInvocable("a select menu needs values=[...]")
        state = await self._send_interaction(
            MESSAGE_COMPONENT, data, g, ch, u, locale,
            command_name=f"click {comp.get('custom_id')}", component_message_id=mid,
            message=self.public(stored), timeout=timeout,
        )  # fmt: skip
        return InteractionResult(self, state)
