"""What the moderators' cogs share: the refusal, the preview with Confirm / Cancel, a
change written at once, passing a change on to reminders, and the autocompletes.

Handlers parse options, call one answer function (``fanbot.answers.moderation``)
and render. A change that moves a time, the status or removes something is shown
as a preview with Confirm / Cancel buttons for the moderator who asked: nothing is
written before Confirm. Entries, results and circuits are written at once (no time
moves) and are in the audit log like everything else.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from fanbot.answers import moderation as mod
from fanbot.answers.context import Asker
from fanbot.answers.errors import AnswerError
from fanbot.answers.moderation.plans import Notice
from fanbot.bot import autocomplete as complete
from fanbot.bot.context import asker, language
from fanbot.bot.embeds.moderation import (
    DONE,
    error_embeds,
    event_embed,
    import_refused_pages,
    plan_embed,
    removal_embed,
)
from fanbot.bot.embeds.pages import CONTENT_LIMIT, clip
from fanbot.bot.replies import send, within_deadline
from fanbot.bot.views.confirm import ConfirmView, Outcome
from fanbot.bot.views.paginator import send_pages
from fanbot.domain.model import Event
from fanbot.i18n import N_
from fanbot.store.feeds import from_a_feed

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Commands are hidden from members without this; the check still runs on every call.
MODERATORS = discord.Permissions(manage_events=True)

AnyCommand = app_commands.Command[Any, ..., Any]


# Said in the preview of an edit to a feed's event: whose word wins, and until when.
FEED_EDIT = Notice(
    N_(
        "This event comes from a calendar feed. What you change here stands until the feed itself "
        "changes the same thing (the name, the status, or that session); its other changes still arrive."
    ),
    check=False,
)


class ModerationCog(commands.Cog):
    """The base of the moderators' cogs (adds no command of its own)."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    def asker(self, interaction: discord.Interaction) -> Asker:
        return asker(self.bot, interaction)

    # ------------------------------------------------------------ shared flows

    async def _refuse(self, interaction: discord.Interaction, exc: AnswerError) -> None:
        tr, locale = language(interaction)
        if isinstance(exc, mod.ImportRefused):
            await send_pages(interaction, import_refused_pages(exc, tr), tr, ephemeral=True)
            return
        await send(
            interaction,
            content=clip(exc.render(tr), CONTENT_LIMIT),
            embeds=error_embeds(exc, tr, locale),
            ephemeral=True,
        )

    async def _preview(self, interaction: discord.Interaction, work: Awaitable[mod.EventPlan]) -> None:
        """Show a plan with Confirm / Cancel; write it only when its moderator confirms."""
        tr, locale = language(interaction)
        try:
            plan = await within_deadline(interaction, work)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        if plan.before is not None and from_a_feed(plan.before.key):
            plan = dataclasses.replace(plan, warnings=(*plan.warnings, FEED_EDIT))
        asker = self.asker(interaction)
        user_id = interaction.user.id
        guild_id = interaction.guild_id
        assert guild_id is not None

        async def commit() -> Outcome:
            after = await mod.commit_event(asker, plan, by=user_id)
            done = tr(DONE[plan.action], name=plan.name)
            embeds = [event_embed(after, tr, locale)] if after is not None else []
            then = None
            if plan.before is not None and plan.moves_times:
                before = plan.before
                then = functools.partial(self._changed, guild_id, before, after)
            else:
                # A new event, or one whose times stayed: no reminder to correct, but the
                # Events tab mirror shows names, places and new races (``event_changed``
                # says so itself for moved ones).
                self.bot.dispatch("calendar_changed", guild_id)
            return Outcome(done, embeds, then)

        view = ConfirmView(
            self.bot,
            user_id,
            tr,
            locale,
            commit,
            danger=plan.action.endswith("remove") or plan.action == "event.cancel",
            warned=any(w.check for w in plan.warnings),
            confirm_label=next((w.confirm_label for w in plan.warnings if w.confirm_label), None),
        )
        view.message = await send(interaction, embeds=[plan_embed(plan, tr, locale)], view=view)

    async def _confirm_removal(
        self,
        interaction: discord.Interaction,
        title: str,
        line: str,
        commit: Callable[[], Awaitable[Outcome]],
    ) -> None:
        """A removal written at Confirm: ``line`` shows what goes."""
        tr, locale = language(interaction)
        view = ConfirmView(self.bot, interaction.user.id, tr, locale, commit, danger=True)
        view.message = await send(interaction, embeds=[removal_embed(title, line)], view=view)

    async def _changed(self, guild_id: int, before: Event, after: Event | None) -> None:
        """Reminders follow the change; corrections go where fans were already told."""
        try:
            await self.bot.event_changed(guild_id, before, after)
        except Exception:
            log.exception("could not pass on the change to %s", before.key)

    async def _written(
        self, interaction: discord.Interaction, work: Awaitable[Any], reply: Callable[[Any], str]
    ) -> None:
        """A change written at once: the reply says what is now stored (to the moderator alone)."""
        try:
            result = await within_deadline(interaction, work, ephemeral=True)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        await send(interaction, content=clip(reply(result), CONTENT_LIMIT), ephemeral=True)

    # ------------------------------------------------------------ autocomplete

    def completions(self, command: AnyCommand) -> dict[str, complete.Completer]:
        """Which autocomplete each option of ``command`` takes, by the option's name."""
        return {
            "event": complete.own_events,
            "series": complete.series,
            "circuit": complete.circuits,
            "timezone": complete.zones,
            "session": complete.sessions,
        }

    async def cog_load(self) -> None:
        """Attach the autocompletes: every event option lists this server's own events."""
        for command in self.walk_app_commands():
            if not isinstance(command, app_commands.Command):
                continue
            params = {p.name for p in command.parameters}
            for name, callback in self.completions(command).items():
                if name in params:
                    command.autocomplete(name)(callback)
