"""A guild for ``fanbot run`` as a process against the fake Discord: the end-to-end and
fault-injection tests start the bot (:mod:`testing.fanbot_process`) on this world."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import discord

from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser


@dataclass
class ProcessWorld:
    """One guild on the fake (a general and a reminders channel), a moderator with Manage
    Events and a fan in it, and the SQLite file the bot process will use."""

    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    reminders: FakeChannel
    mod: FakeUser
    fan: FakeUser
    db: Path

    @classmethod
    def build(
        cls,
        fake: FakeDiscord,
        db: Path,
        *,
        guild_id: int,
        general_id: int,
        reminders_id: int,
        mod_id: int,
        fan_id: int,
    ) -> ProcessWorld:
        """Add the guild (locale en-US), its channels and its two members to ``fake``."""
        guild = fake.add_guild(guild_id, name="Endurance fans", locale="en-US")
        general = guild.add_text_channel(general_id, "general")
        reminders = guild.add_text_channel(reminders_id, "race-reminders")
        mod = fake.add_user(mod_id, "marshal")
        fan = fake.add_user(fan_id, "fan")
        guild.add_member(
            mod,
            permissions=discord.Permissions(manage_events=True, view_channel=True, send_messages=True).value,
        )
        guild.add_member(fan)
        return cls(fake, guild, general, reminders, mod, fan, db)
