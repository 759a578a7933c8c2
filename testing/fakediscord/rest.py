"""What the fake's REST route handlers take and give back: the request in context
(:class:`Ctx`), the reply (:class:`Reply`), and the rows of the route table (:class:`Route`)
with the kind of authentication each route wants."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .records import RequestRecord

JSON = dict[str, Any]

BOT = "bot"  # needs "Authorization: Bot <token>"; counts towards the global limit
TOKEN = "token"  # interaction/webhook token in the URL; no Authorization, not globally limited
NONE = "none"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    request: web.Request
    record: RequestRecord
    params: dict[str, str]

    @property
    def body(self) -> JSON:
        return self.record.json if isinstance(self.record.json, dict) else {}


Handler = Callable[[Ctx], Awaitable[Reply]]
# (method, path pattern, handler, authorization (BOT, TOKEN or NONE), whether it logs in)
RouteSpec = tuple[str, str, Handler, str, bool]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: str
    login: bool = False
