"""Fetching feeds: conditional GET, limits, redirects, and the address checks that keep a
typed URL out of the bot's own network. Every fetch goes to a real aiohttp server on a
loopback address; the fetchers that reach one are told ``allow_private=True``, except
in the safety tests, which show the request never arrives."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from prometheus_client import REGISTRY

from fanbot.feeds.fetch import (
    FeedFetcher,
    Fetched,
    FetchError,
    IPAddress,
    address_allowed,
    feed_url,
    literal_address,
)
from fanbot.i18n import translator

FEED = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//feed//EN\r\nEND:VCALENDAR\r\n"
ETAG = '"v1"'
LAST_MODIFIED = "Mon, 06 Apr 2026 10:00:00 GMT"
FIVE_MB = 5_000_000
# The stand-in for a feed on the public internet: a second loopback address that the
# safety tests' fetcher (StandInFetcher) accepts as if it were public, so that a first
# hop can reach a local server while every other address is checked by the real rule.
STAND_IN = "127.0.0.2"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Served:
    """A local server: its base URL, the requests it saw, and its port."""

    url: str
    port: int
    hits: list[str] = field(default_factory=list)


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(handler, host=..., port=...)`` starts a server for the test."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> Served:
        served = Served(url="", port=0)

        async def counted(request: web.Request) -> web.StreamResponse:
            served.hits.append(request.path_qs)
            return await handler(request)

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", counted)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0]
        served.port = bound[1]
        served.url = f"http://{host if ':' not in host else f'[{host}]'}:{served.port}"
        return served

    yield start
    for runner in runners:
        await runner.cleanup()


async def feed(request: web.Request) -> web.StreamResponse:
    """A feed with validators; 304 (with no validators of its own) when they match."""
    if (
        request.headers.get("If-None-Match") == ETAG
        or request.headers.get("If-Modified-Since") == LAST_MODIFIED
    ):
        return web.Response(status=304)
    return web.Response(body=FEED, headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED})


class Answers(AbstractResolver):
    """A DNS stand-in: each lookup of a name pops the next answer (a list of
    addresses) given for it; the last answer repeats."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise OSError(f"{host}: no such name")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


class StandInFetcher(FeedFetcher):
    """A fetcher (without allow_private) that takes STAND_IN for a public address."""

    def address_allowed(self, ip: IPAddress) -> bool:
        return ip == ipaddress.ip_address(STAND_IN) or super().address_allowed(ip)


async def refused(fetcher: FeedFetcher, url: str, **conditions: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url, **conditions)
    return caught.value


# ---------------------------------------------------------------------------- the address typed


def test_a_webcal_address_is_fetched_over_https():
    assert feed_url("  webcal://calendar.example.org/wec.ics  ") == "https://calendar.example.org/wec.ics"
    assert feed_url("webcals://calendar.example.org/wec.ics") == "https://calendar.example.org/wec.ics"
    assert feed_url("http://calendar.example.org/a.json?x=1") == "http://calendar.example.org/a.json?x=1"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "ftp://example.org/feed.ics",
        "file:///etc/passwd",
        "calendar.example.org/wec.ics",
        "https://",
        "https://user:secret@example.org/feed.ics",
        "https://example.org/my feed.ics",
        "https://example.org:99999/feed.ics",
        "https://example.org/" + "a" * 500,
    ],
)
def test_an_address_that_is_not_a_public_web_address_is_refused_as_url(typed: str):
    with pytest.raises(FetchError) as caught:
        feed_url(typed)
    assert caught.value.kind == "url"
    assert str(caught.value) == str(caught.value.problem)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.10",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
    ],
)
def test_a_private_local_or_reserved_address_is_not_allowed(address: str):
    assert not address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]
)
def test_a_public_address_is_allowed(address: str):
    assert address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("feeds.example.org", None),
        ("cafe.be", None),
    ],
)
def test_a_host_written_as_an_address_in_any_form_is_read_as_that_address(host: str, address: str | None):
    assert literal_address(host) == (None if address is None else ipaddress.ip_address(address))


# ---------------------------------------------------------------------------- fetching


async def test_a_first_fetch_returns_the_body_and_its_validators(serve: Serve):
    server = await serve(feed)
    async with FeedFetcher(allow_private=True) as fetcher:
        fetched = await fetcher.fetch(server.url + "/wec.ics")
    assert fetched == Fetched(server.url + "/wec.ics", FEED, ETAG, LAST_MODIFIED)
    assert not fetched.not_modified


async def test_a_second_fetch_with_the_etag_is_not_modified(serve: Serve):
    server = await serve(feed)
    async with FeedFetcher(allow_private=True) as fetcher:
        first = await fetcher.fetch(server.url + "/wec.ics")
        again = await fetcher.fetch(
            server.url + "/wec.ics", etag=first.etag, last_modified=first.last_modified
        )
    assert again.not_modified
    assert again.body is None
    # The 304 carried no validators: the ones sent are kept for the next fetch.
    assert (again.etag, again.last_modified) == (ETAG, LAST_MODIFIED)


async def test_a_fetch_with_only_last_modified_is_not_modified(serve: Serve):
    server = await serve(feed)
    async with FeedFetcher(allow_private=True) as fetcher:
        again = await fetcher.fetch(server.url + "/wec.ics", last_modified=LAST_MODIFIED)
    assert again.not_modified
    assert (again.etag, again.last_modified) == (None, LAST_MODIFIED)


async def test_the_fetcher_names_itself_in_its_user_agent(serve: Serve):
    agents: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        agents.append(request.headers.get("User-Agent", ""))
        return web.Response(body=FEED)

    server = await serve(handler)
    async with FeedFetcher(allow_private=True) as fetcher:
        await fetcher.fetch(server.url)
    assert len(agents) == 1
    assert agents[0].startswith("fanbot/")


async def test_a_5_mb_file_with_a_content_length_is_refused_as_too_big(serve: Serve):
    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * FIVE_MB)

    server = await serve(big)
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, server.url)
    assert error.kind == "too-big"
    assert str(error) == "The file is too big: a feed may be at most 2 MB"
    assert (
        error.problem.render(translator("fr")) == "Le fichier est trop gros\u00a0: un flux fait au plus 2 Mo"
    )


async def test_a_5_mb_file_sent_in_chunks_is_refused_as_too_big(serve: Serve):
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(FIVE_MB // 50_000):
                await response.write(b"x" * 50_000)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    server = await serve(chunked)
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, server.url)
    assert error.kind == "too-big"
    assert "2 MB" in str(error)


async def test_a_smaller_cap_is_stated_in_kilobytes(serve: Serve):
    async def medium(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * 600_000)

    server = await serve(medium)
    async with FeedFetcher(allow_private=True, max_bytes=500_000) as fetcher:
        error = await refused(fetcher, server.url)
    assert (error.kind, str(error)) == ("too-big", "The file is too big: a feed may be at most 500 KB")


async def test_a_server_that_never_answers_times_out(serve: Serve):
    async def silent(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3600)
        raise AssertionError("never answers")

    server = await serve(silent)
    async with FeedFetcher(allow_private=True, timeout=0.5) as fetcher:
        error = await refused(fetcher, server.url)
    assert error.kind == "timeout"
    assert str(error) == "The feed did not answer within 0.5 seconds"


async def redirects(request: web.Request) -> web.StreamResponse:
    """/r/N redirects N times (alternating absolute and relative Locations) to the feed."""
    n = int(request.path.rsplit("/", 1)[1])
    if n == 0:
        return await feed(request)
    location = f"/r/{n - 1}" if n % 2 else f"{n - 1}"
    raise web.HTTPFound(location)


async def test_three_redirects_are_followed_to_the_feed(serve: Serve):
    server = await serve(redirects)
    async with FeedFetcher(allow_private=True) as fetcher:
        fetched = await fetcher.fetch(server.url + "/r/3")
    assert fetched.body == FEED
    assert fetched.url == server.url + "/r/0"
    assert server.hits == ["/r/3", "/r/2", "/r/1", "/r/0"]


async def test_a_fourth_redirect_is_refused(serve: Serve):
    server = await serve(redirects)
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, server.url + "/r/4")
    assert error.kind == "redirects"
    assert str(error) == "The feed redirected more than 3 times"
    assert server.hits == ["/r/4", "/r/3", "/r/2", "/r/1"]


async def test_a_redirect_to_another_scheme_is_refused(serve: Serve):
    async def to_ftp(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("ftp://example.org/feed.ics")

    server = await serve(to_ftp)
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, server.url)
    assert error.kind == "url"


async def test_a_server_error_is_refused_with_its_status(serve: Serve):
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="oops")

    server = await serve(broken)
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, server.url)
    assert error.kind == "http"
    assert "HTTP 500" in str(error)


async def test_a_closed_port_is_a_short_network_error():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    async with FeedFetcher(allow_private=True) as fetcher:
        error = await refused(fetcher, f"http://127.0.0.1:{port}/feed.ics")
    assert error.kind == "network"
    assert str(error) == "Could not reach the feed: the connection was refused"


# ---------------------------------------------------------------------------- safety


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/feed.ics",
        "http://2130706433:{port}/feed.ics",
        "http://0x7f.1:{port}/feed.ics",
        "http://[::ffff:127.0.0.1]:{port}/feed.ics",
        "webcal://127.0.0.1:{port}/feed.ics",
    ],
)
async def test_a_loopback_address_is_refused_before_any_request(serve: Serve, template: str):
    server = await serve(feed)
    async with FeedFetcher() as fetcher:
        error = await refused(fetcher, template.format(port=server.port))
    assert error.kind == "address"
    assert "private or local address" in str(error)
    assert server.hits == []


async def test_the_ipv6_loopback_is_refused_before_any_request(serve: Serve):
    try:
        server = await serve(feed, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    # The server is reachable when the check is lifted...
    async with FeedFetcher(allow_private=True) as fetcher:
        assert (await fetcher.fetch(server.url)).body == FEED
    # ...and refused, without a request, when it is not.
    async with FeedFetcher() as fetcher:
        error = await refused(fetcher, f"http://[::1]:{server.port}/feed.ics")
    assert (error.kind, str(error)) == (
        "address",
        "::1 is a private or local address; feeds must be on the public internet",
    )
    assert server.hits == ["/"]


@pytest.mark.parametrize("url", ["http://10.0.0.1/feed.ics", "http://169.254.169.254/latest/meta-data"])
async def test_a_private_or_metadata_address_is_refused(url: str):
    # Nothing listens there: a connection attempt would end as "timeout" or "network".
    async with FeedFetcher(timeout=5) as fetcher:
        error = await refused(fetcher, url)
    assert error.kind == "address"


async def test_a_name_that_resolves_to_loopback_is_refused(serve: Serve):
    server = await serve(feed)
    async with FeedFetcher() as fetcher:
        error = await refused(fetcher, f"http://localhost:{server.port}/feed.ics")
    assert (error.kind, str(error)) == (
        "address",
        "localhost is a private or local address; feeds must be on the public internet",
    )
    assert server.hits == []


async def stand_in(serve: Serve, handler: Handler) -> Served:
    try:
        return await serve(handler, host=STAND_IN)
    except OSError:
        pytest.skip(f"{STAND_IN} is not a loopback address here")


async def same_port_servers(serve: Serve) -> tuple[Served, Served]:
    """A server on STAND_IN and one on 127.0.0.1, on the same port: a name answered
    with either address reaches one of them with the same URL."""
    for _ in range(20):
        public = await stand_in(serve, feed)
        try:
            loopback = await serve(feed, host="127.0.0.1", port=public.port)
        except OSError:
            continue
        return public, loopback
    pytest.skip("no free port on both loopback addresses")


async def test_a_name_rebound_to_loopback_is_refused_on_the_next_fetch(serve: Serve):
    public, loopback = await same_port_servers(serve)
    dns = Answers({"feeds.example.test": [[STAND_IN], ["127.0.0.1"]]})
    url = f"http://feeds.example.test:{public.port}/feed.ics"
    async with StandInFetcher(resolver=dns) as fetcher:
        first = await fetcher.fetch(url)
        error = await refused(fetcher, url)
    assert first.body == FEED
    assert error.kind == "address"
    assert dns.lookups == ["feeds.example.test", "feeds.example.test"]
    assert (len(public.hits), len(loopback.hits)) == (1, 0)


async def test_a_rebound_name_does_reach_loopback_when_private_addresses_are_allowed(serve: Serve):
    # The control for the test above: the same answers, with the check lifted.
    public, loopback = await same_port_servers(serve)
    dns = Answers({"feeds.example.test": [[STAND_IN], ["127.0.0.1"]]})
    url = f"http://feeds.example.test:{public.port}/feed.ics"
    async with FeedFetcher(allow_private=True, resolver=dns) as fetcher:
        await fetcher.fetch(url)
        await fetcher.fetch(url)
    assert (len(public.hits), len(loopback.hits)) == (1, 1)


async def test_a_name_answering_with_a_public_and_a_loopback_address_is_refused(serve: Serve):
    public, loopback = await same_port_servers(serve)
    dns = Answers({"feeds.example.test": [[STAND_IN, "127.0.0.1"]]})
    async with StandInFetcher(resolver=dns) as fetcher:
        error = await refused(fetcher, f"http://feeds.example.test:{public.port}/feed.ics")
    assert error.kind == "address"
    assert public.hits == loopback.hits == []


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
async def test_a_redirect_to_loopback_is_refused(serve: Serve, target_host: str):
    internal = await serve(feed)

    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://{target_host}:{internal.port}/admin")

    public = await stand_in(serve, moved)
    dns = Answers({"feeds.example.test": [[STAND_IN]], "localhost": [["127.0.0.1"]]})
    async with StandInFetcher(resolver=dns) as fetcher:
        error = await refused(fetcher, f"http://feeds.example.test:{public.port}/feed.ics")
    assert (error.kind, str(error)) == (
        "address",
        f"Redirected to {target_host}, a private or local address; feeds must be on the public internet",
    )
    assert public.hits == ["/feed.ics"]
    assert internal.hits == []


# ---------------------------------------------------------------------------- metrics


def fetches(result: str) -> float:
    return REGISTRY.get_sample_value("fanbot_feed_fetches_total", {"result": result}) or 0.0


async def test_every_fetch_is_counted_by_its_result(serve: Serve):
    server = await serve(feed)
    before = {result: fetches(result) for result in ("ok", "not-modified", "address")}
    async with FeedFetcher(allow_private=True) as fetcher:
        await fetcher.fetch(server.url)
        await fetcher.fetch(server.url, etag=ETAG)
    async with FeedFetcher() as fetcher:
        await refused(fetcher, server.url)
    assert fetches("ok") == before["ok"] + 1
    assert fetches("not-modified") == before["not-modified"] + 1
    assert fetches("address") == before["address"] + 1
