"""The console: ``fanbot ask``, ``import`` and ``run`` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fanbot.commands import CommandLineError, parse_command_line
from fanbot.config import catalog_path


def fanbot(*args: str, db: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "FANBOT_DB": str(db), "DISCORD_TOKEN": "", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fanbot.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        cwd=db.parent,
    )


def test_ask_json_nextrace_before_petit_le_mans(tmp_path):
    run = fanbot("ask", "--at", "2012-10-01T00:00:00Z", "--json", "/nextrace", db=tmp_path / "f.db")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)["answer"]
    assert answer["event"]["name"].startswith("Petit Le Mans")
    assert answer["event"]["circuit"]["name"] == "Michelin Raceway Road Atlanta"
    assert [(s["kind"], s["start"]) for s in answer["to_come"]] == [
        ("qualifying", "2012-10-19T18:00:00Z"),
        ("race", "2012-10-20T15:30:00Z"),
    ]


def test_ask_text_with_a_display_zone(tmp_path):
    run = fanbot(
        "ask", "--at", "2012-10-01T00:00:00Z", "--tz", "Europe/Paris", "/nextrace", db=tmp_path / "f.db"
    )
    assert run.returncode == 0, run.stderr
    assert "Race: Sat 20 Oct 2012, 17:30 CEST" in run.stdout


def test_ask_with_a_bad_zone_or_instant_is_a_clear_error(tmp_path):
    bad_zone = fanbot("ask", "--tz", "Mars/Base", "/nextrace", db=tmp_path / "f.db")
    assert bad_zone.returncode == 2
    assert "not an IANA time zone" in bad_zone.stderr
    bad_at = fanbot("ask", "--at", "yesterday", "/nextrace", db=tmp_path / "f.db")
    assert bad_at.returncode == 2
    assert "Could not read" in bad_at.stderr
    assert "Traceback" not in bad_zone.stderr + bad_at.stderr


def test_import_twice_reports_nothing_changed_the_second_time(tmp_path):
    db = tmp_path / "f.db"
    first = fanbot("import", str(catalog_path()), db=db)
    second = fanbot("import", str(catalog_path()), db=db)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    count = len(json.loads(catalog_path().read_text(encoding="utf-8"))["events"])
    assert f"events: 0 new, 0 changed, {count} unchanged" in second.stdout


def test_import_of_a_bad_file_exits_non_zero_naming_the_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "fanbot-catalog/1", "series": [{"code": "X"}]}))
    run = fanbot("import", str(bad), db=tmp_path / "f.db")
    assert run.returncode == 1
    assert "series[0].name: missing" in run.stderr


def test_run_without_a_token_explains_how_to_get_one(tmp_path):
    run = fanbot("run", db=tmp_path / "f.db")
    assert run.returncode != 0
    assert "DISCORD_TOKEN" in run.stderr
    assert "fanbot ask" in run.stderr


def test_option_values_may_hold_spaces_and_colons():
    parsed = parse_command_line("/lineup event:petit lemans 2012 class:P1")
    assert parsed.options == {"event": "petit lemans 2012", "class": "P1"}
    assert parse_command_line("/race event:Le Mans: 24h").options == {"event": "Le Mans: 24h"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("/nextrace season:2026", "has no option “season”"),
        ("/lineup class:P1", "needs “event”"),
        ("/lineup event:x driver:y", "has no option “driver”"),
        ("/warp", "Unknown command /warp"),
        ("/nextrace WEC", "Cannot read “WEC”"),
    ],
)
def test_bad_command_lines_are_clear_errors_listing_the_options(line, problem):
    with pytest.raises(CommandLineError) as err:
        parse_command_line(line)
    assert problem in str(err.value)
    if "Unknown command" not in problem:
        assert "Usage: /" in str(err.value)


def test_ask_answers_every_fan_command(tmp_path):
    db = tmp_path / "f.db"
    lineup = fanbot("ask", "/lineup event:petit lemans 2012 class:P1", db=db)
    assert (
        "#6 Muscle Milk Pickett Racing — HPD ARX-03a (Honda): Klaus Graf, Lucas Luhr, Romain Dumas"
        in lineup.stdout
    )
    circuit = fanbot("ask", "--json", "/circuit circuit:Road atlanta", db=db)
    assert json.loads(circuit.stdout)["answer"]["circuit"]["timezone"] == "America/New_York"
    schedule = fanbot("ask", "/schedule series:WEC season:2026", db=db)
    # Qatar was rescheduled to late October, its race day not yet published (data/catalog.json).
    assert schedule.stdout.count("\n  ") == 8
    assert "date TBA — Qatar Airways Qatar 1812 km" in schedule.stdout
    driver = fanbot("ask", "/driver driver:Lucas Luhr", db=db)
    assert "with Klaus Graf, Romain Dumas" in driver.stdout
    race = fanbot("ask", "--spoilers", "/race event:petit lemans 2012", db=db)
    assert "Overall P1: #12 Rebellion Racing" in race.stdout
    for run in (lineup, circuit, schedule, driver, race):
        assert run.returncode == 0, run.stderr


def test_ask_in_french(tmp_path):
    run = fanbot("ask", "--locale", "fr", "--at", "2012-10-01T00:00:00Z", "/nextrace", db=tmp_path / "f.db")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Prochaine course\u00a0: Petit Le Mans")
    assert "Course\u00a0: sam. 20 oct. 2012" in run.stdout


def test_ask_not_found_exits_1_with_suggestions(tmp_path):
    run = fanbot("ask", "/race event:petit lemons 2021", db=tmp_path / "f.db")
    assert run.returncode == 1
    assert "No event matches “petit lemons 2021”. Did you mean:" in run.stderr


def test_console_answers_one_command_per_line(tmp_path):
    db = tmp_path / "f.db"
    run = subprocess.run(
        [sys.executable, "-m", "fanbot.cli", "console", "--at", "2012-10-01T00:00:00Z"],
        input="/nextrace\n/nextrace season:1\nquit\n",
        capture_output=True,
        text=True,
        env={**os.environ, "FANBOT_DB": str(db)},
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "Next race: Petit Le Mans" in run.stdout
    assert "has no option “season”" in run.stdout


def test_settings_point_discord_py_at_the_configured_api_and_gateway(monkeypatch):
    import discord

    from fanbot.bot.running import point_at
    from fanbot.config import Settings

    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    )
    settings = Settings.from_env(
        {
            "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
        }
    )
    point_at(settings)
    assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"


def test_bad_settings_are_reported_not_crashed_on(tmp_path):
    run = fanbot("ask", "/nextrace", db=tmp_path / "f.db", env={"FANBOT_DEV_GUILD_ID": "my-server"})
    assert run.returncode == 2
    assert "FANBOT_DEV_GUILD_ID must be a Discord id" in run.stderr
