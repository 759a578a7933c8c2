"""Moderators' calendar files in and out: CSV and .ics to catalog records, events to .ics.

Pure functions (no Discord, no SQL): the caller passes what the guild can
refer to (``KnownCalendar``) and gets a ``Catalog`` checked by the same rules
as ``data/catalog.json`` (``parse_catalog``), or a ``CatalogError`` listing
every problem with its line (CSV) or VEVENT (ICS). Nothing is ever half-read.

The CSV header (one row per session; columns in any order)::

    series,season,event,circuit,session,date,time,duration_minutes,timezone,info_url,watch_url,key

docs/calendar-files.md describes both formats for moderators.
"""

from fanbot.calendar_files.build import DERIVED_KEY_PREFIX, derived_event_key
from fanbot.calendar_files.csv_import import HEADER, HEADER_LINE, parse_events_csv
from fanbot.calendar_files.feed_ics import FeedRead, KnownEvent, read_feed_ics
from fanbot.calendar_files.ics_export import events_to_ics, session_uid
from fanbot.calendar_files.ics_import import parse_events_ics
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar

__all__ = [
    "DERIVED_KEY_PREFIX",
    "HEADER",
    "HEADER_LINE",
    "CircuitInfo",
    "FeedRead",
    "KnownCalendar",
    "KnownEvent",
    "derived_event_key",
    "events_to_ics",
    "parse_events_csv",
    "parse_events_ics",
    "read_feed_ics",
    "session_uid",
]
