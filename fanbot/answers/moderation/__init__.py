"""What moderators ask for: their guild's events, sessions, line-ups and results.

Each change is read and checked in two steps. ``plan_*`` turns what was typed
into a plan (an event as it would be, with the warnings worth a second look)
without writing anything: the adapter shows it as a preview. ``commit_*``
writes the plan once the moderator confirmed it, re-checking in the same
transaction that the event is still the one previewed. Changes that move no
time (entries, results, a circuit) are written at once, with the same checks.

Every failure is an ``AnswerError`` that says what was wrong and how to write
it; nothing here knows Discord, and nothing here writes a sentence: plans and
changes are data (``Change`` carries text, a ``SessionWhen``, entries or
results) that the renderers write in the reader's language.

Where each part lives:

- ``events``: add, edit, postpone, cancel or remove an event (``plan_event_*``,
  ``plan_postpone``, ``plan_cancel``, ``plan_remove``) and ``commit_event``;
- ``sessions``: add, move or remove one session of an event;
- ``lineups``: the entry list and the results;
- ``circuits``: a circuit of the guild's own;
- ``files``: importing .csv/.ics/.json files and exporting .ics;
- ``history``: the audit history of an event;
- ``settings``: the moderator role;
- ``plans``: the view models (``EventPlan``, ``Change``, ``SessionWhen``...);
- ``options``: reading what was typed (text, URLs, zones, durations, times, cars);
- ``finding``: the guild's own events, circuits, series and sessions by name;
- ``checks``: what a plan is refused for or warned about;
- ``errors``: every ``AnswerError`` above, and the option names they quote.

Other layers import from here: the names below are the package's interface.
"""

from fanbot.answers.moderation.circuits import add_circuit
from fanbot.answers.moderation.errors import (
    ChangedMeanwhile,
    ImportRefused,
    NoSuchLocalTime,
    TwiceLocalTime,
)
from fanbot.answers.moderation.events import (
    commit_event,
    plan_cancel,
    plan_event_add,
    plan_event_edit,
    plan_postpone,
    plan_remove,
)
from fanbot.answers.moderation.files import commit_import, export_calendar, export_ics, file_kind, plan_import
from fanbot.answers.moderation.finding import own_event_choices, resolve_own_event
from fanbot.answers.moderation.history import ACTIONS, event_history
from fanbot.answers.moderation.lineups import (
    add_entry,
    commit_entry_remove,
    commit_result_remove,
    edit_entry,
    find_entry,
    plan_entry_remove,
    plan_result_remove,
    set_result,
)
from fanbot.answers.moderation.options import read_when
from fanbot.answers.moderation.plans import (
    STATUS_LABEL,
    Change,
    ChangeValue,
    EventPlan,
    History,
    ImportPlan,
    PlannedSession,
    SessionWhen,
    session_name,
    when_in_message,
)
from fanbot.answers.moderation.sessions import plan_session_add, plan_session_edit, plan_session_remove
from fanbot.answers.moderation.settings import set_moderator_role

__all__ = [
    "ACTIONS",
    "STATUS_LABEL",
    "Change",
    "ChangeValue",
    "ChangedMeanwhile",
    "EventPlan",
    "History",
    "ImportPlan",
    "ImportRefused",
    "NoSuchLocalTime",
    "PlannedSession",
    "SessionWhen",
    "TwiceLocalTime",
    "add_circuit",
    "add_entry",
    "commit_entry_remove",
    "commit_event",
    "commit_import",
    "commit_result_remove",
    "edit_entry",
    "event_history",
    "export_calendar",
    "export_ics",
    "file_kind",
    "find_entry",
    "own_event_choices",
    "plan_cancel",
    "plan_entry_remove",
    "plan_event_add",
    "plan_event_edit",
    "plan_import",
    "plan_postpone",
    "plan_remove",
    "plan_result_remove",
    "plan_session_add",
    "plan_session_edit",
    "plan_session_remove",
    "read_when",
    "resolve_own_event",
    "session_name",
    "set_moderator_role",
    "set_result",
    "when_in_message",
]
