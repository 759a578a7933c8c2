"""Pings by series, on every backend: a guild's role per series (set, replaced, lost when
deleted, its problems noted, cleared), and the roles a batch of reminders mentions."""

from __future__ import annotations

from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.store import SeriesRole

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
OTHER = GUILD + 100
WEC_ROLE, IMSA_ROLE, OTHER_ROLE = GUILD + 11, GUILD + 12, GUILD + 13
MOD = GUILD + 9
NOW = parse_instant("2027-06-01T08:00:00Z")


async def test_a_guilds_series_roles_read_back_as_set_and_setting_again_replaces_one(empty_backend):
    roles = empty_backend.series_roles
    assert await roles.of_guild(GUILD) == []
    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(GUILD, "IMSA", IMSA_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(GUILD, "WEC", WEC_ROLE + 1000, created=False, by=MOD + 1, now=NOW)
    await roles.set_role(OTHER, "WEC", OTHER_ROLE, created=True, by=None, now=NOW)

    assert await roles.of_guild(GUILD) == [
        SeriesRole(GUILD, "IMSA", IMSA_ROLE, created=True, updated_by=MOD),
        SeriesRole(GUILD, "WEC", WEC_ROLE + 1000, created=False, updated_by=MOD + 1),
    ]


async def test_mention_roles_are_read_for_the_guilds_asked_only(empty_backend):
    roles = empty_backend.series_roles
    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(GUILD, "IMSA", IMSA_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(OTHER, "WEC", OTHER_ROLE, created=True, by=MOD, now=NOW)

    assert await roles.mention_roles([GUILD, GUILD + 5]) == {GUILD: {"WEC": WEC_ROLE, "IMSA": IMSA_ROLE}}
    assert await roles.mention_roles([]) == {}


async def test_a_deleted_role_is_cleared_with_its_reason_and_the_series_kept(empty_backend):
    roles = empty_backend.series_roles
    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(GUILD, "ELMS", WEC_ROLE, created=False, by=MOD, now=NOW)  # one role, two series
    await roles.set_role(GUILD, "IMSA", IMSA_ROLE, created=True, by=MOD, now=NOW)
    later = NOW + timedelta(hours=2)

    lost = await roles.lose_role(GUILD, WEC_ROLE, "deleted in Discord " + "x" * 400, now=later)
    assert await roles.lose_role(GUILD, OTHER_ROLE, "not ours", now=later) == []
    assert await roles.lose_role(OTHER, IMSA_ROLE, "another guild's id", now=later) == []

    assert lost == ["ELMS", "WEC"]
    by_series = {r.series: r for r in await roles.of_guild(GUILD)}
    assert by_series["WEC"].lost
    assert by_series["ELMS"].lost
    assert by_series["WEC"].problem_at == later
    assert by_series["WEC"].problem is not None
    assert len(by_series["WEC"].problem) == 300
    assert by_series["IMSA"] == SeriesRole(GUILD, "IMSA", IMSA_ROLE, created=True, updated_by=MOD)
    # The guild stays on series roles: a lost one pings nobody rather than the setup's role.
    assert await roles.mention_roles([GUILD]) == {GUILD: {"WEC": None, "ELMS": None, "IMSA": IMSA_ROLE}}


async def test_a_problem_is_noted_until_the_role_is_set_again(empty_backend):
    roles = empty_backend.series_roles
    assert not await roles.note_problem(GUILD, "WEC", "above my role", now=NOW)
    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW)
    assert await roles.note_problem(GUILD, "WEC", "above my role", now=NOW)
    [noted] = await roles.of_guild(GUILD)
    assert (noted.role_id, noted.problem, noted.problem_at) == (WEC_ROLE, "above my role", NOW)

    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW + timedelta(minutes=1))
    [fixed] = await roles.of_guild(GUILD)
    assert (fixed.problem, fixed.problem_at) == (None, None)


async def test_clearing_a_guild_leaves_the_others(empty_backend):
    roles = empty_backend.series_roles
    await roles.set_role(GUILD, "WEC", WEC_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(GUILD, "IMSA", IMSA_ROLE, created=True, by=MOD, now=NOW)
    await roles.set_role(OTHER, "WEC", OTHER_ROLE, created=True, by=MOD, now=NOW)

    assert await roles.clear(GUILD) == 2
    assert await roles.clear(GUILD) == 0
    assert await roles.of_guild(GUILD) == []
    assert [r.role_id for r in await roles.of_guild(OTHER)] == [OTHER_ROLE]
