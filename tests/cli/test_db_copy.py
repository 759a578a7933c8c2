"""``fanbot db copy``: a running bot's whole state into an empty database, in one
transaction, with the rows counted on both sides. The main case is SQLite to PostgreSQL
(row for row, every value as it was, ids and all, and a store that keeps working on the
copy); a target that holds anything is refused and left as it was, a count that differs
rolls the copy back, and a wrong location is one line. The guild events are fictional."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fanbot.calendar_files.catalog import parse_catalog, shipped_catalog
from fanbot.cli import main
from fanbot.domain.catalog import CircuitRecord, EntryRecord, ResultRecord, SessionRecord
from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import DeliveryKey, ReminderSetup, Target
from fanbot.reminders.planner import delivery_nonce
from fanbot.store import EventWrite, Scope, Store
from tests.contract.store_data import shipped_raw
from tests.support.database import dump

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
MOD, FAN, CHANNEL = GUILD + 1, GUILD + 2, GUILD + 3
AT = parse_instant("2027-01-15T12:00:00Z")
RACE = parse_instant("2027-06-12T15:00:00Z")  # 17:00 at Le Mans (CEST)
NOW = RACE - timedelta(hours=2)
LEASE = timedelta(seconds=60)
# Tables a PostgreSQL database has of its own (its schema's version, its write counter).
POSTGRES_ONLY = {"schema_version", "store_writes"}


def club_write(circuit_id: int, key: str = "club-6h", **changes: Any) -> EventWrite:
    """A made-up 6-hour race at Le Mans on 12 June 2027, 17:00 local (15:00 UTC)."""
    fields: dict[str, Any] = {
        "key": key,
        "series": "WEC",
        "circuit_id": circuit_id,
        "season": 2027,
        "name": "Club 6 Hours (fictional)",
        "length": "6 hours",
        "status": "scheduled",
        "info_url": "https://example.org/club-6h",
        "watch_url": None,
        "sessions": (
            SessionRecord(
                "race", "race", "2027-06-12T15:00:00Z", "2027-06-12", "2027-06-12T15:00:00Z", 360, None
            ),
            SessionRecord("qualifying", "qualifying", None, "2027-06-11", None, None, "time to be announced"),
        ),
    }
    return EventWrite(**{**fields, **changes})


def club_circuit(key: str) -> CircuitRecord:
    return CircuitRecord(
        key, f"Club Ring {key}", "Europe/Paris", "Nowhere", "France", 3.456, 12, ("CR",), None, None
    )


def wanted(target: Target, session_id: int, lead: int) -> list[tuple[DeliveryKey, Any, str]]:
    key = DeliveryKey(target, session_id, lead, RACE)
    return [(key, RACE - timedelta(minutes=lead), delivery_nonce(key))]


async def populate(path: Path) -> None:
    """A bot's life in one file: the shipped catalog, a guild's own events as its
    moderators keep them (with the audit rows of each change), its settings and reminder
    setup, fans' requests and closed DMs, and deliveries sent, missed, failed, held by a
    live claim with its lease, and waiting to be retried."""
    store = await Store.open(path, seed=shipped_catalog())
    try:
        editing, reminders = store.editing, store.reminders
        sarthe = next(c.id for c in await store.circuits(Scope.catalog()) if c.key == "la-sarthe")
        event_id = await editing.create_event(GUILD, club_write(sarthe), by=MOD, at=AT)
        later = AT + timedelta(hours=1)
        await editing.update_event(
            GUILD, event_id, 1, club_write(sarthe, name="Club 8 Hours"), by=MOD, at=later, action="event.edit"
        )
        entry = EntryRecord("7", "Club", "Club Racing", "Kart", ("Ada Fictional", "Bo Fictional"), None, None)
        await editing.put_entry(GUILD, event_id, 2, entry, replacing=None, by=MOD, at=later)
        await editing.put_result(
            GUILD, event_id, 3, ResultRecord("Overall", 1, "7", "Club Racing", None), by=MOD, at=later
        )
        await editing.add_circuit(GUILD, club_circuit("club-ring"), by=MOD, at=later)
        await store.set_moderator_role(GUILD, GUILD + 4)
        await reminders.save_setup(
            ReminderSetup(
                GUILD,
                CHANNEL,
                GUILD + 5,
                ("WEC",),
                (SessionKind.RACE,),
                (1440, 120, 60),
                True,
                AT,
                updated_by=MOD,
            ),
            now=AT,
        )
        await reminders.add_fan_request(
            user_id=FAN, event_id=event_id, guild_id=GUILD, leads=[60], locale="fr", now=AT
        )
        await reminders.close_dms(FAN + 1, now=AT)
        [race] = [
            s
            for s in await reminders.sessions_starting(NOW, NOW + timedelta(days=1))
            if s.event_guild_id == GUILD
        ]
        guild, fan = Target("guild", GUILD), Target("user", FAN)
        await reminders.record(
            wanted(guild, race.session_id, 1440), "missed", now=NOW, error="the bot was down"
        )
        await reminders.record(
            wanted(guild, race.session_id, 10), "failed", now=NOW, error="Missing Permissions"
        )
        [sent] = await reminders.claim(
            wanted(guild, race.session_id, 120), owner="a", now=NOW, lease_until=NOW + LEASE
        )
        await reminders.finish(
            sent.delivery_id,
            "sent",
            owner="a",
            now=NOW,
            channel_id=CHANNEL,
            message_id=CHANNEL + 1,
            late=True,
        )
        # Held by a live claim: its owner and lease must survive the move.
        await reminders.claim(wanted(guild, race.session_id, 60), owner="a", now=NOW, lease_until=NOW + LEASE)
        [retry] = await reminders.claim(
            wanted(fan, race.session_id, 60), owner="b", now=NOW, lease_until=NOW + LEASE
        )
        await reminders.retry_later(
            retry.delivery_id, owner="b", until=NOW + 2 * LEASE, error="503 Service Unavailable"
        )
    finally:
        await store.close()


async def dumped(target: str | Path) -> dict[str, list[tuple[object, ...]]]:
    store = await Store.open(target)
    try:
        return await dump(store)
    finally:
        await store.close()


async def name_counters(target: str | Path) -> list[tuple[object, ...]]:
    store = await Store.open(target)
    try:
        return sorted(tuple(r) for r in await store.database.fetch_all("SELECT * FROM name_revision"))
    finally:
        await store.close()


async def schema_version(target: str | Path) -> int:
    store = await Store.open(target)
    try:
        return await store.schema_version()
    finally:
        await store.close()


async def fanbot(*args: str) -> int:
    """``fanbot`` as a person types it (``main`` runs its own event loop: in a thread)."""
    return await asyncio.to_thread(main, list(args))


def counts_printed(out: str) -> dict[str, tuple[int, int]]:
    """The report's lines of counts: {table: (source, target)}, and "total"."""
    return {m[1]: (int(m[2]), int(m[3])) for m in re.finditer(r"^  (\w+) +(\d+) +(\d+)$", out, re.MULTILINE)}


def tables_printed(out: str) -> dict[str, tuple[int, int]]:
    return {t: counts for t, counts in counts_printed(out).items() if t != "total"}


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = [line for line in captured.err.splitlines() if line.startswith("fanbot")]
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the bot's SQLite file lives (in a folder of the test's own, away from any .env)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "fanbot.sqlite3"


# ---------------------------------------------------------------- the copy


async def test_a_sqlite_store_copies_into_a_schema_only_sqlite_file_row_for_row_and_prints_each_count(
    source, tmp_path, capsys
):
    await populate(source)
    target = tmp_path / "copy.sqlite3"
    await (await Store.open(target)).close()  # the schema alone: still empty
    assert await fanbot("db", "copy", "--from", str(source), "--to", str(target)) == 0
    out = capsys.readouterr().out
    before, after = await dumped(source), await dumped(target)
    assert after == before
    # Every table of the bot's state, counted on both sides; the name counters are not its state.
    assert tables_printed(out) == {t: (len(rows), len(rows)) for t, rows in before.items()}
    assert tables_printed(out)["deliveries"] == (5, 5)
    total = sum(len(rows) for rows in before.values())
    assert counts_printed(out)["total"] == (total, total)
    assert out.splitlines()[-1] == "not copied (each database keeps its own): name_revision"
    assert out.splitlines()[0] == (
        f"copied {source} to {target} (schema version {await schema_version(target)}), "
        "in one transaction; rows counted on both sides:"
    )


@pytest.mark.postgres
async def test_a_sqlite_store_copies_to_postgresql_with_every_value_as_it_was(source, postgres_url, capsys):
    await populate(source)
    assert await fanbot("db", "copy", "--from", f"sqlite:///{source}", "--to", postgres_url) == 0
    out = capsys.readouterr().out
    printed = tables_printed(out)
    assert out.splitlines()[-1] == (
        "not copied (each database keeps its own): name_revision, schema_version, store_writes"
    )
    before, after = await dumped(source), await dumped(postgres_url)
    assert set(after) - set(before) == POSTGRES_ONLY
    assert {t: rows for t, rows in after.items() if t not in POSTGRES_ONLY} == before
    assert printed == {t: (len(rows), len(rows)) for t, rows in before.items()}

    # The copy is a store that works: it reads what the bot had, claim and lease included.
    old, new = await Store.open(source), await Store.open(postgres_url)
    try:
        assert await new.own_events(GUILD) == await old.own_events(GUILD)
        assert await new.reminders.setup(GUILD) == await old.reminders.setup(GUILD)
        for target in (Target("guild", GUILD), Target("user", FAN)):
            assert await new.reminders.deliveries_of(target) == await old.reminders.deliveries_of(target)
        claimed = [
            d for d in await new.reminders.deliveries_of(Target("guild", GUILD)) if d.state == "claimed"
        ]
        assert [(d.claimed_by, d.claimed_until) for d in claimed] == [("a", NOW + LEASE)]
        history = await new.editing.history(GUILD)
        assert history == await old.editing.history(GUILD)
        assert [h.action for h in history] == [
            "circuit.add",
            "result.set",
            "entry.add",
            "event.edit",
            "event.add",
        ]
    finally:
        await old.close()
        await new.close()
    await a_new_row_goes_into_each_identity_table(postgres_url)


async def a_new_row_goes_into_each_identity_table(url: str) -> None:
    """Each table whose ids PostgreSQL generates takes a new row after the copy (its
    sequence was moved past the copied ids; left alone, it would hand out id 1 again)."""
    store = await Store.open(url)
    try:
        identity = sorted(
            str(r[0])
            for r in await store.database.fetch_all(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_identity = 'YES'"
            )
        )
        largest = {t: await largest_id(store, t) for t in identity}
        raw = shipped_raw()
        raw["series"].append({"code": "CLUB", "name": "Club Series (fictional)", "source": None})
        await store.import_catalog(parse_catalog(raw))
        editing, reminders = store.editing, store.reminders
        circuit_id = await editing.add_circuit(GUILD, club_circuit("club-oval"), by=MOD, at=AT)
        event_id = await editing.create_event(GUILD, club_write(circuit_id, key="club-2"), by=MOD, at=AT)
        entry = EntryRecord("8", "Club", "Other Club", "Kart", ("Cy Fictional",), None, None)
        await editing.put_entry(GUILD, event_id, 1, entry, replacing=None, by=MOD, at=AT)
        await editing.put_result(
            GUILD, event_id, 2, ResultRecord("Overall", 1, "8", "Other Club", None), by=MOD, at=AT
        )
        await reminders.add_fan_request(
            user_id=FAN + 9, event_id=event_id, guild_id=None, leads=[10], locale="en", now=AT
        )
        await store.feeds.subscribe(
            GUILD, url="https://feeds.example.test/club.ics", series="CLUB", refresh_minutes=360, by=MOD, at=AT
        )
        new_event = await store.event(Scope(GUILD), event_id)
        assert new_event is not None
        assert new_event.race is not None
        await reminders.claim(
            wanted(Target("guild", GUILD), new_event.race.id, 60), owner="c", now=NOW, lease_until=NOW
        )
        grown = {t: await largest_id(store, t) for t in identity}
    finally:
        await store.close()
    # Every one of them, so that a table a migration adds makes this test ask for a row of it.
    assert identity == [
        "audit_log",
        "circuits",
        "deliveries",
        "drivers",
        "entries",
        "events",
        "fan_reminders",
        "feed_subscriptions",
        "results",
        "series",
        "sessions",
    ]
    assert [t for t in identity if grown[t] <= largest[t]] == []


async def largest_id(store: Store, table: str) -> int:
    rows = await store.database.fetch_all(f"SELECT MAX(id) FROM {table}")
    return int(rows[0][0] or 0)


@pytest.mark.postgres
async def test_a_postgresql_store_copies_back_to_a_sqlite_file(source, postgres_url, tmp_path, capsys):
    await populate(source)
    assert await fanbot("db", "copy", "--from", str(source), "--to", postgres_url) == 0
    back = tmp_path / "back.sqlite3"
    assert await fanbot("db", "copy", "--from", postgres_url, "--to", f"sqlite:///{back}") == 0
    assert await dumped(back) == await dumped(source)


# ---------------------------------------------------------------- refused, rolled back


async def test_a_target_that_holds_anything_is_refused_and_left_as_it_was(source, tmp_path, capsys):
    await populate(source)
    target = tmp_path / "busy.sqlite3"
    await (await Store.open(target, seed=shipped_catalog())).close()
    before, counters = await dumped(target), await name_counters(target)
    assert await fanbot("db", "copy", "--from", str(source), "--to", str(target)) == 2
    error = one_line_error(capsys)
    assert (
        f"fanbot: the target {target} is not empty (it has rows in circuits, drivers, series, ...)" in error
    )
    assert await dumped(target) == before
    assert await name_counters(target) == counters


@pytest.mark.postgres
async def test_a_postgresql_target_that_holds_anything_is_refused_and_left_as_it_was(
    source, seeded_postgres_url, capsys
):
    await populate(source)
    before, counters = await dumped(seeded_postgres_url), await name_counters(seeded_postgres_url)
    assert await fanbot("db", "copy", "--from", str(source), "--to", seeded_postgres_url) == 2
    assert "is not empty" in one_line_error(capsys)
    assert await dumped(seeded_postgres_url) == before
    assert await name_counters(seeded_postgres_url) == counters


async def test_counts_that_differ_roll_the_whole_copy_back(source, tmp_path, capsys):
    await populate(source)
    target = tmp_path / "odd.sqlite3"
    store = await Store.open(target)
    try:
        # A target that adds a row of its own to every store_meta row it is given (the source
    # has two: the shipped catalog's digest and its "published" stamp).
        async with store.database.write(names="none") as tx:
            await tx.execute(
                "CREATE TRIGGER doubling AFTER INSERT ON store_meta WHEN NEW.key NOT LIKE '%-again' BEGIN "
                "INSERT INTO store_meta (key, value) VALUES (NEW.key || '-again', NEW.value); END"
            )
    finally:
        await store.close()
    empty = await dumped(target)
    assert await fanbot("db", "copy", "--from", str(source), "--to", str(target)) == 1
    assert "the row counts differ (store_meta 2 → 4): the copy was rolled back" in one_line_error(capsys)
    assert await dumped(target) == empty


# ---------------------------------------------------------------- wrong locations: one line, exit 2


async def test_a_missing_source_file_is_one_line_and_creates_nothing(source, tmp_path, capsys):
    target = tmp_path / "copy.sqlite3"
    assert await fanbot("db", "copy", "--from", str(source), "--to", str(target)) == 2
    assert f"fanbot: the source {source} does not exist" in one_line_error(capsys)
    assert not source.exists()
    assert not target.exists()
    assert await fanbot("db", "copy", "--from", str(tmp_path), "--to", str(target)) == 2
    assert f"the source {tmp_path} is a folder" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("mysql://bob:hunter2@db.example.net/fanbot", "--from: mysql:// is not a database fanbot keeps"),
        (
            "sqlite://fanbot.sqlite3",
            "--from: a SQLite URL is sqlite:/// followed by the file's absolute path",
        ),
        ("", "--from: an empty location"),
    ],
)
async def test_a_location_that_is_not_a_database_is_one_line(source, tmp_path, capsys, given, said):
    assert await fanbot("db", "copy", "--from", given, "--to", str(tmp_path / "copy.sqlite3")) == 2
    error = one_line_error(capsys)
    assert said in error
    assert "hunter2" not in error
    assert not (tmp_path / "copy.sqlite3").exists()


async def test_a_postgresql_database_that_does_not_exist_is_one_line_without_its_password(source, capsys):
    await populate(source)
    url = "postgresql://postgres:hunter2@127.0.0.1:5432/fanbot_test_never_made"
    assert await fanbot("db", "copy", "--from", str(source), "--to", url) == 2
    error = one_line_error(capsys)
    assert (
        "fanbot: the target: cannot open the PostgreSQL database postgresql://postgres@127.0.0.1:5432/"
        in error
    )
    assert "hunter2" not in error


async def test_the_same_database_at_both_ends_is_refused(source, capsys):
    await populate(source)
    before = await dumped(source)
    assert await fanbot("db", "copy", "--from", str(source), "--to", f"sqlite:///{source}") == 2
    assert "the source and the target are the same database" in one_line_error(capsys)
    assert await dumped(source) == before


def test_both_ends_must_be_given(source, capsys):
    assert main(["db", "copy", "--from", str(source)]) == 2
    assert "the following arguments are required: --to" in capsys.readouterr().err
    assert main(["db"]) == 2
