"""Sending answers: the 3-second rule, and mentions that never ping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

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
