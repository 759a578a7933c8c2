"""The "which one?" buttons: a name that matches several things, asked back."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from fanbot.bot.replies import send
from fanbot.i18n import Translate

log = logging.getLogger(__name__)

# A "which one?" list offers at most this many buttons (Discord allows 25 in five rows).
MAX_WHICH_ONE = 10
# Discord cuts button labels at 80 characters.
BUTTON_LABEL = 80

Chosen = Callable[[discord.Interaction, str], Awaitable[None]]


class _Choice(discord.ui.Button["WhichOne"]):
    """One choice of a "which one?" list."""

    def __init__(self, label: str, value: str) -> None:
        # No fixed custom_id: each list gets its own, so two never answer each other.
        super().__init__(label=label[:BUTTON_LABEL], style=discord.ButtonStyle.secondary)
        self.value = value

    async def callback(self, interaction: discord.Interaction) -> None:
        if self.view is not None:
            await self.view.choose(interaction, self.value)


class WhichOne(discord.ui.View):
    """The answer to a name that matches several things: one button per choice, which
    only the asker can press; pressing one removes the buttons and asks again with that
    choice (``on_choice``), answering where the question was asked."""

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        owner_id: int,
        tr: Translate,
        on_choice: Chosen,
        *,
        timeout: float = 300,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.tr = tr
        self.on_choice = on_choice
        self.message: discord.Message | discord.InteractionMessage | None = None
        for label, value in choices[:MAX_WHICH_ONE]:
            self.add_item(_Choice(label, value))

    async def choose(self, interaction: discord.Interaction, value: str) -> None:
        self.stop()
        # The list has done its work: it stays (ephemeral, for the asker) without buttons.
        await interaction.response.edit_message(view=None)
        await self.on_choice(interaction, value)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                self.tr("Only the person who asked can choose."), ephemeral=True
            )
            return False
        return True

    async def on_timeout(self) -> None:
        if self.message is not None:
            try:
                await self.message.edit(view=None)
            except discord.HTTPException:
                log.debug("could not remove expired choice buttons", exc_info=True)


async def send_which_one(
    interaction: discord.Interaction,
    question: str,
    choices: Sequence[tuple[str, str]],
    tr: Translate,
    on_choice: Chosen,
) -> None:
    """Ask the asker alone (ephemeral) which of ``choices`` (label, value) they meant."""
    view = WhichOne(choices, interaction.user.id, tr, on_choice)
    view.message = await send(interaction, content=question, view=view, ephemeral=True)
