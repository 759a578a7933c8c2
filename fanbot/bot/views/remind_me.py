"""The "Remind me" button under /nextrace and /race, and what it and /remindme add do:
subscribe the fan to DMs before an event's qualifying and race."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import discord

from fanbot.answers import reminders as answers
from fanbot.answers.context import choice_value
from fanbot.answers.errors import AnswerError
from fanbot.bot.context import bot_is_in_server, bot_of, fan_asker, language
from fanbot.bot.embeds.pages import CONTENT_LIMIT, clip
from fanbot.bot.embeds.reminder import upcoming_lines
from fanbot.bot.replies import NO_MENTIONS, send
from fanbot.domain.model import Event
from fanbot.i18n import N_, Translate
from fanbot.reminders.planner import FAN_KINDS

log = logging.getLogger(__name__)

# The most reminders to come a confirmation lists.
CONFIRMATION_LISTED = 6
# Where the bot is not in the server (a fan's own install, DMs), "this server's members" of the
# usual refusal means nothing; and whether Discord lets an app write to a fan it shares no
# server with is not documented: say what the fan can check.
DMS_CLOSED_ELSEWHERE = N_(
    "I could not send you a direct message, so I cannot remind you. Check that your Privacy settings "
    "let me write to you (Discord may also want us to share a server), then ask again."
)


def remindable(event: Event, now: datetime) -> bool:
    """Worth a "Remind me" button: a qualifying or race still to come with a known time."""
    return any(s.start is not None and s.start > now and s.kind in FAN_KINDS for s in event.sessions)


class RemindMeButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"fanbot:remindme:(?P<event_id>[0-9]{1,19})",
):
    """ "Remind me" under /nextrace and /race: works for anyone, after restarts too."""

    def __init__(self, event_id: int, label: str = "Remind me") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="⏰",
                style=discord.ButtonStyle.secondary,
                custom_id=f"fanbot:remindme:{event_id}",
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RemindMeButton:
        return cls(int(match["event_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await remind_me(interaction, choice_value(self.event_id), None)


def remind_me_button(event_id: int, tr: Translate) -> RemindMeButton:
    return RemindMeButton(event_id, tr("Remind me"))


async def remind_me(interaction: discord.Interaction, event_text: str, before: str | None) -> None:
    """Subscribe the fan who asked to DMs before ``event_text``'s sessions; the confirmation
    DM doubles as a check that their DMs are open.

    Asked where the bot is not in the server (a fan's own install), the request belongs to no
    server (``fan_asker``): like every DM reminder, the process holding shard 0 sends it."""
    bot = bot_of(interaction)
    tr, locale = language(interaction)
    try:
        sub = await answers.subscribe(
            fan_asker(bot, interaction),
            user_id=interaction.user.id,
            event_text=event_text,
            before=before,
            locale=locale,
        )
    except AnswerError as exc:
        await send(interaction, content=exc.render(tr), ephemeral=True)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    lines = upcoming_lines(sub.upcoming[:CONFIRMATION_LISTED], tr)
    confirmation = (
        tr("I will remind you about {event} here:", event=f"**{sub.event.display_name}**")
        + "\n"
        + "\n".join(lines)
    )
    try:
        # The confirmation doubles as a check that the fan's DMs are open.
        dm = await bot.create_dm(interaction.user)
        await dm.send(clip(confirmation, CONTENT_LIMIT), allowed_mentions=NO_MENTIONS)
    except discord.Forbidden:
        await bot.store.reminders.cancel_fan_request(user_id=interaction.user.id, event_id=sub.event.id)
        in_server = bot_is_in_server(interaction)
        refusal = answers.DmsClosed().render(tr) if in_server else tr(DMS_CLOSED_ELSEWHERE)
        await interaction.followup.send(refusal, ephemeral=True)
        return
    except discord.HTTPException:
        log.warning("could not send the remindme confirmation to %s", interaction.user.id, exc_info=True)
    head = (
        tr("Done: I will send you a direct message before each of these.")
        if sub.new
        else tr("Updated: your reminder times for this event are changed.")
    )
    await interaction.followup.send(
        clip(head + "\n" + "\n".join(lines), CONTENT_LIMIT), ephemeral=True, allowed_mentions=NO_MENTIONS
    )
