"""Moderators' calendar files: CSV and .ics in, .ics out (fanbot.calendar_files).

Every schedule below is MADE UP for the tests: fictional 2027 weekends at real
circuits, chosen for their time-zone rules (Sebring around the US spring-forward
on 14 March 2027 and fall-back on 7 November; Le Mans in Europe/Paris, whose
clocks go forward on 28 March 2027). They are not real race dates.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from fanbot.calendar_files import (
    HEADER_LINE,
    CircuitInfo,
    KnownCalendar,
    derived_event_key,
    events_to_ics,
    parse_events_csv,
    parse_events_ics,
    session_uid,
)
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.domain.catalog import Catalog, CatalogError, EventRecord
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import Circuit, Event, EventStatus, Series, Session, SessionKind
from fanbot.domain.session_time import session_length, window

SEBRING = CircuitInfo(
    key="sebring",
    name="Sebring International Raceway",
    timezone="America/New_York",
    aliases=("Sebring",),
    location="Sebring, Florida",
    country="United States",
    length_km=6.019,
    turns=17,
)
LE_MANS = CircuitInfo(
    key="circuit-de-la-sarthe",
    name="Circuit de la Sarthe",
    timezone="Europe/Paris",
    aliases=("Le Mans", "Circuit des 24 Heures"),
    location="Le Mans",
    country="France",
)
LUSAIL = CircuitInfo(key="lusail", name="Lusail International Circuit", timezone="Asia/Qatar")
KNOWN = KnownCalendar(
    series={"WEC", "IMSA"},
    circuits={c.key: c for c in (SEBRING, LE_MANS, LUSAIL)},
    series_names={"WEC": "FIA World Endurance Championship", "IMSA": "IMSA SportsCar Championship"},
)
GUILD = 4242

# Fictional: a made-up 2027 Sebring weekend straddling the US spring-forward (14 March).
SEBRING_WEEKEND = f"""{HEADER_LINE}
IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,practice,2027-03-12,10:00,90,,,,
IMSA,2027,Twelve Hours of Sebring (fictional),sebring international raceway,qualifying,13/03/2027,3:15pm,15,,https://example.org/sebring,,
IMSA,2027,Twelve Hours of Sebring (fictional),SEBRING,race,2027-03-14,10:10,720,,,https://example.org/watch,
"""


def csv_of(*rows: str) -> str:
    return "\n".join([HEADER_LINE, *rows]) + "\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as err:
        parse_events_csv(text, KNOWN)
    return err.value.problems


def starts(catalog: Catalog) -> list[tuple[str, str | None, str | None]]:
    return [(s.key, s.start_at, s.local_date) for e in catalog.events for s in e.sessions]


# ---------------------------------------------------------------------- CSV


def test_sebring_weekend_across_the_spring_forward_gets_the_right_utc_instants():
    catalog = parse_events_csv(SEBRING_WEEKEND, KNOWN)
    (event,) = catalog.events
    assert event.key == "guild-imsa-2027-twelve-hours-of-sebring-fictional"
    assert (event.series, event.circuit, event.season) == ("IMSA", "sebring", 2027)
    assert event.info_url == "https://example.org/sebring"
    assert event.watch_url == "https://example.org/watch"
    assert starts(catalog) == [
        ("practice", "2027-03-12T15:00:00Z", "2027-03-12"),  # 10:00 EST, UTC-5
        ("qualifying", "2027-03-13T20:15:00Z", "2027-03-13"),  # 3:15pm EST
        ("race", "2027-03-14T14:10:00Z", "2027-03-14"),  # 10:10 EDT, UTC-4: clocks went forward at 2am
    ]
    race = event.sessions[-1]
    assert race.sort_at == race.start_at
    assert race.duration_minutes == 720
    length = session_length(race.kind, race.duration_minutes, None, "IMSA")
    ends = window(from_iso_utc(race.start_at), None, "America/New_York", length)
    assert to_iso_utc(ends.latest_end) == "2027-03-15T02:10:00Z"  # + 12 hours


def test_le_mans_weekend_in_paris_time_with_repeated_practice_keys():
    # Fictional 2027 Le Mans week.
    text = csv_of(
        "WEC,2027,24 Hours of Le Mans (fictional),Le Mans,practice,2027-06-09,14:00,180,,,,",
        "WEC,2027,24 Hours of Le Mans (fictional),Le Mans,practice,2027-06-09,19:00,180,,,,",
        "WEC,2027,24 Hours of Le Mans (fictional),le mans,qualifying,2027-06-10,11:00am,60,,,,",
        "WEC,2027,24 Hours of Le Mans (fictional),Circuit des 24 Heures,hyperpole,10/06/2027,20:00,30,,,,",
        "WEC,2027,24 Hours of Le Mans (fictional),circuit-de-la-sarthe,Warm-up,2027-06-12,12:00,15,,,,",
        "WEC,2027,24 Hours of Le Mans (fictional),Le Mans,race,12/06/2027,4:00pm,1440,,,,",
    )
    catalog = parse_events_csv(text, KNOWN)
    assert starts(catalog) == [
        ("practice", "2027-06-09T12:00:00Z", "2027-06-09"),  # CEST, UTC+2
        ("practice-2", "2027-06-09T17:00:00Z", "2027-06-09"),
        ("qualifying", "2027-06-10T09:00:00Z", "2027-06-10"),
        ("hyperpole", "2027-06-10T18:00:00Z", "2027-06-10"),
        ("warmup", "2027-06-12T10:00:00Z", "2027-06-12"),
        ("race", "2027-06-12T14:00:00Z", "2027-06-12"),
    ]


def test_csv_and_json_paths_give_the_same_records():
    raw = {
        "format": "fanbot-catalog/1",
        "series": [{"code": "IMSA", "name": "IMSA SportsCar Championship"}],
        "circuits": [
            {"key": "sebring", "name": "Sebring International Raceway", "timezone": "America/New_York"}
        ],
        "events": [
            {
                "key": "guild-imsa-2027-twelve-hours-of-sebring-fictional",
                "series": "IMSA",
                "season": 2027,
                "circuit": "sebring",
                "name": "Twelve Hours of Sebring (fictional)",
                "info_url": "https://example.org/sebring",
                "watch_url": "https://example.org/watch",
                "sessions": [
                    {"kind": "practice", "date": "2027-03-12", "time": "10:00", "duration_minutes": 90},
                    {"kind": "qualifying", "date": "2027-03-13", "time": "15:15", "duration_minutes": 15},
                    {"kind": "race", "date": "2027-03-14", "time": "10:10", "duration_minutes": 720},
                ],
            }
        ],
    }
    assert (
        parse_events_csv(SEBRING_WEEKEND, KNOWN).events == parse_catalog(json.loads(json.dumps(raw))).events
    )


def test_the_catalog_carries_the_referenced_series_and_circuits_from_known():
    catalog = parse_events_csv(SEBRING_WEEKEND, KNOWN)
    assert [(s.code, s.name) for s in catalog.series] == [("IMSA", "IMSA SportsCar Championship")]
    (circuit,) = catalog.circuits
    assert circuit == SEBRING.record()
    assert (circuit.location, circuit.length_km, circuit.turns) == ("Sebring, Florida", 6.019, 17)


def test_a_time_tba_row_keeps_the_day_and_sorts_at_the_start_of_the_local_day():
    catalog = parse_events_csv(
        csv_of("WEC,2027,Qatar 1812 km (fictional),lusail,race,2027-02-27,TBA,,,,,"), KNOWN
    )
    (race,) = catalog.events[0].sessions
    assert (race.start_at, race.local_date) == (None, "2027-02-27")
    assert race.sort_at == "2027-02-26T21:00:00Z"  # UTC+3
    # It may start as late as the end of that day and then run its (estimated) length.
    length = session_length(race.kind, race.duration_minutes, None, "WEC")
    ends = window(None, date(2027, 2, 27), "Asia/Qatar", length)
    assert to_iso_utc(ends.latest_end) == "2027-02-28T03:00:00Z"
    assert length.estimated


def test_derived_keys_look_like_the_documented_ones():
    assert derived_event_key("WEC", 2027, "1812 km of Qatar") == "guild-wec-2027-1812-km-of-qatar"
    assert derived_event_key("WEC", 2027, "6 Heures de São Paulo!") == "guild-wec-2027-6-heures-de-sao-paulo"
    assert len(derived_event_key("WEC", 2027, "x" * 100)) == 80


def test_rows_with_one_explicit_key_form_one_event_wherever_they_are():
    text = csv_of(
        "WEC,2027,Qatar 1812 km (fictional),Lusail,qualifying,2027-02-25,18:00,,,,,qatar-2027",
        "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,race,2027-03-14,10:10,,,,,",
        "WEC,2027,Qatar 1812 km (fictional),Lusail,race,2027-02-27,14:00,600,,,,qatar-2027",
    )
    catalog = parse_events_csv(text, KNOWN)
    assert [(e.key, [s.key for s in e.sessions]) for e in catalog.events] == [
        ("qatar-2027", ["qualifying", "race"]),
        ("guild-imsa-2027-twelve-hours-of-sebring-fictional", ["race"]),
    ]


def test_timezone_column_overrides_the_circuits_zone():
    # 14:10 UTC is 10:10 EDT at Sebring.
    catalog = parse_events_csv(
        csv_of("IMSA,2027,Test (fictional),Sebring,race,2027-03-14,14:10,,UTC,,,"), KNOWN
    )
    assert starts(catalog) == [("race", "2027-03-14T14:10:00Z", "2027-03-14")]


def test_a_time_in_the_circuits_fall_back_hour_given_in_utc_is_kept_exactly():
    # 01:30 happens twice at Sebring on 7 November 2027; in UTC both are clear.
    first = parse_events_csv(
        csv_of("IMSA,2027,Night (fictional),Sebring,race,2027-11-07,05:30,,UTC,,,"), KNOWN
    )
    second = parse_events_csv(
        csv_of("IMSA,2027,Night (fictional),Sebring,race,2027-11-07,06:30,,UTC,,,"), KNOWN
    )
    assert starts(first) == [("race", "2027-11-07T05:30:00Z", "2027-11-07")]
    assert starts(second) == [("race", "2027-11-07T06:30:00Z", "2027-11-07")]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12:00am", "05:00"), ("12pm", "17:00"), ("1:40 PM", "18:40"), ("9:05", "14:05"), ("23:59", "04:59")],
)
def test_twelve_and_twenty_four_hour_times(typed, expected):
    catalog = parse_events_csv(csv_of(f"IMSA,2027,T (fictional),Sebring,race,2027-01-20,{typed},,,,,"), KNOWN)
    start = catalog.events[0].sessions[0].start_at
    assert start is not None
    assert start[11:16] == expected


def test_semicolon_files_with_a_byte_order_mark_are_read():
    text = "\ufeff" + SEBRING_WEEKEND.replace(",", ";")
    assert parse_events_csv(text, KNOWN).events == parse_events_csv(SEBRING_WEEKEND, KNOWN).events


def test_a_quoted_comma_in_a_name_is_fine():
    catalog = parse_events_csv(
        csv_of('WEC,2027,"Lone Star, Le Mans (fictional)",Lusail,race,2027-09-05,,,,,,'), KNOWN
    )
    assert catalog.events[0].name == "Lone Star, Le Mans (fictional)"


def test_a_bad_line_in_the_middle_is_named_and_nothing_else():
    lines = SEBRING_WEEKEND.splitlines()
    lines.insert(3, "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,practice,2027-03-31,14:60,,,,,")
    assert problems_of("\n".join(lines)) == [
        "line 4, time: '14:60' is not a time: write it like 14:00 or 2:00pm (leave it blank when TBA)"
    ]


def test_every_problem_is_collected_with_its_line_and_the_whole_file_is_refused():
    problems = problems_of(
        csv_of(
            "IMSA,2027,A (fictional),Sebring,race,2027-02-30,10:00,,,,,",
            "IMSA,2027,B (fictional),Sebring,race,2027-03-14,10:00,,,,,",
            "IMSA,2027,C (fictional),Sebring,race,2027-03-14,10:00,,,ftp://example.org,,",
        )
    )
    assert [p.split(",")[0] for p in problems] == ["line 2", "line 4"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "IMSA,2027,X,Sebring,race,2027-3-32,10:00,,,,,",
            "line 2, date: '2027-3-32' is not a date: write it like 2027-03-18 (or 18/03/2027, day first)",
        ),
        ("IMSA,2027,X,Sebring,race,03/18/2027,10:00,,,,,", "line 2, date: '03/18/2027' is not a date"),
        ("IMSA,2027,X,Sebring,race,2027-03-20,25:00,,,,,", "line 2, time: '25:00' is not a time"),
        ("IMSA,2027,X,Sebring,race,2027-03-20,13:40pm,,,,,", "line 2, time: '13:40pm' is not a time"),
        (
            "IMSA,2027,X,Sebring,race,2027-03-14,02:30,,,,,",
            "line 2, time: 2027-03-14 02:30 does not exist in America/New_York: the clocks jump forward that night.",
        ),
        (
            "IMSA,2027,X,Sebring,race,2027-11-07,1:30am,,,,,",
            "line 2, time: 2027-11-07 01:30 happens twice in America/New_York (the clocks go back that night): it is either 2027-11-07 05:30 UTC (the first time) or 2027-11-07 06:30 UTC (an hour later). Say which: write that UTC time in the time column and UTC in the timezone column.",
        ),
        (
            "WEC,2027,X,Le Mans,race,2027-03-28,02:15,,,,,",
            "line 2, time: 2027-03-28 02:15 does not exist in Europe/Paris",
        ),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,,America/Sebring,,,",
            "line 2, timezone: 'America/Sebring' is not an IANA time zone name",
        ),
        ("IMSA,2027,X,Sebring,race,2027-03-20,10:00,,Europe/Pariss,,,", "(did you mean Europe/Paris?)"),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,,,javascript:alert(1),,",
            "line 2, info_url: 'javascript:alert(1)' is not a web address",
        ),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,,,,www.example.org,",
            "line 2, watch_url: 'www.example.org' is not a web address: write it in full, starting with https://",
        ),
        (
            f"IMSA,2027,X,Sebring,race,2027-03-20,10:00,,,https://example.org/{'a' * 490},,",
            "line 2, info_url: longer than 500 characters",
        ),
        (
            f"IMSA,2027,{'N' * 101},Sebring,race,2027-03-20,10:00,,,,,",
            "line 2, event: longer than 100 characters (101)",
        ),
        ("IMSA,2027,,Sebring,race,2027-03-20,10:00,,,,,", "line 2, event: missing"),
        (
            "IMAS,2027,X,Sebring,race,2027-03-20,10:00,,,,,",
            "line 2, series: 'IMAS' is not a series this server knows (did you mean IMSA?); known series: IMSA, WEC",
        ),
        (
            "IMSA,2027,X,Sebrnig,race,2027-03-20,10:00,,,,,",
            "line 2, circuit: no circuit called 'Sebrnig' (did you mean 'Sebring'?)",
        ),
        ("IMSA,2027,X,Monza,race,2027-03-20,10:00,,,,,", "can be added with its IANA time zone"),
        (
            "IMSA,2027,X,Sebring,sprint,2027-03-20,10:00,,,,,",
            "line 2, session: 'sprint' is not a session kind: write one of practice, qualifying, hyperpole, warmup, race, other",
        ),
        (
            "IMSA,27,X,Sebring,race,2027-03-20,10:00,,,,,",
            "line 2, season: 27 is not a season between 1900 and 2200",
        ),
        ("IMSA,,X,Sebring,race,2027-03-20,10:00,,,,,", "line 2, season: missing"),
        ("IMSA,2027,X,Sebring,race,,10:00,,,,,", "line 2, time: a time needs a date"),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,1.5,,,,",
            "line 2, duration_minutes: '1.5' is not a whole number of minutes",
        ),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,3000,,,,",
            "line 2, duration_minutes: 3000 minutes: a session lasts from 1 to 2880 minutes",
        ),
        (
            "IMSA,2027,X,Sebring,race,2027-03-20,10:00,,,,,Sebring 2027",
            "line 2, key: 'Sebring 2027' is not a usable key",
        ),
        ("IMSA,2027,X,Sebring,race,2027-03-20,10:00,,,,", "line 2: has 11 fields but the header has 12"),
        (
            "IMSA,2027,X,Sebring,race,1850-03-20,10:00,,,,,",
            "line 2, date: '1850-03-20' is outside the years 1900-2200",
        ),
    ],
)
def test_each_bad_input_is_named_with_its_line_and_column(row, expected):
    problems = problems_of(csv_of(row))
    assert len(problems) == 1, problems
    assert expected in problems[0], problems


def test_a_race_before_its_qualifying_is_refused():
    problems = problems_of(
        csv_of(
            "IMSA,2027,X (fictional),Sebring,qualifying,2027-03-13,15:00,,,,,",
            "IMSA,2027,X (fictional),Sebring,race,2027-03-12,,,,,,",
        )
    )
    assert problems == [
        "line 3, date: the race (2027-03-12, time TBA) is before the qualifying at line 2 (2027-03-13 20:00 UTC); check the dates and times"
    ]


def test_a_race_later_on_the_same_day_as_a_timed_qualifying_is_fine_even_when_tba():
    catalog = parse_events_csv(
        csv_of(
            "IMSA,2027,X (fictional),Sebring,qualifying,2027-03-13,09:00,,,,,",
            "IMSA,2027,X (fictional),Sebring,race,2027-03-13,,,,,,",
        ),
        KNOWN,
    )
    assert [s.key for s in catalog.events[0].sessions] == ["qualifying", "race"]


def test_a_duplicated_session_is_refused():
    problems = problems_of(
        csv_of(
            "IMSA,2027,X (fictional),Sebring,race,2027-03-14,10:10,,,,,",
            "IMSA,2027,X (fictional),Sebring,race,2027-03-14,10:10am,,,,,",
        )
    )
    assert problems == [
        "line 3, session: repeats the race at line 2 (same event, kind, date and time); delete one of them, or correct its date or time"
    ]


def test_rows_of_one_event_must_agree_on_its_circuit_and_links():
    problems = problems_of(
        csv_of(
            "WEC,2027,X (fictional),Sebring,qualifying,2027-03-13,10:00,,,https://example.org/a,,x-2027",
            "WEC,2027,X (fictional),Lusail,race,2027-03-14,10:00,,,https://example.org/b,,x-2027",
        )
    )
    assert problems == [
        "line 3, circuit: this row belongs to event 'x-2027' (first seen at line 2) but gives 'lusail' where that one gave 'sebring'; write the same circuit for every session of an event, or give this row its own event key",
        "line 3, info_url: this row belongs to event 'x-2027' (first seen at line 2) but gives 'https://example.org/b' where that one gave 'https://example.org/a'; write the same info_url for every session of an event, or give this row its own event key",
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER_LINE.replace(",watch_url", ""), "line 1: the header lacks the column(s) watch_url"),
        (HEADER_LINE + ",notes", "line 1: unknown column(s) 'notes'"),
        (HEADER_LINE + ",date", "line 1: the column(s) date appear more than once"),
    ],
)
def test_a_wrong_header_is_refused_with_the_header_to_write(header, expected):
    problems = problems_of(header + "\nIMSA,2027,X,Sebring,race,2027-03-14,10:10,,,,,\n")
    assert problems[0] == expected
    assert problems[-1].endswith(HEADER_LINE)


def test_header_columns_may_come_in_any_order_and_any_case():
    columns = HEADER_LINE.split(",")
    reordered = ",".join(c.upper() for c in reversed(columns))
    row = ",".join(reversed(["IMSA", "2027", "X", "Sebring", "race", "2027-03-14", "10:10", "", "", "", "", ""]))
    assert starts(parse_events_csv(f"{reordered}\n{row}\n", KNOWN)) == [
        ("race", "2027-03-14T14:10:00Z", "2027-03-14")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty: its first line must be the header series,season,"),
        ("\n \n", "the file is empty"),
        (HEADER_LINE + "\n", "the file has a header but no rows: add one row per session"),
        (HEADER_LINE + "\n,,,,,,,,,,,\n", "the file has a header but no rows"),
    ],
)
def test_an_empty_file_says_what_to_write(text, expected):
    (problem,) = problems_of(text)
    assert problem.startswith(expected)


def test_an_unclosed_quote_is_a_problem_not_a_crash():
    problems = problems_of(csv_of('IMSA,2027,"X,Sebring,race,2027-03-14,10:10,,,,,'))
    assert "cannot be read as CSV" in problems[0]


def test_a_circuit_name_shared_by_two_circuits_must_be_written_as_a_key():
    twin = CircuitInfo(
        key="sebring-short", name="Sebring Short Course", timezone="America/New_York", aliases=("Sebring",)
    )
    known = KnownCalendar(series={"IMSA"}, circuits={"sebring": SEBRING, "sebring-short": twin})
    with pytest.raises(CatalogError) as err:
        parse_events_csv(csv_of("IMSA,2027,X,Sebring,race,2027-03-14,10:10,,,,,"), known)
    assert err.value.problems == [
        "line 2, circuit: 'Sebring' names more than one circuit (sebring, sebring-short); write the circuit's key instead"
    ]


# ---------------------------------------------------------------------- ICS


def model_event(record: EventRecord, *, guild_id: int | None, status: EventStatus | None = None) -> Event:
    """The model ``Event`` the store would give back for ``record`` (no database needed)."""
    info = KNOWN.circuits[record.circuit]
    circuit = Circuit(1, info.key, info.name, info.timezone, location=info.location, aliases=info.aliases)
    sessions = tuple(
        Session(
            id=i,
            kind=SessionKind(s.kind),
            start=from_iso_utc(s.start_at) if s.start_at else None,
            local_date=date.fromisoformat(s.local_date) if s.local_date else None,
            duration_minutes=s.duration_minutes,
            notes=s.notes,
            key=s.key,
        )
        for i, s in enumerate(record.sessions)
    )
    return Event(
        id=1,
        key=record.key,
        guild_id=guild_id,
        series=Series(record.series, KNOWN.series_names[record.series]),
        circuit=circuit,
        season=record.season,
        name=record.name,
        status=status or EventStatus(record.status),
        info_url=record.info_url,
        watch_url=record.watch_url,
        sessions=sessions,
    )


STAMP = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)

# Fictional: two made-up 2027 weekends, with a TBA race, repeated practice and a cancelled event.
ROUND_TRIP_CSV = csv_of(
    "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,practice,2027-03-12,10:00,90,,,,",
    "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,practice,2027-03-12,15:30,60,,,,",
    "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,qualifying,2027-03-13,15:15,15,,https://example.org/s?a=1&b=2,,",
    "IMSA,2027,Twelve Hours of Sebring (fictional),Sebring,race,2027-03-14,,720,,,https://example.org/watch,",
    '"WEC","2027","Le Mans, the 24 Hours; fictional",Le Mans,qualifying,2027-06-10,11:00,,,,,',
    '"WEC","2027","Le Mans, the 24 Hours; fictional",Le Mans,race,2027-06-12,16:00,1440,,,,',
)


def round_trip_events(guild_id: int | None = GUILD) -> tuple[Catalog, list[Event]]:
    catalog = parse_events_csv(ROUND_TRIP_CSV, KNOWN)
    return catalog, [model_event(r, guild_id=guild_id) for r in catalog.events]


def test_export_then_import_gives_back_equal_event_records():
    catalog, events = round_trip_events()
    again = parse_events_ics(
        events_to_ics(events, calendar_name="Paddock club", guild_id=GUILD, stamp=STAMP),
        KNOWN,
        default_series=None,
    )
    assert again.events == catalog.events
    assert again.circuits == catalog.circuits
    assert again.series == catalog.series


def test_round_trip_keeps_status_notes_and_awkward_text():
    catalog, events = round_trip_events()
    first = events[0]
    practice = first.sessions[0]
    noted = Session(
        practice.id,
        practice.kind,
        practice.start,
        practice.local_date,
        90,
        "Pit lane; opens, early\nBring ear plugs",
        practice.key,
    )
    cancelled = Event(
        **{**first.__dict__, "status": EventStatus.CANCELLED, "sessions": (noted, *first.sessions[1:])}
    )
    again = parse_events_ics(
        events_to_ics([cancelled], calendar_name="x", guild_id=GUILD, stamp=STAMP), KNOWN, default_series=None
    )
    (event,) = again.events
    assert event.status == "cancelled"
    assert event.sessions[0].notes == "Pit lane; opens, early\nBring ear plugs"
    assert event.sessions[1:] == catalog.events[0].sessions[1:]


def test_reimport_after_a_calendar_app_reordered_the_vevents_keeps_the_keys():
    catalog, events = round_trip_events()
    calendar = Calendar.from_ical(events_to_ics(events, calendar_name="x", guild_id=GUILD, stamp=STAMP))
    vevents = list(reversed(calendar.subcomponents))
    calendar.subcomponents = vevents
    again = parse_events_ics(calendar.to_ical(), KNOWN, default_series=None)
    by_key = {e.key: {s.key: s for s in e.sessions} for e in again.events}
    assert by_key == {e.key: {s.key: s for s in e.sessions} for e in catalog.events}


def test_export_writes_utc_times_with_the_circuits_zone_and_stable_uids():
    _, events = round_trip_events()
    ics = events_to_ics(events, calendar_name="Paddock club", guild_id=GUILD, stamp=STAMP)
    assert ics == events_to_ics(events, calendar_name="Paddock club", guild_id=GUILD, stamp=STAMP)
    calendar = Calendar.from_ical(ics)
    assert str(calendar["X-WR-CALNAME"]) == "Paddock club"
    vevents = {str(v["UID"]): v for v in calendar.walk("VEVENT")}
    assert len(vevents) == 6
    sebring, le_mans = events
    race = vevents[f"{sebring.key}.race.guild-{GUILD}@fanbot"]
    assert session_uid(sebring, sebring.sessions[-1]) == f"{sebring.key}.race.guild-{GUILD}@fanbot"
    assert race.decoded("DTSTART") == date(2027, 3, 14)  # time TBA: an all-day entry
    assert b"DTSTART;VALUE=DATE:20270314" in ics
    le_mans_race = vevents[f"{le_mans.key}.race.guild-{GUILD}@fanbot"]
    assert b"DTSTART:20270612T140000Z" in ics
    assert b"DTEND:20270613T140000Z" in ics
    assert str(le_mans_race["SUMMARY"]) == "Le Mans, the 24 Hours; fictional — Race"
    assert str(le_mans_race["X-FANBOT-TZID"]) == "Europe/Paris"
    assert "Europe/Paris" in str(le_mans_race["COMMENT"])
    assert "2027-06-12 16:00 (Europe/Paris)" in str(le_mans_race["DESCRIPTION"])
    assert str(le_mans_race["LOCATION"]) == "Circuit de la Sarthe, Le Mans"
    assert le_mans_race.decoded("DTSTAMP") == STAMP
    practice_2 = vevents[f"{sebring.key}.practice-2.guild-{GUILD}@fanbot"]
    assert str(practice_2["SUMMARY"]).endswith("— Practice 2")
    qualifying = vevents[f"{sebring.key}.qualifying.guild-{GUILD}@fanbot"]
    assert str(qualifying["URL"]) == "https://example.org/s?a=1&b=2"
    assert "Watch: https://example.org/watch" in str(race["DESCRIPTION"])


def test_a_cancelled_event_is_exported_as_cancelled():
    catalog, _ = round_trip_events()
    event = model_event(catalog.events[1], guild_id=GUILD, status=EventStatus.CANCELLED)
    calendar = Calendar.from_ical(events_to_ics([event], calendar_name="x", guild_id=GUILD, stamp=STAMP))
    assert {str(v["STATUS"]) for v in calendar.walk("VEVENT")} == {"CANCELLED"}


def test_sessions_without_a_date_are_left_out_of_the_export():
    catalog = parse_events_csv(csv_of("WEC,2027,Undated (fictional),Lusail,race,,,,,,,"), KNOWN)
    event = model_event(catalog.events[0], guild_id=GUILD)
    calendar = Calendar.from_ical(events_to_ics([event], calendar_name="x", guild_id=GUILD, stamp=STAMP))
    assert calendar.walk("VEVENT") == []


def test_export_refuses_another_guilds_events_and_a_naive_stamp():
    _, events = round_trip_events(guild_id=99)
    with pytest.raises(ValueError, match="another guild"):
        events_to_ics(events, calendar_name="x", guild_id=GUILD, stamp=STAMP)
    with pytest.raises(ValueError, match="aware"):
        events_to_ics(events, calendar_name="x", guild_id=99, stamp=datetime(2027, 1, 1))  # noqa: DTZ001 - the naive stamp under test


def test_catalog_events_in_a_guilds_export_are_not_imported_as_the_guilds_own():
    catalog, guild_events = round_trip_events()
    shared = model_event(catalog.events[1], guild_id=None)
    ics = events_to_ics([guild_events[0], shared], calendar_name="x", guild_id=GUILD, stamp=STAMP)
    assert f"{shared.key}.race.catalog@fanbot".encode() in ics
    again = parse_events_ics(ics, KNOWN, default_series=None)
    assert [e.key for e in again.events] == [guild_events[0].key]
    with pytest.raises(CatalogError, match="shared catalog"):
        parse_events_ics(
            events_to_ics([shared], calendar_name="x", guild_id=None, stamp=STAMP), KNOWN, default_series=None
        )


# A hand-written calendar as another site would publish it (times made up).
FOREIGN = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Some Racing Site//EN\r
BEGIN:VEVENT\r
UID:lemans-2027@racing.example\r
DTSTAMP:20261201T000000Z\r
SUMMARY:24 Hours of Le Mans (fictional)\r
DTSTART;TZID=Europe/Paris:20270612T160000\r
DTEND;TZID=Europe/Paris:20270613T160000\r
LOCATION:Circuit de la Sarthe\\, 72000 Le Mans\\, France\r
URL:https://racing.example/le-mans\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:qatar-2027@racing.example\r
DTSTAMP:20261201T000000Z\r
SUMMARY:Qatar 1812 km (fictional)\r
DTSTART;VALUE=DATE:20270227\r
LOCATION:Lusail International Circuit\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:sebring-2027@racing.example\r
DTSTAMP:20261201T000000Z\r
SUMMARY:Sebring in UTC (fictional)\r
DTSTART:20270320T151000Z\r
DURATION:PT12H\r
LOCATION:Sebring\r
STATUS:CANCELLED\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_foreign_calendar_imports_one_race_per_vevent():
    catalog = parse_events_ics(FOREIGN, KNOWN, default_series="wec")
    assert [(e.key, e.series, e.circuit, e.season, e.status, e.info_url) for e in catalog.events] == [
        (
            "guild-wec-2027-24-hours-of-le-mans-fictional",
            "WEC",
            "circuit-de-la-sarthe",
            2027,
            "scheduled",
            "https://racing.example/le-mans",
        ),
        ("guild-wec-2027-qatar-1812-km-fictional", "WEC", "lusail", 2027, "scheduled", None),
        ("guild-wec-2027-sebring-in-utc-fictional", "WEC", "sebring", 2027, "cancelled", None),
    ]
    assert [
        (s.key, s.kind, s.start_at, s.local_date, s.duration_minutes)
        for e in catalog.events
        for s in e.sessions
    ] == [
        ("race", "race", "2027-06-12T14:00:00Z", "2027-06-12", 1440),
        ("race", "race", None, "2027-02-27", None),
        ("race", "race", "2027-03-20T15:10:00Z", "2027-03-20", 720),
    ]


def foreign_problems(vevent: str, *, default_series: str | None = "WEC") -> list[str]:
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\n{vevent}END:VEVENT\r\nEND:VCALENDAR\r\n"
    with pytest.raises(CatalogError) as err:
        parse_events_ics(data.encode(), KNOWN, default_series=default_series)
    return err.value.problems


@pytest.mark.parametrize(
    ("vevent", "expected"),
    [
        (
            "SUMMARY:X\r\nDTSTART:20270320T151000Z\r\nLOCATION:Monza\r\n",
            "VEVENT 1 (UID u1), LOCATION: no circuit called 'Monza'",
        ),
        (
            "SUMMARY:X\r\nDTSTART:20270320T151000Z\r\n",
            "VEVENT 1 (UID u1), LOCATION: missing: fanbot needs the circuit's name",
        ),
        ("SUMMARY:X\r\nLOCATION:Sebring\r\n", "VEVENT 1 (UID u1), DTSTART: missing"),
        (
            "SUMMARY:X\r\nDTSTART;TZID=Europe/Paris:20270328T023000\r\nLOCATION:Le Mans\r\n",
            "VEVENT 1 (UID u1), DTSTART: 2027-03-28 02:30 does not exist in Europe/Paris",
        ),
        (
            "SUMMARY:X\r\nDTSTART;TZID=America/New_York:20271107T013000\r\nLOCATION:Sebring\r\n",
            "either 2027-11-07 05:30 UTC (the first time) or 2027-11-07 06:30 UTC",
        ),
        (
            "SUMMARY:X\r\nDTSTART;TZID=Mars/Olympus:20270320T100000\r\nLOCATION:Sebring\r\n",
            "DTSTART: TZID 'Mars/Olympus' is not a time zone fanbot knows",
        ),
        (
            "SUMMARY:X\r\nDTSTART:2027032X\r\nLOCATION:Sebring\r\n",
            "VEVENT 1 (UID u1), DTSTART: could not be read",
        ),
        (
            "SUMMARY:X\r\nDTSTART:20270320T100000Z\r\nDTEND:20270320T090000Z\r\nLOCATION:Sebring\r\n",
            "DTEND: the event ends before it starts",
        ),
        (
            "SUMMARY:X\r\nDTSTART:20270320T100000Z\r\nDTEND:20270325T090000Z\r\nLOCATION:Sebring\r\n",
            "give the race's own start and end",
        ),
        (
            "SUMMARY:X\r\nDTSTART:20270320T100000Z\r\nRRULE:FREQ=YEARLY\r\nLOCATION:Sebring\r\n",
            "RRULE: repeating events are not supported",
        ),
        ("DTSTART:20270320T100000Z\r\nLOCATION:Sebring\r\n", "VEVENT 1 (UID u1), SUMMARY: missing"),
        (
            "SUMMARY:X\r\nDTSTART:20270320T100000Z\r\nLOCATION:Sebring\r\nURL:ftp://example.org\r\n",
            "URL: 'ftp://example.org' is not a web address",
        ),
    ],
)
def test_bad_foreign_vevents_are_named_by_index_and_uid(vevent, expected):
    problems = foreign_problems(vevent)
    assert len(problems) == 1, problems
    assert expected in problems[0], problems


def test_a_foreign_calendar_needs_a_known_default_series():
    vevent = "SUMMARY:X\r\nDTSTART:20270320T100000Z\r\nLOCATION:Sebring\r\n"
    assert foreign_problems(vevent, default_series=None) == [
        "this calendar was not exported by fanbot, so its events need a series: choose the default series when importing it"
    ]
    assert foreign_problems(vevent, default_series="ELMS") == [
        "default series: 'ELMS' is not a series this server knows; known series: IMSA, WEC"
    ]


def test_a_floating_time_is_the_circuits_wall_clock():
    data = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nSUMMARY:F\r\nDTSTART:20270320T101000\r\nLOCATION:Sebring\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert starts(parse_events_ics(data, KNOWN, default_series="IMSA")) == [
        ("race", "2027-03-20T14:10:00Z", "2027-03-20")
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n",  # cut short
        b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n",  # no calendar around it
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",  # no events
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:\u00e9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode(
            "utf-16"
        ),
    ],
)
def test_malformed_files_are_a_catalog_error(data):
    with pytest.raises(CatalogError) as err:
        parse_events_ics(data, KNOWN, default_series="WEC")
    assert err.value.problems


_VALID = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:X (fictional)\r\n"
    b"DTSTART;TZID=Europe/Paris:20270612T160000\r\nDTEND:20270612T170000Z\r\nLOCATION:Le Mans\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_VALID)), st.integers(0, len(_VALID)), st.binary(max_size=16))
def test_damaged_files_give_a_catalog_error_or_a_catalog_never_a_crash(i, j, junk):
    i, j = sorted((i, j))
    try:
        catalog = parse_events_ics(_VALID[:i] + junk + _VALID[j:], KNOWN, default_series="WEC")
    except CatalogError as err:
        assert err.problems  # noqa: PT017 - either outcome is allowed; pytest.raises would demand the error
    else:
        assert isinstance(catalog, Catalog)


def test_a_hand_edited_fanbot_export_is_checked_too():
    _, events = round_trip_events()
    ics = events_to_ics(events[1:], calendar_name="x", guild_id=GUILD, stamp=STAMP)
    tampered = ics.replace(b"X-FANBOT-SESSION-KIND:race", b"X-FANBOT-SESSION-KIND:sprint").replace(
        b"X-FANBOT-CIRCUIT:circuit-de-la-sarthe", b"X-FANBOT-CIRCUIT:spa", 1
    )
    with pytest.raises(CatalogError) as err:
        parse_events_ics(tampered, KNOWN, default_series=None)
    key = events[1].key
    assert err.value.problems == [
        f"VEVENT 1 (UID {key}.qualifying.guild-{GUILD}@fanbot), X-FANBOT-CIRCUIT: no circuit called 'spa'. Write a circuit's key, name or alias; a circuit the server does not know yet can be added with its IANA time zone (for example Europe/Paris), then the file imported again",
        f"VEVENT 2 (UID {key}.race.guild-{GUILD}@fanbot), X-FANBOT-SESSION-KIND: 'sprint' is not one of practice, qualifying, hyperpole, warmup, race, other",
    ]
