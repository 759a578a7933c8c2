"""Sending answers: pagination, the 3-second rule, and mentions that never ping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import discord

from fanbot.i18n import Translate

log = logging.getLogger(__name__)

T = TypeVar("T")

# Discord wants the first response within 3 s; past this we defer and follow up.
DEFER_AFTER_SECONDS = 2.0
NO_MENTIONS = discord.AllowedMentions.none()
# interaction.extras key: a public "thinking…" placeholder is waiting for the reply.
PUBLIC_THINKING = "fanbot_public_thinking"


async def within_deadline(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False
) -> T:
    """Await ``work``; if it is slow, defer the interaction first so Discord never
    shows "The application did not respond"."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER_SECONDS)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        interaction.extras[PUBLIC_THINKING] = not ephemeral
    return await task


async def send(
    interaction: discord.Interaction,
    *,
    content: str | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | discord.InteractionMessage:
    """Reply (or follow up, if already deferred) with mentions disabled; the message
    sent, for views that edit it later (Discord sends it back with the reply, so this
    costs no second request)."""
    kwargs: dict[str, Any] = {"content": content, "ephemeral": ephemeral, "allowed_mentions": NO_MENTIONS}
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    if not interaction.response.is_done():
        callback = await interaction.response.send_message(**kwargs)
        if isinstance(callback.resource, discord.InteractionMessage):
            return callback.resource
        return await interaction.original_response()
    if ephemeral and interaction.extras.pop(PUBLIC_THINKING, False):
        # The first follow-up would replace the public "thinking…" message and so be
        # public too; remove it so that this reply is seen by the asker alone.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.warning("could not remove the thinking message; the reply may be public")
    else:
        interaction.extras.pop(PUBLIC_THINKING, None)
    # wait=True: discord.py then binds a view to the real message id.
    return await interaction.followup.send(**kwargs, wait=True)


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
