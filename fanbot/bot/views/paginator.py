"""◀ / ▶ over pages of embeds, and sending an answer of one page or several."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from fanbot.bot.replies import send
from fanbot.i18n import Translate

log = logging.getLogger(__name__)


class Paginator(discord.ui.View):
    """◀ / ▶ over pages of embeds; only the person who asked can turn them."""

    def __init__(
        self,
        pages: list[discord.Embed],
        owner_id: int,
        tr: Translate,
        *,
        timeout: float = 600,
        lasting: Sequence[discord.ui.Item[Any]] = (),
    ) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        # Items anyone may use and that outlive the page buttons ("Remind me"): dynamic
        # items, which discord.py dispatches bot-wide, never through this view's owner check.
        self.lasting = list(lasting)
        for item in self.lasting:
            self.add_item(item)
        self.owner_id = owner_id
        self.tr = tr
        self.index = 0
        self.message: discord.Message | discord.InteractionMessage | None = None
        self.previous.label = tr("Previous")
        self.next.label = tr("Next")
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                self.tr("Only the person who asked can turn these pages."),
                ephemeral=True,
            )
            return False
        return True

    async def on_timeout(self) -> None:
        # Leave the page that is shown, without buttons that would no longer answer.
        if self.message is not None:
            try:
                await self.message.edit(view=lasting_view(self.lasting))
            except discord.HTTPException:
                log.debug("could not remove expired page buttons", exc_info=True)

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    # No fixed custom_id: each paginator gets its own, so two never answer each other's buttons.
    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Paginator]) -> None:
        self.index = max(0, self.index - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Paginator]) -> None:
        self.index = min(len(self.pages) - 1, self.index + 1)
        await self._show(interaction)


def lasting_view(items: Sequence[discord.ui.Item[Any]]) -> discord.ui.View | None:
    """A view of items that never expire (their custom ids are handled bot-wide)."""
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


async def send_pages(
    interaction: discord.Interaction,
    pages: list[discord.Embed],
    tr: Translate,
    *,
    ephemeral: bool = False,
    lasting: Sequence[discord.ui.Item[Any]] = (),
) -> None:
    """One page as is; several with a paginator owned by the asker. ``lasting``
    items (buttons anyone may press) come with either."""
    if len(pages) == 1:
        await send(interaction, embeds=pages, view=lasting_view(lasting), ephemeral=ephemeral)
        return
    paginator = Paginator(pages, interaction.user.id, tr, lasting=lasting)
    paginator.message = await send(interaction, embeds=[pages[0]], view=paginator, ephemeral=ephemeral)
