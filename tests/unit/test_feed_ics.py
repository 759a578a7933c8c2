"""Community iCalendar feeds of race sessions (fanbot.calendar_files.feed_ics).

Every feed below is MADE UP for the tests, written in the two shapes real fan
feeds have: a clean one (one VEVENT per session, UTC times, "WEC R<n>: <event> -
<session>[ - <class>]", LOCATION "circuit, town, country", REFRESH-INTERVAL)
and a messy French one (French event names with the year, session names often
missing, TZID without any VTIMEZONE, midnight as a placeholder time, no
LOCATION). The weekends are fictional 2027 rounds at real circuits; their dates
and times are not real.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanbot.calendar_files import CircuitInfo, FeedRead, KnownCalendar, KnownEvent, read_feed_ics
from fanbot.calendar_files.feed_ics import session_kind, split_summary
from fanbot.domain.catalog import CatalogError, EventRecord
from fanbot.domain.limits import FEED_MAX_VEVENTS
from fanbot.domain.model import SessionKind
from fanbot.i18n import translator

IMOLA = CircuitInfo(
    key="imola",
    name="Autodromo Internazionale Enzo e Dino Ferrari",
    timezone="Europe/Rome",
    aliases=("Imola",),
)
LE_MANS = CircuitInfo(
    key="la-sarthe", name="Circuit de la Sarthe", timezone="Europe/Paris", aliases=("Le Mans",)
)
SPA = CircuitInfo(
    key="spa-francorchamps", name="Circuit de Spa-Francorchamps", timezone="Europe/Brussels", aliases=("Spa",)
)
COTA = CircuitInfo(
    key="cota", name="Circuit of the Americas", timezone="America/Chicago", aliases=("COTA", "Austin")
)
KNOWN = KnownCalendar(
    series={"WEC", "ELMS"},
    circuits={c.key: c for c in (IMOLA, LE_MANS, SPA, COTA)},
    series_names={"WEC": "FIA World Endurance Championship"},
)
# What the server already sees, as the catalog gives it (names and aliases of the made-up 2027 rounds).
KNOWN_EVENTS = (
    KnownEvent("WEC", 2027, "6 Hours of Imola", ("Imola 6 Hours", "6 Heures d'Imola"), "imola"),
    KnownEvent(
        "WEC", 2027, "6 Hours of Spa-Francorchamps", ("6 Heures de Spa-Francorchamps",), "spa-francorchamps"
    ),
    KnownEvent("WEC", 2027, "24 Hours of Le Mans", ("24 Heures du Mans",), "la-sarthe"),
    KnownEvent("WEC", 2026, "Lone Star Le Mans", (), "cota"),  # another season: never matches 2027
)


def vevent(
    uid: str | None,
    summary: str,
    start: str,
    end: str | None = None,
    *,
    location: str | None = None,
    extra: str = "",
) -> str:
    """One VEVENT; ``start``/``end`` are written after "DTSTART"/"DTEND" (";TZID=...:..." or ":...Z")."""
    lines = ["BEGIN:VEVENT"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines += ["DTSTAMP:20270101T000000Z", f"SUMMARY:{summary}", f"DTSTART{start}"]
    if end is not None:
        lines.append(f"DTEND{end}")
    if location is not None:
        lines.append(f"LOCATION:{location}")
    if extra:
        lines.append(extra)
    lines.append("END:VEVENT")
    return "\n".join(lines)


def feed(*vevents: str, header: str = "") -> bytes:
    body = "\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//made-up feed//EN", header, *vevents]
    )
    return (
        ("\n".join(line for line in body.split("\n") if line) + "\nEND:VCALENDAR\n")
        .replace("\n", "\r\n")
        .encode()
    )


IMOLA_PLACE = r"Autodromo Enzo e Dino Ferrari\, Imola\, Italy"
SARTHE_PLACE = r"Circuit de la Sarthe\, Le Mans\, France"

# The clean shape, made up: a fictional 2027 Imola weekend and a Le Mans week with two Hyperpoles.
CLEAN_IMOLA = [
    ("r01-s01", "WEC R1: 6 Hours of Imola - Free Practice 1", ":20270416T081500Z", ":20270416T094500Z"),
    ("r01-s02", "WEC R1: 6 Hours of Imola - Free Practice 2", ":20270416T131500Z", ":20270416T144500Z"),
    ("r01-s03", "WEC R1: 6 Hours of Imola - Free Practice 3", ":20270417T083000Z", ":20270417T093000Z"),
    ("r01-s04", "WEC R1: 6 Hours of Imola - Qualifying - LMGT3", ":20270417T123000Z", ":20270417T124200Z"),
    ("r01-s05", "WEC R1: 6 Hours of Imola - Hyperpole - LMGT3", ":20270417T125000Z", ":20270417T130000Z"),
    ("r01-s06", "WEC R1: 6 Hours of Imola - Qualifying - Hypercar", ":20270417T131000Z", ":20270417T132200Z"),
    ("r01-s07", "WEC R1: 6 Hours of Imola - Hyperpole - Hypercar", ":20270417T133000Z", ":20270417T134000Z"),
    ("r01-s08", "WEC R1: 6 Hours of Imola - Race", ":20270418T110000Z", ":20270418T170000Z"),
]
CLEAN_LE_MANS = [
    ("r03-s01", "WEC R3: 24 Hours of Le Mans - Free Practice 1", ":20270609T120000Z", ":20270609T150000Z"),
    (
        "r03-s02",
        "WEC R3: 24 Hours of Le Mans - Qualifying - Hypercar",
        ":20270609T173000Z",
        ":20270609T180000Z",
    ),
    (
        "r03-s03",
        "WEC R3: 24 Hours of Le Mans - Hyperpole 1 - Hypercar",
        ":20270610T190500Z",
        ":20270610T192500Z",
    ),
    (
        "r03-s04",
        "WEC R3: 24 Hours of Le Mans - Hyperpole 2 - Hypercar",
        ":20270610T194000Z",
        ":20270610T195500Z",
    ),
    (
        "r03-s05",
        "WEC R3: 24 Hours of Le Mans - Hyperpole 1 - LMP2 & LMGT3",
        ":20270610T180000Z",
        ":20270610T182000Z",
    ),
    ("r03-s06", "WEC R3: 24 Hours of Le Mans - Warm-up", ":20270612T100000Z", ":20270612T101500Z"),
    ("r03-s07", "WEC R3: 24 Hours of Le Mans - Race", ":20270612T140000Z", ":20270613T140000Z"),
]
CLEAN_PROLOGUE = [
    ("r00-s01", "WEC R0: Official Prologue - Morning Session", ":20270413T070000Z", ":20270413T110000Z"),
]
CLEAN_HEADER = "X-WR-CALNAME:WEC Calendar (made up)\nREFRESH-INTERVAL;VALUE=DURATION:P1D\nX-PUBLISHED-TTL:P1D"


def clean_feed(rows: list[tuple[str, str, str, str]] = CLEAN_IMOLA, place: str = IMOLA_PLACE) -> bytes:
    return feed(
        *(vevent(f"wec-2027-{u}@made-up", s, a, b, location=place) for u, s, a, b in rows),
        header=CLEAN_HEADER,
    )


def read(data: bytes, **options: object) -> FeedRead:
    kwargs: dict[str, object] = {"series": "WEC", "key_prefix": "feed-7-", "known_events": KNOWN_EVENTS}
    kwargs.update(options)
    return read_feed_ics(data, KNOWN, **kwargs)  # type: ignore[arg-type]


def read_or_refusal(data: bytes) -> FeedRead | CatalogError:
    try:
        return read(data)
    except CatalogError as exc:
        return exc


def refused(data: bytes, **options: object) -> list[str]:
    with pytest.raises(CatalogError) as err:
        read(data, **options)
    return [str(p) for p in err.value.problems]


def event_named(result: FeedRead, name: str) -> EventRecord:
    return next(e for e in result.catalog.events if e.name == name)


def sessions(event: EventRecord) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    return {s.key: (s.kind, s.start_at, s.local_date, s.notes) for s in event.sessions}


# ---------------------------------------------------------------------------- the clean shape


def test_clean_feed_gives_one_event_per_weekend_with_practices_qualifying_and_hyperpole_per_class():
    rows = [(u, s, a, b, IMOLA_PLACE) for u, s, a, b in CLEAN_IMOLA + CLEAN_PROLOGUE]
    rows += [(u, s, a, b, SARTHE_PLACE) for u, s, a, b in CLEAN_LE_MANS]
    data = feed(
        *(vevent(f"wec-2027-{u}@made-up", s, a, b, location=p) for u, s, a, b, p in rows), header=CLEAN_HEADER
    )

    result = read(data)

    assert [(e.key, e.circuit, e.season) for e in result.catalog.events] == [
        ("feed-7-wec-2027-official-prologue", "imola", 2027),
        ("feed-7-wec-2027-6-hours-of-imola", "imola", 2027),
        ("feed-7-wec-2027-24-hours-of-le-mans", "la-sarthe", 2027),
    ]
    imola = event_named(result, "6 Hours of Imola")
    assert imola.series == "WEC"
    assert sessions(imola) == {
        "practice-1": ("practice", "2027-04-16T08:15:00Z", "2027-04-16", None),
        "practice-2": ("practice", "2027-04-16T13:15:00Z", "2027-04-16", None),
        "practice-3": ("practice", "2027-04-17T08:30:00Z", "2027-04-17", None),
        "qualifying-lmgt3": ("qualifying", "2027-04-17T12:30:00Z", "2027-04-17", "LMGT3"),
        "hyperpole-lmgt3": ("hyperpole", "2027-04-17T12:50:00Z", "2027-04-17", "LMGT3"),
        "qualifying-hypercar": ("qualifying", "2027-04-17T13:10:00Z", "2027-04-17", "Hypercar"),
        "hyperpole-hypercar": ("hyperpole", "2027-04-17T13:30:00Z", "2027-04-17", "Hypercar"),
        "race": ("race", "2027-04-18T11:00:00Z", "2027-04-18", None),
    }
    assert next(s for s in imola.sessions if s.key == "race").duration_minutes == 360
    le_mans = event_named(result, "24 Hours of Le Mans")
    assert set(sessions(le_mans)) == {
        "practice-1",
        "qualifying-hypercar",
        "hyperpole-hypercar-1",
        "hyperpole-hypercar-2",
        "hyperpole-lmp2-lmgt3-1",
        "warmup",
        "race",
    }
    assert sessions(le_mans)["hyperpole-lmp2-lmgt3-1"][3] == "LMP2 & LMGT3"
    assert sessions(event_named(result, "Official Prologue")) == {
        "other-morning-session": ("other", "2027-04-13T07:00:00Z", "2027-04-13", "Morning Session")
    }
    assert result.uids["wec-2027-r01-s06@made-up"] == (
        "feed-7-wec-2027-6-hours-of-imola",
        "qualifying-hypercar",
    )
    assert len(result.uids) == len(rows)
    assert result.unread == []
    assert result.tba == []


def test_session_keys_stay_the_same_when_the_feed_moves_a_session_and_reorders_its_file():
    before = read(clean_feed())
    moved = [
        (u, s, ":20270417T160000Z", ":20270417T161200Z") if u == "r01-s06" else (u, s, a, b)
        for u, s, a, b in CLEAN_IMOLA
    ]
    after = read(clean_feed(list(reversed(moved))))

    assert after.uids == before.uids
    assert (
        sessions(event_named(after, "6 Hours of Imola"))["qualifying-hypercar"][1] == "2027-04-17T16:00:00Z"
    )


def test_two_vevents_that_give_the_same_session_are_both_kept_with_a_suffix():
    rows = [
        *CLEAN_IMOLA,
        ("r01-s09", "WEC R1: 6 Hours of Imola - Free Practice 3", ":20270417T150000Z", ":20270417T153000Z"),
    ]
    result = read(clean_feed(rows))

    assert result.uids["wec-2027-r01-s03@made-up"][1] == "practice-3"
    assert result.uids["wec-2027-r01-s09@made-up"][1] == "practice-3-2"
    assert result.unread == []


def test_a_session_whose_summary_the_feed_fixes_keeps_its_uid_but_gets_the_new_kind():
    rows = [(u, s.replace("Free Practice 3", "Warm-up"), a, b) for u, s, a, b in CLEAN_IMOLA]
    result = read(clean_feed(rows))

    assert result.uids["wec-2027-r01-s03@made-up"] == ("feed-7-wec-2027-6-hours-of-imola", "warmup")


def test_a_race_before_its_qualifying_is_left_out_and_the_rest_of_the_weekend_imported():
    rows = [
        (u, s, ":20270415T110000Z", ":20270415T170000Z") if u == "r01-s08" else (u, s, a, b)
        for u, s, a, b in CLEAN_IMOLA
    ]
    result = read(clean_feed(rows))

    imola = event_named(result, "6 Hours of Imola")
    assert "race" not in sessions(imola)
    assert len(imola.sessions) == 7
    assert "wec-2027-r01-s08@made-up" not in result.uids
    assert len(result.unread) == 1
    assert "VEVENT 8 (UID wec-2027-r01-s08@made-up, 'WEC R1: 6 Hours of Imola - Race')" in result.unread[0]
    assert "the race (2027-04-15 11:00 UTC) is before the qualifying" in result.unread[0]


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("summary", "event", "session"),
    [
        ("WEC R1: 6 Hours of Imola - Qualifying - Hypercar", "6 Hours of Imola", "Qualifying - Hypercar"),
        ("6 Heures d'Imola 2025 -", "6 Heures d'Imola", ""),
        (
            "TotalEnergies 6 Heures de Spa-Francorchamps 2025 Free Practice 1-",
            "TotalEnergies 6 Heures de Spa-Francorchamps",
            "Free Practice 1",
        ),
        (
            "TotalEnergies 6 Heures de Spa-Francorchamps 2025 Qualifying - LMGT3 -",
            "TotalEnergies 6 Heures de Spa-Francorchamps",
            "Qualifying - LMGT3",
        ),
        ("R3 - 24 Heures du Mans - Essais libres 2", "24 Heures du Mans", "Essais libres 2"),
        ("WEC R0: Official Prologue - Morning Session", "Official Prologue", "Morning Session"),
        ("WEC: Qatar 1812km - Race", "Qatar 1812km", "Race"),
        ("Race of Champions - Race", "Race of Champions", "Race"),
        ("Rolex 6 Heures de São Paulo 2027", "Rolex 6 Heures de São Paulo", ""),
    ],
)
def test_summary_is_split_into_the_event_and_the_session(summary, event, session):
    assert split_summary(summary, "WEC") == (event, session)


@pytest.mark.parametrize(
    ("name", "kind", "number", "label"),
    [
        ("Free Practice 2", SessionKind.PRACTICE, 2, None),
        ("FP1", SessionKind.PRACTICE, 1, None),
        ("Practice", SessionKind.PRACTICE, None, None),
        ("Essais libres 3", SessionKind.PRACTICE, 3, None),
        ("ESSAIS LIBRES", SessionKind.PRACTICE, None, None),
        ("EL2", SessionKind.PRACTICE, 2, None),
        ("Qualifying - Hypercar", SessionKind.QUALIFYING, None, "Hypercar"),
        ("Qualifications - LMGT3", SessionKind.QUALIFYING, None, "LMGT3"),
        ("Qualification", SessionKind.QUALIFYING, None, None),
        ("Quali GTD Pro", SessionKind.QUALIFYING, None, "GTD Pro"),
        ("Hypercar Qualifying", SessionKind.QUALIFYING, None, "Hypercar"),
        ("Hyperpole 1 - LMP2 & LMGT3", SessionKind.HYPERPOLE, 1, "LMP2 & LMGT3"),
        ("Warm-up", SessionKind.WARMUP, None, None),
        ("warmup", SessionKind.WARMUP, None, None),
        ("Échauffement", SessionKind.WARMUP, None, None),
        ("Race", SessionKind.RACE, None, None),
        ("The Race", SessionKind.RACE, None, None),
        ("Course", SessionKind.RACE, None, None),
        ("la course", SessionKind.RACE, None, None),
        ("Morning Session", SessionKind.OTHER, None, "Morning Session"),
        ("", SessionKind.OTHER, None, None),
    ],
)
def test_session_names_in_english_and_french_give_kind_number_and_class(name, kind, number, label):
    assert session_kind(name) == (kind, number, label)


# ---------------------------------------------------------------------------- the messy French shape

# Made up, in the shape of a French fan's feed: names with the year, few session names,
# TZID without VTIMEZONE, midnight as "not known yet", no LOCATION.
FRENCH = feed(
    vevent(
        "fr-1",
        "6 Heures d'Imola 2027 -",
        ";TZID=Europe/Rome:20270418T130000",
        ";TZID=Europe/Rome:20270418T190000",
    ),
    vevent(
        "fr-2",
        "6 Heures d'Imola 2027 -",
        ";TZID=Europe/Rome:20270417T151000",
        ";TZID=Europe/Rome:20270417T152200",
    ),
    vevent(
        "fr-3",
        "6 Heures d'Imola 2027 -",
        ";TZID=Europe/Rome:20270416T000000",
        ";TZID=Europe/Rome:20270416T013000",
    ),
    vevent(
        "fr-4",
        "6 Heures d'Imola 2027 - Essais libres 1",
        ";TZID=Europe/Rome:20270416T111500",
        ";TZID=Europe/Rome:20270416T124500",
    ),
    vevent(
        "fr-5",
        "6 Heures d'Imola 2027 - Qualifications - Hypercar",
        ";TZID=Europe/Rome:20270417T000000",
        ";TZID=Europe/Rome:20270417T001200",
    ),
    vevent(
        "fr-6",
        "6 Heures d'Imola 2027 - Course",
        ";TZID=Europe/Rome:20270418T130000",
        ";TZID=Europe/Rome:20270418T190000",
    ),
    vevent(
        "fr-7",
        "TotalEnergies 6 Heures de Spa-Francorchamps 2027 Free Practice 1-",
        ";TZID=Europe/Paris:20270506T111500",
        ";TZID=Europe/Paris:20270506T124500",
    ),
    vevent(
        "fr-8",
        "TotalEnergies 6 Heures de Spa-Francorchamps 2027 Race-",
        ";TZID=Europe/Paris:20270508T140000",
        ";TZID=Europe/Paris:20270508T200000",
    ),
    vevent(
        "fr-9",
        "Bapco Energies 8 Heures du Bahreïn 2027 -",
        ";TZID=Asia/Riyadh:20271113T140000",
        ";TZID=Asia/Riyadh:20271113T220000",
    ),
)


def test_french_feed_reads_tzid_without_vtimezone_as_the_wall_clock_there():
    result = read(FRENCH)

    imola = event_named(result, "6 Heures d'Imola")
    assert (imola.key, imola.circuit, imola.season) == ("feed-7-wec-2027-6-heures-d-imola", "imola", 2027)
    # 13:00 in Rome in April is 11:00 UTC.
    assert sessions(imola)["race"] == ("race", "2027-04-18T11:00:00Z", "2027-04-18", None)
    assert sessions(imola)["practice-1"] == ("practice", "2027-04-16T09:15:00Z", "2027-04-16", None)


def test_french_feed_placeholder_midnights_are_dates_with_time_tba():
    result = read(FRENCH)

    imola = event_named(result, "6 Heures d'Imola")
    assert sessions(imola)["qualifying-hypercar"] == ("qualifying", None, "2027-04-17", "Hypercar")
    tba = {s.key: s for s in imola.sessions if s.start_at is None}
    assert set(tba) == {"qualifying-hypercar", "other-3"}
    assert tba["other-3"].local_date == "2027-04-16"
    # The placeholder's own length is kept: 00:00-01:30.
    assert tba["other-3"].duration_minutes == 90
    assert [str(p) for p in result.tba] == [
        'VEVENT 3 (UID fr-3, "6 Heures d\'Imola 2027 -"): 2027-04-16 00:00 Europe/Rome is a placeholder, '
        "not a time: kept as 2027-04-16, time TBA",
        'VEVENT 5 (UID fr-5, "6 Heures d\'Imola 2027 - Qualifications - Hypercar"): 2027-04-17 00:00 '
        "Europe/Rome is a placeholder, not a time: kept as 2027-04-17, time TBA",
    ]


def test_french_feed_sessions_without_a_name_are_imported_as_other_sessions():
    result = read(FRENCH)

    imola = event_named(result, "6 Heures d'Imola")
    others = {s.key: (s.start_at, s.local_date, s.notes) for s in imola.sessions if s.kind == "other"}
    # Keys in UID order (fr-1, fr-2, fr-3), whatever the times.
    assert others == {
        "other": ("2027-04-18T11:00:00Z", "2027-04-18", None),
        "other-2": ("2027-04-17T13:10:00Z", "2027-04-17", None),
        "other-3": (None, "2027-04-16", None),
    }
    assert result.uids["fr-1"] == ("feed-7-wec-2027-6-heures-d-imola", "other")


def test_circuit_comes_from_the_events_the_server_knows_when_the_feed_gives_no_location():
    result = read(FRENCH)

    spa = event_named(result, "TotalEnergies 6 Heures de Spa-Francorchamps")
    # Its alias "6 Heures de Spa-Francorchamps", after the sponsor's name.
    assert spa.circuit == "spa-francorchamps"
    assert sessions(spa)["race"][1] == "2027-05-08T12:00:00Z"


def test_a_weekend_whose_circuit_is_not_known_is_listed_as_unread_not_guessed():
    result = read(FRENCH)

    assert [e.name for e in result.catalog.events] == [
        "6 Heures d'Imola",
        "TotalEnergies 6 Heures de Spa-Francorchamps",
    ]
    assert [str(p) for p in result.unread] == [
        "'Bapco Energies 8 Heures du Bahreïn' of 2027-11-13 (VEVENT 9): unknown circuit: the feed gives no "
        "LOCATION, and this server knows no WEC 2027 event called 'Bapco Energies 8 Heures du Bahreïn'. "
        "Add that name as an alias of the event, or ask the feed's author to give each session its LOCATION"
    ]
    assert "fr-9" not in result.uids


def test_a_location_that_names_no_known_circuit_is_unread_even_if_the_name_is_known():
    data = clean_feed(place=r"Autódromo do Algarve\, Portimão\, Portugal")
    result_or_refusal = refused(data)

    assert len(result_or_refusal) == 2
    assert result_or_refusal[0] == "no event of this feed could be read"
    assert (
        "'6 Hours of Imola' of 2027-04-16 (VEVENT 1, 2, 3, 4, 5, 6, 7, 8), LOCATION: unknown circuit: "
        in result_or_refusal[1]
    )


def test_a_known_event_of_another_season_gives_no_circuit():
    data = feed(vevent("x-1", "Lone Star Le Mans 2027 - Course", ";TZID=America/Chicago:20270905T120000"))
    problems = refused(data)

    assert "this server knows no WEC 2027 event called 'Lone Star Le Mans'" in problems[1]


def test_problems_are_told_in_french():
    result = read(FRENCH)

    french = result.unread[0].render(translator("fr"))
    assert "circuit inconnu\u00a0: le flux ne donne pas de LOCATION" in french
    assert "heure à confirmer" in result.tba[0].render(translator("fr"))


# ---------------------------------------------------------------------------- times


def test_midnight_utc_is_a_real_time_but_midnight_written_in_local_time_is_a_placeholder():
    data = feed(
        vevent("t-1", "6 Hours of Imola - Race", ":20270418T000000Z", location="Imola"),
        vevent("t-2", "6 Hours of Imola - Qualifying", ":20270417T000000", location="Imola"),
        vevent(
            "t-3",
            "6 Hours of Imola - Free Practice",
            ";VALUE=DATE:20270416",
            ";VALUE=DATE:20270417",
            location="Imola",
        ),
    )
    result = read(data)

    assert sessions(result.catalog.events[0]) == {
        "race": ("race", "2027-04-18T00:00:00Z", "2027-04-18", None),
        "qualifying": ("qualifying", None, "2027-04-17", None),
        "practice": ("practice", None, "2027-04-16", None),
    }
    assert [str(p).split(": ", 1)[1] for p in result.tba] == [
        "2027-04-17 00:00 is a placeholder, not a time: kept as 2027-04-17, time TBA",
        "only a date: kept as 2027-04-16, time TBA",
    ]


def test_a_floating_time_is_the_wall_clock_at_the_circuit():
    data = feed(vevent("t-1", "6 Hours of Imola - Race", ":20270418T130000", location="Imola"))
    result = read(data)

    assert result.catalog.events[0].sessions[0].start_at == "2027-04-18T11:00:00Z"


def test_an_unknown_tzid_and_a_time_in_the_spring_forward_gap_are_unread():
    data = feed(
        vevent("t-1", "6 Hours of Imola - Race", ":20270328T110000Z", location="Imola"),
        vevent(
            "t-2", "6 Hours of Imola - Warm-up", ";TZID=Mars/Olympus_Mons:20270328T080000", location="Imola"
        ),
        # Europe/Rome springs forward at 02:00 on 28 March 2027: 02:30 never happens.
        vevent(
            "t-3", "6 Hours of Imola - Free Practice", ";TZID=Europe/Rome:20270328T023000", location="Imola"
        ),
    )
    result = read(data)

    assert set(sessions(result.catalog.events[0])) == {"race"}
    assert len(result.unread) == 2
    assert "DTSTART: TZID 'Mars/Olympus_Mons' is not a time zone fanbot knows" in result.unread[0]
    assert result.unread[1].startswith("VEVENT 3 (UID t-3, '6 Hours of Imola - Free Practice'), DTSTART: ")


def test_a_session_that_ends_before_it_starts_is_unread():
    data = feed(
        vevent("t-1", "6 Hours of Imola - Race", ":20270418T110000Z", ":20270418T170000Z", location="Imola"),
        vevent(
            "t-2", "6 Hours of Imola - Warm-up", ":20270418T090000Z", ":20270418T080000Z", location="Imola"
        ),
    )
    result = read(data)

    assert set(sessions(result.catalog.events[0])) == {"race"}
    assert [str(p) for p in result.unread] == [
        "VEVENT 2 (UID t-2, '6 Hours of Imola - Warm-up'), DTEND: the event ends before it starts; check DTEND"
    ]


# ---------------------------------------------------------------------------- weekends and status


def test_sessions_of_one_name_more_than_four_days_apart_are_two_weekends():
    data = feed(
        vevent("w-1", "ELMS R1: 4 Hours of Spa - Race", ":20270410T120000Z", location="Spa"),
        vevent("w-2", "ELMS R1: 4 Hours of Spa - Qualifying", ":20270409T120000Z", location="Spa"),
        vevent("w-3", "ELMS R5: 4 Hours of Spa - Race", ":20270821T120000Z", location="Spa"),
    )
    result = read(data, series="ELMS")

    assert [(e.key, len(e.sessions)) for e in result.catalog.events] == [
        ("feed-7-elms-2027-4-hours-of-spa", 2),
        ("feed-7-elms-2027-4-hours-of-spa-2", 1),
    ]


def test_a_cancelled_session_is_left_out_and_a_weekend_all_cancelled_is_a_cancelled_event():
    data = feed(
        vevent("c-1", "6 Hours of Imola - Race", ":20270418T110000Z", location="Imola"),
        vevent(
            "c-2",
            "6 Hours of Imola - Warm-up",
            ":20270418T080000Z",
            location="Imola",
            extra="STATUS:CANCELLED",
        ),
        vevent(
            "c-3",
            "24 Hours of Le Mans - Race",
            ":20270612T140000Z",
            location="Le Mans",
            extra="STATUS:CANCELLED",
        ),
    )
    result = read(data)

    imola, le_mans = result.catalog.events
    assert (imola.status, [s.key for s in imola.sessions]) == ("scheduled", ["race"])
    assert (le_mans.status, [s.key for s in le_mans.sessions]) == ("cancelled", ["race"])
    assert [str(p) for p in result.unread] == [
        "VEVENT 2 (UID c-2, '6 Hours of Imola - Warm-up'), STATUS: cancelled in the feed; left out"
    ]


def test_two_vevents_with_the_same_kind_and_time_are_one_session_with_both_labels():
    data = feed(
        vevent(
            "m-1",
            "6 Hours of Imola - Qualifying - LMGT3",
            ";TZID=Europe/Rome:20270417T000000",
            location="Imola",
        ),
        vevent(
            "m-2",
            "6 Hours of Imola - Qualifying - Hypercar",
            ";TZID=Europe/Rome:20270417T000000",
            location="Imola",
        ),
        vevent("m-3", "6 Hours of Imola - Race", ";TZID=Europe/Rome:20270418T130000", location="Imola"),
    )
    result = read(data)

    assert sessions(result.catalog.events[0])["qualifying-lmgt3"] == (
        "qualifying",
        None,
        "2027-04-17",
        "LMGT3, Hypercar",
    )
    assert (
        result.uids["m-1"] == result.uids["m-2"] == ("feed-7-wec-2027-6-hours-of-imola", "qualifying-lmgt3")
    )
    assert len(result.tba) == 2


def test_vevents_without_a_uid_or_repeating_one_are_unread():
    data = feed(
        vevent("u-1", "6 Hours of Imola - Race", ":20270418T110000Z", location="Imola"),
        vevent(None, "6 Hours of Imola - Warm-up", ":20270418T080000Z", location="Imola"),
        vevent("u-1", "6 Hours of Imola - Free Practice", ":20270416T080000Z", location="Imola"),
    )
    result = read(data)

    assert [str(p) for p in result.unread] == [
        "VEVENT 2 (no UID, '6 Hours of Imola - Warm-up'), UID: missing: fanbot follows a feed's sessions by their UID",
        "VEVENT 3 (UID u-1, '6 Hours of Imola - Free Practice'), UID: already used by VEVENT 1 (UID u-1, "
        "'6 Hours of Imola - Race')",
    ]


# ---------------------------------------------------------------------------- refresh


@pytest.mark.parametrize(
    ("header", "refresh"),
    [
        ("REFRESH-INTERVAL;VALUE=DURATION:P1D\nX-PUBLISHED-TTL:PT6H", timedelta(hours=6)),
        ("REFRESH-INTERVAL;VALUE=DURATION:PT30M", timedelta(minutes=30)),
        ("X-PUBLISHED-TTL:P1W", timedelta(weeks=1)),
        ("X-PUBLISHED-TTL:soon", None),
        ("", None),
    ],
)
def test_refresh_is_the_shorter_of_refresh_interval_and_published_ttl(header, refresh):
    data = feed(
        vevent("r-1", "6 Hours of Imola - Race", ":20270418T110000Z", location="Imola"), header=header
    )

    assert read(data).refresh == refresh


# ---------------------------------------------------------------------------- never a crash


def test_a_feed_of_more_vevents_than_the_limit_is_refused_with_the_count_and_the_limit():
    many = [
        vevent(f"n-{i}", "6 Hours of Imola - Race", ":20270418T110000Z") for i in range(FEED_MAX_VEVENTS + 1)
    ]
    problems = refused(feed(*many))

    assert problems == [
        "the feed has 2001 events (VEVENT); fanbot follows feeds of at most 2000: "
        "subscribe to a feed of one series and season"
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff garbage",
        b"<html>not a calendar</html>",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCARD\r\nEND:VCARD\r\n",
    ],
)
def test_a_file_that_is_not_a_feed_is_refused(data):
    assert refused(data)


def test_a_feed_with_no_readable_event_is_refused_listing_every_problem():
    data = feed(
        vevent("b-1", "6 Hours of Imola - Race", ":20270418T110000Z", ":20270418T100000Z", location="Imola"),
        "BEGIN:VEVENT\nUID:b-2\nSUMMARY:6 Hours of Imola - Warm-up\nEND:VEVENT",
    )
    problems = refused(data)

    assert problems == [
        "no event of this feed could be read",
        "VEVENT 1 (UID b-1, '6 Hours of Imola - Race'), DTEND: the event ends before it starts; check DTEND",
        "VEVENT 2 (UID b-2, '6 Hours of Imola - Warm-up'), DTSTART: missing: every event needs its start date (and time)",
    ]


@pytest.mark.parametrize(
    "vevent_text",
    [
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART:not-a-date\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART:20270418T080000Z\nDTEND:2027\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART;TZID=../../etc/passwd:20270418T080000\nEND:VEVENT",
        'BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART;TZID="(UTC+01:00) Amsterdam, Berlin":20270418T080000\nEND:VEVENT',
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART;TZID=Europe/Rome:99990418T080000\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:\nDTSTART:20270418T080000Z\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART:20270418T080000Z\nRRULE:FREQ=YEARLY\nEND:VEVENT",
        "BEGIN:VEVENT\nUID:o-1\nSUMMARY:6 Hours of Imola - Warm-up\nDTSTART:20270418T080000Z\nDURATION:P3D\nEND:VEVENT",
    ],
)
def test_an_odd_vevent_beside_a_good_one_is_unread_and_the_good_one_imported(vevent_text):
    data = feed(
        vevent("g-1", "6 Hours of Imola - Race", ":20270418T110000Z", location="Imola"),
        vevent_text.replace("\n", "\nLOCATION:Imola\n", 1),
    )
    result = read(data)

    assert [s.key for e in result.catalog.events for s in e.sessions] == ["race"]
    assert len(result.unread) == 1
    assert result.unread[0].startswith("VEVENT 2 ")


def test_a_truncated_feed_ends_in_a_read_or_a_refusal():
    whole = clean_feed()
    for cut in range(0, len(whole), 97):
        outcome = read_or_refusal(whole[:cut])
        assert outcome.catalog.events if isinstance(outcome, FeedRead) else outcome.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_end_in_a_read_or_a_refusal(junk):
    data = clean_feed(CLEAN_IMOLA[:2])
    for attempt in (
        junk,
        data[: len(data) // 2] + junk,
        data.replace(b"END:VCALENDAR", junk + b"\r\nEND:VCALENDAR"),
    ):
        outcome = read_or_refusal(attempt)
        assert outcome.catalog.events if isinstance(outcome, FeedRead) else outcome.problems
