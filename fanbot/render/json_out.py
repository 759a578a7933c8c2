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


def dumps(command: str, answer: Any, *, hidden: tuple[str, ...] = ()) -> str:
    """``{"command": ..., "answer": ...}``. Each field named in ``hidden`` (results, which
    the console shows only with --spoilers; a dotted name reaches inside: "event.notes") is
    null in the answer and listed in "hidden"."""
    payload = to_jsonable(answer)
    out: dict[str, Any] = {"command": command, "answer": payload}
    if hidden and isinstance(payload, dict):
        for name in hidden:
            *path, last = name.split(".")
            holder: Any = payload
            for part in path:
                holder = holder.get(part) if isinstance(holder, dict) else None
            if isinstance(holder, dict):
                holder[last] = None
        out["hidden"] = list(hidden)
    return json.dumps(out, ensure_ascii=False, indent=2)


def error(message: str) -> str:
    """``{"error": message}``: what ``--json`` prints instead of an answer (exit code not 0)."""
    return json.dumps({"error": message}, ensure_ascii=False)
