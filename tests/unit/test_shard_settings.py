"""FANBOT_SHARD_COUNT and FANBOT_SHARD_IDS: which shards a process runs, the bot it makes,
and its share of Discord's global REST limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord.ext import commands

from fanbot.bot.app import FanBot, ShardedFanBot, make_bot, rest_limit
from fanbot.cli import main
from fanbot.config import ConfigError, Settings
from fanbot.reminders.dispatcher import Shards


def settings(**env: str) -> Settings:
    return Settings.from_env(env, dotenv=False)


def test_without_shard_settings_the_process_is_unsharded() -> None:
    plain = settings()

    assert (plain.shard_count, plain.shard_ids, plain.sharded) == (None, None, False)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("4", "0-3", (0, 1, 2, 3)),
        ("6", "4,5", (4, 5)),
        ("8", "0-1,6", (0, 1, 6)),
        ("8", " 6 , 0-1 ", (0, 1, 6)),
        ("1", "0", (0,)),
        ("3", "", (0, 1, 2)),
    ],
)
def test_shard_ids_are_read_as_numbers_and_ranges(count: str, ids: str, expected: tuple[int, ...]) -> None:
    read = settings(FANBOT_SHARD_COUNT=count, FANBOT_SHARD_IDS=ids)

    assert read.sharded
    assert read.shard_count == int(count)
    assert read.shard_ids == expected


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"FANBOT_SHARD_IDS": "0-1"}, "FANBOT_SHARD_IDS ('0-1') needs FANBOT_SHARD_COUNT"),
        ({"FANBOT_SHARD_COUNT": "0"}, "FANBOT_SHARD_COUNT must be a whole number of shards from 1"),
        ({"FANBOT_SHARD_COUNT": "two"}, "FANBOT_SHARD_COUNT must be a whole number of shards from 1"),
        ({"FANBOT_SHARD_COUNT": "-2"}, "FANBOT_SHARD_COUNT must be a whole number of shards from 1"),
        (
            {"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "4"},
            "shard 4 does not exist with FANBOT_SHARD_COUNT=4",
        ),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "2-5"}, "shard 5 does not exist"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "3-1"}, "the range 3-1 runs backwards"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "0-2,1"}, "lists shard 1 twice"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "0-"}, "like 0-3, 4,5 or 0-1,6, not '0-'"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "a,b"}, "like 0-3, 4,5 or 0-1,6, not 'a,b'"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "1,,2"}, "like 0-3, 4,5 or 0-1,6"),
    ],
)
def test_bad_shard_settings_say_which_variable_and_how(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settings(**env)

    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_fanbot_run_with_bad_shard_ids_stops_with_one_line_and_exit_code_2(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "a-token")
    monkeypatch.setenv("FANBOT_SHARD_COUNT", "2")
    monkeypatch.setenv("FANBOT_SHARD_IDS", "1-2")

    assert main(["run"]) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "FANBOT_SHARD_IDS: shard 2 does not exist with FANBOT_SHARD_COUNT=2" in err[0]


@pytest.mark.parametrize(
    ("count", "ids", "limit"),
    [
        (None, None, 50),  # one process: all of it
        ("4", "0-1", 25),  # 2 processes x 2 shards: half each
        ("4", "0-3", 50),  # every shard in one process
        ("3", "0", 16),  # shares round down, so they never add up to more than 50
        ("3", "1-2", 33),
        ("64", "5", 1),  # at least 1
    ],
)
def test_each_process_takes_its_shards_share_of_the_global_rest_limit(
    count: str | None, ids: str | None, limit: int
) -> None:
    env = {"FANBOT_SHARD_COUNT": count, "FANBOT_SHARD_IDS": ids} if count else {}

    assert rest_limit(settings(**env)) == limit


def test_the_shares_of_a_bot_split_into_processes_never_exceed_the_global_limit() -> None:
    # Up to 50 shards (Discord's 2,500 guilds each: 125,000 guilds), however grouped.
    for count in range(1, 51):
        for processes in range(1, count + 1):
            groups = [list(range(count))[p::processes] for p in range(processes)]
            shares = [
                rest_limit(settings(FANBOT_SHARD_COUNT=str(count), FANBOT_SHARD_IDS=",".join(map(str, g))))
                for g in groups
            ]
            assert sum(shares) <= 50, (count, processes, shares)
            assert min(shares) >= 1


def test_an_unsharded_bot_is_the_plain_bot_that_sends_every_reminder(tmp_path: Path) -> None:
    bot = make_bot(settings(), tmp_path / "fanbot.sqlite3")

    assert type(bot) is FanBot
    assert not isinstance(bot, commands.AutoShardedBot)
    # No shard field in its IDENTIFY (discord.py adds one only with a shard count).
    assert (bot.shard_id, bot.shard_count) == (None, None)
    assert bot.reminder_shards() == Shards(frozenset({0}), 1)


def test_a_sharded_process_is_an_auto_sharded_fanbot_with_its_shards(tmp_path: Path) -> None:
    bot = make_bot(settings(FANBOT_SHARD_COUNT="4", FANBOT_SHARD_IDS="2-3"), tmp_path / "fanbot.sqlite3")

    assert isinstance(bot, ShardedFanBot)
    assert isinstance(bot, FanBot)
    assert isinstance(bot, commands.AutoShardedBot)
    assert (bot.shard_count, bot.shard_ids) == (4, [2, 3])
    shards = bot.reminder_shards()
    assert shards == Shards(frozenset({2, 3}), 4)
    assert not shards.sends_dms
    # FanBot's hooks come first; the connections are AutoShardedClient's.
    mro = type(bot).__mro__
    assert mro.index(FanBot) < mro.index(commands.AutoShardedBot)
    assert type(bot).connect is commands.AutoShardedBot.connect
    assert type(bot).setup_hook is FanBot.setup_hook
