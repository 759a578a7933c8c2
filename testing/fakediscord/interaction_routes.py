"""REST routes of interactions: the bot's callback (within Discord's 3-second deadline, once)
and the interaction-token webhooks behind it (follow-ups, editing and deleting the original
response or a follow-up, for 15 minutes).

Where only a user's install reaches (``installs.py``), Discord allows 5 follow-ups at most
(400 ``40094``), and a server that denies that user USE_EXTERNAL_APPS shows every reply to
the user alone: the reply and its follow-ups are stored ephemeral, with no error to the bot."""

from __future__ import annotations

import copy
import time

from .interactions import APPLICATION_COMMAND, AUTOCOMPLETE, MESSAGE_COMPONENT, InteractionState
from .messages import MessageStore
from .model import FakeChannel
from .rest import JSON, Ctx, Reply
from .validation import EPHEMERAL, LOADING, DiscordError, FormErrors, check_choices, check_message

MAX_FOLLOWUPS = "This interaction has hit the maximum number of follow up messages"


class InteractionRoutes(MessageStore):
    """Handlers of the interaction callback and interaction webhook routes."""

    def _where(self, state: InteractionState, channel_id: int | None = None) -> FakeChannel:
        """The interaction's channel (servers without the bot and DMs between users included)."""
        wanted = state.channel_id if channel_id is None else channel_id
        if state.channel is not None and state.channel.id == wanted:
            return state.channel
        channel = self.channel(wanted)
        assert channel is not None
        return channel

    @staticmethod
    def _as_seen(state: InteractionState, data: JSON) -> JSON:
        """The message as the server shows it: to the user alone where it forces that."""
        if not state.forced_ephemeral:
            return data
        return {**data, "flags": int(data.get("flags") or 0) | EPHEMERAL}

    async def _callback(self, ctx: Ctx) -> Reply:
        state = self._interactions_by_id.get(int(ctx.params["interaction_id"]))
        if state is None or state.token != ctx.params["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        age = time.monotonic() - state.created
        if age > self.interaction_deadline_seconds:
            state.refused.append(
                f"callback after {age:.2f}s (deadline {self.interaction_deadline_seconds:g}s)"
            )
            self._changed()
            raise DiscordError(404, 10062, "Unknown interaction")
        if state.callback_type is not None:
            state.refused.append("second callback")
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
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
        channel = self._where(state)
        message: JSON | None = None
        if ctype == 4:
            check_message(data, file_count=len(ctx.record.files))
            state.callback_type = ctype
            message = self._new_message(
                channel, self._as_seen(state, data), ctx.record.files, author=self.bot_user,
                msg_type=20 if state.type == APPLICATION_COMMAND else 0, interaction=state,
            )  # fmt: skip
            state.original_id = int(message["id"])
        elif ctype == 5:
            state.callback_type = ctype
            flags = LOADING | (int(self._as_seen(state, data).get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                channel, {}, [], author=self.bot_user,
                msg_type=20 if state.type == APPLICATION_COMMAND else 0, interaction=state, extra_flags=flags,
            )  # fmt: skip
            state.original_id = int(message["id"])
        elif ctype in (6, 7):
            assert state.component_message_id is not None
            target = self._message_index.get(state.component_message_id)
            if target is None:
                raise DiscordError(404, 10008, "Unknown Message")
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
            raise DiscordError(404, 10015, "Unknown Webhook")
        if time.monotonic() - state.created > self.followup_window_seconds:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return state

    async def _followup(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        if state.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if state.followup_limit is not None and len(state.followup_ids) >= state.followup_limit:
            raise DiscordError(400, 40094, MAX_FOLLOWUPS)
        channel = self._where(state)
        body = self._as_seen(state, ctx.body)
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
            raise DiscordError(404, 10008, "Unknown Message")
        return msg

    async def _webhook_get(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        return Reply(200, self.public(self._webhook_message(state, ctx.params["message_id"])))

    async def _webhook_edit(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        msg = self._webhook_message(state, ctx.params["message_id"])
        channel = self._where(state, int(msg["channel_id"]))
        edited = self._edit(channel, msg, ctx.body, ctx.record.files)
        if int(msg["id"]) == state.original_id:
            state.edits += 1
        self._changed()
        return Reply(200, self.public(edited))

    async def _webhook_delete(self, ctx: Ctx) -> Reply:
        state = self._interaction_for_webhook(ctx)
        msg = self._webhook_message(state, ctx.params["message_id"])
        channel = self._where(state, int(msg["channel_id"]))
        if int(msg["id"]) == state.original_id:
            state.original_deleted = True
        self._remove(channel, msg)
        return Reply(204)
