"""The driver: acting as a Discord user towards the bot.

:class:`InteractionDriver` builds interactions from the synced command schema as the Discord
client would (``slash``, ``autocomplete``, ``click`` on a message's components), refuses what a
user could not send (:class:`~testing.fakediscord.interactions.NotInvocable`), sends them on the
gateway and waits for the bot's callback (:class:`~testing.fakediscord.interactions.InteractionTimeout`
when none comes in time).
"""

# Tests read best as ``await fake.slash(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

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
from .messages import MessageStore
from .model import FakeChannel, FakeGuild, FakeMember, FakeUser
from .permissions import DM_PERMISSIONS, VIEW_CHANNEL
from .rest import JSON
from .validation import EPHEMERAL


class InteractionDriver(MessageStore):
    """Slash commands, autocomplete and clicks, sent to the bot as a user would."""

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
        # The interaction goes to the connection of its guild's shard (shard 0 for DMs),
        # whichever process holds it; the other shards may be down or not started yet.
        await self.wait_shard_ready(guild, timeout)
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
