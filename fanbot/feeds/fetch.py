"""Fetching a feed's file over HTTP, safely.

A URL typed by a moderator must neither hang the bot, fill its memory, nor reach the
bot's own network. So a fetch has one time-out for all of it (connect, redirects,
read), a size cap checked on ``Content-Length`` and again while reading, redirects
followed by hand (each hop checked again), and an address check on every address the
connector is given: host names go through a resolver that refuses a private or local
answer, so the connector only ever connects to a checked address (a DNS answer that
changes between the check and the connection — rebinding — cannot get through);
IP-literal hosts, which aiohttp never resolves, are checked before the request.
``allow_private`` (the operator's ``FANBOT_FEEDS_ALLOW_PRIVATE=1``) lifts the address
check for tests and private deployments.

Every outcome is counted in ``fanbot.metrics.FEED_FETCHES`` by result: ``ok``,
``not-modified`` or the ``FetchError`` kind.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import re
import socket
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

import fanbot
from fanbot.domain.catalog import Problem
from fanbot.domain.limits import FEED_MAX_BYTES, FEED_MAX_REDIRECTS, FEED_TIMEOUT, MAX_URL
from fanbot.i18n import N_
from fanbot.metrics import FEED_FETCHES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_AGENT = f"fanbot/{fanbot.__version__} (calendar feed reader)"
ACCEPT = "text/calendar, application/json;q=0.9, text/plain;q=0.5, */*;q=0.1"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# What a moderator may type before the address is turned into the one fetched.
_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
# The characters of the legacy numeric IPv4 forms ("2130706433", "0x7f.1", "0177.0.0.1")
# that inet_aton accepts: checked as the address they stand for.
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """What one fetch brought back. ``body`` is None when the server answered
    304 Not Modified (the caller's copy is still current)."""

    url: str
    body: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.body is None


class FetchError(Exception):
    """A fetch that brought nothing usable. ``kind`` says what went wrong ("url",
    "address", "too-big", "timeout", "http", "redirects", "network"); ``problem`` says
    it to a person, in their language (``problem.render(tr)``)."""

    def __init__(self, kind: str, problem: Problem) -> None:
        super().__init__(str(problem))
        self.kind = kind
        self.problem = problem


# ---------------------------------------------------------------------------- the address typed


def _url_error(problem: Problem) -> FetchError:
    return FetchError("url", problem)


def _checked_url(url: URL, text: str) -> URL:
    """The URL to fetch for ``url`` (``text`` as written, for messages), or FetchError("url")."""
    scheme = (url.scheme or "").lower()
    if scheme not in _SCHEMES:
        raise _url_error(
            Problem(
                N_("“{url}” is not a feed's address: it must start with https://, http:// or webcal://"),
                url=text,
            )
        )
    if not url.host:
        raise _url_error(Problem(N_("“{url}” has no host name"), url=text))
    if url.user is not None or url.password is not None:
        raise _url_error(
            Problem(
                N_("Remove the user name and password from “{url}”: feeds are read without logging in"),
                url=text,
            )
        )
    if _SCHEMES[scheme] != scheme:
        url = url.with_scheme(_SCHEMES[scheme])
    if len(str(url)) > MAX_URL:
        raise _url_error(Problem(N_("The address is too long: at most {max} characters"), max=MAX_URL))
    return url


def _parse(text: str) -> URL:
    text = text.strip()
    if not text:
        raise _url_error(Problem(N_("Give the feed's address, starting with https:// or webcal://")))
    if len(text) > MAX_URL:
        raise _url_error(Problem(N_("The address is too long: at most {max} characters"), max=MAX_URL))
    if any(c.isspace() or not c.isprintable() for c in text):
        raise _url_error(Problem(N_("A feed's address has no spaces: “{url}”"), url=text))
    try:
        url = URL(text)
        url.port  # noqa: B018 - an invalid port only shows when it is read
    except ValueError:
        raise _url_error(Problem(N_("“{url}” is not a valid web address"), url=text)) from None
    return _checked_url(url, text)


def feed_url(text: str) -> str:
    """The URL to fetch for what a moderator typed: strips spaces, webcal:// -> https://,
    only http(s), needs a host, no user:password@, at most MAX_URL chars.
    Raises FetchError(kind="url")."""
    return str(_parse(text))


# ---------------------------------------------------------------------------- the address connected to


def address_allowed(ip: IPAddress) -> bool:
    """Whether a feed may be fetched from ``ip``: only the public internet. Refuses
    loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT,
    100.64/10) and site-local addresses, and IPv6 forms that embed such an IPv4
    address (IPv4-mapped ``::ffff:127.0.0.1``, 6to4 ``2002:7f00:1::``)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_allowed(ip.ipv4_mapped)
        if ip.sixtofour is not None and not address_allowed(ip.sixtofour):
            return False
        if ip.is_site_local:
            return False
    refused = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return ip.is_global and not refused


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names directly ("127.0.0.1", "[::1]", and the legacy
    numeric forms "2130706433", "0x7f.1", "127.1"), or None for a host name."""
    host = host.strip("[]")
    if host.endswith("."):
        host = host[:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class _RefusedAddress(OSError):
    """Raised by the checking resolver: ``host`` resolved to an address that is refused."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} resolves to a refused address")
        self.host = host


class _CheckingResolver(AbstractResolver):
    """Resolves with ``inner`` and refuses the whole answer when any address in it is
    refused, so the connector is only ever handed checked addresses."""

    def __init__(self, inner: AbstractResolver, fetcher: FeedFetcher) -> None:
        self._inner = inner
        self._fetcher = fetcher

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        for answer in answers:
            try:
                ip = ipaddress.ip_address(answer["host"])
            except ValueError:
                raise _RefusedAddress(host) from None
            if not self._fetcher.address_allowed(ip):
                raise _RefusedAddress(host)
        return answers

    async def close(self) -> None:
        await self._inner.close()


def _address_problem(host: str, hop: int) -> Problem:
    if hop:
        return Problem(
            N_("Redirected to {host}, a private or local address; feeds must be on the public internet"),
            host=host,
        )
    return Problem(
        N_("{host} is a private or local address; feeds must be on the public internet"), host=host
    )


# ---------------------------------------------------------------------------- messages


def _size_problem(max_bytes: int) -> Problem:
    """The cap in whole megabytes (decimal, as file managers show them), else kilobytes."""
    if max_bytes >= 1_000_000 and max_bytes % 1_000_000 == 0:
        return Problem(
            N_("The file is too big: a feed may be at most {size} MB"), size=max_bytes // 1_000_000
        )
    return Problem(
        N_("The file is too big: a feed may be at most {size} KB"), size=max(1, round(max_bytes / 1000))
    )


def _network_problem(exc: BaseException) -> Problem:
    """A short reason a connection failed, never a traceback."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = Problem(N_("its host name was not found"))
    elif isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        reason = Problem(N_("the secure connection (TLS) failed"))
    elif isinstance(exc, aiohttp.ClientConnectorError):
        if exc.errno == errno.ECONNREFUSED:
            reason = Problem(N_("the connection was refused"))
        else:
            reason = Problem(N_("the connection failed"))
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        reason = Problem(N_("the server closed the connection"))
    else:
        reason = Problem(N_("the server's answer could not be read"))
    return Problem(N_("Could not reach the feed: {reason}"), reason=reason)


def _refused_host(exc: BaseException) -> str | None:
    """The host a resolver refusal names, anywhere in the exception's causes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _RefusedAddress):
            return seen.host
        if isinstance(seen, aiohttp.ClientConnectorError) and isinstance(seen.os_error, _RefusedAddress):
            return seen.os_error.host
        seen = seen.__cause__ or seen.__context__
    return None


def _location(url: URL, response: aiohttp.ClientResponse) -> URL:
    """Where a redirect points, resolved against ``url`` (checked by the next hop)."""
    location = response.headers.get("Location", "").strip()
    if not location:
        raise FetchError(
            "http",
            Problem(
                N_("The feed's server answered HTTP {status} without saying where the feed moved"),
                status=response.status,
            ),
        )
    try:
        return url.join(URL(location))
    except ValueError:
        raise _url_error(Problem(N_("The feed redirected to an address that cannot be read"))) from None


def _connection_error(exc: BaseException, hop: int) -> FetchError:
    refused = _refused_host(exc)
    if refused is not None:
        return FetchError("address", _address_problem(refused, hop))
    if isinstance(exc, aiohttp.InvalidURL):
        # aiohttp refuses what yarl let through (a numeric host such as "1572395042").
        return _url_error(Problem(N_("“{url}” is not a valid web address"), url=str(exc.url)))
    return FetchError("network", _network_problem(exc))


# ---------------------------------------------------------------------------- the fetcher


class FeedFetcher:
    """Fetches feeds for the whole process: one aiohttp session (made on first use, on
    the running loop), closed by ``close()`` or on leaving ``async with``.

    ``resolver`` replaces the system's DNS resolver (tests); whichever resolves, its
    answers are checked before the connector sees them. ``timeout`` (seconds),
    ``max_bytes`` and ``max_redirects`` default to the limits in
    ``fanbot.domain.limits``."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: AbstractResolver | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
        max_redirects: int | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolver = resolver
        self._timeout = FEED_TIMEOUT.total_seconds() if timeout is None else timeout
        self._max_bytes = FEED_MAX_BYTES if max_bytes is None else max_bytes
        self._max_redirects = FEED_MAX_REDIRECTS if max_redirects is None else max_redirects
        self._session: aiohttp.ClientSession | None = None
        self._own_resolver: AbstractResolver | None = None

    def address_allowed(self, ip: IPAddress) -> bool:
        """Whether this fetcher may connect to ``ip``."""
        return self.allow_private or address_allowed(ip)

    async def __aenter__(self) -> FeedFetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        own, self._own_resolver = self._own_resolver, None
        if own is not None:
            await own.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is not None and not self._session.closed:
            return self._session
        inner = self._resolver
        if inner is None:
            inner = self._own_resolver = self._own_resolver or aiohttp.DefaultResolver()
        connector = aiohttp.TCPConnector(
            resolver=_CheckingResolver(inner, self),
            use_dns_cache=False,  # every fetch resolves, and checks, afresh
            ttl_dns_cache=None,
            force_close=True,  # and connects afresh: feeds are fetched hours apart
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
            cookie_jar=aiohttp.DummyCookieJar(),  # no state shared between servers' feeds
            trust_env=False,  # never through the environment's proxies
            timeout=aiohttp.ClientTimeout(total=self._timeout),
        )
        return self._session

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetches ``url`` (as ``feed_url`` reads it), sending ``etag`` and
        ``last_modified`` as conditions. Raises FetchError."""
        try:
            try:
                async with asyncio.timeout(self._timeout):
                    fetched = await self._fetch(_parse(url), etag, last_modified)
            except TimeoutError:
                seconds = int(self._timeout) if float(self._timeout).is_integer() else self._timeout
                raise FetchError(
                    "timeout",
                    Problem(N_("The feed did not answer within {seconds} seconds"), seconds=seconds),
                ) from None
        except FetchError as error:
            FEED_FETCHES.labels(result=error.kind).inc()
            raise
        FEED_FETCHES.labels(result="not-modified" if fetched.not_modified else "ok").inc()
        return fetched

    async def _fetch(self, url: URL, etag: str | None, last_modified: str | None) -> Fetched:
        session = self._open()
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for hop in range(self._max_redirects + 1):
            if hop:
                url = _parse(str(url))
            host = url.host or ""
            ip = literal_address(host)
            if ip is not None and not self.address_allowed(ip):
                raise FetchError("address", _address_problem(host, hop))
            try:
                async with session.get(url, headers=headers, allow_redirects=False) as response:
                    if response.status in REDIRECTS:
                        url = _location(url, response)
                        continue
                    return await self._answer(url, response, etag, last_modified)
            except (FetchError, TimeoutError):
                raise
            except (aiohttp.ClientError, OSError) as exc:
                raise _connection_error(exc, hop) from None
        raise FetchError(
            "redirects", Problem(N_("The feed redirected more than {max} times"), max=self._max_redirects)
        )

    async def _answer(
        self, url: URL, response: aiohttp.ClientResponse, etag: str | None, last_modified: str | None
    ) -> Fetched:
        if response.status == 304 and (etag or last_modified):
            return Fetched(
                str(url),
                None,
                response.headers.get("ETag", etag),
                response.headers.get("Last-Modified", last_modified),
            )
        if not 200 <= response.status < 300:
            raise FetchError(
                "http",
                Problem(
                    N_("The feed's server answered with an error: HTTP {status}"), status=response.status
                ),
            )
        body = await self._read(response)
        return Fetched(str(url), body, response.headers.get("ETag"), response.headers.get("Last-Modified"))

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, or FetchError("too-big") as soon as it is known to pass the cap."""
        if response.content_length is not None and response.content_length > self._max_bytes:
            raise FetchError("too-big", _size_problem(self._max_bytes))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                raise FetchError("too-big", _size_problem(self._max_bytes))
            chunks.append(chunk)
        return b"".join(chunks)
