"""The figures across shard processes as text: sections 5 and 6 of docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from bench.tables import Table, met, num

DISCORD_LIMIT = 50.0
SHARDED_FANOUT_GOAL = 1.05  # at most 1.05x the 200 s the limit allows for 10,000 messages
Figures = dict[str, Any]

FANOUT_SHARDS = """\
## 5. Fan-out across shard processes

{guilds:,} guilds reminded of the same race start at the same instant, through two `fanbot run`
processes of two shards each ({shards} in all) on one PostgreSQL database; the fake counts Discord's
50 requests/s over every connection of the bot together, so the fastest any sender can go is
{best:.0f} s. Each process sends its own shards' guilds' reminders. Arrivals, nonces, 429s and each
channel's messages are the fake's records; who sent what is the database's (`deliveries.claimed_by`
names the process), and every delivery must be recorded `sent` with the id of the message the fake
stored.
"""

REST_SHARDS = """\
## 6. Start-up and memory across shard processes

Both processes (two shards each, one PostgreSQL database) started at the same instant: each one's
time from its start until all its shards had IDENTIFYed and until it was ready (a presence update
on each of its shards, sent from `on_ready`), and its VmRSS and VmHWM 3 s after both were ready.
Beside them, the single-process SQLite starts of section 4.
"""


def fanout_shards_lines(fan: Figures) -> str:
    best = fan["planned"] / DISCORD_LIMIT
    last = fan["first_due_to_last_s"]
    lines = [
        f"   last of {fan['delivered']}/{fan['planned']} delivered {last:.2f} s after the due instant "
        f"({last / best:.3f}x the {best:.0f} s the limit allows); 429s: {fan['rate_limited']}; "
        f"stored twice: {fan['duplicates_by_nonce']} by nonce, {fan['duplicates_by_channel']} by channel "
        f"(nonce repeats dropped: {fan['nonce_dedupes']}); recorded sent: {fan['recorded_sent']}"
        + (f" (others: {', '.join(fan['not_recorded'])})" if fan["not_recorded"] else "")
    ]
    for p in fan["processes"]:
        lines.append(
            f"   {p['label']:26} ready {p['ready_s']:.1f} s, delivered {p['delivered']}, "
            f"first {p['first_s']:.2f} s, last {p['last_s']:.2f} s, 429s {p['rate_limited']}"
        )
    return "\n".join(lines)


def rest_shards_lines(r: Figures) -> str:
    lines = [f"   {r['pending']:,} pending reminders, {r['guilds']:,} guilds, {r['shard_count']} shards"]
    for row in r["rows"]:
        for p in row["processes"]:
            lines.append(
                f"   {row['label']:42} {p['label']:22} ready {p['ready_s']:.2f} s  "
                f"RSS {p['rss_mib']:.0f} MiB  peak {p['hwm_mib']:.0f} MiB"
            )
    return "\n".join(lines)


def _fanout_shards(f: Figures) -> list[str]:
    fan = f.get("fanout_shards")
    if not fan:
        return ["Not run."]
    best = fan["planned"] / DISCORD_LIMIT
    last = fan["first_due_to_last_s"]
    ratio = last / best
    table = Table(["figure", "value", "goal", "met"], "lrll", False)
    table.add(
        "delivered / planned",
        f"{fan['delivered']:,} / {fan['planned']:,}",
        "all",
        met(fan["delivered"] == fan["planned"]),
    )
    table.add(
        "due instant → last delivered",
        f"{last:.2f} s",
        f"≤ {SHARDED_FANOUT_GOAL * best:.1f} s",
        met(ratio <= SHARDED_FANOUT_GOAL),
    )
    table.add(
        f"÷ the {best:.0f} s the limit allows",
        f"{ratio:.3f}×",
        f"≤ {SHARDED_FANOUT_GOAL}×",
        met(ratio <= SHARDED_FANOUT_GOAL),
    )
    table.add("429 answers", str(fan["rate_limited"]), "0", met(fan["rate_limited"] == 0))
    table.add(
        "stored twice, by nonce", str(fan["duplicates_by_nonce"]), "0", met(fan["duplicates_by_nonce"] == 0)
    )
    table.add(
        "channels holding more than their one message",
        str(fan["duplicates_by_channel"]),
        "0",
        met(fan["duplicates_by_channel"] == 0),
    )
    table.add("sent again, dropped by the fake's nonce check", str(fan["nonce_dedupes"]), "", "")
    others = f" ({', '.join(fan['not_recorded'])})" if fan["not_recorded"] else ""
    table.add(
        "recorded sent, with the stored message's id",
        f"{fan['recorded_sent']:,}{others}",
        "all",
        met(fan["recorded_sent"] == fan["planned"]),
    )
    per = Table(
        [
            "process",
            "IDENTIFY (s)",
            "ready (s)",
            "delivered",
            "first after T0 (s)",
            "last after T0 (s)",
            "429s",
            "for another process's guilds",
        ],
        "lrrrrrrr",
        False,
    )
    for p in fan["processes"]:
        per.add(
            p["label"],
            f"{p['identify_s']:.1f}",
            f"{p['ready_s']:.1f}",
            f"{p['delivered']:,}",
            num(p["first_s"]),
            num(p["last_s"]),
            str(p["rate_limited"]),
            str(p["foreign"]),
        )
    other = fan["rate_limited_other"]
    return [
        *table.lines,
        "",
        *per.lines,
        "",
        f"Times of each process from its own start; both were ready {fan['ready_before_due_s']:.1f} s before "
        f"the due instant T0. A process's 429s are those on its shards' channels"
        + (f"; {other} more on other routes." if other else "; there were none on other routes."),
    ]


def _rest_shards(f: Figures) -> list[str]:
    r = f.get("rest_shards")
    if not r:
        return ["Not run."]
    table = Table(
        [
            "store, processes",
            "guilds",
            "pending",
            "process",
            "IDENTIFY (s)",
            "ready (s)",
            "RSS (MiB)",
            "peak (MiB)",
        ],
        "lrrlrrrr",
        False,
    )
    single = f.get("rest") or {}
    for row in single.get("rows", []):
        if row["label"].startswith("empty database, no guilds"):
            continue
        pending = f"{single['pending']:,}" if "pending" in row["label"] else "0"
        table.add(
            "SQLite, one process",
            f"{_guilds(f):,}",
            pending,
            "the one",
            f"{row['identify_s']:.2f}",
            f"{row['ready_s']:.2f}",
            f"{row['rss_mib']:.0f}",
            f"{row['hwm_mib']:.0f}",
        )
    processes = len(r["rows"][0]["processes"])
    shape = f"PostgreSQL, {processes} processes × {r['shard_count'] // processes} shards"
    for row in r["rows"]:
        pending = f"{r['pending']:,}" if "pending" in row["label"] else "0"
        for p in row["processes"]:
            table.add(
                shape,
                f"{r['guilds']:,}",
                pending,
                p["label"],
                f"{p['identify_s']:.2f}",
                f"{p['ready_s']:.2f}",
                f"{p['rss_mib']:.0f}",
                f"{p['hwm_mib']:.0f}",
            )
    return [
        *table.lines,
        "",
        f"The full PostgreSQL database held {r['pending']:,} pending reminders ({r['setups']} guild "
        f"setups and {r['fan_requests']:,} fans' DM requests, all far ahead), made as in section 4; "
        "the empty one is a new database each time, which the two processes migrate and seed together. "
        f"Medians of {r['repeats']} starts per row, interleaved. Ready includes discord.py's "
        "`guild_ready_timeout` (2 s after a shard's last GUILD_CREATE).",
    ]


def _guilds(f: Figures) -> int:
    """The guilds of the single-process benchmarks (the store's own-event guilds)."""
    return int(f.get("guilds") or 1000)


def sections(f: Figures) -> list[str]:
    out: list[str] = []
    fan = f.get("fanout_shards")
    if fan:
        best = fan["planned"] / DISCORD_LIMIT
        out += ["", FANOUT_SHARDS.format(guilds=fan["guilds"], shards=fan["shard_count"], best=best)]
        out += _fanout_shards(f)
    if f.get("rest_shards"):
        out += ["", REST_SHARDS, *_rest_shards(f)]
    return out
