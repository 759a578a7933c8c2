"""The events mirror's planner (``reminders.mirror_plan``) and what a mirrored race says
(``render.mirror``): pure functions of ``now``, the calendar, the map and, once listed,
the server's Discord events. Every race here is made up."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.mirror import MIRROR_CAP, MirroredEvent, MirrorSetup
from fanbot.domain.model import Circuit, Event, EventStatus, Series, Session, SessionKind
from fanbot.i18n import translator
from fanbot.reminders import mirror_plan as plan
from fanbot.render.mirror import DESCRIPTION_LIMIT, mirror_payload

NOW = parse_instant("2027-03-01T12:00:00Z")
GUILD = 77
EN = translator("en")
WEC = Series("WEC", "FIA World Endurance Championship")
IMSA = Series("IMSA", "IMSA WeatherTech SportsCar Championship")
SPA = Circuit(1, "spa", "Circuit de Spa-Francorchamps", "Europe/Brussels", "Stavelot", "Belgium")
SETUP = MirrorSetup(guild_id=GUILD, series=(), days=14)


def event(
    event_id: int,
    days: float,
    *,
    series: Series = WEC,
    status: EventStatus = EventStatus.SCHEDULED,
    name: str = "Club 6 Hours (fictional)",
    races: int = 1,
    watch_url: str | None = None,
    circuit: Circuit = SPA,
) -> Event:
    """An event whose (first) race starts ``days`` after NOW, qualifying a day earlier."""
    start = NOW + timedelta(days=days)
    sessions = [Session(event_id * 10, SessionKind.QUALIFYING, start - timedelta(days=1), None, 60, key="q")]
    for n in range(races):
        sessions.append(
            Session(
                event_id * 10 + 1 + n, SessionKind.RACE, start + timedelta(hours=8 * n), None, key=f"r{n}"
            )
        )
    return Event(
        event_id, f"e{event_id}", GUILD, series, circuit, 2027, name, length_minutes=360,
        status=status, watch_url=watch_url, sessions=tuple(sessions),
    )  # fmt: skip


def payload_for(race: plan.Race) -> plan.MirrorPayload:
    return mirror_payload(race, EN)


def kept(e: Event, discord_id: int, *, state: str = "scheduled", digest: str | None = None) -> MirroredEvent:
    race = plan.races_of(e)[0]
    return MirroredEvent(
        guild_id=GUILD,
        event_id=e.id,
        session_id=race.session.id,
        discord_event_id=discord_id,
        state=state,  # type: ignore[arg-type]
        payload_hash=digest if digest is not None else payload_for(race).digest(),
        starts_at=race.start,
        ends_at=race.end,
    )


def remote(
    discord_id: int,
    status: plan.RemoteStatus = plan.RemoteStatus.SCHEDULED,
    *,
    ours: bool = True,
    marker: tuple[int, int] | None = None,
) -> plan.RemoteEvent:
    return plan.RemoteEvent(discord_id, status, ours, marker)


def make(events, rows=(), *, now=NOW, setup=SETUP, listed=None):  # type: ignore[no-untyped-def]
    found = None if listed is None else {r.id: r for r in listed}
    return plan.plan_mirror(
        now=now, setup=setup, events=events, rows=list(rows), payload_for=payload_for, remote=found
    )


def kinds(made: plan.MirrorPlan) -> list[str]:
    return [type(a).__name__ for a in made.actions]


# ---------------------------------------------------------------------------- what is wanted


def test_the_window_holds_timed_races_of_the_next_days_not_cancelled_and_in_the_series() -> None:
    events = [
        event(1, 2),
        event(2, 13.9),
        event(3, 14.1),  # beyond the window
        event(4, 5, status=EventStatus.CANCELLED),
        event(5, 6, series=IMSA),
        event(6, 0.001),  # starts within the minute: too late to create
        event(7, -1),  # raced yesterday
        event(8, 3, races=2),  # a double header: one Discord event per race
    ]
    tba = replace(event(9, 4), sessions=(Session(91, SessionKind.RACE, None, date(2027, 3, 5), key="r"),))

    wanted = plan.wanted_races([*events, tba], now=NOW, setup=replace(SETUP, series=("WEC",)))

    assert [r.key for r in wanted] == [(1, 11), (8, 81), (8, 82), (2, 21)]
    assert plan.wanted_races(events, now=NOW, setup=replace(SETUP, active=False)) == []


def test_a_first_sync_creates_every_race_and_a_second_has_nothing_to_do() -> None:
    a, b = event(1, 2), event(2, 9)

    first = make([a, b])
    again = make([a, b], [kept(a, 501), kept(b, 502)])

    assert kinds(first) == ["Create", "Create"]
    assert first.needs_discord
    assert again.actions == []
    assert not again.needs_discord


def test_a_race_ends_after_its_length_or_the_series_estimate() -> None:
    known = plan.races_of(event(1, 2))[0]
    unknown = plan.races_of(replace(event(2, 2, series=IMSA), length_minutes=None))[0]

    assert known.end - known.start == timedelta(minutes=360)
    assert unknown.end - unknown.start == timedelta(minutes=160)  # IMSA's usual round


# ---------------------------------------------------------------------------- following the calendar


def test_a_moved_or_renamed_race_is_edited_and_an_unchanged_one_is_not() -> None:
    a = event(1, 2)
    row = kept(a, 501)
    moved = event(1, 3)
    renamed = replace(a, name="Club 6 Hours of Spa (fictional)")

    [edit] = make([moved], [row]).actions
    assert isinstance(edit, plan.Edit)
    assert edit.payload.start == NOW + timedelta(days=3)
    assert kinds(make([renamed], [row])) == ["Edit"]
    assert make([a], [row]).actions == []


def test_a_race_moved_out_of_the_window_is_still_followed() -> None:
    assert kinds(make([event(1, 40)], [kept(event(1, 2), 501)])) == ["Edit"]


def test_a_cancelled_race_is_cancelled_unless_it_already_started() -> None:
    a = event(1, 2)
    row = kept(a, 501)
    cancelled = replace(a, status=EventStatus.CANCELLED)

    assert kinds(make([cancelled], [row])) == ["Cancel"]
    assert make([cancelled], [row], now=NOW + timedelta(days=2, hours=1)).actions == []
    assert make([cancelled], [replace(row, state="cancelled")]).actions == []


def test_a_race_on_again_after_its_event_was_cancelled_gets_a_new_one() -> None:
    a = event(1, 2)
    assert kinds(make([a], [kept(a, 501, state="cancelled")])) == ["Create"]


def test_a_removed_race_or_one_of_a_series_no_longer_chosen_is_deleted() -> None:
    a = event(1, 2)
    row = kept(a, 501)
    no_race = replace(a, sessions=a.sessions[:1])

    assert kinds(make([], [row])) == ["Delete"]
    assert kinds(make([no_race], [row])) == ["Delete"]
    assert kinds(make([a], [row], setup=replace(SETUP, series=("IMSA",)))) == ["Delete"]
    assert kinds(make([a], [row], setup=replace(SETUP, active=False))) == ["Delete"]
    assert (
        make([a], [row], now=NOW + timedelta(days=2, hours=1), setup=replace(SETUP, active=False)).actions
        == []
    )


def test_a_race_that_ended_is_left_to_discord_then_forgotten() -> None:
    a = event(1, 2)
    row = kept(a, 501)
    after_the_flag = NOW + timedelta(days=2, hours=7)

    assert make([], [row], now=after_the_flag).actions == []
    assert make([replace(a, name="Renamed")], [row], now=NOW + timedelta(days=2, hours=1)).actions == []
    assert kinds(make([], [row], now=after_the_flag + plan.FORGET_AFTER)) == ["Forget"]
    assert not make([], [row], now=after_the_flag + plan.FORGET_AFTER).needs_discord


# ---------------------------------------------------------------------------- with the server's events listed


def test_an_event_deleted_or_cancelled_by_hand_is_disowned_and_not_made_again() -> None:
    a, b = event(1, 2), event(2, 9)
    rows = [kept(replace(a, name="old"), 501), kept(replace(b, name="old"), 502)]

    listed = [remote(502, plan.RemoteStatus.CANCELLED)]  # 501 deleted
    made = make([a, b], rows, listed=listed)
    disowned = [replace(r, state="gone") for r in rows]

    assert kinds(made) == ["Disowned", "Disowned"]
    assert make([a, b], disowned, listed=[]).actions == []


def test_an_event_of_the_bots_with_the_races_marker_is_adopted_not_created() -> None:
    a, b = event(1, 2), event(2, 9)
    race = plan.races_of(a)[0]
    listed = [
        remote(601, marker=race.key),
        remote(602, ours=False, marker=plan.races_of(b)[0].key),  # someone copied the marker
    ]

    made = make([a, b], listed=listed)

    assert kinds(made) == ["Adopt", "Create"]
    adopt = made.actions[0]
    assert isinstance(adopt, plan.Adopt)
    assert adopt.discord_event_id == 601


def test_creates_stop_at_the_mirrors_cap_counting_everyones_events() -> None:
    others = [remote(700 + n, ours=False) for n in range(MIRROR_CAP - 1)]
    finished = [
        remote(900, plan.RemoteStatus.COMPLETED, ours=False),
        remote(901, plan.RemoteStatus.CANCELLED),
    ]

    made = make([event(1, 2), event(2, 3), event(3, 4)], listed=[*others, *finished])

    assert kinds(made) == ["Create"]
    assert made.skipped == 2
    assert made.wanted == 3
    assert plan.others_live([*others, *finished, remote(950, marker=(1, 11))]) == MIRROR_CAP - 1


def test_the_marker_names_the_race_and_nothing_else_reads_as_one() -> None:
    assert plan.marker((12, 345)) == "fanbot:12/345"
    assert plan.read_marker("Some text\n\nfanbot:12/345\n") == (12, 345)
    for text in (None, "", "fanbot:12/345 and more", "fanbot:12", "fanbot:a/b\n", "fanbot:1/2\nmore"):
        assert plan.read_marker(text) is None


# ---------------------------------------------------------------------------- what a Discord event says


def test_a_payload_says_the_race_with_every_session_time_and_its_marker_last() -> None:
    a = event(1, 2, watch_url="https://example.org/watch")
    race = plan.races_of(a)[0]

    payload = payload_for(race)

    assert payload.name == "Club 6 Hours (fictional) 2027"
    assert payload.location == "Circuit de Spa-Francorchamps, Belgium"
    assert (payload.start, payload.end) == (race.start, race.start + timedelta(hours=6))
    assert payload.description.splitlines() == [
        "FIA World Endurance Championship (WEC)",
        "",
        f"Qualifying: <t:{int(a.sessions[0].start.timestamp())}:F>",  # type: ignore[union-attr]
        f"Race: <t:{int(race.start.timestamp())}:F>",
        "Length: 6 hours",
        "How to watch: https://example.org/watch",
        "",
        "fanbot:1/11",
    ]
    french = mirror_payload(race, translator("fr"))
    assert french.location == "Circuit de Spa-Francorchamps, Belgique"
    assert "Course\u00a0: <t:" in french.description
    assert french.digest() != payload.digest()


def test_a_double_header_names_each_race() -> None:
    races = plan.races_of(event(1, 2, races=2))
    assert [payload_for(r).name for r in races] == [
        "Club 6 Hours (fictional) 2027 · Race 1",
        "Club 6 Hours (fictional) 2027 · Race 2",
    ]


def test_long_names_places_and_weekends_fit_discords_limits_without_cutting_a_timestamp() -> None:
    long = "Very Long Endurance Race Name " * 6
    place = replace(SPA, name="Circuit " + "Long Name " * 12)
    busy = event(1, 2, name=long, watch_url="https://example.org/" + "w" * 400, circuit=place)
    practice = [
        Session(500 + n, SessionKind.PRACTICE, NOW + timedelta(hours=n), None, key=f"p{n}") for n in range(40)
    ]
    busy = replace(busy, sessions=(*practice, *busy.sessions))
    race = plan.races_of(busy)[0]

    payload = payload_for(race)
    lines = payload.description.splitlines()

    assert len(payload.name) <= 100
    assert payload.name.endswith("…")
    assert len(payload.location) <= 100
    assert len(payload.description) <= DESCRIPTION_LIMIT
    assert lines[-1] == "fanbot:1/11"
    assert f"Race: <t:{int(race.start.timestamp())}:F>" in lines
    assert "…" in lines
    for line in lines:  # every timestamp whole
        assert not re.search(r"<t:\d*$", line)
    # What goes first is the least useful: the practice sessions, the earliest first.
    assert f"<t:{int(practice[-1].start.timestamp())}:F>" in payload.description  # type: ignore[union-attr]
    assert f"<t:{int(practice[0].start.timestamp())}:F>" not in payload.description  # type: ignore[union-attr]


def test_every_field_sent_is_in_the_digest() -> None:
    base = payload_for(plan.races_of(event(1, 2))[0])
    changed = [
        replace(base, name="x"),
        replace(base, description="x"),
        replace(base, location="x"),
        replace(base, start=base.start + timedelta(minutes=1)),
        replace(base, end=base.end + timedelta(minutes=1)),
    ]
    assert len({base.digest(), *(p.digest() for p in changed)}) == 6
