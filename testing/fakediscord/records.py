"""What the fake remembers about each request, and the fault rules tests arm on it."""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass, field
from typing import Any

API_PREFIX = "/api/v10"


def normalise_glob(path_glob: str) -> str:
    """Tests may write globs with or without the ``/api/v10`` prefix; records never carry it."""
    if path_glob.startswith(API_PREFIX):
        path_glob = path_glob[len(API_PREFIX) :] or "/"
    if not path_glob.startswith(("/", "*")):
        path_glob = "/" + path_glob
    return path_glob


def matches(method_pattern: str, path_glob: str, method: str, path: str) -> bool:
    """``method_pattern`` is an HTTP method or ``*``; ``path_glob`` an fnmatch glob on the path."""
    if method_pattern != "*" and method_pattern.upper() != method.upper():
        return False
    return fnmatch.fnmatchcase(path, normalise_glob(path_glob))


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    content_type: str | None
    content: bytes


@dataclass
class RequestRecord:
    """One HTTP request as the fake saw and answered it.

    ``path`` has no ``/api/v10`` prefix. ``json`` is the parsed JSON body, or ``payload_json``
    of a multipart body. ``status`` is what was (or, while held, will be) answered;
    ``answered_at`` stays None until the response was handed to the connection.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    time: float
    files: list[UploadedFile] = field(default_factory=list)
    status: int = 0
    response: Any = None
    answered_at: float | None = None
    bot_auth: bool = False
    held: bool = False
    deduped: bool = False
    fault: str | None = None

    def matches(self, method: str, path_glob: str) -> bool:
        return matches(method, path_glob, self.method, self.path)


@dataclass
class FaultRule:
    method: str
    path_glob: str
    status: int
    remaining: int | None
    code: int = 0
    retry_after: float | None = None
    global_: bool = False
    message: str | None = None


@dataclass
class DelayRule:
    method: str
    path_glob: str
    seconds: float
    remaining: int | None = None


@dataclass
class HoldRule:
    method: str
    path_glob: str
    remaining: int | None


@dataclass
class RouteLimit:
    """A per-route bucket: ``limit`` requests per ``per_seconds`` per major parameter."""

    method: str
    path_glob: str
    limit: int
    per_seconds: float
    bucket: str


@dataclass
class BucketState:
    window_start: float
    count: int = 0


@dataclass
class HeldRequest:
    record: RequestRecord
    release: asyncio.Event
