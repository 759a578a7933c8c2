"""The calendar board's text (``render.board``) and the planner of when it needs touching
(``reminders.board_planner``), without Discord: a session to come, under way, crossed out
once over; the same text (and digest) between a session's start and end; whole events
left out when the embed would overflow; and what to do with a board whose message shows
this already, shows something older, or was deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from fanbot.answers.board import Board, BoardEvent
from fanbot.answers.timing import statuses
from fanbot.domain.boards import BoardStop, CalendarBoard, PinState
from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import Circuit, Event, EventStatus, Series, Session, SessionKind
from fanbot.i18n import translator
from fanbot.reminders.board_planner import Decision, Step, decide, next_boundary, next_look
from fanbot.render.board import DESCRIPTION_LIMIT, board_text

WEC = Series("WEC", "FIA World Endurance Championship")
LA_SARTHE = Circuit(id=1, key="la-sarthe", name="Circuit de la Sarthe", timezone="Europe/Paris")
Q_START = parse_instant("2030-03-09T09:00:00Z")
R_START = parse_instant("2030-03-10T13:00:00Z")
EN = translator("en")


def stamp(instant: datetime, style: str) -> str:
    """Discord's timestamp markup, as the bot writes it (``discord.utils.format_dt``)."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def club(
    event_id: int = 1,
    *,
    name: str = "Club 6 Hours",
    q: datetime | None = Q_START,
    sessions: int = 0,
    status: EventStatus = EventStatus.SCHEDULED,
) -> Event:
    """A made-up weekend at Le Mans: qualifying (75 min, the estimate) and a 6-hour race;
    ``sessions`` more practice sessions before them, an hour apart."""
    practice = tuple(
        Session(100 + i, SessionKind.PRACTICE, Q_START - timedelta(days=2, hours=-i), None, 60)
        for i in range(sessions)
    )
    return Event(
        id=event_id,
        key=f"club-{event_id}",
        guild_id=42,
        series=WEC,
        circuit=LA_SARTHE,
        season=2030,
        name=name,
        length="6 Hours",
        length_minutes=360,
        status=status,
        sessions=(
            *practice,
            Session(10 * event_id, SessionKind.QUALIFYING, q, date(2030, 3, 9)),
            Session(10 * event_id + 1, SessionKind.RACE, R_START, date(2030, 3, 10)),
        ),
    )


def board_at(now: datetime, *events: Event, series: str | None = "WEC") -> Board:
    return Board(now, series, 10, tuple(BoardEvent(e, statuses(e, now)) for e in events))


def lines_at(now: datetime, *events: Event) -> list[str]:
    return board_text(board_at(now, *events), EN, "en", stamp).description.splitlines()


def test_sessions_to_come_show_their_time_and_a_countdown():
    heading, quali, race = lines_at(Q_START - timedelta(days=3), club())
    assert heading == "**Club 6 Hours 2030** · WEC · Circuit de la Sarthe"
    assert quali == f"**Qualifying** — {stamp(Q_START, 'f')} ({stamp(Q_START, 'R')})"
    assert race == f"**Race** — {stamp(R_START, 'f')} ({stamp(R_START, 'R')})"


def test_a_session_under_way_says_when_it_ends_and_one_over_is_crossed_out():
    _, quali, race = lines_at(R_START + timedelta(hours=1), club())
    assert quali == f"~~Qualifying — {stamp(Q_START, 'f')}~~"
    # The race's published length (6 hours) says when it ends.
    assert race.startswith(f"**Race** — {stamp(R_START, 'f')} — **under way")
    assert f"ends {stamp(R_START + timedelta(hours=6), 'R')}" in race

    _, quali, race = lines_at(Q_START + timedelta(hours=3), club())
    assert quali == f"~~Qualifying — {stamp(Q_START, 'f')}~~"
    assert race.startswith("**Race**")


def test_the_text_reads_the_same_until_a_session_starts_or_ends_so_nothing_is_edited():
    event = club()
    early, later = Q_START - timedelta(days=3), Q_START - timedelta(minutes=1)
    assert board_text(board_at(early, event), EN, "en", stamp) == board_text(
        board_at(later, event), EN, "en", stamp
    )
    assert next_boundary([event], early) == Q_START
    started = board_text(board_at(Q_START, event), EN, "en", stamp)
    assert started.digest != board_text(board_at(later, event), EN, "en", stamp).digest
    # Then its end (75 min, the estimate for qualifying), the race's start and end, and no more.
    q_end = Q_START + timedelta(minutes=75)
    assert next_boundary([event], Q_START) == q_end
    assert next_boundary([event], q_end) == R_START
    assert next_boundary([event], R_START) == R_START + timedelta(hours=6)
    assert next_boundary([event], R_START + timedelta(hours=6)) is None


def test_a_session_known_only_by_its_day_changes_at_that_days_edges():
    event = club(q=None)
    assert "time TBA" in lines_at(Q_START - timedelta(days=3), event)[1]
    # Europe/Paris in March: the day starts at 23:00 UTC the evening before.
    assert next_boundary([event], Q_START - timedelta(days=3)) == parse_instant("2030-03-08T23:00:00Z")


def test_a_postponed_event_says_so_and_an_empty_board_says_nothing_is_scheduled():
    heading = lines_at(Q_START - timedelta(days=3), club(status=EventStatus.POSTPONED))[0]
    assert heading.endswith("· **POSTPONED**")
    empty = board_text(board_at(Q_START), EN, "en", stamp)
    assert (empty.title, empty.description) == ("Next WEC races", "No WEC race is scheduled.")
    every = board_text(board_at(Q_START, series=None), EN, "en", stamp)
    assert (every.title, every.description) == ("Next races", "No race is scheduled.")


def test_a_board_too_long_for_one_embed_leaves_whole_events_out_and_says_how_many():
    events = [club(i, name=f"Club Race {i:02d}", sessions=18) for i in range(1, 11)]
    text = board_text(board_at(Q_START - timedelta(days=5), *events), EN, "en", stamp)
    assert len(text.description) <= DESCRIPTION_LIMIT
    blocks = text.description.split("\n\n")
    shown, more = blocks[:-1], blocks[-1]
    assert 0 < len(shown) < 10
    assert more == f"…and {10 - len(shown)} more events."
    # Every event shown is whole: its heading and its 20 sessions.
    assert all(len(block.splitlines()) == 21 for block in shown)


def test_the_board_is_in_french_for_a_french_server():
    fr = translator("fr")
    text = board_text(board_at(Q_START + timedelta(hours=3), club()), fr, "fr", stamp)
    assert text.title == "Prochaines courses WEC"
    assert "Les heures sont affichées dans votre fuseau horaire." in text.footer
    assert "~~Qualifications" in text.description
    assert text.digest != board_text(board_at(Q_START + timedelta(hours=3), club()), EN, "en", stamp).digest


NOW = parse_instant("2030-03-01T08:00:00Z")
BOARD = CalendarBoard(
    guild_id=42,
    channel_id=7,
    message_id=8,
    series="WEC",
    count=5,
    content_hash="old",
    pin=PinState.PINNED,
    deletions=0,
    posted_at=NOW,
)
DELETED = replace(BOARD, message_id=None, deletions=1)


@pytest.mark.parametrize(
    ("board", "digest", "now", "expected"),
    [
        (BOARD, "old", NOW, Decision(Step.NOTHING)),
        (BOARD, "new", NOW, Decision(Step.EDIT)),
        # Deleted: posted again with the next change, but not within a day of the last post.
        (DELETED, "old", NOW + timedelta(days=3), Decision(Step.NOTHING)),
        (DELETED, "new", NOW + timedelta(hours=2), Decision(Step.WAIT, NOW + timedelta(days=1))),
        (DELETED, "new", NOW + timedelta(days=1), Decision(Step.REPOST)),
        (
            replace(BOARD, stopped_at=NOW, stopped_reason=BoardStop.DELETED),
            "new",
            NOW,
            Decision(Step.NOTHING),
        ),
    ],
)
def test_what_to_do_with_a_board(board, digest, now, expected):
    assert decide(board, digest, now) == expected


def test_a_waiting_repost_is_looked_at_when_its_turn_comes_if_no_session_comes_first():
    waiting = Decision(Step.WAIT, NOW + timedelta(days=1))
    assert next_look(NOW + timedelta(hours=5), waiting) == NOW + timedelta(hours=5)
    assert next_look(NOW + timedelta(days=2), waiting) == NOW + timedelta(days=1)
    assert next_look(None, waiting) == NOW + timedelta(days=1)
    assert next_look(None, Decision(Step.EDIT)) is None
