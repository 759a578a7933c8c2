"""The fanbot properties an exported .ics carries, so that importing it back
reproduces the same events and sessions (calendar apps keep X- properties)."""

from __future__ import annotations

import re
from typing import Any

from icalendar import vText, vUnknown

PRODID = "-//fanbot//fanbot race calendar//EN"

X_EVENT_KEY = "X-FANBOT-EVENT-KEY"
X_SESSION_KEY = "X-FANBOT-SESSION-KEY"
X_SESSION_KIND = "X-FANBOT-SESSION-KIND"
X_SERIES = "X-FANBOT-SERIES"
X_CIRCUIT = "X-FANBOT-CIRCUIT"
X_SEASON = "X-FANBOT-SEASON"
# The circuit's IANA zone: DTSTART is in UTC, this says where the wall clock is.
X_TZID = "X-FANBOT-TZID"
X_EVENT_NAME = "X-FANBOT-EVENT-NAME"
X_EVENT_STATUS = "X-FANBOT-EVENT-STATUS"
X_WATCH_URL = "X-FANBOT-WATCH-URL"
# Also for sessions whose time is TBA, which are all-day entries without an end time.
X_DURATION = "X-FANBOT-DURATION-MINUTES"
X_SESSION_NOTES = "X-FANBOT-SESSION-NOTES"
# "catalog" or "guild-<id>": whose event it is. Catalog events are skipped on import.
X_SCOPE = "X-FANBOT-SCOPE"
CATALOG_SCOPE = "catalog"

_ESCAPED = re.compile(r"\\([\\;,nN])")


def scope_label(guild_id: int | None) -> str:
    """Whose event it is, as written in UIDs and X-FANBOT-SCOPE."""
    return CATALOG_SCOPE if guild_id is None else f"guild-{guild_id}"


def read_text(value: Any) -> str | None:
    """A property's text with RFC 5545 escapes undone, or None when absent or blank.

    icalendar unescapes the properties it knows (vText) but hands unknown X-
    properties back as written, with ``\\,`` and ``\\n`` still in them.
    """
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, vText):
        text = str(value)
    elif isinstance(value, vUnknown):
        text = _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], str(value))
    else:
        text = str(value)
    return text.strip() or None
