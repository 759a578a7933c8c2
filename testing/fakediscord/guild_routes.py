"""REST routes of guilds: the guild, its roles, its channels and its members, as the bot may
read them."""

from __future__ import annotations

from .model import FakeGuild
from .rest import Ctx, Reply
from .state import FakeDiscordState
from .validation import DiscordError


class GuildRoutes(FakeDiscordState):
    """Handlers of the guild routes."""

    def _guild_for_bot(self, guild_id: str) -> FakeGuild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        data = guild.to_json()
        if ctx.record.query.get("with_counts", "").lower() in ("true", "1"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return Reply(200, data)

    async def _get_roles(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        return Reply(200, [r.to_json() for r in guild.roles.values()])

    async def _get_guild_channels(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        return Reply(200, [c.to_json() for c in guild.channels.values()])

    async def _get_member(self, ctx: Ctx) -> Reply:
        guild = self._guild_for_bot(ctx.params["guild_id"])
        member = guild.members.get(int(ctx.params["user_id"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return Reply(200, member.to_json())
