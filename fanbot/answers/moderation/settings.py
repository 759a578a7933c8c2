"""A guild's moderation settings: the role whose members moderate besides Manage Events."""

from __future__ import annotations

from fanbot.answers.context import Asker
from fanbot.answers.moderation.errors import EveryoneRole
from fanbot.answers.moderation.finding import guild_of


async def set_moderator_role(
    asker: Asker, *, by: int, role_id: int | None, is_everyone: bool = False
) -> int | None:
    """Name (or clear) the role whose members moderate this guild besides Manage Events."""
    if is_everyone:
        raise EveryoneRole()
    guild = guild_of(asker)
    before = await asker.store.moderator_role(guild)
    await asker.store.set_moderator_role(guild, role_id)
    await asker.store.editing.record(
        guild,
        by=by,
        at=asker.now,
        action="settings.moderator-role",
        before={"moderator_role_id": before},
        after={"moderator_role_id": role_id},
    )
    return before
