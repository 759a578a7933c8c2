"""Faults and rate limits: the failures that are hard to get from Discord on demand.

Failed answers (5xx, 429 with and without the global flag), slow answers, answers withheld
after a request was accepted, dropped websockets, Discord's global limit of requests per
second and per-route buckets with their ``X-RateLimit-*`` headers. :class:`FaultInjection` is
the fake's public API for them and the checks the request pipeline
(:meth:`~testing.fakediscord.server.FakeDiscord._process`) runs before a route's handler.
"""

# Tests read best as ``await fake.wait_held(timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import math
import random
import re
import secrets
import time
from collections.abc import Iterable
from http import HTTPStatus

from .records import BucketState, DelayRule, FaultRule, HeldRequest, HoldRule, RequestRecord, RouteLimit
from .rest import Reply, Route
from .state import FakeDiscordState


def _message_body(status: int) -> str:
    try:
        return f"{status}: {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status}: Error"


class FaultInjection(FakeDiscordState):
    """Faults and rate limits of a local Discord; see the package README for the API."""

    def fail_next(
        self,
        method: str,
        path_glob: str,
        status: int,
        times: int = 1,
        *,
        code: int = 0,
        retry_after: float | None = None,
        global_: bool = False,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of handling them.

        Nothing is stored for a failed request. A 429 looks like Discord's (JSON retry_after and
        global, Retry-After, X-RateLimit-Scope and Via headers), so discord.py waits and retries.
        """
        self._fail_rules.append(
            FaultRule(method, path_glob, status, times, code, retry_after, global_, message)
        )

    def fail_ratio(
        self,
        p: float,
        statuses: Iterable[int] = (500, 503, 429),
        seed: int | None = None,
        *,
        method: str = "*",
        path_glob: str = "*",
    ) -> None:
        """Fail a random fraction ``p`` of API requests (login excluded); ``p=0`` switches it off."""
        self._ratio = None if p <= 0 else (p, tuple(statuses), random.Random(seed), method, path_glob)

    def delay(self, method: str, path_glob: str, seconds: float, times: int | None = None) -> None:
        """Answer matching requests ``seconds`` late (before handling them)."""
        self._delay_rules.append(DelayRule(method, path_glob, seconds, times))

    def hold_after_accept(
        self, method: str = "POST", path_glob: str = "/channels/*/messages", times: int | None = 1
    ) -> None:
        """Handle matching requests fully (the message is stored and announced) but keep the
        response until :meth:`release_held`: Discord accepted it, the bot never heard back."""
        self._hold_rules.append(HoldRule(method, path_glob, times))

    async def wait_held(self, timeout: float = 5.0) -> RequestRecord:
        held = await self._changes.wait_for(
            lambda: next((h for h in self._held if not h.release.is_set()), None), timeout, "a held request"
        )
        return held.record

    def release_held(self) -> int:
        """Let every held response go and stop holding new ones; returns how many were held."""
        count = 0
        for held in self._held:
            if not held.release.is_set():
                held.release.set()
                count += 1
        self._held.clear()
        self._hold_rules.clear()
        self._changed()
        return count

    @property
    def held_requests(self) -> list[RequestRecord]:
        return [h.record for h in self._held if not h.release.is_set()]

    def clear_faults(self) -> None:
        self._fail_rules.clear()
        self._delay_rules.clear()
        self._ratio = None
        self.release_held()

    def set_route_limit(
        self, method: str, path_glob: str, limit: int, per_seconds: float, *, bucket: str | None = None
    ) -> None:
        """A per-route bucket with X-RateLimit-* headers, per major parameter (channel, guild,
        webhook). ``set_route_limit("POST", "/channels/*/messages", 5, 5.0)`` is Discord's."""
        self._route_limits.append(
            RouteLimit(method, path_glob, limit, per_seconds, bucket or secrets.token_hex(8))
        )

    async def drop_websocket(self, code: int | None = None) -> int:
        """Cut the gateway connection(s) so the client reconnects and RESUMEs; returns how many.
        ``code=None`` aborts the TCP connection; a code sends a close frame with it."""
        return await self.gateway.drop(code)

    def send_reconnect(self) -> int:
        """Op 7: ask the client to reconnect and resume."""
        return self.gateway.send_op(7, None)

    def invalidate_session(self, *, resumable: bool = False) -> int:
        """Op 9: the session is gone (or, with ``resumable``, may be resumed)."""
        return self.gateway.invalidate(resumable=resumable)

    def _rate_limited(self, retry_after: float, *, global_: bool, scope: str) -> Reply:
        self.rate_limited_count += 1
        retry = max(0.001, math.ceil(retry_after * 1000) / 1000)
        headers = {
            "Retry-After": str(max(1, math.ceil(retry))),
            "X-RateLimit-Scope": scope,
            "Via": "1.1 google",
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": global_, "code": 0}
        return Reply(429, body, headers)

    def _fault_reply(
        self, status: int, *, code: int, retry_after: float | None, global_: bool, message: str | None
    ) -> Reply:
        if status == 429:
            return self._rate_limited(
                0.05 if retry_after is None else retry_after,
                global_=global_,
                scope="global" if global_ else "user",
            )
        return Reply(status, {"message": message or _message_body(status), "code": code})

    def _take_fault(self, record: RequestRecord, route: Route) -> Reply | None:
        for rule in self._fail_rules:
            if rule.remaining is not None and rule.remaining <= 0:
                continue
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                self._fail_rules = [r for r in self._fail_rules if r.remaining is None or r.remaining > 0]
                record.fault = f"fail_next {rule.status}"
                return self._fault_reply(
                    rule.status,
                    code=rule.code,
                    retry_after=rule.retry_after,
                    global_=rule.global_,
                    message=rule.message,
                )
        if self._ratio is not None and not route.login:
            p, statuses, rng, method, glob = self._ratio
            if record.matches(method, glob) and rng.random() < p:
                status = rng.choice(statuses)
                record.fault = f"fail_ratio {status}"
                return self._fault_reply(status, code=0, retry_after=None, global_=False, message=None)
        return None

    def _global_limit(self) -> Reply | None:
        assert self.global_limit_per_second is not None
        now = time.monotonic()
        window = self._global_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.global_limit_per_second:
            return self._rate_limited(window[0] + 1.0 - now, global_=True, scope="global")
        window.append(now)
        return None

    @staticmethod
    def _major(path: str) -> str:
        m = re.match(r"^/(channels|guilds)/(\d+)", path) or re.match(r"^/(webhooks)/(\d+/[^/]+)", path)
        return f"{m.group(1)}:{m.group(2)}" if m else ""

    def _route_limit(self, record: RequestRecord) -> tuple[dict[str, str], Reply | None]:
        for lim in self._route_limits:
            if not record.matches(lim.method, lim.path_glob):
                continue
            key = (lim.bucket, self._major(record.path))
            now = time.monotonic()
            state = self._buckets.get(key)
            if state is None or now >= state.window_start + lim.per_seconds:
                state = self._buckets[key] = BucketState(now)
            reset_after = state.window_start + lim.per_seconds - now
            if state.count >= lim.limit:
                reply = self._rate_limited(reset_after, global_=False, scope="user")
                reply.headers.update(self._bucket_headers(lim, 0, reset_after))
                return {}, reply
            state.count += 1
            return self._bucket_headers(lim, lim.limit - state.count, reset_after), None
        return {}, None

    @staticmethod
    def _bucket_headers(lim: RouteLimit, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(lim.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": lim.bucket,
        }

    def _take_hold(self, record: RequestRecord) -> HeldRequest | None:
        for rule in self._hold_rules:
            if rule.remaining is not None and rule.remaining <= 0:
                continue
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                record.held = True
                held = HeldRequest(record, asyncio.Event())
                self._held.append(held)
                return held
        return None

    async def _wait_delays(self, record: RequestRecord) -> None:
        """Wait as long as the :meth:`delay` rules matching ``record`` say, before handling it."""
        for rule in list(self._delay_rules):
            if record.matches(rule.method, rule.path_glob):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._delay_rules.remove(rule)
                await asyncio.sleep(rule.seconds)
