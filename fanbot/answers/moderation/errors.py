"""What a moderator can get wrong, each an ``AnswerError`` that says how to write it right.

Also the names of the options and of the things a moderator names (a session, a
car, a result), which these messages quote in the reader's language.
"""

from __future__ import annotations

import difflib
from datetime import datetime

import pytz

from fanbot.answers.errors import WHAT_CIRCUIT, AnswerError, NotFound
from fanbot.domain.catalog import render_problem
from fanbot.domain.localtime import AmbiguousLocalTime
from fanbot.domain.model import Event
from fanbot.i18n import N_, Translate

WHAT_SESSION = N_("session")
WHAT_CAR = N_("car")
WHAT_RESULT = N_("result")

# What a text option is called in messages, in the reader's language.
OPTION_LABELS = {
    "name": N_("name"),
    "length": N_("length"),
    "notes": N_("notes"),
    "class": N_("class"),
    "team": N_("team"),
    "car": N_("car"),
    "description": N_("description"),
    "location": N_("location"),
    "country": N_("country"),
    "aliases": N_("aliases"),
    "timezone": N_("time zone"),
}


class CatalogEventRefused(AnswerError):
    message = N_(
        "{name} belongs to the shared catalog, which servers cannot change. Add this server's own "
        "events with /event add."
    )


class _OptionProblem(AnswerError):
    def render(self, tr: Translate) -> str:
        option = str(self.fields["option"])
        return tr(self.message, **{**self.fields, "option": tr(OPTION_LABELS.get(option, option))})


class TooLong(_OptionProblem):
    message = N_("The {option} is too long ({length} characters): at most {limit}, please.")


class Missing(_OptionProblem):
    message = N_("The {option} cannot be empty.")


class BadUrl(AnswerError):
    message = N_(
        "“{value}” is not a web address: write it in full, starting with https:// (at most {limit} "
        "characters), or - to remove it."
    )


class BadZone(AnswerError):
    message = N_("“{zone}” is not an IANA time zone. Write it like Europe/Paris or America/New_York.")

    def __init__(self, zone: str) -> None:
        close = difflib.get_close_matches(zone, pytz.common_timezones, n=1, cutoff=0.6)
        self.hint = close[0] if close else None
        super().__init__(zone=zone)

    def render(self, tr: Translate) -> str:
        text = super().render(tr)
        if self.hint:
            text += " " + tr("Did you mean: {names}?", names=self.hint)
        return text


class BadTime(AnswerError):
    message = N_(
        "Could not read “{text}” as a date and time. Write the circuit's local time like "
        "2027-01-23 13:40 or 23/01/2027 1:40pm, or only the date (2027-01-23) when the time "
        "is not announced yet."
    )


class NoSuchLocalTime(AnswerError):
    message = N_(
        "{local} does not exist at {circuit} ({zone}): the clocks jump forward that night. "
        "Check the time in the organiser's schedule."
    )


def _offset(local: datetime) -> str:
    text = local.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


class TwiceLocalTime(AnswerError):
    message = N_(
        "{local} happens twice at {circuit} ({zone}): the clocks go back that night. Type one "
        "of these instead: “{first}” (the first time, {first_utc} UTC) or “{second}” (an hour "
        "later, {second_utc} UTC)."
    )

    def __init__(self, exc: AmbiguousLocalTime, circuit: str) -> None:
        tz = pytz.timezone(exc.zone)
        first, second = exc.options
        self.options = exc.options
        super().__init__(
            local=f"{exc.local:%Y-%m-%d %H:%M}",
            circuit=circuit,
            zone=exc.zone,
            first=f"{exc.local:%Y-%m-%d %H:%M} {_offset(first.astimezone(tz))}",
            second=f"{exc.local:%Y-%m-%d %H:%M} {_offset(second.astimezone(tz))}",
            first_utc=f"{first:%H:%M}",
            second_utc=f"{second:%H:%M}",
        )


class BadDuration(AnswerError):
    message = N_(
        "“{text}” is not a duration: write minutes (360) or hours and minutes (6h, 1h30, 90m), "
        "from 1 minute to 48 hours."
    )


class RaceBeforeGrid(AnswerError):
    message = N_(
        "The race ({race}) would come before the {session} ({other}). Check the dates and times; "
        "times are the circuit's local time."
    )


class DuplicateEvent(AnswerError):
    message = N_(
        "{name} is already on this server's calendar ({existing}). Change it with /event edit "
        "instead of adding it again."
    )


class DuplicateSession(AnswerError):
    message = N_("{event} already has a {session} at that time.")


class DuplicateCircuit(AnswerError):
    message = N_("A circuit called {name} is already known ({existing}): use it by that name.")


class UnknownCircuit(NotFound):
    """No circuit by that name: the suggestions, and how to add one."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(WHAT_CIRCUIT, query, suggestions)

    def render(self, tr: Translate) -> str:
        return (
            super().render(tr)
            + " "
            + tr(
                "A circuit fanbot does not know yet can be added with /calendar add-circuit and its "
                "time zone, for example timezone:Europe/Paris."
            )
        )


class ChangedMeanwhile(AnswerError):
    message = N_(
        "{name} was changed by someone else after this preview was made, so nothing was saved. "
        "Here it is as it is now: run the command again."
    )

    def __init__(self, name: str, current: Event) -> None:
        self.current = current
        super().__init__(name=name)


class RemovedMeanwhile(AnswerError):
    message = N_("{name} was removed by someone else after this preview was made; nothing was saved.")


class NothingToChange(AnswerError):
    message = N_("Nothing to change: give at least one option besides the event.")


class TooManySessions(AnswerError):
    message = N_("{event} already has {count} sessions, the most an event can have.")


class BadCarNumber(AnswerError):
    message = N_("“{number}” is not a car number: use up to {limit} letters or digits, like 6, 055 or 7A.")


class DuplicateCar(AnswerError):
    message = N_("Car #{number} is already on the entry list of {event}: change it with /entry edit.")


class BadDrivers(AnswerError):
    message = N_(
        "Give the drivers separated by commas, like “A. Driver, B. Driver”: at most {count} drivers "
        "of at most {limit} characters each, each named once."
    )


class ResultTooEarly(AnswerError):
    message = N_("The race of {event} has not started yet: record results once it has.")


class ResultNeedsDescription(AnswerError):
    message = N_(
        "Say who finished there: give a description, or the number of a car on the entry list "
        "(its team, car and drivers are then used)."
    )


class BadPosition(AnswerError):
    message = N_("A position is a whole number from 1 to {limit}.")


class FileTooBig(AnswerError):
    message = N_("{name} is {size} KB: files up to {limit} KB can be imported. Split it into several files.")


class FileKindUnknown(AnswerError):
    message = N_(
        "{name} is not a calendar file fanbot reads: send a .csv whose first line is {header}, an .ics "
        "(iCalendar) or a .json file in fanbot's catalog format."
    )


class FileNotText(AnswerError):
    message = N_("{name} is not UTF-8 text: save it again as UTF-8 (CSV UTF-8 in spreadsheets).")


class ImportRefused(AnswerError):
    """A file with problems: nothing is imported, every problem is listed."""

    message = N_("Nothing was imported from {name}: fix these problems and send the file again.")

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(name=name)

    def shown_problems(self, tr: Translate) -> list[str]:
        """Every problem in the reader's language."""
        return [str(render_problem(p, tr)) for p in self.problems]

    def render(self, tr: Translate) -> str:
        return super().render(tr) + "\n" + "\n".join(f"• {p}" for p in self.shown_problems(tr))


class ImportChangedMeanwhile(AnswerError):
    message = N_(
        "Events in {name} were changed by someone else after this preview was made, so nothing "
        "was imported. Send the file again to see what it would change now."
    )


class NothingToExport(AnswerError):
    message = N_("There are no events to export here.")


class EveryoneRole(AnswerError):
    message = N_("@everyone cannot be the moderator role: that would make every member a moderator.")
