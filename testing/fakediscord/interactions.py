"""Interactions as a Discord client would send them, built from the schema the bot synced.

A test names a command and gives option values the way a user fills them in; the fake checks
what the Discord client checks (the command is visible to that member, required options are
filled, a value is one of the choices, a number is within min/max) and builds the
INTERACTION_CREATE payload with resolved users, members, roles and channels.
"""

# Tests read best as ``await fake.slash(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser
from .validation import EPHEMERAL, LOADING

if TYPE_CHECKING:
    from .messages import MessageStore

JSON = dict[str, Any]

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11


class NotInvocable(Exception):
    """A Discord user could not do this: hidden command, missing or invalid option, disabled button."""


class InteractionTimeout(TimeoutError):
    """The bot did not answer an interaction in time."""


@dataclass
class Attachment:
    """A file a user attaches to an ATTACHMENT option."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass(eq=False)
class InteractionState:
    """Everything the fake knows about one interaction it sent."""

    id: int
    token: str
    type: int
    payload: JSON
    guild_id: int | None
    channel_id: int
    user: FakeUser
    created: float
    command_name: str | None = None
    component_message_id: int | None = None
    callback_type: int | None = None
    callback_data: JSON | None = None
    original_id: int | None = None
    original_deleted: bool = False
    followup_ids: list[int] = field(default_factory=list)
    edits: int = 0
    refused: list[str] = field(default_factory=list)
    #: Where the interaction happened (a server the bot is not in, a group DM: places
    #: ``FakeDiscord.channel`` does not know).
    channel: FakeChannel | None = None
    #: At most this many follow-ups (5 for an interaction from a user install alone).
    followup_limit: int | None = None
    #: The server shows the replies to the user alone (``installs.forced_ephemeral``).
    forced_ephemeral: bool = False


class InteractionResult:
    """What the user saw in answer to one interaction; reads the fake's live state.

    ``final`` is the message the user ends up looking at: the original response once it is
    no longer "thinking" (a follow-up after a defer replaces it, as on Discord), else the last
    follow-up.
    """

    def __init__(self, fake: MessageStore, state: InteractionState) -> None:
        self._fake = fake
        self.state = state

    def __repr__(self) -> str:
        return f"<InteractionResult type={self.type} final={(self.final or {}).get('content')!r}>"

    @property
    def interaction_id(self) -> int:
        return self.state.id

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE data the bot received."""
        return self.state.payload

    @property
    def type(self) -> int | None:
        """The callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal."""
        return self.state.callback_type

    @property
    def data(self) -> JSON:
        """The callback's ``data`` as the bot sent it (content, embeds, components, flags, choices)."""
        return copy.deepcopy(self.state.callback_data or {})

    @property
    def ephemeral(self) -> bool:
        """Seen by the user alone: as the bot asked, or as the server forced it (a user install's
        reply where USE_EXTERNAL_APPS is off); for a component update, the message's own state."""
        flags = int((self.state.callback_data or {}).get("flags") or 0)
        original = self.original
        if self.state.callback_type in (4, 5, 6, 7) and original is not None:
            flags = int(original.get("flags") or 0)
        return bool(flags & EPHEMERAL)

    @property
    def choices(self) -> list[JSON]:
        return list((self.state.callback_data or {}).get("choices") or [])

    @property
    def original(self) -> JSON | None:
        if self.state.original_id is None or self.state.original_deleted:
            return None
        return self._fake.message(self.state.original_id)

    @property
    def followups(self) -> list[JSON]:
        out = []
        for mid in self.state.followup_ids:
            msg = self._fake.message(mid)
            if msg is not None:
                out.append(msg)
        return out

    @property
    def final(self) -> JSON | None:
        original = self.original
        if original is not None and not int(original.get("flags") or 0) & LOADING:
            return original
        followups = self.followups
        if followups:
            return followups[-1]
        return None

    @property
    def content(self) -> str | None:
        final = self.final
        return None if final is None else final.get("content")

    @property
    def embeds(self) -> list[JSON]:
        final = self.final
        return [] if final is None else list(final.get("embeds") or [])

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until ``count`` follow-ups arrived (a timeout parameter reads best in tests)."""
        await self._fake._changes.wait_for(
            lambda: len(self.state.followup_ids) >= count, timeout, f"{count} follow-up(s) to {self._what()}"
        )
        return self.followups

    async def wait_final(self, timeout: float = 5.0) -> JSON:
        """Wait until the user sees a finished answer (the deferred "thinking" state resolved)."""
        return await self._fake._changes.wait_for(
            lambda: self.final, timeout, f"the final answer to {self._what()}"
        )

    async def wait_edits(self, count: int = 1, timeout: float = 5.0) -> JSON | None:
        await self._fake._changes.wait_for(
            lambda: self.state.edits >= count, timeout, f"{count} edit(s) of the answer to {self._what()}"
        )
        return self.original

    def _what(self) -> str:
        return f"/{self.state.command_name}" if self.state.command_name else f"interaction {self.state.id}"


# -- building interactions from the synced schema ---------------------------------------------


def _localized(item: Mapping[str, Any], name: str, locale: str) -> bool:
    return name == item.get("name") or (item.get("name_localizations") or {}).get(locale) == name


def find_command(fake: MessageStore, guild: FakeGuild | None, name: str, locale: str) -> JSON:
    """Guild commands first (they shadow global ones with the same name), then global ones."""
    candidates: list[JSON] = []
    if guild is not None:
        candidates.extend(fake.guild_commands.get(guild.id, []))
    candidates.extend(fake.global_commands)
    for cmd in candidates:
        if int(cmd.get("type", 1)) == 1 and _localized(cmd, name, locale):
            return cmd
    known = sorted({c["name"] for c in candidates})
    raise NotInvocable(f"no slash command {name!r} synced for this place; synced: {known}")


class OptionBuilder:
    """Turns ``{"option": value}`` into interaction options plus the ``resolved`` map."""

    def __init__(
        self,
        fake: MessageStore,
        guild: FakeGuild | None,
        channel: FakeChannel | None,
        user: FakeUser,
        locale: str,
    ) -> None:
        self._fake = fake
        self._guild = guild
        self._channel = channel
        self._user = user
        self._locale = locale
        self.resolved: dict[str, dict[str, JSON]] = {}
        self._label = ""

    def build(
        self,
        cmd: JSON,
        path: list[str],
        values: Mapping[str, Any],
        *,
        focused: str | None = None,
        typed: str | None = None,
    ) -> list[JSON]:
        """Options for the leaf named by ``path`` (sub-command group / sub-command names)."""
        self._label = " ".join([cmd["name"], *path])
        schema: list[JSON] = list(cmd.get("options") or [])
        chain: list[JSON] = []
        for step in path:
            match = next(
                (
                    o
                    for o in schema
                    if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) and _localized(o, step, self._locale)
                ),
                None,
            )
            if match is None:
                raise NotInvocable(f"/{cmd['name']} has no sub-command {step!r} here")
            chain.append(match)
            schema = list(match.get("options") or [])
        if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
            names = [o["name"] for o in schema]
            raise NotInvocable(f"/{cmd['name']} {' '.join(path)} needs a sub-command: one of {names}")
        leaf = self._leaf(cmd, schema, values, focused=focused, typed=typed)
        for parent in reversed(chain):
            leaf = [{"name": parent["name"], "type": parent["type"], "options": leaf}]
        return leaf

    def _leaf(
        self,
        cmd: JSON,
        schema: list[JSON],
        values: Mapping[str, Any],
        *,
        focused: str | None,
        typed: str | None,
    ) -> list[JSON]:
        by_name: dict[str, JSON] = {}
        for given in values:
            opt = next((o for o in schema if _localized(o, given, self._locale)), None)
            if opt is None:
                raise NotInvocable(
                    f"/{self._label} has no option {given!r}; options: {[o['name'] for o in schema]}"
                )
            by_name[opt["name"]] = opt
        focused_opt = None
        if focused is not None:
            focused_opt = next((o for o in schema if _localized(o, focused, self._locale)), None)
            if focused_opt is None:
                raise NotInvocable(f"/{self._label} has no option {focused!r}")
            if not focused_opt.get("autocomplete"):
                raise NotInvocable(f"option {focused_opt['name']!r} of /{self._label} has no autocomplete")
        out: list[JSON] = []
        given_by_canonical = {
            next(o["name"] for o in schema if _localized(o, k, self._locale)): v for k, v in values.items()
        }
        for opt in schema:
            name = opt["name"]
            if focused_opt is not None and name == focused_opt["name"]:
                out.append({"name": name, "type": opt["type"], "value": typed or "", "focused": True})
                continue
            if name not in given_by_canonical:
                if opt.get("required") and focused_opt is None:
                    raise NotInvocable(f"/{self._label} needs option {name!r}")
                continue
            value = self._convert(cmd, opt, given_by_canonical[name])
            out.append({"name": name, "type": opt["type"], "value": value})
        return out

    # -- values ---------------------------------------------------------------------------------

    def _convert(self, cmd: JSON, opt: JSON, value: Any) -> Any:
        t = opt["type"]
        where = f"option {opt['name']!r} of /{self._label}"
        if t in (STRING, INTEGER, NUMBER):
            value = self._choice(opt, value, where)
        if t == STRING:
            if not isinstance(value, str):
                raise NotInvocable(f"{where} takes text, got {value!r}")
            lo, hi = opt.get("min_length"), opt.get("max_length", 6000)
            if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
                raise NotInvocable(f"{where}: length {len(value)} outside [{lo}, {hi}]")
            return value
        if t == INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise NotInvocable(f"{where} takes a whole number, got {value!r}")
            return self._in_range(opt, value, where)
        if t == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise NotInvocable(f"{where} takes a number, got {value!r}")
            return self._in_range(opt, value, where)
        if t == BOOLEAN:
            if not isinstance(value, bool):
                raise NotInvocable(f"{where} takes true/false, got {value!r}")
            return value
        if t == USER:
            return self._resolve_user(value, where)
        if t == CHANNEL:
            return self._resolve_channel(opt, value, where)
        if t == ROLE:
            return self._resolve_role(value, where)
        if t == MENTIONABLE:
            if isinstance(value, FakeRole) or (
                isinstance(value, int) and self._guild is not None and value in self._guild.roles
            ):
                return self._resolve_role(value, where)
            return self._resolve_user(value, where)
        if t == ATTACHMENT:
            return self._resolve_attachment(value, where)
        raise NotInvocable(f"{where}: unsupported option type {t}")

    def _choice(self, opt: JSON, value: Any, where: str) -> Any:
        choices = opt.get("choices")
        if not choices:
            return value
        for choice in choices:
            if value == choice["value"]:
                return value
        for choice in choices:
            if isinstance(value, str) and _localized(choice, value, self._locale):
                return choice["value"]
        raise NotInvocable(f"{where}: {value!r} is not one of {[c['value'] for c in choices]}")

    @staticmethod
    def _in_range(opt: JSON, value: int | float, where: str) -> int | float:
        lo, hi = opt.get("min_value"), opt.get("max_value")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise NotInvocable(f"{where}: {value} outside [{lo}, {hi}]")
        return value

    def _bucket(self, kind: str) -> dict[str, JSON]:
        return self.resolved.setdefault(kind, {})

    def _resolve_user(self, value: Any, where: str) -> str:
        if isinstance(value, FakeMember):
            value = value.user
        user = value if isinstance(value, FakeUser) else self._fake.users.get(int(value))
        if user is None:
            raise NotInvocable(f"{where}: unknown user {value!r}")
        self._bucket("users")[str(user.id)] = user.to_json()
        if self._guild is not None and user.id in self._guild.members:
            member = self._guild.members[user.id]
            perms = self._guild.channel_permissions(user.id, self._channel)
            self._bucket("members")[str(user.id)] = member.to_json(with_user=False, permissions=perms)
        return str(user.id)

    def _resolve_channel(self, opt: JSON, value: Any, where: str) -> str:
        channel = value if isinstance(value, FakeChannel) else self._fake.channel(int(value))
        if channel is None:
            raise NotInvocable(f"{where}: unknown channel {value!r}")
        types = opt.get("channel_types")
        if types and channel.type not in types:
            raise NotInvocable(f"{where}: channel type {channel.type} not in {types}")
        if self._guild is not None and channel.guild_id != self._guild.id:
            raise NotInvocable(f"{where}: channel {channel.id} is not in this guild")
        perms = self._guild.channel_permissions(self._user.id, channel) if self._guild is not None else 0
        data = channel.to_json()
        data.pop("permission_overwrites", None)
        data["permissions"] = str(perms)
        self._bucket("channels")[str(channel.id)] = data
        return str(channel.id)

    def _resolve_role(self, value: Any, where: str) -> str:
        if self._guild is None:
            raise NotInvocable(f"{where}: roles only exist in guilds")
        role = value if isinstance(value, FakeRole) else self._guild.roles.get(int(value))
        if role is None or role.guild_id != self._guild.id:
            raise NotInvocable(f"{where}: unknown role {value!r}")
        self._bucket("roles")[str(role.id)] = role.to_json()
        return str(role.id)

    def _resolve_attachment(self, value: Any, where: str) -> str:
        if isinstance(value, tuple) and len(value) == 2:
            value = Attachment(str(value[0]), bytes(value[1]))
        if not isinstance(value, Attachment):
            raise NotInvocable(f"{where} takes an Attachment or (filename, bytes), got {value!r}")
        channel_id = self._channel.id if self._channel is not None else 0
        data = self._fake._store_file(channel_id, value.filename, value.content, value.content_type)
        data = {k: v for k, v in data.items() if k != "content"}
        data["ephemeral"] = True
        self._bucket("attachments")[data["id"]] = data
        return str(data["id"])


def find_component(message: JSON, custom_id: str | None, label: str | None) -> JSON:
    """The clickable component with that custom_id (or label) anywhere in the message."""

    def walk(items: list[JSON]) -> list[JSON]:
        found: list[JSON] = []
        for item in items:
            found.append(item)
            found.extend(walk(item.get("components") or []))
            accessory = item.get("accessory")
            if isinstance(accessory, dict):
                found.append(accessory)
        return found

    for comp in walk(message.get("components") or []):
        if custom_id is not None and comp.get("custom_id") == custom_id:
            return comp
        if custom_id is None and label is not None and comp.get("label") == label:
            return comp
    wanted = custom_id if custom_id is not None else label
    raise NotInvocable(f"message {message.get('id')} has no component {wanted!r}")
