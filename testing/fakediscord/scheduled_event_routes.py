"""Guild scheduled events (the server's Events tab),
as Discord documents them (DISCORD-PLATFORM.md in the shared docs).

Routes: ``GET/POST /guilds/{g}/scheduled-events``, ``GET/PATCH/DELETE .../{id}`` and
``GET .../{id}/users``. What is checked, with Discord's error shapes:

- ``entity_type`` 3 (EXTERNAL) needs ``entity_metadata.location`` (1-100 characters) and
  ``scheduled_end_time``, and no ``channel_id``; 1 and 2 (stage, voice) need a channel of
  the guild and no location. ``name`` 1-100 characters, ``description`` at most 1,000,
  ``privacy_level`` 2. A start in the past, or an end before the start: 400 ``50035``.
- At most 100 SCHEDULED or ACTIVE events per guild, everyone's together: the 101st is
  400 ``30038``.
- Status: SCHEDULED -> ACTIVE or CANCELED, ACTIVE -> COMPLETED, nothing else (``50035``);
  a COMPLETED or CANCELED event cannot be changed at all (400 ``180000``). EXTERNAL events
  start at their start time and complete at their end time by themselves (on the fake's
  ``scheduled_event_clock``, checked whenever the events are touched).
- Creating needs CREATE_EVENTS; editing or deleting the bot's own event CREATE_EVENTS or
  MANAGE_EVENTS; anyone else's MANAGE_EVENTS (403 ``50013``). Unknown: 404 ``10070``.
- GUILD_SCHEDULED_EVENT_CREATE/UPDATE/DELETE (and USER_ADD from ``mark_interested``) go to
  sessions that asked for the GUILD_SCHEDULED_EVENTS intent, as Discord sends them.

For tests: ``scheduled_events_in(guild)``, ``scheduled_event(guild, id)``,
``add_scheduled_event(guild, ...)`` (an event someone else made), ``mark_interested``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .model import FakeGuild, FakeUser
from .rest import BOT, JSON, Ctx, Reply, RouteSpec
from .state import FakeDiscordState
from .validation import DiscordError, FormErrors

# Permission bits (https://discord.com/developers/docs/topics/permissions).
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44
# The gateway intent that carries scheduled event dispatches (not privileged).
GUILD_SCHEDULED_EVENTS = 1 << 16

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
GUILD_ONLY = 2
LIVE = (SCHEDULED, ACTIVE)
EVENT_CAP = 100
ALLOWED_MOVES = {(SCHEDULED, ACTIVE), (SCHEDULED, CANCELED), (ACTIVE, COMPLETED)}
CAP_REACHED = "Maximum number of uncompleted guild scheduled events reached (100)"

_BASE = r"/guilds/(?P<guild_id>\d+)/scheduled-events"
_ONE = _BASE + r"/(?P<event_id>\d+)"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


class ScheduledEventRoutes(FakeDiscordState):
    """Scheduled events per guild, kept as Discord's JSON (without ``user_count``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # guild id -> event id -> the event as Discord sends it.
        self.scheduled_events: dict[int, dict[int, JSON]] = {}
        # event id -> user id -> who pressed "Interested".
        self.scheduled_event_users: dict[int, dict[int, FakeUser]] = {}
        # The fake's now for starts in the past and EXTERNAL events starting and ending.
        self.scheduled_event_clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _feature_routes(self) -> list[RouteSpec]:
        return [
            *super()._feature_routes(),
            ("GET", _BASE, self._list_scheduled_events, BOT, False),
            ("POST", _BASE, self._create_scheduled_event, BOT, False),
            ("GET", _ONE, self._get_scheduled_event, BOT, False),
            ("PATCH", _ONE, self._edit_scheduled_event, BOT, False),
            ("DELETE", _ONE, self._delete_scheduled_event, BOT, False),
            ("GET", _ONE + "/users", self._scheduled_event_users, BOT, False),
        ]

    # ==== for tests =================================================================================

    def scheduled_events_in(self, guild: FakeGuild | int) -> list[JSON]:
        """The guild's scheduled events, oldest first, statuses brought up to now."""
        gid = self.guild(guild).id
        self._tick(gid)
        return [copy.deepcopy(e) for _, e in sorted(self.scheduled_events.get(gid, {}).items())]

    def scheduled_event(self, guild: FakeGuild | int, event_id: int | str) -> JSON | None:
        gid = self.guild(guild).id
        self._tick(gid)
        found = self.scheduled_events.get(gid, {}).get(int(event_id))
        return copy.deepcopy(found) if found is not None else None

    def add_scheduled_event(
        self,
        guild: FakeGuild | int,
        *,
        name: str,
        start: datetime,
        end: datetime,
        creator: FakeUser,
        location: str = "Somewhere",
        description: str | None = None,
        status: int = SCHEDULED,
    ) -> JSON:
        """An EXTERNAL event someone else made (announced, as Discord would); no limit is
        checked, so a test can fill a guild up to Discord's cap and beyond."""
        gid = self.guild(guild).id
        event = self._new_event(
            gid,
            {
                "name": name,
                "description": description,
                "scheduled_start_time": _iso(start),
                "scheduled_end_time": _iso(end),
                "entity_type": EXTERNAL,
                "entity_metadata": {"location": location},
                "privacy_level": GUILD_ONLY,
            },
            creator,
            status=status,
        )
        return copy.deepcopy(event)

    def mark_interested(self, guild: FakeGuild | int, event_id: int | str, user: FakeUser) -> None:
        """``user`` presses "Interested" (GUILD_SCHEDULED_EVENT_USER_ADD is sent)."""
        gid = self.guild(guild).id
        eid = int(event_id)
        if eid not in self.scheduled_events.get(gid, {}):
            raise KeyError(f"no scheduled event {eid} in guild {gid}")
        self.scheduled_event_users.setdefault(eid, {})[user.id] = user
        data = {"guild_scheduled_event_id": str(eid), "user_id": str(user.id), "guild_id": str(gid)}
        self._announce_scheduled("GUILD_SCHEDULED_EVENT_USER_ADD", data, gid)

    # ==== the gateway ===============================================================================

    def guild_create_payload(self, guild: FakeGuild, intents: int) -> JSON:
        """GUILD_CREATE carries the guild's scheduled events, as on Discord."""
        data = super().guild_create_payload(guild, intents)
        self._tick(guild.id, announce=False)
        data["guild_scheduled_events"] = [
            self._shown(e) for _, e in sorted(self.scheduled_events.get(guild.id, {}).items())
        ]
        return data

    def _announce_scheduled(self, event: str, data: JSON, guild_id: int) -> None:
        """Only to sessions with the GUILD_SCHEDULED_EVENTS intent (the gateway's own filter
        lets every GUILD_* event through with GUILDS)."""
        for session in list(self.gateway.live.values()):
            if session.covers(guild_id) and session.intents & GUILD_SCHEDULED_EVENTS:
                session.record(event, copy.deepcopy(data))
        self._changed()

    # ==== state =====================================================================================

    def _tick(self, guild_id: int, *, announce: bool = True) -> None:
        """EXTERNAL events start at their start time and complete at their end time."""
        now = self.scheduled_event_clock()
        for event in self.scheduled_events.get(guild_id, {}).values():
            if event["entity_type"] != EXTERNAL:
                continue
            before = event["status"]
            start = _instant(event["scheduled_start_time"])
            end = _instant(event.get("scheduled_end_time"))
            if event["status"] == SCHEDULED and start is not None and start <= now:
                event["status"] = ACTIVE
            if event["status"] == ACTIVE and end is not None and end <= now:
                event["status"] = COMPLETED
            if announce and event["status"] != before:
                self._announce_scheduled("GUILD_SCHEDULED_EVENT_UPDATE", self._shown(event), guild_id)

    def _new_event(self, guild_id: int, body: JSON, creator: FakeUser, *, status: int = SCHEDULED) -> JSON:
        metadata = body.get("entity_metadata") or None
        event: JSON = {
            "id": str(self.ids.next()),
            "guild_id": str(guild_id),
            "channel_id": None if body.get("channel_id") is None else str(body["channel_id"]),
            "creator_id": str(creator.id),
            "creator": creator.to_json(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level", GUILD_ONLY),
            "status": status,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": {"location": metadata["location"]} if metadata else None,
            "image": None,
            "recurrence_rule": None,
        }
        self.scheduled_events.setdefault(guild_id, {})[int(event["id"])] = event
        self._announce_scheduled("GUILD_SCHEDULED_EVENT_CREATE", self._shown(event), guild_id)
        return event

    def _shown(self, event: JSON, *, with_count: bool = False) -> JSON:
        out = copy.deepcopy(event)
        if with_count:
            out["user_count"] = len(self.scheduled_event_users.get(int(event["id"]), {}))
        return out

    def _scheduled_guild(self, ctx: Ctx) -> FakeGuild:
        guild = self.guilds.get(int(ctx.params["guild_id"]))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        self._tick(guild.id)
        return guild

    def _one_event(self, guild: FakeGuild, ctx: Ctx) -> JSON:
        event = self.scheduled_events.get(guild.id, {}).get(int(ctx.params["event_id"]))
        if event is None:
            raise DiscordError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _need(self, guild: FakeGuild, any_of: int) -> None:
        perms = guild.base_permissions(self.bot_user.id)
        if not perms & any_of:
            raise DiscordError(403, 50013, "Missing Permissions")

    def _may_change(self, guild: FakeGuild, event: JSON) -> None:
        """The bot's own event: Create Events or Manage Events; anyone else's: Manage Events."""
        ours = event.get("creator_id") == str(self.bot_user.id)
        self._need(guild, (CREATE_EVENTS | MANAGE_EVENTS) if ours else MANAGE_EVENTS)

    @staticmethod
    def _wants_count(ctx: Ctx) -> bool:
        return ctx.record.query.get("with_user_count", "").lower() in ("true", "1")

    # ==== validation ================================================================================

    def _check(self, guild: FakeGuild, merged: JSON, errors: FormErrors, *, new_start: bool) -> None:
        """A whole event as it would be after the request (fields merged for an edit)."""
        name = merged.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        description = merged.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 1000):
            errors.add(("description",), "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length.")
        if merged.get("privacy_level") != GUILD_ONLY:
            errors.add(("privacy_level",), "ENUM_TYPE_COERCE", "Value must be one of {2}.")
        entity_type = merged.get("entity_type")
        metadata = merged.get("entity_metadata") or {}
        location = metadata.get("location") if isinstance(metadata, dict) else None
        if entity_type == EXTERNAL:
            if not isinstance(location, str) or not 1 <= len(location) <= 100:
                errors.add(
                    ("entity_metadata", "location"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            if merged.get("channel_id") is not None:
                errors.add(("channel_id",), "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_ALLOWED",
                           "An external event cannot have a channel.")  # fmt: skip
            if merged.get("scheduled_end_time") is None:
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
        elif entity_type in (STAGE_INSTANCE, VOICE):
            channel_id = merged.get("channel_id")
            if channel_id is None or int(channel_id) not in guild.channels:
                errors.add(("channel_id",), "BASE_TYPE_REQUIRED", "This field is required")
            if location:
                errors.add(("entity_metadata", "location"), "GUILD_SCHEDULED_EVENT_LOCATION_NOT_ALLOWED",
                           "Only external events have a location.")  # fmt: skip
        else:
            errors.add(("entity_type",), "ENUM_TYPE_COERCE", "Value must be one of {1, 2, 3}.")
        start = _instant(merged.get("scheduled_start_time"))
        end_raw = merged.get("scheduled_end_time")
        end = _instant(end_raw)
        if start is None:
            errors.add(("scheduled_start_time",), "DATE_TIME_TYPE_PARSE", "Could not parse the date.")
        elif new_start and start <= self.scheduled_event_clock():
            errors.add(("scheduled_start_time",), "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                       "Cannot schedule event in the past.")  # fmt: skip
        if end_raw is not None and end is None:
            errors.add(("scheduled_end_time",), "DATE_TIME_TYPE_PARSE", "Could not parse the date.")
        elif start is not None and end is not None and end <= start:
            errors.add(("scheduled_end_time",), "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                       "The end time must be after the start time.")  # fmt: skip

    # ==== handlers ==================================================================================

    async def _list_scheduled_events(self, ctx: Ctx) -> Reply:
        guild = self._scheduled_guild(ctx)
        events = sorted(self.scheduled_events.get(guild.id, {}).items())
        return Reply(200, [self._shown(e, with_count=self._wants_count(ctx)) for _, e in events])

    async def _get_scheduled_event(self, ctx: Ctx) -> Reply:
        guild = self._scheduled_guild(ctx)
        return Reply(200, self._shown(self._one_event(guild, ctx), with_count=self._wants_count(ctx)))

    async def _create_scheduled_event(self, ctx: Ctx) -> Reply:
        guild = self._scheduled_guild(ctx)
        self._need(guild, CREATE_EVENTS)
        body = ctx.body
        errors = FormErrors()
        self._check(guild, body, errors, new_start=True)
        if errors:
            raise DiscordError.form(errors)
        live = sum(1 for e in self.scheduled_events.get(guild.id, {}).values() if e["status"] in LIVE)
        if live >= EVENT_CAP:
            raise DiscordError(400, 30038, CAP_REACHED)
        event = self._new_event(guild.id, body, self.bot_user)
        return Reply(200, self._shown(event))

    async def _edit_scheduled_event(self, ctx: Ctx) -> Reply:
        guild = self._scheduled_guild(ctx)
        event = self._one_event(guild, ctx)
        self._may_change(guild, event)
        if event["status"] in (COMPLETED, CANCELED):
            raise DiscordError(400, 180000, "Cannot update a finished event")
        body = ctx.body
        merged = {**copy.deepcopy(event), **{k: v for k, v in body.items() if k != "status"}}
        if body.get("entity_type") in (STAGE_INSTANCE, VOICE) and "entity_metadata" not in body:
            merged["entity_metadata"] = None
        errors = FormErrors()
        start = body.get("scheduled_start_time")
        moved = start is not None and start != event["scheduled_start_time"]
        if moved and event["status"] == ACTIVE:
            errors.add(("scheduled_start_time",), "GUILD_SCHEDULED_EVENT_ACTIVE_START",
                       "An active event's start time cannot be changed.")  # fmt: skip
        self._check(guild, merged, errors, new_start=moved)
        status = body.get("status")
        move = (event["status"], status)
        if status is not None and status != event["status"] and move not in ALLOWED_MOVES:
            errors.add(("status",), "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                       "This status transition is not allowed.")  # fmt: skip
        if errors:
            raise DiscordError.form(errors)
        for key in ("name", "description", "scheduled_start_time", "scheduled_end_time", "privacy_level",
                    "entity_type", "channel_id"):  # fmt: skip
            if key in merged:
                event[key] = merged[key]
        metadata = merged.get("entity_metadata")
        event["entity_metadata"] = {"location": metadata["location"]} if metadata else None
        if status is not None:
            event["status"] = status
        self._announce_scheduled("GUILD_SCHEDULED_EVENT_UPDATE", self._shown(event), guild.id)
        return Reply(200, self._shown(event))

    async def _delete_scheduled_event(self, ctx: Ctx) -> Reply:
        guild = self._scheduled_guild(ctx)
        event = self._one_event(guild, ctx)
        self._may_change(guild, event)
        del self.scheduled_events[guild.id][int(event["id"])]
        self.scheduled_event_users.pop(int(event["id"]), None)
        self._announce_scheduled("GUILD_SCHEDULED_EVENT_DELETE", self._shown(event), guild.id)
        return Reply(204)

    async def _scheduled_event_users(self, ctx: Ctx) -> Reply:
        """Ascending by user id, at most ``limit`` (1-100, default 100); ``before`` wins
        over ``after`` when both are given, as Discord documents."""
        guild = self._scheduled_guild(ctx)
        event = self._one_event(guild, ctx)
        q = ctx.record.query
        try:
            limit = int(q.get("limit", "100"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            errors = FormErrors()
            code = "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN"
            errors.add(("limit",), code, "limit out of range")
            raise DiscordError.form(errors)
        users = sorted(self.scheduled_event_users.get(int(event["id"]), {}).values(), key=lambda u: u.id)
        if q.get("before", "").isdigit():
            users = [u for u in users if u.id < int(q["before"])][-limit:]
        elif q.get("after", "").isdigit():
            users = [u for u in users if u.id > int(q["after"])][:limit]
        else:
            users = users[:limit]
        with_member = q.get("with_member", "").lower() in ("true", "1")
        out = []
        for user in users:
            item: JSON = {"guild_scheduled_event_id": event["id"], "user": user.to_json()}
            if with_member and user.id in guild.members:
                item["member"] = guild.members[user.id].to_json(with_user=False)
            out.append(item)
        return Reply(200, out)
