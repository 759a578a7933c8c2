"""The terminal adapter: ``fanbot ask | console | import | export | run``.

``ask`` runs the same answer functions as the Discord bot and prints text or
JSON, so every answer can be checked (and demonstrated) without Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanbot.answers.calendar import race, schedule
from fanbot.answers.context import Asker, Lookups
from fanbot.answers.errors import AnswerError
from fanbot.answers.moderation import export_ics
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, driver, lineup
from fanbot.clock import Clock, FixedClock, SystemClock
from fanbot.commands import COMMANDS, CommandLineError, ParsedCommand, parse_command_line
from fanbot.config import ConfigError, Settings, catalog_path
from fanbot.domain.localtime import LocalTimeError, is_known_zone, parse_instant
from fanbot.i18n import SUPPORTED, translator
from fanbot.render import json_out
from fanbot.render.text import (
    TextStyle,
    render_circuit,
    render_driver,
    render_lineup,
    render_next_race,
    render_race,
    render_schedule,
)
from fanbot.store import Scope, Store
from fanbot.store.catalog_file import CatalogError, load_catalog_file

EXIT_USAGE = 2


@dataclass(frozen=True)
class ConsoleCommand:
    answer: Callable[..., Awaitable[Any]]
    text: Callable[[Any, TextStyle], str]


CONSOLE: dict[str, ConsoleCommand] = {
    "nextrace": ConsoleCommand(next_race, render_next_race),
    "schedule": ConsoleCommand(schedule, render_schedule),
    "race": ConsoleCommand(race, render_race),
    "lineup": ConsoleCommand(lineup, render_lineup),
    "circuit": ConsoleCommand(circuit, render_circuit),
    "driver": ConsoleCommand(driver, render_driver),
}


def _render_help(_: Any, style: TextStyle) -> str:
    tr = style.tr
    lines = [tr("fanbot answers these commands:")]
    for spec in COMMANDS.values():
        example = tr("e.g.")
        lines.append(f"  {spec.usage()}\n      {tr(spec.description)} — {example} {spec.example}")
    return "\n".join(lines)


async def _help_answer(_: Asker) -> None:
    return None


CONSOLE["help"] = ConsoleCommand(_help_answer, _render_help)


async def answer_line(
    store: Store,
    line: str,
    *,
    clock: Clock,
    style: TextStyle,
    as_json: bool,
    guild_id: int | None = None,
    lookups: Lookups | None = None,
) -> tuple[int, str]:
    """(exit code, output) for one console command line."""
    try:
        parsed = parse_command_line(line)
    except CommandLineError as exc:
        return EXIT_USAGE, str(exc)
    command = CONSOLE.get(parsed.spec.name)
    if command is None:
        return EXIT_USAGE, f"/{parsed.spec.name} is not available in the console yet."
    asker = Asker(store, Scope(guild_id), clock, lookups or Lookups(store))
    try:
        answer = await command.answer(asker, **_keyword_options(parsed))
    except AnswerError as exc:
        return 1, exc.render(translator(style.locale))
    if as_json:
        return 0, json_out.dumps(parsed.spec.name, answer)
    return 0, command.text(answer, style)


def _keyword_options(parsed: ParsedCommand) -> dict[str, str]:
    # "class" is a Python keyword; answer functions take it as car_class.
    return {("car_class" if k == "class" else k): v for k, v in parsed.options.items()}


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="SQLite file (default: FANBOT_DB or ./fanbot.sqlite3)")
    parser.add_argument("--at", help="answer as if it were this instant (ISO-8601 with Z or offset)")
    parser.add_argument("--tz", default="UTC", help="show times in this IANA zone (default UTC)")
    parser.add_argument("--locale", default="en", choices=SUPPORTED, help="answer language")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--guild", type=int, help="answer as this guild (its own events too)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fanbot", description="fanbot: the endurance-racing Discord bot, and its console."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    ask = sub.add_parser("ask", help='answer one command, e.g. fanbot ask "/nextrace"')
    _common_options(ask)
    ask.add_argument("command", help='the command as typed in Discord, e.g. "/nextrace series:WEC"')
    console = sub.add_parser("console", help="answer commands typed one per line")
    _common_options(console)
    imp = sub.add_parser("import", help="load a catalog file (idempotent; all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--db", type=Path)
    imp.add_argument("--guild", type=int, help="import as this guild's own events")
    exp = sub.add_parser("export", help="write the calendar as an .ics file (the catalog, or a guild's)")
    exp.add_argument("--ics", action="store_true", help="iCalendar format (the one format there is)")
    exp.add_argument("--guild", type=int, help="this guild's calendar: the catalog and its own events")
    exp.add_argument("--series", help="only this series (WEC, IMSA, ...)")
    exp.add_argument("-o", "--output", type=Path, help="write to this file (default: standard output)")
    exp.add_argument("--db", type=Path)
    run = sub.add_parser("run", help="start the Discord bot (DISCORD_TOKEN in the environment or .env)")
    run.add_argument("--db", type=Path)
    return parser


async def open_store(settings: Settings, db: Path | None) -> Store:
    return await Store.open(db or settings.database, seed=catalog_path())


def _clock(at: str | None) -> Clock:
    return FixedClock(parse_instant(at)) if at else SystemClock()


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(settings, args.db)
    try:
        code, out = await answer_line(
            store,
            args.command,
            clock=_clock(args.at),
            style=TextStyle(args.locale, args.tz),
            as_json=args.json,
            guild_id=args.guild,
        )
    finally:
        await store.close()
    print(out, file=sys.stdout if code == 0 else sys.stderr)
    return code


async def _console(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(settings, args.db)
    lookups = Lookups(store)
    style = TextStyle(args.locale, args.tz)
    print("fanbot console — type a command such as /nextrace, /help, or quit.")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "fanbot> ")
            except EOFError:
                break
            if line.strip().lower() in {"quit", "exit", "q"}:
                break
            if not line.strip():
                continue
            try:
                _, out = await answer_line(
                    store,
                    line,
                    clock=_clock(args.at),
                    style=style,
                    as_json=args.json,
                    guild_id=args.guild,
                    lookups=lookups,
                )
            except Exception:
                # One bad line must not end the session: say so, log why, go on.
                logging.getLogger(__name__).exception("console command failed: %r", line)
                out = "Sorry, that command failed; the error was logged."
            print(out)
    finally:
        await store.close()
    return 0


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        catalog = load_catalog_file(args.file)
    except CatalogError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    store = await Store.open(args.db or settings.database)
    try:
        summary = await store.import_catalog(catalog, guild_id=args.guild)
    finally:
        await store.close()
    print(f"imported {args.file}: {summary.describe()}")
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    if not args.ics:
        print("fanbot export: say which format, --ics (iCalendar)", file=sys.stderr)
        return EXIT_USAGE
    store = await open_store(settings, args.db)
    try:
        # The stamp is the one clock read of the export: this is the terminal adapter.
        data = await export_ics(store, guild_id=args.guild, series=args.series, now=SystemClock().now())
    except AnswerError as exc:
        print(f"fanbot: {exc.render(translator('en'))}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(f"wrote {args.output} ({data.count(b'BEGIN:VEVENT')} calendar entries)")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.token:
        print(
            "fanbot run needs a bot token. Create an application at "
            "https://discord.com/developers/applications, add a bot, copy its token into "
            ".env as DISCORD_TOKEN=... (see .env.example), and invite the bot with the "
            "applications.commands and bot scopes.\n"
            'Without a token you can still ask questions offline: fanbot ask "/nextrace"',
            file=sys.stderr,
        )
        return EXIT_USAGE
    from fanbot.bot.app import run_bot

    return run_bot(settings, args.db or settings.database)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"fanbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.WARNING if args.action in {"ask", "console", "export"} else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "tz", None) and not is_known_zone(args.tz):
        print(f"fanbot: --tz {args.tz!r} is not an IANA time zone (e.g. Europe/Paris)", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.action == "ask":
            return asyncio.run(_ask(args, settings))
        if args.action == "console":
            return asyncio.run(_console(args, settings))
        if args.action == "import":
            return asyncio.run(_import(args, settings))
        if args.action == "export":
            return asyncio.run(_export(args, settings))
        return _run(args, settings)
    except LocalTimeError as exc:
        print(f"fanbot: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
