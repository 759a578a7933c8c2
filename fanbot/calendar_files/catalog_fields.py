"""Field by field checks of the JSON catalog format: small readers that record a
``Problem`` (with the entry and field it sits in) instead of raising, so that
``calendar_files.catalog`` can report every problem of a file at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from fanbot.domain.catalog import Problem
from fanbot.domain.limits import MAX_NAME, MAX_URL, MAX_YEAR, MIN_YEAR
from fanbot.i18n import N_


def list_field(raw: dict[str, Any], key: str, problems: list[str]) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(MUST_BE_A_LIST, where=key))
        return []
    return value


def check_unique(
    problems: list[str], section: str, values: list[str], field_name: str, indexes: list[int]
) -> None:
    """One problem per repeated value, naming where (in the file's own numbering) it was first."""
    seen: dict[str, int] = {}
    for value, index in zip(values, indexes, strict=True):
        if value in seen:
            problems.append(
                Problem(
                    N_(
                        "{section}: {field} {value} appears twice "
                        "({section}[{first}] and {section}[{second}])"
                    ),
                    section=section,
                    field=field_name,
                    value=repr(value),
                    first=seen[value],
                    second=index,
                )
            )
        else:
            seen[value] = index


MUST_BE_A_LIST = N_("{where}: must be a list")
MISSING = N_("{where}: missing")
KEY_RULE = N_("{where}: use lowercase letters, digits and '-' ({value})")
NOT_A_LOCAL_TIME = N_("{where}: {value} is not a local time like 14:00")


class FieldChecker:
    """Small typed readers that record a problem instead of raising."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def is_object(self, item: Any, where: str) -> bool:
        if not isinstance(item, dict):
            self.problems.append(Problem(N_("{where}: must be an object"), where=where))
            return False
        return True

    def text(
        self,
        item: dict[str, Any],
        key: str,
        where: str,
        *,
        required: bool = False,
        limit: int = MAX_NAME,
    ) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.problems.append(Problem(MISSING, where=f"{where}.{key}"))
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.problems.append(Problem(N_("{where}: must be text"), where=f"{where}.{key}"))
            return None
        if len(value) > limit:
            self.problems.append(
                Problem(N_("{where}: longer than {limit} characters"), where=f"{where}.{key}", limit=limit)
            )
            return None
        return value.strip() or None

    def url(self, item: dict[str, Any], key: str, where: str) -> str | None:
        value = self.text(item, key, where, limit=MAX_URL)
        if value is not None and not re.match(r"^https?://\S+$", value):
            self.problems.append(Problem(N_("{where}: must be an http(s) address"), where=f"{where}.{key}"))
            return None
        return value

    def number(
        self,
        item: dict[str, Any],
        key: str,
        where: str,
        *,
        kind: type,
        minimum: float,
        maximum: float,
    ) -> Any:
        value = item.get(key)
        if value is None:
            return None
        ok_type = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if isinstance(value, bool) or not ok_type or not minimum <= value <= maximum:
            self.problems.append(
                Problem(
                    N_("{where}: must be a number from {minimum} to {maximum}"),
                    where=f"{where}.{key}",
                    minimum=f"{minimum:g}",
                    maximum=f"{maximum:g}",
                )
            )
            return None
        return value


def read_date(c: FieldChecker, value: Any, at: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        c.problems.append(Problem(N_("{where}: must be a date like 2012-10-20"), where=at))
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        c.problems.append(
            Problem(N_("{where}: {value} is not a date like 2012-10-20"), where=at, value=repr(value))
        )
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        c.problems.append(
            Problem(
                N_("{where}: {value} is outside the years {first}-{last}"),
                where=at,
                value=repr(value),
                first=MIN_YEAR,
                last=MAX_YEAR,
            )
        )
        return None
    return day


def read_time(c: FieldChecker, value: Any, at: str) -> time | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^\d{2}:\d{2}$", value):
        c.problems.append(Problem(NOT_A_LOCAL_TIME, where=at, value=repr(value)))
        return None
    try:
        return datetime.strptime(value, "%H:%M").time()  # noqa: DTZ007 - a wall-clock time
    except ValueError:
        c.problems.append(Problem(NOT_A_LOCAL_TIME, where=at, value=repr(value)))
        return None
