"""A change committed by another process (``fanbot import`` on the server) brings a
reminder forward: the bot notices other writers and wakes its dispatcher."""

from datetime import timedelta

import pytest

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup
from fanbot.store import Store
from tests.support.reminder_world import weekend


@pytest.fixture
async def simcord_bot(db_path):
    from fanbot.bot.app import FanBot

    bot = FanBot(db_path, watch_other_writers=True)
    yield bot
    if bot._store is not None:
        await bot._store.close()


async def test_a_reminder_added_by_another_process_is_sent_on_time(simcord_env, db_path):
    env = simcord_env
    env.settle_timeout = 60
    guild = env.create_guild("Endurance fans")
    channel = guild.create_text_channel("race-reminders")
    await env.bot.tree.sync()
    await env.advance_time(60)  # the dispatcher has looked, found nothing, and sleeps its full hour

    other = await Store.open(db_path, seed=shipped_catalog())
    try:
        # Le Mans in January is UTC+1: a race at 01:40 local is 00:40Z; its reminder is due at 00:39Z.
        await other.import_catalog(
            weekend("night-race", [("race", "2026-01-01", "01:40")]), guild_id=guild.id
        )
        await other.reminders.save_setup(
            ReminderSetup(
                guild_id=guild.id,
                channel_id=channel.id,
                role_id=None,
                series=(),
                kinds=(SessionKind.RACE,),
                leads=(1,),
                green_flag=False,
                since=env.now(),
            ),
            now=env.now(),
        )
    finally:
        await other.close()

    due = env.now().replace(minute=39, second=0)
    await env.advance_time((due - env.now()).total_seconds() - 1)
    assert [m for m in channel.history() if m.embeds] == []
    await env.advance_time(1)
    [posted] = [m for m in channel.history() if m.embeds]
    assert posted.created_at - due < timedelta(seconds=1)
