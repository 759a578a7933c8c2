"""Calendar files: importing a guild's events from .csv, .ics or .json (a dry run to
preview, then all or nothing), and exporting the calendar a guild sees as .ics.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from fanbot.answers.context import Asker, Lookups
from fanbot.answers.moderation.checks import check_race_after_grid
from fanbot.answers.moderation.errors import (
    FileKindUnknown,
    FileNotText,
    FileTooBig,
    ImportChangedMeanwhile,
    ImportRefused,
    NothingToExport,
    RaceBeforeGrid,
)
from fanbot.answers.moderation.finding import guild_of, resolve_series
from fanbot.answers.moderation.plans import ExportFile, ImportDone, ImportPlan, PlannedSession
from fanbot.calendar_files import (
    HEADER_LINE,
    KnownCalendar,
    events_to_ics,
    parse_events_csv,
    parse_events_ics,
)
from fanbot.calendar_files.build import slug
from fanbot.calendar_files.catalog import NESTED_TOO_DEEPLY, parse_catalog
from fanbot.clock import FixedClock
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.folding import fold
from fanbot.domain.limits import IMPORT_MAX_BYTES
from fanbot.domain.model import SessionKind
from fanbot.i18n import N_
from fanbot.store import Scope, StaleVersion, Store

# ---------------------------------------------------------------------------- import


def file_kind(filename: str, data: bytes) -> str | None:
    """ "csv", "ics" or "json": by the name's extension, else by the content."""
    lower = filename.lower()
    for kind in ("csv", "ics", "json"):
        if lower.endswith(f".{kind}"):
            return kind
    if lower.endswith((".ical", ".ifb")):
        return "ics"
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(b"{"):
        return "json"
    if lower.endswith(".txt") or b"," in head or b";" in head:
        return "csv"
    return None


async def plan_import(
    asker: Asker, *, filename: str, data: bytes, series: str | None = None, size: int | None = None
) -> ImportPlan:
    """Read and check a calendar file, and count what importing it would change (a dry
    run that writes nothing). ``ImportRefused`` lists every problem, with its line."""
    shown = filename[:100]
    length = size if size is not None else len(data)
    if length > IMPORT_MAX_BYTES:
        raise FileTooBig(name=shown, size=(length + 1023) // 1024, limit=IMPORT_MAX_BYTES // 1000)
    kind = file_kind(filename, data)
    if kind is None:
        raise FileKindUnknown(name=shown, header=HEADER_LINE)
    default_series = (await resolve_series(asker, series)).code if series else None
    scope = asker.scope
    known = KnownCalendar.from_model(await asker.store.series(), await asker.store.circuits(scope))
    try:
        if kind == "ics":
            catalog = parse_events_ics(data, known, default_series=default_series, source=shown)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise FileNotText(name=shown) from exc
            catalog = (
                parse_events_csv(text, known, source=shown) if kind == "csv" else _parse_json(text, shown)
            )
    except CatalogError as exc:
        raise ImportRefused(shown, exc.problems) from exc
    problems = await _guild_file_problems(asker, catalog)
    if problems:
        raise ImportRefused(shown, problems)
    guild = guild_of(asker)
    keys = [e.key for e in catalog.events]
    versions = await asker.store.editing.versions(guild, keys)
    try:
        outcome = await asker.store.editing.import_events(
            guild, catalog, by=0, at=asker.now, versions=None, dry_run=True
        )
    except CatalogError as exc:
        raise ImportRefused(shown, exc.problems) from exc
    touched = set(outcome.touched)
    return ImportPlan(
        filename=shown,
        catalog=catalog,
        versions=versions,
        new=tuple(e.name for e in catalog.events if e.key in touched and e.key not in versions),
        changed=tuple(e.name for e in catalog.events if e.key in touched and e.key in versions),
        unchanged=len(keys) - len(touched),
        circuits_new=outcome.summary.new["circuits"],
    )


def _parse_json(text: str, source: str) -> Catalog:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            source, [Problem(N_("line {line}: not valid JSON ({reason})"), line=exc.lineno, reason=exc.msg)]
        ) from exc
    except RecursionError as exc:
        # Python's JSON reader recurses once per nesting level: thousands of "[" exhaust it.
        raise CatalogError(source, [NESTED_TOO_DEEPLY]) from exc
    return parse_catalog(raw, source=source)


async def _guild_file_problems(asker: Asker, catalog: Catalog) -> list[str]:
    """What a guild's file may not do: take a catalog event's key or repeat a catalog
    event, or put a race before its qualifying (JSON files too)."""
    problems: list[str] = []
    visible = await asker.store.events(asker.scope)
    catalog_keys = {e.key for e in visible if e.guild_id is None}
    shared = {(e.series.code, e.season, fold(e.name)): e for e in visible if e.guild_id is None}
    zones = {c.key: c.timezone for c in catalog.circuits}
    for i, e in enumerate(catalog.events, start=1):
        where = Problem(N_('event {index} "{name}"'), index=i, name=e.name)
        if e.key in catalog_keys:
            problems.append(
                Problem(
                    N_(
                        "{where}: key {key} is the shared catalog's event, which every server already "
                        "has; give this event its own key"
                    ),
                    where=where,
                    key=repr(e.key),
                )
            )
        elif (same := shared.get((e.series, e.season, fold(e.name)))) is not None:
            problems.append(
                Problem(
                    N_("{where}: the shared catalog already has {event}"),
                    where=where,
                    event=same.display_name,
                )
            )
        sessions = tuple(
            PlannedSession(
                s.key,
                SessionKind(s.kind),
                datetime.fromisoformat(s.start_at.replace("Z", "+00:00")) if s.start_at else None,
                date.fromisoformat(s.local_date) if s.local_date else None,
                s.duration_minutes,
            )
            for s in e.sessions
        )
        try:
            check_race_after_grid(sessions, zones.get(e.circuit, "UTC"))
        except RaceBeforeGrid:
            problems.append(
                Problem(
                    N_("{where}: the race comes before its qualifying; check the dates and times"),
                    where=where,
                )
            )
    return problems


async def commit_import(asker: Asker, plan: ImportPlan, *, by: int) -> ImportDone:
    """Import a file the moderator confirmed, exactly as its dry run showed, all or nothing."""
    guild = guild_of(asker)
    keys = {e.key for e in plan.catalog.events}
    before = tuple(e for e in await asker.store.events(asker.scope) if e.guild_id == guild and e.key in keys)
    try:
        outcome = await asker.store.editing.import_events(
            guild, plan.catalog, by=by, at=asker.now, versions=plan.versions, dry_run=False
        )
    except StaleVersion as exc:
        raise ImportChangedMeanwhile(name=plan.filename) from exc
    except CatalogError as exc:
        raise ImportRefused(plan.filename, exc.problems) from exc
    touched = set(outcome.touched)
    after = tuple(
        e for e in await asker.store.events(asker.scope) if e.guild_id == guild and e.key in touched
    )
    return ImportDone(plan, tuple(e for e in before if e.key in touched), after)


# ---------------------------------------------------------------------------- export


async def export_calendar(asker: Asker, *, series: str | None, calendar_name: str) -> ExportFile:
    """The guild's visible calendar (catalog and own events) as an .ics file."""
    code = (await resolve_series(asker, series)).code if series else None
    events = await asker.store.events(asker.scope, series=code)
    events = [e for e in events if any(s.start or s.local_date for s in e.sessions)]
    if not events:
        raise NothingToExport()
    data = events_to_ics(events, calendar_name=calendar_name, guild_id=asker.scope.guild_id, stamp=asker.now)
    name = f"fanbot-{slug(calendar_name) or 'calendar'}{'-' + code.lower() if code else ''}.ics"
    return ExportFile(name, data, len(events))


async def export_ics(store: Store, *, guild_id: int | None, series: str | None, now: datetime) -> bytes:
    """The same file for the console (``fanbot export --ics``); raises ``NotFound`` for a bad series."""
    asker = Asker(store, Scope(guild_id), FixedClock(now), Lookups(store))
    name = "fanbot" if guild_id is None else f"fanbot server {guild_id}"
    return (await export_calendar(asker, series=series, calendar_name=name)).data
