"""One command for the benchmarks: ``.venv/bin/python -m bench`` (see bench/README.md).

Grows the benchmark store (a SQLite file cached under bench/.cache, keyed on everything that
shapes it; for the PostgreSQL benchmarks, the same grown into a database of this run), runs
each benchmark on its own copy of it against a fresh fake Discord, prints the figures, and
writes docs/benchmarks.md (and the figures as JSON). Every PostgreSQL database the run made
is dropped when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from bench import harness, inprocess, latency, reminders, report, report_shards, rest, shards
from bench.dataset import GUILDS, SHARD_GUILDS, grow
from bench.postgres import BenchPostgres
from fanbot.clock import Clock, SystemClock

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"
ALL = (
    "latency",
    "latency-pg",
    "inprocess",
    "fanout",
    "timeliness",
    "rest",
    "fanout-shards",
    "rest-shards",
)
# The benchmarks that need the grown store in PostgreSQL.
ON_POSTGRES = ("latency-pg", "inprocess", "fanout-shards", "rest-shards")


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libraries = ("discord.py", "aiohttp", "aiosqlite", "asyncpg", "rapidfuzz")
    versions = {name: metadata.version(name) for name in libraries}
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        **versions,
    }


def source_of(root: Path) -> str:
    """Which fanbot was measured: the commit of the checkout at ``root``, and whether it had
    uncommitted changes (to the bench only, or to more)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    changed = [line[3:] for line in status]
    if not changed:
        return f"commit {commit}"
    if all(path.startswith("bench/") for path in changed):
        return f"commit {commit}, with this run's bench/"
    return f"commit {commit}, with uncommitted changes"


def _store_key(year: int) -> str:
    """What the grown store depends on: the generator, the schema, the shipped catalog, the year."""
    digest = hashlib.sha256(str(year).encode())
    parts = [BENCH_DIR / "dataset.py", harness.REPO_ROOT / "data" / "catalog.json"]
    parts += sorted((harness.REPO_ROOT / "fanbot" / "store" / "migrations").glob("*.sql"))
    for path in parts:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def grown_store(clock: Clock, fresh: bool) -> tuple[Path, dict[str, Any]]:
    now = clock.now()
    cached = CACHE / f"grown-{_store_key(now.year)}.sqlite3"
    summary = cached.with_suffix(".json")
    if fresh or not cached.exists() or not summary.exists():
        CACHE.mkdir(exist_ok=True)
        harness.remove_database(cached)
        started = time.monotonic()
        grown = await grow(cached, now)
        took = time.monotonic() - started
        summary.write_text(json.dumps({**dataclasses.asdict(grown), "grow_seconds": took}))
    return cached, json.loads(summary.read_text())


def copy_store(source: Path, work: Path, name: str) -> Path:
    target = work / f"{name}.sqlite3"
    harness.remove_database(target)
    shutil.copy(source, target)
    return target


def _progress(text: str) -> None:
    print(text, flush=True)


async def postgres_store(pg: BenchPostgres, grown: Path, work: Path) -> tuple[str, dict[str, Any]]:
    """The grown store moved into a PostgreSQL database of this run (the template of the
    benchmarks' copies) by ``fanbot db copy``, as a bot outgrowing its SQLite file moves:
    the same rows, ids included, as the SQLite benchmarks read. About 10 s here, where
    growing it again through the importer on PostgreSQL takes minutes."""
    url = await pg.create("grown")
    # A copy of the cached file: ``db copy`` opens its source with Store.open, which migrates.
    source = copy_store(grown, work, "postgresql-source")
    started = time.monotonic()
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fanbot.cli",
        "db",
        "copy",
        "--from",
        f"sqlite://{source.resolve()}",
        "--to",
        url,
        cwd=harness.REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await done.communicate()
    if done.returncode != 0:
        raise RuntimeError(f"fanbot db copy failed ({done.returncode}):\n{output.decode(errors='replace')}")
    took = time.monotonic() - started
    harness.remove_database(source)
    # The planner's statistics, as autovacuum gathers them within a minute or so of the
    # copy on a running bot: without them PostgreSQL guesses a few rows where thousands
    # are, and sorts every session to come before the first (``bench/findings.md``).
    # The benchmarks' copies (CREATE DATABASE ... TEMPLATE) take them along.
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return url, {"copy_seconds": took, "server": await pg.version(), "analyzed": True}


async def run(args: argparse.Namespace, clock: Clock) -> dict[str, Any]:
    started = time.monotonic()
    figures: dict[str, Any] = {
        "date": clock.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([".venv/bin/python -m bench", *sys.argv[1:]]),
        "fanbot_root": str(args.fanbot_root),
        "source": source_of(harness.FANBOT_ROOT),
        "guilds": args.guilds,
    }
    _progress("growing (or reusing) the benchmark store ...")
    grown, summary = await grown_store(clock, args.fresh)
    figures["store"] = summary
    work = Path(tempfile.mkdtemp(prefix="fanbot-bench-"))
    logs = work / "logs"
    pg = BenchPostgres()
    try:
        pg_grown = ""
        if any(name in args.only for name in ON_POSTGRES):
            _progress(f"copying the benchmark store into PostgreSQL ({pg.where()}) with fanbot db copy ...")
            pg_grown, figures["store_postgresql"] = await postgres_store(pg, grown, work)
            _progress(f"   copied in {figures['store_postgresql']['copy_seconds']:.0f} s")
        if "latency" in args.only or "latency-pg" in args.only:
            stores: dict[str, harness.StoreTarget] = {}
            if "latency" in args.only:
                stores["SQLite"] = copy_store(grown, work, "latency")
            if "latency-pg" in args.only:
                stores["PostgreSQL"] = await pg.create("latency", template=pg_grown)
            _progress(f"1. command latency ({', '.join(stores)}): {args.calls} calls per command ...")
            result = await latency.run(stores, logs, args.calls, args.guilds)
            figures["latency"] = dataclasses.asdict(result)
            _progress(report.latency_lines(figures["latency"]))
        if "inprocess" in args.only:
            _progress(f"1b. the answers in-process, on SQLite and PostgreSQL: {args.calls} calls each ...")
            both: dict[str, harness.StoreTarget] = {
                "SQLite": copy_store(grown, work, "inprocess"),
                "PostgreSQL": await pg.create("inprocess", template=pg_grown),
            }
            answers = await inprocess.run(both, args.calls, args.guilds)
            figures["inprocess"] = dataclasses.asdict(answers)
            _progress(report.inprocess_lines(figures["inprocess"]))
        if "fanout" in args.only:
            _progress(f"3. fan-out: {args.guilds} guilds at one instant ...")
            fan = await reminders.fanout(copy_store(grown, work, "fanout"), logs, guilds=args.guilds)
            figures["fanout"] = dataclasses.asdict(fan)
            _progress(report.fanout_lines(figures["fanout"]))
        if "timeliness" in args.only:
            _progress(f"2. reminder timeliness: {args.reminders} reminders over one minute ...")
            timely = await reminders.timeliness(
                copy_store(grown, work, "timeliness"), logs, count=args.reminders, guilds=args.guilds
            )
            figures["timeliness"] = dataclasses.asdict(timely)
            _progress(report.timeliness_lines(figures["timeliness"]))
            below = args.reminders // 5
            _progress(f"2b. reminder timeliness below the limit: {below} reminders over one minute ...")
            calm = await reminders.timeliness(
                copy_store(grown, work, "timeliness-below"), logs, count=below, guilds=args.guilds
            )
            figures["timeliness_below"] = dataclasses.asdict(calm)
            _progress(report.timeliness_lines(figures["timeliness_below"]))
        if "rest" in args.only:
            _progress("4. scale at rest: start-to-ready and memory ...")
            still = await rest.run(
                copy_store(grown, work, "rest"), work, logs, repeats=args.repeats, guilds=args.guilds
            )
            figures["rest"] = dataclasses.asdict(still)
            _progress(report.rest_lines(figures["rest"]))
        if "fanout-shards" in args.only:
            _progress(f"5. fan-out across shard processes: {args.shard_guilds} guilds, PostgreSQL ...")
            url = await pg.create("fanout_shards", template=pg_grown)
            spread = await shards.fanout(url, logs, guilds=args.shard_guilds)
            figures["fanout_shards"] = dataclasses.asdict(spread)
            _progress(report_shards.fanout_shards_lines(figures["fanout_shards"]))
        if "rest-shards" in args.only:
            _progress(
                f"6. start-up and memory across shard processes: {args.shard_guilds} guilds, PostgreSQL ..."
            )
            full = await pg.create("rest_shards", template=pg_grown)
            sharded = await shards.rest(
                full, lambda: pg.create("rest_empty"), logs, guilds=args.shard_guilds, repeats=args.repeats
            )
            figures["rest_shards"] = dataclasses.asdict(sharded)
            _progress(report_shards.rest_shards_lines(figures["rest_shards"]))
    except BaseException:
        print(f"(bot logs kept in {logs})", file=sys.stderr)
        raise
    else:
        shutil.rmtree(work, ignore_errors=True)
    finally:
        await pg.drop_all()
    figures["wall_seconds"] = time.monotonic() - started
    return figures


# The figures of one benchmark each (or two: timeliness and timeliness below the limit);
# the rest of a run's figures say when, where and on what it ran.
SECTIONS = (
    "latency",
    "inprocess",
    "fanout",
    "timeliness",
    "timeliness_below",
    "rest",
    "fanout_shards",
    "rest_shards",
)


def merged(base: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a whole run's figures) with the benchmarks ``run`` measured again in place
    of its own, and a note of each such re-measure (``remeasured``: which sections, when, on
    what, how), which the report shows beside the whole run's date. The header (date,
    commit, machine, store) stays the whole run's: every other section is still its."""
    sections = [key for key in SECTIONS if key in run]
    note = {
        "sections": sections,
        "date": run["date"],
        "source": run.get("source", ""),
        "command": run["command"],
        "wall_seconds": run.get("wall_seconds", 0.0),
        "store_postgresql": run.get("store_postgresql"),
    }
    return {
        **base,
        **{key: run[key] for key in sections},
        "remeasured": [*base.get("remeasured", []), note],
    }


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=ALL, default=list(ALL), help="run only these")
    parser.add_argument("--calls", type=int, default=3000, help="calls per command (latency)")
    parser.add_argument("--reminders", type=int, default=10_000, help="reminders due over one minute")
    parser.add_argument("--guilds", type=int, default=GUILDS, help="guilds (the store is grown for 1,000)")
    parser.add_argument(
        "--shard-guilds",
        type=int,
        default=SHARD_GUILDS,
        help="guilds of the benchmarks across shard processes (fanout-shards, rest-shards)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="starts per row (scale at rest)")
    parser.add_argument("--fresh", action="store_true", help="grow the benchmark store again")
    parser.add_argument("--out", type=Path, default=harness.REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--before",
        type=lambda text: Path(text) if text else None,
        default=BENCH_DIR / "before-fixes.json",
        help="figures of an earlier run to show beside these (default: the pre-fix run)",
    )
    parser.add_argument(
        "--fanbot-root",
        type=Path,
        default=harness.REPO_ROOT,
        help="run the bot from another checkout (how the 'before' figures were taken)",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        default=None,
        help="write the report from figures saved with --json, running nothing",
    )
    parser.add_argument(
        "--merge-into",
        type=Path,
        default=None,
        help="a whole run's figures (--json): report them with this run's benchmarks in place of theirs",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    harness.FANBOT_ROOT = args.fanbot_root.resolve()
    if args.report_from:
        figures = json.loads(args.report_from.read_text())
    else:
        figures = asyncio.run(run(args, clock or SystemClock()))
    if args.merge_into:
        figures = merged(json.loads(args.merge_into.read_text()), figures)
    if not args.report_from or args.merge_into:
        # Kept for --report-from (rewriting the report without running again).
        CACHE.mkdir(exist_ok=True)
        (CACHE / "last-run.json").write_text(json.dumps(figures, indent=1) + "\n")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1) + "\n")
    before = json.loads(args.before.read_text()) if args.before and args.before.exists() else None
    args.out.write_text(report.markdown(figures, before))
    print(f"wrote {args.out} ({figures['wall_seconds']:.0f} s)")
    return 0
