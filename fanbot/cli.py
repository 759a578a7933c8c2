"""The terminal adapter: ``fanbot ask | console | import | export | sync | run | db copy``.

``ask`` runs the same answer functions as the Discord bot and prints text or
JSON, so every answer can be checked (and demonstrated) without Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from fanbot.answers.calendar import race, schedule
from fanbot.answers.context import Asker, Lookups
from fanbot.answers.errors import Ambiguous, AnswerError
from fanbot.answers.moderation import ImportRefused, commit_import, export_ics, file_kind, plan_import
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, driver, lineup
from fanbot.calendar_files.catalog import (
    NESTED_TOO_DEEPLY,
    parse_catalog_json,
    read_file_bytes,
    shipped_catalog,
)
from fanbot.clock import Clock, FixedClock, SystemClock
from fanbot.commands import CommandLineError, Help, ParsedCommand, help_answer, parse_command_line
from fanbot.config import ConfigError, Settings
from fanbot.domain.catalog import CatalogError, Problem, render_problem, time_problem
from fanbot.domain.localtime import LocalTimeError, is_known_zone, parse_instant
from fanbot.i18n import N_, SUPPORTED, Translator, translator
from fanbot.render import json_out
from fanbot.render.text import (
    TextStyle,
    render_ambiguous,
    render_circuit,
    render_driver,
    render_lineup,
    render_next_race,
    render_race,
    render_schedule,
)
from fanbot.store import (
    CopyFailed,
    CopyRefused,
    Scope,
    Store,
    StoreUnavailable,
    copy_store,
    database_location,
)

EXIT_USAGE = 2
# Discord ids (snowflakes) fit SQLite's signed 64-bit integers.
MAX_SNOWFLAKE = 2**63 - 1
# The user id audit rows record for what ``fanbot import --guild`` changes.
CONSOLE_USER_ID = 0

log = logging.getLogger("fanbot.cli")


@dataclass(frozen=True)
class ConsoleCommand:
    answer: Callable[..., Awaitable[Any]]
    # (answer, style), plus spoilers=bool when ``spoilers`` names fields.
    text: Callable[..., str]
    # Fields of the answer that tell how a race ended: left out unless --spoilers, since a
    # terminal has no spoiler markup to hide them behind (Discord's answers use it).
    spoilers: tuple[str, ...] = ()


CONSOLE: dict[str, ConsoleCommand] = {
    "nextrace": ConsoleCommand(next_race, render_next_race),
    "schedule": ConsoleCommand(schedule, render_schedule),
    # The catalog's notes on a race often name its winner.
    "race": ConsoleCommand(race, render_race, spoilers=("results", "event.notes")),
    "lineup": ConsoleCommand(lineup, render_lineup),
    "circuit": ConsoleCommand(circuit, render_circuit),
    "driver": ConsoleCommand(driver, render_driver),
}


def _render_help(answer: Help, style: TextStyle) -> str:
    tr = style.tr
    lines = [tr("fanbot answers these commands:")]
    for entry in answer.commands:
        example = tr("e.g.")
        lines.append(f"  {entry.usage}\n      {tr(entry.description)} — {example} {entry.example}")
    return "\n".join(lines)


async def _help_answer(_: Asker) -> Help:
    return help_answer()


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
    spoilers: bool = False,
) -> tuple[int, str]:
    """(exit code, output) for one console command line. With ``as_json`` a failure is
    ``{"error": ...}``; results are shown only with ``spoilers``."""
    try:
        parsed = parse_command_line(line)
    except CommandLineError as exc:
        return _failed(EXIT_USAGE, exc.render(style.tr), as_json)
    command = CONSOLE.get(parsed.spec.name)
    if command is None:
        return _failed(
            EXIT_USAGE,
            style.tr("/{name} is not available in the console yet.", name=parsed.spec.name),
            as_json,
        )
    asker = Asker(store, Scope(guild_id), clock, lookups or Lookups(store))
    try:
        answer = await command.answer(asker, **_keyword_options(parsed))
    except Ambiguous as exc:
        return _failed(1, render_ambiguous(exc, style), as_json)
    except AnswerError as exc:
        return _failed(1, exc.render(translator(style.locale)), as_json)
    if as_json:
        hidden = () if spoilers else tuple(f for f in command.spoilers if _holds(answer, f))
        return 0, json_out.dumps(parsed.spec.name, answer, hidden=hidden)
    if command.spoilers:
        return 0, command.text(answer, style, spoilers=spoilers)
    return 0, command.text(answer, style)


def _holds(answer: object, dotted: str) -> bool:
    """Whether the answer has something at ``dotted`` ("results", "event.notes")."""
    value: object = answer
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return bool(value)


def _failed(code: int, message: str, as_json: bool) -> tuple[int, str]:
    return code, json_out.error(message) if as_json else message


def _keyword_options(parsed: ParsedCommand) -> dict[str, str]:
    # "class" is a Python keyword; answer functions take it as car_class.
    return {("car_class" if k == "class" else k): v for k, v in parsed.options.items()}


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="SQLite file (default: FANBOT_DB or ./fanbot.sqlite3)")
    parser.add_argument("--at", help="answer as if it were this instant (ISO-8601 with Z or offset)")
    parser.add_argument("--tz", default="UTC", help="show times in this IANA zone (default UTC)")
    parser.add_argument("--locale", default="en", choices=SUPPORTED, help="answer language")
    parser.add_argument(
        "--json", action="store_true", help='print the answer as JSON (a failure as {"error": ...})'
    )
    parser.add_argument("--guild", type=int, help="answer as this guild (its own events too)")
    parser.add_argument("--spoilers", action="store_true", help="show race results (hidden by default)")


class _BadArguments(Exception):
    """What argparse would print before exiting, kept so that --json can print it as JSON."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.usage = usage
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    # Sub-commands' parsers are made of the same class (argparse's default).
    def error(self, message: str) -> NoReturn:
        raise _BadArguments(message, self.format_usage(), self.prog)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fanbot", description="fanbot: the endurance-racing Discord bot, and its console.")
    sub = parser.add_subparsers(dest="action", required=True)
    ask = sub.add_parser("ask", help='answer one command, e.g. fanbot ask "/nextrace"')
    _common_options(ask)
    ask.add_argument("command", help='the command as typed in Discord, e.g. "/nextrace series:WEC"')
    console = sub.add_parser("console", help="answer commands typed one per line")
    _common_options(console)
    imp = sub.add_parser(
        "import",
        help="load a catalog file (JSON), or with --guild a server's calendar (CSV, .ics or JSON); "
        "idempotent, all or nothing",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--db", type=Path)
    imp.add_argument("--locale", default="en", choices=SUPPORTED, help="language of the problems shown")
    imp.add_argument(
        "--guild", type=int, help="import as this server's own events, checked as /event import checks them"
    )
    imp.add_argument("--series", help="with --guild: the series of an .ics file's events that name none")
    exp = sub.add_parser("export", help="write the calendar as an .ics file (the catalog, or a guild's)")
    exp.add_argument("--ics", action="store_true", help="iCalendar format (the one format there is)")
    exp.add_argument("--guild", type=int, help="this guild's calendar: the catalog and its own events")
    exp.add_argument("--series", help="only this series (WEC, IMSA, ...)")
    exp.add_argument("-o", "--output", type=Path, help="write to this file (default: standard output)")
    exp.add_argument("--db", type=Path)
    sync = sub.add_parser(
        "sync",
        help="import the published catalog (FANBOT_CATALOG_URL) into the shared catalog, "
        "as the bot does on start and daily",
    )
    sync.add_argument("--url", help="the catalog file's URL (default: FANBOT_CATALOG_URL)")
    sync.add_argument("--dry-run", action="store_true", help="print what would change, and write nothing")
    sync.add_argument("--db", type=Path)
    run = sub.add_parser("run", help="start the Discord bot (DISCORD_TOKEN in the environment or .env)")
    run.add_argument("--db", type=Path)
    db = sub.add_parser("db", help="the bot's database: fanbot db copy --from FILE --to postgresql://...")
    db_actions = db.add_subparsers(dest="db_action", required=True)
    copy = db_actions.add_parser(
        "copy", help="copy a bot's whole state into a new, empty database, in one transaction"
    )
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        help="a SQLite file (a path, or sqlite:///path) or a postgresql:// URL",
    )
    copy.add_argument(
        "--to", dest="target", required=True, help="an empty database: a postgresql:// URL, or a SQLite file"
    )
    return parser


class CliFailure(Exception):
    """A failure the person at the terminal can fix: one line, and the exit code.
    ``str()`` is English; ``render(tr)`` the reader's language (``message`` may be a ``Problem``)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def render(self, tr: Translator) -> str:
        return str(render_problem(self.message, tr))


async def open_store(settings: Settings, db: Path | None, *, seed: bool = True) -> Store:
    """The database (``--db``, else FANBOT_DATABASE_URL, else FANBOT_DB), seeded from the
    shipped catalog when new; ``CliFailure`` when it cannot be opened."""
    target = db or settings.store_target
    try:
        return await Store.open(target, seed=shipped_catalog() if seed else None)
    except StoreUnavailable as exc:
        reason = _unopenable(target, exc) if isinstance(target, Path) else str(exc)
        option = "--db" if db else "FANBOT_DATABASE_URL" if settings.database_url else "FANBOT_DB"
        raise CliFailure(Problem(N_("{option}: {reason}"), option=option, reason=reason)) from exc


def _unopenable(path: Path, exc: StoreUnavailable) -> str:
    """Why the database cannot be opened, in words the reader's language can have (the
    store's own English when the reason is another)."""
    if path.is_dir():
        return Problem(
            N_("{path} is a folder, not a database file: give a file path, like {example}"),
            path=path,
            example=path / "fanbot.sqlite3",
        )
    if not path.parent.exists():
        return Problem(
            N_("cannot create {path}: the folder {folder} does not exist (create it first)"),
            path=path,
            folder=path.parent,
        )
    return str(exc)


def _clock(at: str | None) -> Clock:
    return FixedClock(parse_instant(at)) if at else SystemClock()


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    clock = _clock(args.at)
    store = await open_store(settings, args.db)
    try:
        code, out = await answer_line(
            store,
            args.command,
            clock=clock,
            style=TextStyle(args.locale, args.tz),
            as_json=args.json,
            guild_id=args.guild,
            spoilers=args.spoilers,
        )
    finally:
        await store.close()
    # JSON goes to standard output whatever happened: the exit code says which it is.
    print(out, file=sys.stdout if code == 0 or args.json else sys.stderr)
    return code


async def _console(args: argparse.Namespace, settings: Settings) -> int:
    clock = _clock(args.at)
    store = await open_store(settings, args.db)
    lookups = Lookups(store)
    style = TextStyle(args.locale, args.tz)
    print(style.tr("fanbot console — type a command such as /nextrace, /help, or quit."))
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
                    clock=clock,
                    style=style,
                    as_json=args.json,
                    guild_id=args.guild,
                    lookups=lookups,
                    spoilers=args.spoilers,
                )
            except Exception as exc:
                # One bad line must not end the session: say what failed, and go on.
                tr = translator(args.locale)
                _, out = _failed(
                    1, tr("Sorry, that command failed: {reason}", reason=_bug(exc, settings, tr)), args.json
                )
            print(out)
    finally:
        await store.close()
    return 0


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    """A catalog file (JSON) into the shared catalog or, with --guild, a server's calendar
    file (CSV, iCalendar or JSON) through the checks of the moderators' /event import."""
    tr = translator(args.locale)
    try:
        data = read_file_bytes(args.file)
    except CatalogError as exc:
        print(exc.render(tr), file=sys.stderr)
        return 1
    if args.guild is not None:
        return await _import_guild_file(args, settings, data)
    if args.series:
        raise CliFailure(
            Problem(N_("--series is for a server's .ics file: use it with --guild ID")), EXIT_USAGE
        )
    kind = file_kind(args.file.name, data)
    if kind in {"csv", "ics"}:
        # Their events get keys of a server's own ("guild-..."), and they name series and
        # circuits the catalog already has: they are a server's calendar, not the catalog.
        raise CliFailure(
            Problem(
                N_(
                    "{file} is a {kind} file: such files hold a server's own events, so say whose with "
                    "--guild ID (the server's id). The shared catalog is imported from JSON in fanbot's "
                    "catalog format (data/README.md)."
                ),
                file=args.file,
                kind="CSV" if kind == "csv" else "iCalendar",
            ),
            EXIT_USAGE,
        )
    try:
        catalog = parse_catalog_json(data, source=str(args.file))
    except CatalogError as exc:
        print(exc.render(tr), file=sys.stderr)
        return 1
    store = await open_store(settings, args.db, seed=False)
    try:
        summary = await store.import_catalog(catalog)
    finally:
        await store.close()
    print(f"imported {args.file}: {summary.describe()}")
    return 0


async def _import_guild_file(args: argparse.Namespace, settings: Settings, data: bytes) -> int:
    # The shared catalog must be there: a server's file names its series and circuits.
    store = await open_store(settings, args.db)
    asker = Asker(store, Scope(args.guild), SystemClock(), Lookups(store))
    tr = translator(args.locale)
    try:
        try:
            plan = await plan_import(asker, filename=args.file.name, data=data, series=args.series)
            # Audited like a moderator's import; user id 0 stands for the server's console.
            await commit_import(asker, plan, by=CONSOLE_USER_ID)
        except RecursionError:
            # /event import's JSON reader lets this through: report it as the problem it is.
            refused = ImportRefused(args.file.name, [NESTED_TOO_DEEPLY])
            print(refused.render(tr), file=sys.stderr)
            return 1
        except AnswerError as exc:
            print(exc.render(tr), file=sys.stderr)
            return 1
    finally:
        await store.close()
    print(
        f"imported {args.file} into server {args.guild}: {len(plan.new)} new, {len(plan.changed)} "
        f"changed, {plan.unchanged} unchanged events"
    )
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
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        if args.output.is_dir():
            why = "it is a folder: give a file name, like " + str(args.output / "fanbot.ics")
        elif not args.output.parent.exists():
            why = f"the folder {args.output.parent} does not exist (create it first)"
        else:
            why = exc.strerror or str(exc)
        raise CliFailure(f"cannot write {args.output}: {why}") from exc
    print(f"wrote {args.output} ({data.count(b'BEGIN:VEVENT')} calendar entries)")
    return 0


async def _sync(args: argparse.Namespace, settings: Settings) -> int:
    """``fanbot sync``: the published catalog into the shared catalog, once
    (``fanbot.feeds.catalog_sync``); a failure is listed on standard error, exit 1."""
    from fanbot.feeds.catalog_sync import CatalogSyncError, sync_catalog
    from fanbot.feeds.fetch import FeedFetcher

    url = (args.url or "").strip() or settings.catalog_url
    if not url:
        raise CliFailure(
            "sync: say which catalog to follow: set FANBOT_CATALOG_URL (or give --url), e.g. "
            "the raw address of data/catalog.json on the project's main branch",
            EXIT_USAGE,
        )
    store = await open_store(settings, args.db)
    try:
        async with FeedFetcher(allow_private=settings.feeds_allow_private) as fetcher:
            outcome = await sync_catalog(store, fetcher, url, now=SystemClock().now(), dry_run=args.dry_run)
    except CatalogSyncError as exc:
        print(exc.render(translator("en")), file=sys.stderr)
        # An address that is not one (FANBOT_CATALOG_URL, --url) is the caller's to fix.
        return EXIT_USAGE if exc.kind == "fetch:url" else 1
    finally:
        await store.close()
    print(outcome.describe())
    return 0


async def _db_copy(args: argparse.Namespace) -> int:
    """``fanbot db copy``: the whole store into an empty database (``fanbot.store.copy``),
    then the rows counted on both sides, table by table."""
    try:
        source = _location("--from", args.source)
        target = _location("--to", args.target)
        report = await copy_store(source, target)
    except CopyRefused as exc:
        raise CliFailure(str(exc), EXIT_USAGE) from exc
    except CopyFailed as exc:
        raise CliFailure(str(exc)) from exc
    print("\n".join(report.lines()))
    return 0


def _location(option: str, text: str) -> str | Path:
    try:
        return database_location(text)
    except CopyRefused as exc:
        raise CopyRefused(f"{option}: {exc}") from exc


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
    from fanbot.bot.running import run_bot

    # Open (and migrate, and seed) the database before going online: a wrong --db is
    # then one line at once, not a failure after logging in to Discord.
    asyncio.run(_check_database(settings, args.db))
    return run_bot(settings, args.db or settings.store_target)


async def _check_database(settings: Settings, db: Path | None) -> None:
    store = await open_store(settings, db)
    await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``fanbot`` command line. Whatever it is given, it ends with an answer or one
    line saying what was wrong (``{"error": ...}`` with --json) and an exit code not 0."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(words)
    except _BadArguments as exc:
        if "--json" in words:
            print(json_out.error(f"{exc.prog}: {exc}"))
        else:
            print(f"{exc.usage}{exc.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    as_json = bool(getattr(args, "json", False))
    tr = translator(getattr(args, "locale", "en"))
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json)
    logging.basicConfig(
        level=logging.WARNING if args.action in {"ask", "console", "export", "sync"} else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        _check_arguments(args)
        if args.action == "ask":
            return asyncio.run(_ask(args, settings))
        if args.action == "console":
            return asyncio.run(_console(args, settings))
        if args.action == "import":
            return asyncio.run(_import(args, settings))
        if args.action == "export":
            return asyncio.run(_export(args, settings))
        if args.action == "db":
            return asyncio.run(_db_copy(args))
        if args.action == "sync":
            return asyncio.run(_sync(args, settings))
        return _run(args, settings)
    except CliFailure as exc:
        return _fail(exc.render(tr), exc.code, as_json)
    except LocalTimeError as exc:
        return _fail(str(render_problem(time_problem(exc), tr)), EXIT_USAGE, as_json)
    except KeyboardInterrupt:
        return 130  # Ctrl-C in the console or during an import: the shell's convention
    except BrokenPipeError:
        # The reader went away (``fanbot ask … | head``): nothing is wrong, nothing to say.
        # Point stdout at nothing so that Python's own flush at exit stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
    except Exception as exc:
        return _fail(_bug(exc, settings, tr), 1, as_json)


def _check_arguments(args: argparse.Namespace) -> None:
    """Options that argparse reads but cannot check, refused before anything is opened."""
    tz = getattr(args, "tz", None)
    if tz is not None and not is_known_zone(tz):
        raise CliFailure(
            Problem(N_("--tz {tz} is not an IANA time zone (e.g. Europe/Paris, or UTC)"), tz=repr(tz)),
            EXIT_USAGE,
        )
    guild = getattr(args, "guild", None)
    if guild is not None and not 0 < guild <= MAX_SNOWFLAKE:
        raise CliFailure(
            Problem(
                N_(
                    "--guild {guild} is not a Discord server id: copy it from Discord (Developer Mode, then "
                    "right-click the server, Copy Server ID): up to 19 digits, like 1200000000000000001"
                ),
                guild=guild,
            ),
            EXIT_USAGE,
        )


def _fail(message: str, code: int, as_json: bool) -> int:
    if as_json:
        print(json_out.error(message))
    else:
        print(f"fanbot: {message}", file=sys.stderr)
    return code


def _bug(exc: BaseException, settings: Settings, tr: Translator) -> str:
    """One line for an error that no input should cause; the traceback is logged (to
    standard error) only when FANBOT_LOG_LEVEL=DEBUG asks for it, and the line says so."""
    what = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
    if settings.log_level == "DEBUG":
        log.error("fanbot failed", exc_info=exc)
        return tr("{what}. This is a bug in fanbot; the traceback was logged above.", what=what)
    return tr(
        "{what}. This is a bug in fanbot; run again with FANBOT_LOG_LEVEL=DEBUG to see where it happened.",
        what=what,
    )


if __name__ == "__main__":
    sys.exit(main())
