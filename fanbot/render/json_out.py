"""Answers as JSON: instants as ISO-8601 UTC strings, nothing localized."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from fanbot.domain.localtime import to_iso_utc


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in getattr(value, "json_extra", ()):
            out[name] = to_jsonable(getattr(value, name))
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def dumps(command: str, answer: Any) -> str:
    return json.dumps({"command": command, "answer": to_jsonable(answer)}, ensure_ascii=False, indent=2)
