"""Every limit on what people and files may give fanbot, in one place.

Three kinds of input share them: the options moderators type (``answers.moderation``,
and the typed-option lengths Discord enforces before the bot sees anything), the
calendar files they upload (``calendar_files``), and the JSON catalog
(``calendar_files.catalog``). The moderators' limits are chosen so that every answer
built from them stays inside Discord's embed limits (an entry line under 1,024
characters, an event name in a 256-character title); the catalog's are looser, for
researched text written by the project.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fanbot.domain.session_time import MAX_MINUTES

# ---------------------------------------------------------------------------- what moderators type
MAX_EVENT_NAME = 100  # stricter than the catalog's MAX_NAME: shown in embed and calendar titles
MAX_LENGTH_TEXT = 60
MAX_URL = 500
MAX_NUMBER = 8
MAX_CLASS = 40
MAX_TEAM = 100
MAX_CAR = 100
MAX_DRIVER = 60
MAX_DRIVERS = 8
MAX_DESCRIPTION = 300
MAX_NOTES = 200
MAX_CIRCUIT_NAME = 100
MAX_PLACE = 100
MAX_ALIAS = 60
MAX_ALIASES = 10
# A finishing position in a class, typed or in the catalog.
MAX_POSITION = 500
# A session's length, typed or in a file: two days (the one session cap).
MAX_DURATION = MAX_MINUTES
# A race weekend has a handful of sessions; the cap keeps a preview inside one embed.
MAX_SESSIONS = 20
# Reminder leads ("24h, 1h, 10m"): at most this many, each up to a week; the longest
# also bounds the dispatcher's window query.
MAX_LEADS = 5
MAX_LEAD_MINUTES = 7 * 24 * 60
# The largest calendar file a server may upload (/event import).
IMPORT_MAX_BYTES = 1_000_000
# A date further than this from now is probably a typo in the year: the preview says so.
FAR_AHEAD = timedelta(days=3 * 365)
LONG_AGO = timedelta(days=365)

# ---------------------------------------------------------------------------- Discord's typed options
# What Discord lets through before the bot sees it: generous, so that the bot's own
# checks above answer with a clear message (and a name may be typed with its year).
OPTION_NAME = 200  # an event, circuit or driver name typed to look one up
OPTION_SERIES = 60
OPTION_CLASS = 60
OPTION_TEAM = 120
OPTION_WHEN = 80  # a typed date and time
OPTION_DURATION = 30
OPTION_URL = 600
OPTION_ZONE = 64
OPTION_TEXT = 100
OPTION_NUMBER = 10  # a car number
OPTION_LABEL = 150  # a team, a car; a circuit's name, town or country
OPTION_NOTES = 300
OPTION_DESCRIPTION = 400  # who finished there
OPTION_LIST = 600  # names separated by commas: drivers, aliases
OPTION_LEADS = 60  # reminder leads: "24h, 1h, 10m"
MIN_YEAR = 1900
MAX_YEAR = 2200

# ---------------------------------------------------------------------------- calendar files (CSV, .ics)
MAX_KEY = 80
MAX_CIRCUIT_TEXT = 120
MAX_SERIES_TEXT = 16
MAX_ZONE_TEXT = 64
MAX_LOCATION = 300

# ---------------------------------------------------------------------------- the JSON catalog
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_NAME = 120
MAX_TEXT = 1000
MAX_EVENT_ALIASES = 30

# Subscribed feeds (/calendar subscribe) and the published catalog (FANBOT_CATALOG_URL):
# what one fetch may cost the bot, whatever the server at the other end does.
FEED_TIMEOUT = timedelta(seconds=10)
FEED_MAX_BYTES = 2_000_000
FEED_MAX_REDIRECTS = 3
# A feed with more VEVENTs than this is refused whole (a season is ~100 sessions).
FEED_MAX_VEVENTS = 2_000
# How often a subscription is fetched: the moderator's choice (or the feed's own
# REFRESH-INTERVAL when it asks for less), never more often than the minimum.
FEED_REFRESH_DEFAULT = timedelta(hours=6)
FEED_REFRESH_MIN = timedelta(minutes=15)
FEED_REFRESH_MAX = timedelta(days=7)
# A subscription failing this long is shown as broken and told once to a moderator.
FEED_BROKEN_AFTER = timedelta(days=1)
# The published catalog is fetched on start and then this often.
CATALOG_SYNC_EVERY = timedelta(days=1)
