"""Whom a guild reminder mentions: the one mention fanbot ever makes.

A guild that set up pings by series (``/reminders roles setup`` or ``use``; its rows in
``store.series_roles``) mentions the role of the reminder's series, and nobody when that
series has no role or lost it (deleted, or unknown to Discord): its members chose which
series may ping them, so a reminder never falls back to a role they did not choose. A
guild that never set any up mentions the single role of its reminder setup, as before.
"""

from __future__ import annotations

from collections.abc import Mapping

from fanbot.domain.reminders import ReminderSetup


def mention_role(
    setup: ReminderSetup | None, series: str, series_roles: Mapping[str, int | None] | None
) -> int | None:
    """The role a guild reminder about an event of ``series`` mentions, if any (see the
    module's docstring). ``series_roles``: the guild's series code -> role, None where
    the role was lost; None or empty when the guild has none."""
    if setup is None:
        return None
    if series_roles:
        return series_roles.get(series)
    return setup.role_id
