"""FakeDiscord: REST API v10 and gateway on 127.0.0.1 for the unmodified discord.py client.

Why a fake server rather than patching discord.py: everything between the bot's code and the
wire (discord.py's HTTP client, its rate-limit handling and retries, the gateway reconnect and
RESUME logic, multipart uploads) runs for real. The fake keeps the state a user would see
(messages per channel, DMs, the synced command schema), drives the bot like a user (slash
commands, autocomplete, buttons) and injects the failures that are hard to get from Discord on
demand (5xx, 429 with and without the global flag, slow answers, answers that never come after
a message was accepted, dropped websockets).

This module is the server itself: the aiohttp app, the route table and the request pipeline
(record, authenticate, faults and rate limits, handle, hold). :class:`FakeDiscord` puts it
together with its concerns, one module each: the state and world building (``state``),
faults and rate limits (``faults``), messages (``messages``), the REST routes
(``application_routes``, ``channel_routes``, ``guild_routes``, ``interaction_routes``), and the
driver that acts as a user (``driver``).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from typing import Any

from aiohttp import BodyPartReader, web

from .application_routes import ApplicationRoutes
from .channel_routes import ChannelRoutes
from .driver import InteractionDriver
from .faults import FaultInjection
from .guild_routes import GuildRoutes
from .interaction_routes import InteractionRoutes
from .records import API_PREFIX, HeldRequest, RequestRecord, UploadedFile
from .rest import BOT, NONE, TOKEN, Ctx, Reply, Route, RouteSpec
from .role_routes import RoleRoutes
from .scheduled_event_routes import ScheduledEventRoutes
from .thread_routes import ThreadRoutes
from .validation import DiscordError

log = logging.getLogger("fakediscord")

RECORDED_HEADERS = ("Authorization", "Content-Type", "User-Agent", "X-Audit-Log-Reason")


def _json_response(reply: Reply) -> web.Response:
    """Content-Type exactly ``application/json``: with a charset discord.py reads the body as text."""
    if reply.status == 204 or reply.body is None:
        return web.Response(status=reply.status, headers=reply.headers)
    body = json.dumps(reply.body, separators=(",", ":")).encode()
    return web.Response(
        status=reply.status, body=body, headers={**reply.headers, "Content-Type": "application/json"}
    )


class FakeDiscord(
    ScheduledEventRoutes,
    ThreadRoutes,
    RoleRoutes,
    FaultInjection,
    ApplicationRoutes,
    ChannelRoutes,
    GuildRoutes,
    InteractionRoutes,
    InteractionDriver,
):
    """A local Discord for one discord.py client. See the package docstring for the API."""

    # ==== lifecycle =================================================================================

    async def start(self) -> None:
        self._routes = self._build_routes()
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

    # ==== HTTP plumbing =============================================================================

    def _build_routes(self) -> list[Route]:
        webhook_message = r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)"
        table: list[RouteSpec] = [
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
        table.extend(self._feature_routes())
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
        await self._wait_delays(record)
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
