"""The typed options of the slash commands, each named once: what Discord lets through
before the bot sees it (lengths from ``domain.limits``), the choices it offers, and the
descriptions several commands share.

The lengths are generous: the bot's own checks are stricter and answer with a clear
message, which Discord's bare refusal of a long option would not.
"""

from __future__ import annotations

from discord import app_commands
from discord.app_commands import locale_str

from fanbot.domain.limits import (
    MAX_POSITION,
    MAX_YEAR,
    MIN_YEAR,
    OPTION_CLASS,
    OPTION_DESCRIPTION,
    OPTION_DURATION,
    OPTION_LABEL,
    OPTION_LEADS,
    OPTION_LIST,
    OPTION_NAME,
    OPTION_NOTES,
    OPTION_NUMBER,
    OPTION_SERIES,
    OPTION_TEAM,
    OPTION_TEXT,
    OPTION_URL,
    OPTION_WHEN,
    OPTION_ZONE,
)
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

# An event, circuit or driver named to look it up; a new event's or circuit's name.
Name = app_commands.Range[str, 1, OPTION_NAME]
SeriesCode = app_commands.Range[str, 1, OPTION_SERIES]
CarClass = app_commands.Range[str, 1, OPTION_CLASS]
# A team typed to filter an entry list.
TeamName = app_commands.Range[str, 1, OPTION_TEAM]
# A date and time typed on the circuit's clock: "2027-06-12 16:00".
When = app_commands.Range[str, 1, OPTION_WHEN]
# A session's length typed: "360", "6h", "1h30".
Duration = app_commands.Range[str, 1, OPTION_DURATION]
Url = app_commands.Range[str, 1, OPTION_URL]
Zone = app_commands.Range[str, 1, OPTION_ZONE]
# A few words: a length as fans say it, a session ("practice-2"), lists of series or sessions.
ShortText = app_commands.Range[str, 1, OPTION_TEXT]
Season = app_commands.Range[int, MIN_YEAR, MAX_YEAR]
CarNumber = app_commands.Range[str, 1, OPTION_NUMBER]
Label = app_commands.Range[str, 1, OPTION_LABEL]
Notes = app_commands.Range[str, 1, OPTION_NOTES]
Description = app_commands.Range[str, 1, OPTION_DESCRIPTION]
NameList = app_commands.Range[str, 1, OPTION_LIST]
Leads = app_commands.Range[str, 1, OPTION_LEADS]
Position = app_commands.Range[int, 1, MAX_POSITION]

# Choice names are plain (not translated) words: the kinds as moderators type them.
KIND_CHOICES = [
    app_commands.Choice(name=label, value=kind.value)
    for kind, label in (
        (SessionKind.PRACTICE, "practice"),
        (SessionKind.QUALIFYING, "qualifying"),
        (SessionKind.HYPERPOLE, "hyperpole"),
        (SessionKind.WARMUP, "warm-up"),
        (SessionKind.RACE, "race"),
        (SessionKind.OTHER, "other"),
    )
]
STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in EventStatus]


def described(text: str) -> locale_str:
    """A description, translated from the .po catalogs by its English text."""
    return locale_str(text)


# Descriptions several options share (each a msgid).
OWN_EVENT = N_("One of this server's events")
OTHER_ZONE = N_("Read the times in this zone instead, e.g. UTC or Europe/Paris")
SERIES = N_("The series (WEC, IMSA, ...)")
RACE_LENGTH = N_("Race length: 360, 6h or 1h30")
CIRCUIT_NAME = N_("The circuit's name")
WHICH_SESSION = N_("Which session, e.g. race or practice-2")
CAR_NUMBER = N_("The car number, e.g. 6 or 055")
CLASS_OR_OVERALL = N_("The class, or Overall")
FINISHING_POSITION = N_("The finishing position in that class")
LEADS = N_("How long before each session, e.g. 24h, 1h, 10m (default: 1h)")
