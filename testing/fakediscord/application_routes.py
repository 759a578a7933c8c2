"""REST routes of the application itself: who the bot is (``/users/@me``, the application,
other users), where its gateway is, and its synced commands (global and per guild), kept as
Discord keeps them (ids and versions that change only with the command).

A command's ``integration_types`` (installs that carry it: 0 server, 1 user) and ``contexts``
(where it runs: 0 servers, 1 the bot's DM, 2 other DMs) are checked (known values, install
types the application supports: ``supported_integration_types``, its Installation settings)
and kept; a global command without ``integration_types`` gets the application's, as on Discord.
They mean something for global commands only: a guild command lives where the app is
installed to that server (``installs.py``)."""

from __future__ import annotations

import copy

from .installs import check_installs
from .rest import JSON, Ctx, Reply
from .state import FakeDiscordState
from .validation import DiscordError, FormErrors, check_commands


class ApplicationRoutes(FakeDiscordState):
    """Handlers of the application, gateway, user and command routes."""

    #: Where the application may be installed (its Installation settings): servers and users,
    #: as new applications default to. ``frozenset({0})``: a server-only application.
    supported_integration_types: frozenset[int] = frozenset({0, 1})

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
                "integration_types_config": {str(t): {} for t in sorted(self.supported_integration_types)},
            },
        )

    async def _get_gateway(self, ctx: Ctx) -> Reply:
        return Reply(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, ctx: Ctx) -> Reply:
        """The recommended shard count and the IDENTIFY budget, shared by every process of the bot."""
        return Reply(
            200,
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards(),
                "session_start_limit": self.gateway.session_start_limit(),
            },
        )

    async def _get_user(self, ctx: Ctx) -> Reply:
        user = self.users.get(int(ctx.params["user_id"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return Reply(200, user.to_json())

    def _command_list(self, ctx: Ctx) -> tuple[list[JSON], int | None]:
        if int(ctx.params["app_id"]) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        gid = ctx.params.get("guild_id")
        if gid is None:
            return self.global_commands, None
        if int(gid) not in self.guilds:
            raise DiscordError(403, 50001, "Missing Access")
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
            if stored.get("integration_types") is None:
                stored["integration_types"] = sorted(self.supported_integration_types)
        stored["id"] = previous["id"] if previous is not None else str(self.ids.next())
        unchanged = previous is not None and {k: v for k, v in previous.items() if k != "version"} == stored
        stored["version"] = (
            previous["version"] if previous is not None and unchanged else str(self.ids.next())
        )
        return stored

    def _check_installs(self, commands: list[JSON], *, guild: bool) -> None:
        # A guild command's installs are the server's: only a global command is held to the
        # application's settings.
        supported = {0, 1} if guild else self.supported_integration_types
        errors = FormErrors()
        for i, cmd in enumerate(commands):
            check_installs(errors, i, cmd, supported)
        if errors:
            raise DiscordError.form(errors)

    async def _put_commands(self, ctx: Ctx) -> Reply:
        current, guild_id = self._command_list(ctx)
        body = ctx.record.json
        check_commands(body, guild=guild_id is not None)
        self._check_installs(body, guild=guild_id is not None)
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
        self._check_installs([body], guild=guild_id is not None)
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
            raise DiscordError(404, 10063, "Unknown application command")
        current.remove(found)
        self._changed()
        return Reply(204)
