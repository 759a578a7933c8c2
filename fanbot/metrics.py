"""The process's Prometheus metrics, served at /metrics by the optional web server.

One module-level set in the default registry: every layer that counts something
(the bot's commands, the reminder dispatcher, the REST budget, the feed fetcher)
imports its counter from here, so a name is written once. Each process of a
sharded bot exposes its own figures; Prometheus sums them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "fanbot_commands_total", "Slash commands answered, by command and outcome", ["command", "outcome"]
)
COMMAND_SECONDS = Histogram(
    "fanbot_command_seconds",
    "Time from the interaction's arrival to the answer, by command",
    ["command"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0),
)
REMINDERS = Counter(
    "fanbot_reminders_total", "Reminders by what became of them: sent, late, missed, failed", ["result"]
)
PENDING_REMINDERS = Gauge("fanbot_reminders_pending", "Reminders due within the dispatcher's horizon")
RATE_LIMITED = Counter("fanbot_rate_limited_total", "HTTP 429 answers seen from Discord")
FEED_FETCHES = Counter(
    "fanbot_feed_fetches_total",
    "Fetches of subscribed feeds and the published catalog, by result",
    ["result"],
)
