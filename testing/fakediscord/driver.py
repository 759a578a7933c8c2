"""The driver: acting as a Discord user towards the bot.

:class:`InteractionDriver` builds interactions from the synced command schema as the Discord
client would (``slash``, ``autocomplete``, ``click`` on a message's components), refuses what a
user could not send (:class:`~testing.fakediscord.interactions.NotInvocable`), sends them on the
gateway and waits for the bot's callback (:class:`~testing.fakediscord.interactions.InteractionTimeout`
when none comes in time).

Beyond the bot's servers, a user who installed the app to their account
(``install_app_for_user``) uses it in servers the bot is not in (``add_guild_without_bot``),
in the bot's DM and in DMs and group DMs between users (``add_private_channel``): the
interaction then names the installs it came through and its context (``installs.py``).
"""

# Tests read best as ``await fake.slash(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from .installs import (
    BOT_DM,
    FOLLOWUP_LIMIT,
    GROUP_DM,
    GUILD,
    GUILD_INSTALL,
    PRIVATE_CHANNEL,
    USE_EXTERNAL_APPS,
    Installs,
    Place,
    PrivateChannel,
    app_permissions,
    authorizing_owners,
    forced_ephemeral,
    user_install_alone,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionResult,
    InteractionState,
    InteractionTimeout,
    NotInvocable,
    OptionBuilder,
    find_command,
    find_component,
)
from .messages import MessageStore
from .model import DM, FakeChannel, FakeGuild, FakeMember, FakeUser
from .permissions import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, DM_PERMISSIONS, VIEW_CHANNEL
from .rest import JSON
from .validation import EPHEMERAL


class InteractionDriver(MessageStore):
    """Slash commands, autocomplete and clicks, sent to the bot as a user would."""

    _installs: Installs | None = None

    # ==== installs beyond the bot's servers =========================================================

    @property
    def installs(self) -> Installs:
        """Who installed the app to their account, the servers without the bot, the DMs between users."""
        if self._installs is None:
            self._installs = Installs()
        return self._installs

    def install_app_for_user(self, user: FakeUser | FakeMember | int) -> FakeUser:
        """``user`` adds the app to their account ("Add to my apps"): its user-installable commands
        then follow them to every server, to their DM with the bot and to their other DMs."""
        u = self.user(user)
        self.installs.users.add(u.id)
        self._changed()
        return u

    def add_guild_without_bot(
        self,
        guild_id: int | None = None,
        name: str = "Guild",
        *,
        locale: str = "en-US",
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS | USE_EXTERNAL_APPS,
    ) -> FakeGuild:
        """A server the bot is not in: never in READY or a GUILD_CREATE, nothing said there reaches
        the bot, and a member reaches the app there only through their own install. @everyone
        has USE_EXTERNAL_APPS, as new servers do; without it (for a member, in a channel) the
        app's replies are shown to the user alone."""
        gid = guild_id if guild_id is not None else self._next_guild_id()
        guild = FakeGuild(
            gid,
            name,
            locale=locale,
            ids=self.ids,
            bot_user=self.bot_user,
            owner_id=None,
            bot_permissions=DEFAULT_BOT_PERMISSIONS,
            everyone_permissions=everyone_permissions,
        )
        # A guild handle starts with the bot as a member and its managed role: not in this one.
        del guild.members[self.bot_user.id]
        del guild.roles[guild.bot_role.id]
        self.installs.guilds_without_bot[gid] = guild
        self._changed()
        return guild

    def add_private_channel(
        self, *members: FakeUser | FakeMember | int, name: str | None = None
    ) -> FakeChannel:
        """A DM between two users, or a group DM between more: the bot is in neither (bots cannot
        join group DMs); only a member's own install of the app reaches it (context 2)."""
        users = [self.user(m) for m in members]
        if len(users) < 2 or len({u.id for u in users}) != len(users):
            raise ValueError("a DM or group DM needs at least two different users")
        channel = FakeChannel(self.ids.next(), name or "", DM if len(users) == 2 else GROUP_DM)
        self.installs.private_channels[channel.id] = PrivateChannel(channel, users, name)
        self._changed()
        return channel

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        """Any channel: the bot's servers and DMs, then servers without the bot and DMs between users."""
        return self.channel(channel_id) or self.installs.channel(channel_id)

    def _guild_anywhere(self, guild: FakeGuild | int) -> FakeGuild:
        if isinstance(guild, FakeGuild):
            return guild
        found = self.guilds.get(int(guild)) or self.installs.guilds_without_bot.get(int(guild))
        if found is None:
            raise NotInvocable(f"unknown guild {guild}")
        return found

    def _announce(self, event: str, channel: FakeChannel, msg: JSON) -> None:
        # The bot hears nothing said in a server it is not in, or in a DM it is not part of; its
        # own interaction replies there included.
        if self.installs.bot_absent_from(channel):
            return
        super()._announce(event, channel, msg)

    # ==== where the user acts, and through which installs ============================================

    def _place(
        self,
        guild: FakeGuild | int | None,
        channel: FakeChannel | int | None,
        user: FakeUser | FakeMember | int,
    ) -> tuple[Place, FakeUser]:
        u = self.user(user)
        if guild is None:
            if channel is None:
                return Place(BOT_DM, self.open_dm(u)), u
            ch = channel if isinstance(channel, FakeChannel) else self.find_channel(int(channel))
            private = self.installs.private_channels.get(ch.id) if ch is not None else None
            if private is not None:
                if all(m.id != u.id for m in private.members):
                    raise NotInvocable(f"{u.username} is not in the private channel {private.channel.id}")
                return Place(PRIVATE_CHANNEL, private.channel), u
            if ch is None or not ch.is_dm:
                raise NotInvocable(f"channel {channel} is not a DM channel; pass its guild")
            return Place(BOT_DM, ch), u
        g = self._guild_anywhere(guild)
        if u.id not in g.members:
            raise NotInvocable(f"{u.username} is not a member of guild {g.name}")
        ch = channel if isinstance(channel, FakeChannel) else g.channels.get(int(channel or 0))
        if ch is None or ch.guild_id != g.id:
            raise NotInvocable(f"channel {channel} is not a channel of guild {g.name}")
        if not g.channel_permissions(u.id, ch) & VIEW_CHANNEL:
            raise NotInvocable(f"{u.username} cannot see channel {ch.name}")
        return Place(GUILD, ch, g, bot_in_guild=g.id in self.guilds), u

    def _authorize(self, cmd: JSON, place: Place, user: FakeUser) -> dict[str, str]:
        return authorizing_owners(
            cmd,
            place,
            user,
            user_installed=user.id in self.installs.users,
            shares_a_guild=any(user.id in g.members for g in self.guilds.values()),
        )

    @staticmethod
    def _bot_message_owners(place: Place) -> dict[str, str]:
        """The installs behind a message the bot posted itself: the server's (only where it is)."""
        return {str(GUILD_INSTALL): str(place.guild.id) if place.guild is not None else "0"}

    def _interaction_payload(
        self, itype: int, data: JSON, place: Place, user: FakeUser, locale: str, owners: dict[str, str]
    ) -> tuple[int, str, JSON]:
        iid = self.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        channel = place.channel
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
            "authorizing_integration_owners": dict(owners),
            "context": place.context,
            "app_permissions": str(app_permissions(place, owners, self.bot_user, DM_PERMISSIONS)),
        }
        if place.guild is not None:
            guild = place.guild
            perms = guild.channel_permissions(user.id, channel)
            channel_json = channel.to_json()
            channel_json["permissions"] = str(perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                channel=channel_json,
                member=guild.members[user.id].to_json(permissions=perms),
            )
        elif place.context == PRIVATE_CHANNEL:
            private = self.installs.private_channels[channel.id]
            payload.update(
                channel={**private.to_json(user), "permissions": str(DM_PERMISSIONS)}, user=user.to_json()
            )
        else:
            payload.update(
                channel={**channel.to_json(), "permissions": str(DM_PERMISSIONS)}, user=user.to_json()
            )
        return iid, token, payload

    async def _send_interaction(
        self,
        itype: int,
        data: JSON,
        place: Place,
        user: FakeUser,
        locale: str,
        owners: dict[str, str],
        *,
        command_name: str | None,
        component_message_id: int | None = None,
        message: JSON | None = None,
        timeout: float,
    ) -> InteractionState:
        guild_id = place.guild.id if place.guild is not None else None
        # The interaction goes to the connection of its guild's shard (shard 0 for DMs),
        # whichever process holds it; the other shards may be down or not started yet.
        await self.wait_shard_ready(guild_id, timeout)
        iid, token, payload = self._interaction_payload(itype, data, place, user, locale, owners)
        if message is not None:
            payload["message"] = message
        state = InteractionState(
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            guild_id=guild_id,
            channel_id=place.channel.id,
            user=user,
            created=time.monotonic(),
            command_name=command_name,
            component_message_id=component_message_id,
            channel=place.channel,
            followup_limit=FOLLOWUP_LIMIT if user_install_alone(owners) else None,
            forced_ephemeral=forced_ephemeral(place, owners, user),
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

    # ==== what a user does ============================================================================

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
        the bot called back. Names may be given localized for ``locale``.

        ``guild`` None and ``channel`` None: the user's DM with the bot; ``channel`` a private
        channel (``add_private_channel``): a DM or group DM between users; ``guild`` one
        without the bot (``add_guild_without_bot``): reached through the user's install alone."""
        place, u = self._place(guild, channel, user)
        words = command.strip().lstrip("/").split()
        cmd = find_command(self, place.guild, words[0], locale)
        owners = self._authorize(cmd, place, u)
        builder = OptionBuilder(self, place.guild, place.channel, u, locale)
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
            APPLICATION_COMMAND, data, place, u, locale, owners, command_name=name, timeout=timeout
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
        place, u = self._place(guild, channel, user)
        words = command.strip().lstrip("/").split()
        cmd = find_command(self, place.guild, words[0], locale)
        owners = self._authorize(cmd, place, u)
        builder = OptionBuilder(self, place.guild, place.channel, u, locale)
        opts = builder.build(cmd, words[1:], {**(options or {}), **filled}, focused=option, typed=typed)
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if builder.resolved:
            data["resolved"] = builder.resolved
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        name = " ".join([cmd["name"], *words[1:]])
        state = await self._send_interaction(
            AUTOCOMPLETE, data, place, u, locale, owners, command_name=name, timeout=timeout
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
        """Press a button (or pick ``values`` in a select menu) on a message the bot sent. The
        click comes through the installs of the interaction the message answered (its
        ``interaction_metadata``), as on Discord: a user install's reply stays one, whoever clicks."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self._message_index.get(mid)
        if stored is None:
            raise NotInvocable(f"message {mid} does not exist (any more)")
        comp = find_component(stored, custom_id, label)
        if comp.get("disabled"):
            raise NotInvocable(f"component {comp.get('custom_id')!r} is disabled")
        if comp.get("type") == 2 and comp.get("style") in (5, 6):
            raise NotInvocable("link and premium buttons do not send interactions")
        channel = self.find_channel(int(stored["channel_id"]))
        assert channel is not None
        u = self.user(user)
        meta = stored.get("interaction_metadata") or {}
        ephemeral = bool(int(stored.get("flags") or 0) & EPHEMERAL)
        if ephemeral and str((meta.get("user") or {}).get("id")) != str(u.id):
            raise NotInvocable("only the user who got an ephemeral message can click it")
        place, u = self._place(channel.guild_id, channel, u)
        owners = dict(meta.get("authorizing_integration_owners") or {}) or self._bot_message_owners(place)
        data: JSON = {"custom_id": comp.get("custom_id"), "component_type": comp.get("type")}
        if values is not None:
            data["values"] = list(values)
        elif comp.get("type") in (3, 5, 6, 7, 8):
            raise NotInvocable("a select menu needs values=[...]")
        state = await self._send_interaction(
            MESSAGE_COMPONENT, data, place, u, locale, owners,
            command_name=f"click {comp.get('custom_id')}", component_message_id=mid,
            message=self.public(stored), timeout=timeout,
        )  # fmt: skip
        return InteractionResult(self, state)
