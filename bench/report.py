"""The figures as text: short lines while the bench runs, and docs/benchmarks.md."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench import report_shards
from bench.tables import Table, met, num

FINDINGS = Path(__file__).resolve().parent / "findings.md"
# How the header names a benchmark measured again (``_remeasured``).
SECTION_NAMES = {
    "latency": "1. command latency",
    "inprocess": "1. the answers in-process",
    "fanout": "3. fan-out",
    "timeliness": "2. reminder timeliness",
    "timeliness_below": "2. timeliness below the limit",
    "rest": "4. scale at rest",
    "fanout_shards": "5. fan-out across shard processes",
    "rest_shards": "6. start-up and memory across shard processes",
}
# Figures of earlier sessions kept beside this run's (each section says when and how).
EARLIER = Path(__file__).resolve().parent / "earlier-runs.md"
PING = "bare /ping"
LATENCY_GOAL = 2.0  # p99 of a command within 2x the bare ping's p99
BEYOND_GOAL_MS = 100.0  # reminder p99 lateness beyond what the 50/s limit forces
FANOUT_GOAL = 1.15  # at most 1.15x the 20 s the limit allows for 1,000 messages
DISCORD_LIMIT = 50.0

Figures = dict[str, Any]

INTRO = """\
# Benchmarks

fanbot as users deploy it — the `fanbot run` process talking HTTP and websocket — against the
local fake Discord of `testing/fakediscord` (REST v10 and gateway, Discord's global limit of 50
requests/s enforced). Written by the bench itself: do not edit by hand. These machines are shared
and noisy, so compare the ratios (measured in the same run) more than the absolute figures.

The PostgreSQL figures are of the same store moved by `fanbot db copy` into a database of the
run's own on the local server (dropped after), the bot started with `FANBOT_DATABASE_URL`; the
shard figures, of two `fanbot run` processes with `FANBOT_SHARD_COUNT=4` and `FANBOT_SHARD_IDS`
`0-1` and `2-3` on one such database.

Reproduce from the repository root with `.venv/bin/python -m bench` (about 20 minutes; the first
run also grows the SQLite store, a minute or two more). This report's run:
"""

LATENCY = """\
## 1. Command latency

Interaction sent (the fake dispatches INTERACTION_CREATE) → the bot's callback arrives at the
fake, from the fake's own request records. Each call comes from a guild drawn at random among the
1,000, so per-guild caches are as cold as on a bot that many servers use. `/lineup` names its
event the way an autocomplete choice does (`id:N`, a generated event with 30 cars); `/circuit`
types a name (Le Mans, spa, Road Atlanta…); the autocomplete is `/race event:` typed "le m".
fanbot runs twice, on the SQLite file and on PostgreSQL (the same grown store), each against a fake
of its own; calls alternate in blocks of 100 between the bots, so a noisy neighbour slows all alike,
and every ratio is to the ping bot's p99 of this run.
"""

INPROCESS = """\
What the store adds: the same four answers called in the bench's own process on each store
(no Discord, no rendering), with the database trips each makes (every read the store's parts
send), and one bare trip (`SELECT 1`) of each backend. A difference between the stores above
that this does not show is not the store's.
"""

TIMELINESS = """\
## 2. Reminder timeliness

10,000 reminders due over one minute (about 167 a second, at whole seconds) across 1,000 guilds:
each guild's own qualifying and race sessions start at staggered real times, and its setup asks
for reminders 10 minutes ahead. At 50 messages/s they cannot all go out in less than 200 s, so
most lateness is forced by the limit. *Beyond the limit* compares each message's arrival at the
fake with the earliest instant a sender paced at exactly 50/s could have sent it (one every
20 ms, earliest due first, never before due; messages due at the same second take the ideal
sender's slots in the order the bot delivered them).
"""

FANOUT = """\
## 3. Fan-out

1,000 guilds reminded of the same race start at the same instant, the fake enforcing 50 requests/s.
"""

REST = """\
## 4. Scale at rest

Process start → the fake sees IDENTIFY, the command sync (PUT), and ready (the bot's first
presence update, sent from `on_ready`). Memory is VmRSS from /proc/PID/status 3 s after ready,
and its peak (VmHWM).
"""


def _ratio(lat: Figures, label: str) -> float:
    ping = lat["spreads"][PING]["p99"]
    return float(lat["spreads"][label]["p99"] / ping) if ping else math.nan


def _latency_rows(lat: Figures) -> list[tuple[str, str, str]]:
    """(label, command, store) of each row: ping first, then command by command, each store's
    row after the other (earlier runs' figures have SQLite rows only, without ``stores``)."""
    stores: dict[str, str] = lat.get("stores") or {}
    rows = []
    for label in lat["spreads"]:
        store = stores.get(label, "" if label == PING else "SQLite")
        suffix = f" ({store})"
        rows.append((label, label[: -len(suffix)] if label.endswith(suffix) else label, store))
    commands = list(dict.fromkeys(command for _, command, _ in rows))
    order = list(dict.fromkeys(store for _, _, store in rows))
    return sorted(rows, key=lambda row: (commands.index(row[1]), order.index(row[2])))


def latency_lines(lat: Figures) -> str:
    lines = []
    for label, _command, _store in _latency_rows(lat):
        s = lat["spreads"][label]
        ratio = "" if label == PING else f"  = {_ratio(lat, label):.1f}x ping p99"
        lines.append(f"   {label:52} p50 {s['p50']:7.2f} ms  p99 {s['p99']:7.2f} ms{ratio}")
    return "\n".join(lines)


def inprocess_lines(answers: Figures) -> str:
    lines = [
        f"   one bare trip: {store} p50 {t['p50']:.3f} ms  p99 {t['p99']:.3f} ms"
        for store, t in answers["trip_ms"].items()
    ]
    for label, stores in answers["commands"].items():
        for store, c in stores.items():
            lines.append(
                f"   {label:34} {store:10} p50 {c['ms']['p50']:6.2f} ms  p99 {c['ms']['p99']:6.2f} ms  "
                f"{c['trips_per_call']:.1f} trips, {c['db_ms_per_call']:.2f} ms in them a call; most: "
                f"{c['slowest_ms_per_call']:.2f} ms {c['slowest_sql']}"
            )
    return "\n".join(lines)


def _inprocess(f: Figures) -> list[str]:
    answers = f.get("inprocess")
    if not answers:
        return []
    stores = list(answers["trip_ms"])
    table = Table(
        ["answer", *[f"{s} p50 / p99 ms (trips a call)" for s in stores]], "l" + "r" * len(stores), False
    )
    table.add(
        "one bare trip (`SELECT 1`)",
        *[f"{num(answers['trip_ms'][s]['p50'], 3)} / {num(answers['trip_ms'][s]['p99'], 3)}" for s in stores],
    )
    for label, by_store in answers["commands"].items():
        cells = []
        for s in stores:
            c = by_store.get(s)
            cells.append(
                f"{num(c['ms']['p50'])} / {num(c['ms']['p99'])} ({c['trips_per_call']:.1f})" if c else "—"
            )
        table.add(label, *cells)
    reads = Table(
        ["answer", "store", "reads a call", "ms in them a call", "the read that took most", "its ms a call"],
        "llrrlr",
        False,
    )
    for label, by_store in answers["commands"].items():
        for s in stores:
            c = by_store.get(s)
            if c:
                reads.add(
                    label,
                    s,
                    f"{c['trips_per_call']:.1f}",
                    num(c["db_ms_per_call"]),
                    f"`{c['slowest_sql']}…`",
                    num(c["slowest_ms_per_call"]),
                )
    return [
        "",
        INPROCESS,
        *table.lines,
        "",
        *reads.lines,
        "",
        f"{answers['calls']:,} calls per answer and store; times in the reads are means (a call's reads "
        "run one after the other).",
    ]


def fanout_lines(fan: Figures) -> str:
    best = fan["planned"] / DISCORD_LIMIT
    last = fan["first_due_to_last_s"]
    return (
        f"   last of {fan['delivered']}/{fan['planned']} delivered {last:.2f} s after the due instant "
        f"({last / best:.3f}x the {best:.0f} s the limit allows); 429s: {fan['rate_limited']}; "
        f"duplicates: {fan['duplicates']}"
    )


def timeliness_lines(t: Figures) -> str:
    late, beyond = t["lateness_ms"], t["beyond_ms"]
    return (
        f"   delivered {t['delivered']}/{t['planned']}, duplicates {t['duplicates']}, "
        f"429s {t['rate_limited']}\n"
        f"   lateness p50 {late['p50'] / 1000:.2f} s  p99 {late['p99'] / 1000:.2f} s  "
        f"max {late['max'] / 1000:.2f} s\n"
        f"   beyond the 50/s limit: p50 {beyond['p50']:.0f} ms  p99 {beyond['p99']:.0f} ms  "
        f"max {beyond['max']:.0f} ms"
    )


def rest_lines(r: Figures) -> str:
    lines = [
        f"   {r['pending']:,} pending reminders ({r['setups']} guild setups, "
        f"{r['fan_requests']:,} fan requests)"
    ]
    for row in r["rows"]:
        lines.append(
            f"   {row['label']:42} ready {row['ready_s']:.2f} s  RSS {row['rss_mib']:.0f} MiB  "
            f"peak {row['hwm_mib']:.0f} MiB"
        )
    return "\n".join(lines)


def _machine(f: Figures) -> list[str]:
    m = f["machine"]
    libraries = f"aiohttp {m['aiohttp']}, aiosqlite {m['aiosqlite']}, rapidfuzz {m['rapidfuzz']}"
    if "asyncpg" in m:
        libraries += f", asyncpg {m['asyncpg']}"
    server = (f.get("store_postgresql") or {}).get("server")
    return [
        "| | |",
        "| --- | --- |",
        f"| date (from the bench's clock) | {f['date']} |",
        *([f"| fanbot | {f['source']} |"] if f.get("source") else []),
        f"| CPU | {m['cpu']}, {m['cores']} cores |",
        f"| system | {m['system']} |",
        f"| Python | {m['python']} |",
        f"| discord.py | {m['discord.py']} ({libraries}) |",
        *([f"| PostgreSQL | {server} (local server, same machine) |"] if server else []),
        f"| whole run | {f.get('wall_seconds', 0) / 60:.1f} min |",
        *(_remeasured(again) for again in f.get("remeasured", [])),
    ]


def _remeasured(again: Figures) -> str:
    """A header row for benchmarks measured again after the whole run (``run.merged``)."""
    names = ", ".join(SECTION_NAMES.get(key, key) for key in again["sections"])
    source = f", {again['source']}" if again.get("source") else ""
    return (
        f"| re-measured: {names} | {again['date']}{source}, "
        f"{again['wall_seconds'] / 60:.1f} min: `{again['command']}` |"
    )


def _latency(f: Figures, before: Figures | None) -> list[str]:
    lat = f.get("latency")
    if not lat:
        return ["Not run."]
    old = (before or {}).get("latency")
    table = Table(
        ["command", "store", "calls", "p50 ms", "p99 ms", "max ms", "p99 ÷ ping p99", "goal", "met"],
        "llrrrrrll",
        old is not None,
    )
    for label, command, store in _latency_rows(lat):
        s = lat["spreads"][label]
        fails = lat["failures"].get(label, 0)
        is_ping = label == PING
        ratio = 1.0 if is_ping else _ratio(lat, label)
        was = ""
        if old and label in old["spreads"]:
            was = f"{num(old['spreads'][label]['p99'])} ms ({_ratio(old, label):.1f}×)"
        table.add(
            command + (f" ({fails} failed)" if fails else ""),
            store,
            f"{s['n']:,}",
            num(s["p50"]),
            num(s["p99"]),
            num(s["max"]),
            f"{ratio:.2f}×",
            "(yardstick)" if is_ping else "≤ 2×",
            "" if is_ping else met(ratio <= LATENCY_GOAL and fails == 0),
            was=was,
        )
    starts = lat.get("starts") or {"SQLite": lat["fanbot_start"]}
    ready = ", ".join(f"on {store} {marks['ready']:.2f} s" for store, marks in starts.items())
    return [
        *table.lines,
        "",
        f"Each bot ran in its own process against its own fake (the same {_guilds(f):,} guilds); fanbot "
        f"was ready after its start {ready}, the ping bot after {lat['ping_start']['ready']:.2f} s.",
    ]


def _guilds(f: Figures) -> int:
    """The guilds of the single-process benchmarks (the store's own-event guilds)."""
    return int(f.get("guilds") or 1000)


def _timeliness(f: Figures, before: Figures | None) -> list[str]:
    t = f.get("timeliness")
    if not t:
        return ["Not run."]
    old = (before or {}).get("timeliness") or {}
    best = t["planned"] / DISCORD_LIMIT
    table = Table(["figure", "value", "goal", "met"], "lrll", bool(old))
    late, beyond = t["lateness_ms"], t["beyond_ms"]
    o_late, o_beyond = old.get("lateness_ms", {}), old.get("beyond_ms", {})

    def seconds(spread: Figures) -> str:
        if not spread:
            return ""
        return " / ".join(f"{spread[k] / 1000:.1f}" for k in ("p50", "p99", "max"))

    def get(key: str) -> str:
        return f"{old[key]:,}" if key in old else ""

    table.add(
        "reminders delivered / planned",
        f"{t['delivered']:,} / {t['planned']:,}",
        "all",
        met(t["delivered"] == t["planned"]),
        was=f"{get('delivered')} / {get('planned')}" if old else "",
    )
    table.add("posted twice", str(t["duplicates"]), "0", met(t["duplicates"] == 0), was=get("duplicates"))
    table.add("lateness p50 / p99 / max (s)", seconds(late), "(forced by the limit)", "", was=seconds(o_late))
    for key, goal in (("p50", ""), ("p99", "< 100 ms"), ("max", "")):
        ok = met(beyond[key] < BEYOND_GOAL_MS) if goal else ""
        table.add(
            f"beyond the 50/s limit, {key} (ms)",
            num(beyond[key], 0),
            goal,
            ok,
            was=num(o_beyond.get(key), 0),
        )
    table.add(
        "first due → last delivered (s)",
        f"{t['first_due_to_last_s']:.1f}",
        f"≥ {best:.0f} s (the limit)",
        "",
        was=f"{old['first_due_to_last_s']:.1f}" if old else "",
    )
    table.add(
        "429 answers", str(t["rate_limited"]), "0", met(t["rate_limited"] == 0), was=get("rate_limited")
    )
    return [
        *table.lines,
        "",
        f"The bot was ready {t['ready_before_first_due_s']:.1f} s before the first reminder fell due.",
    ]


def _below(f: Figures, before: Figures | None) -> list[str]:
    t = f.get("timeliness_below")
    if not t:
        return []
    old = (before or {}).get("timeliness_below") or {}
    table = Table(["figure", "value", "goal", "met"], "lrll", bool(old))
    late, o_late = t["lateness_ms"], old.get("lateness_ms", {})
    table.add(
        "reminders delivered / planned",
        f"{t['delivered']:,} / {t['planned']:,}",
        "all",
        met(t["delivered"] == t["planned"]),
        was=f"{old['delivered']:,} / {old['planned']:,}" if old else "",
    )
    for key in ("p50", "p99", "max"):
        table.add(f"lateness {key} (ms)", num(late[key], 0), "", "", was=num(o_late.get(key), 0))
    beyond, o_beyond = t["beyond_ms"], old.get("beyond_ms", {})
    table.add(
        "beyond the 50/s limit, p99 (ms)",
        num(beyond["p99"], 0),
        "< 100 ms",
        met(beyond["p99"] < BEYOND_GOAL_MS),
        was=num(o_beyond.get("p99"), 0),
    )
    table.add(
        "429 answers",
        str(t["rate_limited"]),
        "0",
        met(t["rate_limited"] == 0),
        was=str(old.get("rate_limited", "")),
    )
    per_second = t["planned"] / 60
    return [
        "",
        f"The same with {t['planned']:,} reminders over the minute, about {per_second:.0f} falling due at "
        f"each whole second (below the limit: an ideal sender paced at 50/s still needs "
        f"{per_second / DISCORD_LIMIT:.2f} s for each second's batch, one using the rolling window in full "
        "could send it at once):",
        "",
        *table.lines,
    ]


def _fanout(f: Figures, before: Figures | None) -> list[str]:
    fan = f.get("fanout")
    if not fan:
        return ["Not run."]
    old = (before or {}).get("fanout") or {}
    best = fan["planned"] / DISCORD_LIMIT
    last = fan["first_due_to_last_s"]
    table = Table(["figure", "value", "goal", "met"], "lrll", bool(old))
    table.add(
        "delivered / planned",
        f"{fan['delivered']:,} / {fan['planned']:,}",
        "all",
        met(fan["delivered"] == fan["planned"]),
        was=f"{old['delivered']:,} / {old['planned']:,}" if old else "",
    )
    table.add(
        "due instant → last delivered",
        f"{last:.2f} s",
        f"≤ {FANOUT_GOAL * best:.1f} s",
        met(last / best <= FANOUT_GOAL),
        was=f"{old['first_due_to_last_s']:.2f} s" if old else "",
    )
    table.add(
        f"÷ the {best:.0f} s the limit allows",
        f"{last / best:.3f}×",
        f"≤ {FANOUT_GOAL}×",
        met(last / best <= FANOUT_GOAL),
        was=f"{old['first_due_to_last_s'] / best:.3f}×" if old else "",
    )
    table.add(
        "429 answers",
        str(fan["rate_limited"]),
        "0",
        met(fan["rate_limited"] == 0),
        was=str(old.get("rate_limited", "")),
    )
    table.add(
        "posted twice",
        str(fan["duplicates"]),
        "0",
        met(fan["duplicates"] == 0),
        was=str(old.get("duplicates", "")),
    )
    return table.lines


def _rest(f: Figures, before: Figures | None) -> list[str]:
    r = f.get("rest")
    if not r:
        return ["Not run."]
    old = {row["label"]: row for row in (before or {}).get("rest", {}).get("rows", [])}
    empty = [row for row in r["rows"] if row["label"].startswith("empty database, 1,000")]
    base = empty[0] if empty else r["rows"][0]
    table = Table(
        ["start", "IDENTIFY (s)", "synced (s)", "ready (s)", "RSS (MiB)", "peak (MiB)", "ready ÷", "RSS ÷"],
        "lrrrrrrr",
        bool(old),
    )
    for row in r["rows"]:
        was = old.get(row["label"])
        table.add(
            row["label"],
            f"{row['identify_s']:.2f}",
            f"{row['sync_s']:.2f}",
            f"{row['ready_s']:.2f}",
            f"{row['rss_mib']:.0f}",
            f"{row['hwm_mib']:.0f}",
            f"{row['ready_s'] / base['ready_s']:.2f}×",
            f"{row['rss_mib'] / base['rss_mib']:.2f}×",
            was=f"ready {was['ready_s']:.2f} s, RSS {was['rss_mib']:.0f} MiB" if was else "",
        )
    return [
        *table.lines,
        "",
        f"Ratios are to the empty database with 1,000 guilds. The full database held "
        f"{r['pending']:,} pending reminders ({r['setups']} guild setups and {r['fan_requests']:,} "
        f"fans' DM requests, all far ahead). Medians of {r.get('repeats', 3)} starts per row, "
        "interleaved. Ready includes discord.py's `guild_ready_timeout` (2 s after the last "
        "GUILD_CREATE), the same in every row.",
    ]


def _store_line(f: Figures) -> str:
    store = f["store"]
    line = (
        f"The store was grown through `Store.import_catalog`: the shipped catalog "
        f"({store['catalog_events']} events), {store['generated_events']:,} generated events (20 seasons × "
        f"5 series × 12, each with 30 cars × 3 drivers; two of the series, XEC and XGT, are made up and "
        f"exist only in the benchmark's database) and {store['guild_events']:,} own events of 1,000 guilds: "
        f"{store['sessions']:,} sessions, {store['entries']:,} entries, {store['drivers']:,} drivers."
    )
    pg = f.get("store_postgresql")
    if pg:
        line += (
            " For the PostgreSQL benchmarks the grown file was moved into a database of the run by "
            f"`fanbot db copy` ({pg['copy_seconds']:.0f} s), as a bot outgrowing its SQLite file moves: "
            "the same rows and ids."
        )
    return line


def markdown(f: Figures, before: Figures | None = None) -> str:
    out = [INTRO, "```sh", f["command"], "```", "", *_machine(f), "", _store_line(f)]
    if before:
        out += [
            "",
            f"*before*: the same benchmark, run on {before['date'][:10]} with `--fanbot-root` pointing at a "
            "checkout of the bot as it was before the fixes described at the end (commit 1a49159).",
        ]
    out += [
        "",
        LATENCY,
        *_latency(f, before),
        *_inprocess(f),
        "",
        TIMELINESS,
        *_timeliness(f, before),
        *_below(f, before),
    ]
    out += ["", FANOUT, *_fanout(f, before), "", REST, *_rest(f, before)]
    out += report_shards.sections(f)
    for extra in (FINDINGS, EARLIER):
        if extra.exists():
            out += ["", extra.read_text().rstrip()]
    return "\n".join(out) + "\n"
