"""Confirm / Cancel under a moderator's preview: nothing is written before Confirm."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from fanbot.answers.errors import AnswerError
from fanbot.bot.embeds.moderation import error_embeds
from fanbot.bot.embeds.pages import CONTENT_LIMIT, clip
from fanbot.bot.permissions import is_moderator
from fanbot.bot.replies import DEFER_AFTER_SECONDS
from fanbot.i18n import Translate

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Long enough to read a preview; inside the 15 minutes an interaction token lets us edit it.
PREVIEW_TIMEOUT = 600.0


@dataclass
class Outcome:
    """What a confirmed change shows, and what to do once it is shown."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    then: Callable[[], Awaitable[None]] | None = None


class ConfirmView(discord.ui.View):
    """Confirm / Cancel for the moderator who asked; expires (buttons removed) after 10 minutes."""

    def __init__(
        self,
        bot: FanBot,
        owner_id: int,
        tr: Translate,
        locale: str,
        action: Callable[[], Awaitable[Outcome]],
        *,
        danger: bool = False,
        warned: bool = False,
        confirm_label: str | None = None,
        timeout: float = PREVIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.tr = tr
        self.locale = locale
        self.action = action
        self.finished = False
        self.message: discord.Message | discord.InteractionMessage | None = None
        if confirm_label is not None:
            self.confirm.label = tr(confirm_label)
        else:
            self.confirm.label = tr("Confirm anyway") if warned else tr("Confirm")
        self.confirm.style = discord.ButtonStyle.danger if danger else discord.ButtonStyle.success
        self.cancel.label = tr("Cancel")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                self.tr("Only the moderator who asked can confirm or cancel this."), ephemeral=True
            )
            return False
        # Ten minutes is long enough for a moderator role to be taken away.
        if not await is_moderator(self.bot, interaction):
            await interaction.response.send_message(
                self.tr(
                    "Only this server's moderators can do this: members with the Manage Events "
                    "permission or the moderator role."
                ),
                ephemeral=True,
            )
            return False
        return True

    async def on_timeout(self) -> None:
        if self.finished or self.message is None:
            return
        try:
            await self.message.edit(
                content=self.tr("This preview expired: nothing was saved. Run the command again."), view=None
            )
        except discord.HTTPException:
            log.debug("could not remove expired confirmation buttons", exc_info=True)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        if self.finished:
            return
        self.finished = True
        self.stop()
        task = asyncio.ensure_future(self.action())
        done, _pending = await asyncio.wait({task}, timeout=DEFER_AFTER_SECONDS)
        if not done:
            await interaction.response.defer()
        try:
            outcome = await task
        except AnswerError as exc:
            outcome = Outcome(exc.render(self.tr), error_embeds(exc, self.tr, self.locale))
        except Exception:
            log.exception("a confirmed change failed")
            outcome = Outcome(
                self.tr("Sorry, something went wrong on our side. It has been logged; please try again.")
            )
        content = clip(outcome.content, CONTENT_LIMIT)
        if interaction.response.is_done():
            await interaction.edit_original_response(content=content, embeds=outcome.embeds, view=None)
        else:
            await interaction.response.edit_message(content=content, embeds=outcome.embeds, view=None)
        if outcome.then is not None:
            await outcome.then()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        self.finished = True
        self.stop()
        await interaction.response.edit_message(
            content=self.tr("Cancelled: nothing was changed."), embeds=[], view=None
        )
