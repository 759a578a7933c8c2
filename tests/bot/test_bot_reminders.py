"""/reminders, /remindme and the Remind me button through discord.py and simcord,
with the real courier and dispatcher on simcord's virtual clock (2026-01-01T00:00Z
at the start of each test). The race weekend below is made up."""

from datetime import timedelta

import discord
import pytest
import simcord

from fanbot.domain.localtime import parse_instant
from fanbot.domain.reminders import Target
from fanbot.store import Scope
from tests.support.reminder_world import weekend

# Le Mans (Europe/Paris, UTC+1 in January): qualifying 09:00Z, race 13:00Z.
SESSIONS = [("qualifying", "2026-01-01", "10:00"), ("race", "2026-01-01", "14:00")]
Q_START = parse_instant("2026-01-01T09:00:00Z")
R_START = parse_instant("2026-01-01T13:00:00Z")


@pytest.fixture
async def simcord_bot(db_path):
    from fanbot.bot.app import FanBot

    bot = FanBot(db_path)  # the real clock, which simcord makes virtual
    yield bot
    if bot._store is not None:
        await bot._store.close()


@pytest.fixture
async def rworld(simcord_env):
    env = simcord_env
    # An advance of several virtual hours wakes the dispatcher and the presence loop
    # many times; simcord's 5 s budget is for the whole advance, in real time.
    env.settle_timeout = 60
    guild = env.create_guild("Endurance fans")
    general = guild.create_text_channel("general")
    reminders = guild.create_text_channel("race-reminders")
    mods = guild.create_role("Race control", permissions=discord.Permissions(manage_events=True))
    fans_role = guild.create_role("Race fans")
    mod = guild.add_member(env.create_user("marshal"), roles=[mods])
    fan = guild.add_member(env.create_user("fan"))
    await env.bot.tree.sync()
    await env.bot.store.import_catalog(
        weekend("club-6h", SESSIONS, name="Club 6 Hours", watch_url="https://example.org/live"),
        guild_id=guild.id,
    )
    return env, guild, general, reminders, mods, fans_role, mod, fan


def posts(channel):
    return [m for m in channel.history() if m.embeds]


def sends_to(env, channel_id):
    return [
        r for r in env.http_requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"
    ]


async def test_setup_posts_each_reminder_on_time_and_pings_only_the_chosen_role(rworld):
    env, _, general, reminders, _, fans_role, mod, _ = rworld
    result = await mod.slash(general, "reminders setup", channel=reminders, role=fans_role)
    assert result.ephemeral
    assert "Next reminders" in [f.name for f in result.response.embeds[0].fields]

    await env.advance_time((Q_START - timedelta(hours=1) - env.now()).total_seconds() - 1)
    assert posts(reminders) == []
    await env.advance_time(1)
    [first] = posts(reminders)
    assert first.embeds[0].title == "Club 6 Hours 2026: Qualifying starts in 1 hour"
    assert first.content.startswith(f"<@&{fans_role.id}> ")
    [request] = sends_to(env, reminders.id)
    mentions = request.json["allowed_mentions"]
    assert (mentions["parse"], mentions["roles"]) == ([], [fans_role.id])
    assert request.json["nonce"]
    assert request.json.get("enforce_nonce") is True

    await env.advance_time((R_START - env.now()).total_seconds())
    titles = [m.embeds[0].title for m in posts(reminders)]
    assert titles == [
        "Club 6 Hours 2026: Qualifying starts in 1 hour",
        "Club 6 Hours 2026: Race starts in 1 hour",
        "Green flag! Club 6 Hours 2026: the race has started",
    ]
    watch = {f.name: f.value for f in posts(reminders)[1].embeds[0].fields}["How to watch"]
    assert watch == "https://example.org/live"


async def test_without_a_role_nothing_is_pinged(rworld):
    env, _, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders)
    await env.advance_time((Q_START - env.now()).total_seconds())
    [request] = sends_to(env, reminders.id)
    assert request.json["allowed_mentions"]["parse"] == []
    assert not request.json["allowed_mentions"].get(
        "roles"
    )
    assert "<@" not in request.json["content"]


async def test_status_lists_the_next_five_reminders_with_their_times(rworld):
    _, _, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders, before="2h, 1h")
    result = await mod.slash(general, "reminders status")
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    lines = fields["Next reminders"].splitlines()
    assert len(lines) == 5
    first_due = int((Q_START - timedelta(hours=2)).timestamp())
    assert lines[0].startswith(f"<t:{first_due}:f>")


async def test_setup_refuses_bad_durations_and_unknown_series_and_saves_nothing(rworld):
    env, guild, general, reminders, _, _, mod, _ = rworld
    bad = await mod.slash(general, "reminders setup", channel=reminders, before="soon")
    assert bad.ephemeral
    assert "is not a duration" in bad.response.content
    unknown = await mod.slash(general, "reminders setup", channel=reminders, series="F1")
    assert unknown.ephemeral
    assert "F1" in unknown.response.content
    assert "WEC" in unknown.response.content
    assert await env.bot.store.reminders.setup(guild.id) is None


async def test_a_member_cannot_see_or_run_reminder_setup(rworld):
    _, _, general, reminders, _, _, _, fan = rworld
    with pytest.raises(simcord.SetupError):
        await fan.slash(general, "reminders setup", channel=reminders)


async def test_a_deleted_channel_marks_the_setup_broken_and_moderators_are_told(rworld):
    env, guild, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders)
    env.inject_error(
        "POST",
        f"/channels/{reminders.id}/messages",
        status=404,
        code=10003,
        message="Unknown Channel",
        times=None,
    )
    await env.advance_time((Q_START - env.now()).total_seconds())
    setup = await env.bot.store.reminders.setup(guild.id)
    assert setup.broken
    assert "Unknown Channel" in setup.broken_reason
    # Broken: no further attempts for this guild.
    attempts = len(sends_to(env, reminders.id))
    await env.advance_time((R_START - env.now()).total_seconds())
    assert len(sends_to(env, reminders.id)) == attempts
    status = await mod.slash(general, "reminders status")
    assert "Reminders stopped" in status.response.embeds[0].description


async def test_reminders_test_reports_a_missing_permission(rworld):
    env, _, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders)
    env.inject_error(
        "POST", f"/channels/{reminders.id}/messages", status=403, code=50013, message="Missing Permissions"
    )
    result = await mod.slash(general, "reminders test")
    [reply] = [m for m in general.history(viewer=mod) if m.content]
    assert "I could not post" in reply.content
    assert "Missing Permissions" in reply.content
    assert result.ephemeral or reply.flags.ephemeral


async def test_reminders_off_stops_posting(rworld):
    env, _, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders)
    await mod.slash(general, "reminders off")
    await env.advance_time((R_START - env.now()).total_seconds())
    assert posts(reminders) == []


async def test_remindme_sends_a_confirmation_and_then_dms_before_qualifying_and_race(rworld):
    env, _, general, _, _, _, _, fan = rworld
    result = await fan.slash(general, "remindme add", event="Club 6 Hours")
    [reply] = [m for m in general.history(viewer=fan) if m.content]
    assert "Done" in reply.content
    dm = fan.user.dm_channel if hasattr(fan, "user") else None
    dm = dm or env.bot.get_user(fan.id).dm_channel
    assert dm is not None
    assert "I will remind you about" in dm.history()[0].content
    await env.advance_time((R_START - env.now()).total_seconds())
    titles = [m.embeds[0].title for m in dm.history() if m.embeds]
    assert titles == [
        "Club 6 Hours 2026: Qualifying starts in 1 hour",
        "Club 6 Hours 2026: Race starts in 1 hour",
    ]
    assert result is not None


async def test_remindme_with_closed_dms_says_so_and_keeps_nothing(rworld):
    env, _, general, _, _, _, _, fan = rworld
    env.inject_error(
        "POST", "/channels/*/messages", status=403, code=50007, message="Cannot send messages to this user"
    )
    await fan.slash(general, "remindme add", event="Club 6 Hours")
    [reply] = [m for m in general.history(viewer=fan) if m.content]
    assert "could not send you a direct message" in reply.content
    assert await env.bot.store.reminders.fan_requests(user_id=fan.id) == []


async def test_the_remind_me_button_on_nextrace_subscribes_whoever_presses_it(rworld):
    env, _, general, _, _, _, mod, fan = rworld
    result = await mod.slash(general, "nextrace")
    message = result.response.message
    assert any(getattr(c, "label", None) == "Remind me" for row in message.components for c in row.children)
    await fan.click(message, label="Remind me")
    [request] = await env.bot.store.reminders.fan_requests(user_id=fan.id)
    [event] = [
        e for e in await env.bot.store.events(Scope(general.guild.id), season=2026) if e.key == "club-6h"
    ]
    assert request.event_id == event.id


async def test_remindme_list_and_cancel(rworld):
    env, _, general, _, _, _, _, fan = rworld
    await fan.slash(general, "remindme add", event="Club 6 Hours", before="30m")
    listed = await fan.slash(general, "remindme list")
    assert "Club 6 Hours 2026" in listed.response.embeds[0].description
    cancelled = await fan.slash(general, "remindme cancel")
    assert "Cancelled 1" in cancelled.response.content
    await env.advance_time((R_START - env.now()).total_seconds())
    deliveries = await env.bot.store.reminders.deliveries_of(Target("user", fan.id))
    assert deliveries == []


async def test_moving_an_announced_race_posts_a_correction_where_the_reminder_went(rworld):
    env, guild, general, reminders, _, _, mod, _ = rworld
    await mod.slash(general, "reminders setup", channel=reminders, sessions="race", green_flag=False)
    await env.advance_time((R_START - timedelta(minutes=30) - env.now()).total_seconds())
    [before] = [e for e in await env.bot.store.events(Scope(guild.id), season=2026) if e.key == "club-6h"]
    await env.bot.store.import_catalog(
        weekend("club-6h", [SESSIONS[0], ("race", "2026-01-01", "15:00")], name="Club 6 Hours"),
        guild_id=guild.id,
    )
    [after] = [e for e in await env.bot.store.events(Scope(guild.id), season=2026) if e.key == "club-6h"]
    await env.bot.event_changed(guild.id, before, after)
    last = reminders.history()[-1]
    new_start = int((R_START + timedelta(hours=1)).timestamp())
    assert last.content.startswith("Correction: Club 6 Hours 2026, Race now starts")
    assert f"<t:{new_start}:F>" in last.content
    # The reminders follow the new time by themselves.
    await env.advance_time((R_START + timedelta(hours=1) - env.now()).total_seconds())
    titles = [m.embeds[0].title for m in posts(reminders)]
    assert titles == ["Club 6 Hours 2026: Race starts in 1 hour"] * 2


async def test_the_next_moderator_to_use_the_bot_is_told_once_that_reminders_stopped(rworld):
    env, _, general, reminders, _, _, mod, fan = rworld
    await mod.slash(general, "reminders setup", channel=reminders)
    env.inject_error("POST", f"/channels/{reminders.id}/messages", status=403, code=50013,
                     message="Missing Permissions", times=None)
    await env.advance_time((Q_START - env.now()).total_seconds())
    await fan.slash(general, "nextrace")
    assert not [m for m in general.history(viewer=fan) if "Reminders stopped" in m.content]
    await mod.slash(general, "nextrace")
    await mod.slash(general, "nextrace")
    told = [m for m in general.history(viewer=mod) if "Reminders stopped" in m.content]
    assert len(told) == 1
    assert told[0].flags.ephemeral
