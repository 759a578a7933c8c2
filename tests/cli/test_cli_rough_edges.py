"""The console's rough edges: whatever it is given, one clear line and an exit code not 0
(``{"error": ...}`` with --json); results only with --spoilers; ``fanbot run`` while
Discord cannot be reached. ``fanbot run`` runs as a process against testing/fakediscord."""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fanbot import cli
from fanbot.cli import main
from testing.fakediscord import FakeDiscord
from testing.fanbot_process import REPO_ROOT, start_fanbot

AFTER_PETIT_LE_MANS_2012 = "2013-01-01T00:00:00Z"



def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("fanbot: "), captured.err
    return lines[0]


# ---------------------------------------------------------------- no traceback, one line


def test_an_empty_tz_is_refused_in_one_line(db, capsys):
    assert main(["ask", "--tz", "", "/nextrace"]) == 2
    assert "--tz '' is not an IANA time zone" in one_line_error(capsys)


def test_a_guild_id_too_big_for_discord_is_refused_in_one_line(db, capsys):
    huge = "99999999999999999999999"
    for args in (["ask", "--guild", huge, "/nextrace"], ["export", "--ics", "--guild", huge]):
        assert main(args) == 2
        assert f"--guild {huge} is not a Discord server id" in one_line_error(capsys)


def test_a_database_path_that_is_a_folder_or_in_a_missing_folder_is_one_line(db, tmp_path, capsys):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["ask", "--db", str(folder), "/nextrace"]) == 1
    assert f"--db: {folder} is a folder, not a database file" in one_line_error(capsys)
    missing = tmp_path / "missing" / "fanbot.sqlite3"
    assert main(["ask", "--db", str(missing), "/nextrace"]) == 1
    assert f"the folder {missing.parent} does not exist" in one_line_error(capsys)
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database, just notes\n" * 100, encoding="utf-8")
    assert main(["import", "--db", str(not_sqlite), str(REPO_ROOT / "data" / "catalog.json")]) == 1
    assert f"{not_sqlite} is not a SQLite database" in one_line_error(capsys)


def test_importing_a_folder_or_a_deeply_nested_json_is_a_clear_refusal(db, tmp_path, capsys):
    assert main(["import", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "this is a folder" in captured.err
    assert "Traceback" not in captured.err
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    for extra in ([], ["--guild", "1200000000000000001"]):
        assert main(["import", str(deep), *extra]) == 1
        captured = capsys.readouterr()
        assert "nested too deeply" in captured.err
        assert "Traceback" not in captured.err


def test_exporting_into_a_missing_folder_is_one_line(db, tmp_path, capsys):
    target = tmp_path / "missing" / "fanbot.ics"
    assert main(["export", "--ics", "-o", str(target)]) == 1
    assert f"cannot write {target}: the folder {target.parent} does not exist" in one_line_error(capsys)


def feed_console(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    typed = iter(lines)

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", fake_input)


def break_nextrace(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(asker, **options):
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.CONSOLE, "nextrace", cli.ConsoleCommand(broken, cli.render_next_race))


def test_a_console_command_that_fails_says_so_truly_and_the_session_goes_on(db, monkeypatch, capsys, caplog):
    break_nextrace(monkeypatch)
    feed_console(monkeypatch, ["/nextrace", "/help"])
    assert main(["console"]) == 0
    out = capsys.readouterr().out
    assert "Sorry, that command failed: RuntimeError: boom." in out
    # It no longer claims the error was logged when nothing logged it: it says how to see it.
    assert "was logged" not in out
    assert "FANBOT_LOG_LEVEL=DEBUG" in out
    assert "fanbot answers these commands" in out  # the next line was answered

    # Asked for, the traceback is logged, and then the line says it was.
    monkeypatch.setenv("FANBOT_LOG_LEVEL", "DEBUG")
    feed_console(monkeypatch, ["/nextrace"])
    with caplog.at_level(logging.ERROR, logger="fanbot.cli"):
        assert main(["console"]) == 0
    assert "the traceback was logged" in capsys.readouterr().out
    logged = [r for r in caplog.records if r.name == "fanbot.cli" and r.exc_info]
    assert logged
    assert str(logged[0].exc_info[1]) == "boom"


def test_an_unexpected_error_in_ask_is_one_line_not_a_traceback(db, monkeypatch, capsys):
    break_nextrace(monkeypatch)
    assert main(["ask", "/nextrace"]) == 1
    assert "RuntimeError: boom. This is a bug in fanbot" in one_line_error(capsys)


# ---------------------------------------------------------------- --json


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["ask", "--json", "/nextrace series:Formula Zero"], 1, "No series matches"),
        (["ask", "--json", "/lunch"], 2, "Unknown command /lunch"),
        (["ask", "--json", "--tz", "Mars/Base", "/nextrace"], 2, "not an IANA time zone"),
        (["ask", "--json", "--at", "yesterday", "/nextrace"], 2, "Could not read"),
        (["ask", "--json", "--guild", "-4", "/nextrace"], 2, "is not a Discord server id"),
        (["ask", "--json"], 2, "the following arguments are required: command"),
        (["ask", "--json", "--db", ".", "/nextrace"], 1, "is a folder"),
    ],
)
def test_json_errors_are_an_error_object_on_stdout_and_a_failing_exit_code(db, capsys, args, code, says):
    assert main(args) == code
    captured = capsys.readouterr()
    assert says in json.loads(captured.out)["error"]
    assert "Traceback" not in captured.err


def test_json_console_lines_that_fail_are_error_objects(db, monkeypatch, capsys):
    feed_console(monkeypatch, ["/race event:Le Mans", "/lunch"])
    assert main(["console", "--json"]) == 0
    out = capsys.readouterr().out
    assert '{"error": "Unknown command /lunch.' in out


def test_json_help_lists_every_command_with_its_usage_and_example(db, capsys):
    assert main(["ask", "--json", "/help"]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    commands = {c["name"]: c for c in answer["commands"]}
    assert {"nextrace", "schedule", "race", "lineup", "circuit", "driver", "help"} <= set(commands)
    assert commands["lineup"]["usage"] == "/lineup event:<…> [class:<…>] [team:<…>]"
    assert commands["race"]["example"] == "/race event:Le Mans 2025"
    assert {"name": "event", "description": "The event's name", "required": True} in commands["race"][
        "options"
    ]


# ---------------------------------------------------------------- --spoilers


def test_results_are_hidden_in_the_console_unless_spoilers_is_given(db, capsys):
    race = ["ask", "--at", AFTER_PETIT_LE_MANS_2012, "/race event:petit le mans 2012"]
    assert main(race) == 0
    hidden = capsys.readouterr().out
    assert "Rebellion" not in hidden
    assert "P1" not in hidden
    assert "Results are hidden (spoilers): add --spoilers to show them." in hidden

    assert main([*race[:1], "--spoilers", *race[1:]]) == 0
    shown = capsys.readouterr().out
    assert "Overall P1: #12 Rebellion Racing" in shown

    assert main([*race[:1], "--json", *race[1:]]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["answer"]["results"] is None
    # The catalog's notes on the race name its winner too ("Overall winner #12 Rebellion").
    assert "Rebellion" not in json.dumps(as_json, ensure_ascii=False)
    assert as_json["hidden"] == ["results", "event.notes"]
    assert main([*race[:1], "--json", "--spoilers", *race[1:]]) == 0
    shown_json = json.loads(capsys.readouterr().out)["answer"]
    results = shown_json["results"]
    assert results[0]["car_class"] == "Overall"
    assert results[0]["number"] == "12"
    assert "Rebellion" in shown_json["event"]["notes"]


def test_french_says_results_are_hidden_in_french(db, capsys):
    assert (
        main(["ask", "--locale", "fr", "--at", AFTER_PETIT_LE_MANS_2012, "/race event:petit le mans 2012"])
        == 0
    )
    assert (
        "Résultats masqués (spoilers)\u00a0: ajoutez --spoilers pour les afficher." in capsys.readouterr().out
    )


# ---------------------------------------------------------------- fanbot run, Discord unreachable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """``fanbot run`` with its standard error read line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._changed.set()

    async def wait_for_line(self, wanted: Callable[[str], bool], seconds: float) -> str:
        async with asyncio.timeout(seconds):
            while True:
                for line in self.lines:
                    if wanted(line):
                        return line
                self._changed.clear()
                await self._changed.wait()

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 15)
        await self._reader
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


async def start_run(db: Path, api: str, gateway: str) -> BotProcess:
    """``fanbot run`` against a Discord at ``api`` / ``gateway`` that may not be listening yet."""
    discord_urls = {"DISCORD_API_BASE_URL": api, "DISCORD_GATEWAY_URL": gateway}
    process = await start_fanbot(
        discord_urls, db, cwd=db.parent, stderr=asyncio.subprocess.PIPE, log_level="INFO"
    )
    return BotProcess(process)


async def test_run_without_discord_says_where_in_one_line_retries_and_connects_once_it_is_up(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v10"
    bot = await start_run(tmp_path / "fanbot.sqlite3", api, f"ws://127.0.0.1:{port}/")
    fake = FakeDiscord(bot_token="fake-token", port=port)
    try:
        first = await bot.wait_for_line(lambda line: "could not connect" in line, 60)
        assert f"could not connect to Discord at {api}" in first
        assert "retrying in 2 s" in first
        again = await bot.wait_for_line(lambda line: "retrying in 4 s" in line, 15)
        assert "could not connect to Discord at" in again
        # Discord comes back: the next try logs in and opens the gateway.
        await fake.start()
        await fake.wait_until(lambda: fake.gateway.identifies >= 1, 30, "the bot's IDENTIFY")
    finally:
        code = await bot.stop()
        await fake.stop()
    assert code == 0, bot.output
    assert "Traceback" not in bot.output
    assert "aiohttp" not in bot.output
    assert "PyNaCl" not in bot.output  # nor discord.py's warnings about voice


async def test_run_stops_cleanly_on_sigterm_while_waiting_to_retry(tmp_path):
    port = free_port()
    bot = await start_run(
        tmp_path / "fanbot.sqlite3", f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/"
    )
    await bot.wait_for_line(lambda line: "could not connect" in line, 60)
    started = asyncio.get_running_loop().time()
    assert await bot.stop() == 0
    assert asyncio.get_running_loop().time() - started < 5
    assert "Traceback" not in bot.output


async def test_run_with_an_unreachable_gateway_retries_in_one_line_per_try(tmp_path):
    fake = FakeDiscord(bot_token="fake-token")
    await fake.start()
    gateway = f"ws://127.0.0.1:{free_port()}/"
    bot = await start_run(tmp_path / "fanbot.sqlite3", fake.api_base_url, gateway)
    try:
        line = await bot.wait_for_line(lambda line: "gateway" in line and "retrying" in line, 60)
        assert f"could not connect to Discord's gateway at {gateway}" in line
        await bot.wait_for_line(lambda line: "retrying in 4 s" in line, 20)
    finally:
        code = await bot.stop()
        await fake.stop()
    assert code == 0, bot.output
    assert "Traceback" not in bot.output, bot.output


def test_run_with_an_unusable_database_stops_at_once_in_one_line(tmp_path):
    env = {
        **os.environ,
        "DISCORD_TOKEN": "fake-token",
        "FANBOT_DB": str(tmp_path),  # a folder
        "DISCORD_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/v10",
        "PYTHONPATH": str(REPO_ROOT),
    }
    run = subprocess.run(
        [sys.executable, "-m", "fanbot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 1
    assert (
        run.stderr.strip()
        == f"fanbot: FANBOT_DB: {tmp_path} is a folder, not a database file: give a file path, like {tmp_path / 'fanbot.sqlite3'}"
    )


def test_a_reader_that_stops_reading_gets_no_traceback(tmp_path):
    # `fanbot ask … | head -1` closes the pipe early: the shell's convention, not a bug report.
    process = subprocess.Popen(
        [sys.executable, "-m", "fanbot.cli", "ask", "--db", str(tmp_path / "f.db"), "/help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "FANBOT_LOG_LEVEL": "WARNING"},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # before fanbot writes anything
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert errors == ""
