"""The fake gateway: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME with replay, dispatch.

Sessions outlive connections, as on Discord: every dispatch is numbered and buffered in its
session, so a client that lost its connection and RESUMEs gets the events it missed, in order,
before RESUMED. Each connection writes through its own queue so that concurrent dispatches,
replays and heartbeat ACKs never interleave out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .sharding import IdentifyLedger, IdentifyRecord, parse_shard, shard_of

if TYPE_CHECKING:
    from .state import FakeDiscordState

log = logging.getLogger("fakediscord.gateway")

JSON = dict[str, Any]

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

#: How many dispatches a session keeps for RESUME replay.
REPLAY_BUFFER = 5000


@dataclass(eq=False)
class GatewayConnection:
    """One websocket. Writes go through ``queue`` so their order is the order of ``send`` calls."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    compress: bool
    session: GatewaySession | None = None
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    sent: int = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._writer(), name="fakediscord-gateway-writer")

    def send(self, payload: JSON) -> None:
        self.queue.put_nowait(json.dumps(payload, separators=(",", ":")))

    async def _writer(self) -> None:
        compressor = zlib.compressobj() if self.compress else None
        while True:
            item = await self.queue.get()
            if item is None:
                return
            try:
                if compressor is not None:
                    data = compressor.compress(item.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(item)
                self.sent += 1
            except (ConnectionError, RuntimeError) as exc:
                log.debug("gateway write failed: %r", exc)
                return

    def abort(self) -> None:
        """Cut the TCP connection without a close frame: what a network failure looks like."""
        if self.transport is not None:
            self.transport.abort()

    async def close(self, code: int, message: str = "") -> None:
        self.queue.put_nowait(None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=message.encode())

    async def stop(self) -> None:
        self.queue.put_nowait(None)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass(eq=False)
class GatewaySession:
    session_id: str
    shard: tuple[int, int]
    intents: int
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    connection: GatewayConnection | None = None
    superseded: bool = False
    invalidated: bool = False

    def covers(self, guild_id: int | None) -> bool:
        """Whether this session gets ``guild_id``'s events (DMs, ``None``, go to shard 0)."""
        index, count = self.shard
        return shard_of(guild_id, count) == index

    def record(self, event: str, data: JSON) -> JSON:
        """Number, buffer and (if connected) send one dispatch."""
        self.seq += 1
        payload: JSON = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        if self.connection is not None:
            self.connection.send(payload)
        return payload


def _wants(session: GatewaySession, event: str, guild_id: int | None) -> bool:
    intents = session.intents
    if event.startswith("MESSAGE_"):
        return bool(intents & (GUILD_MESSAGES if guild_id is not None else DIRECT_MESSAGES))
    if event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_MEMBER_UPDATE"):
        return bool(intents & GUILD_MEMBERS)
    if event.startswith(("GUILD_", "CHANNEL_")):
        return bool(intents & GUILDS)
    return True


def _strip_content(
    session: GatewaySession, event: str, data: JSON, bot_id: int, guild_id: int | None
) -> JSON:
    """Without the MESSAGE_CONTENT intent Discord blanks other people's guild messages."""
    if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
        return data
    if guild_id is None or str((data.get("author") or {}).get("id")) == str(bot_id):
        return data
    if any(str(u.get("id")) == str(bot_id) for u in data.get("mentions") or []):
        return data
    blanked = dict(data)
    blanked.update(content="", embeds=[], attachments=[], components=[])
    return blanked


class Gateway:
    """All sessions and connections of the fake gateway.

    One live session per ``[shard_id, shard_count]``: a new IDENTIFY of a shard takes its
    traffic over from the previous session (a restarted process replacing a dead one), and
    an IDENTIFY with another shard count replaces every session of the old count. (Discord
    allows several sessions per shard; the fake keeps one so each event has one recipient.)
    """

    def __init__(self, fake: FakeDiscordState) -> None:
        self._fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.live: dict[tuple[int, int], GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.connects = 0
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.invalid_sessions_sent = 0
        self.received: list[JSON] = []
        self.identify_ledger = IdentifyLedger()

    # -- websocket handler ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        wants_zlib = request.query.get("compress") == "zlib-stream"
        conn = GatewayConnection(
            ws, request.transport, compress=wants_zlib and self._fake.gateway_compression
        )
        conn.start()
        self.connections.add(conn)
        self.connects += 1
        conn.send(
            {"op": 10, "d": {"heartbeat_interval": self._fake.heartbeat_interval_ms}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        await conn.close(4002, "Error while decoding payload.")
                        break
                    await self._on_payload(conn, payload)
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            await conn.stop()
            self._fake._changed()
        return ws

    async def _on_payload(self, conn: GatewayConnection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op != 1:
            safe = dict(payload)
            if op in (2, 6) and isinstance(data, dict):
                safe["d"] = {k: ("<token>" if k == "token" else v) for k, v in data.items()}
            self.received.append(safe)
        if op == 1:
            self.heartbeats += 1
            conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data if isinstance(data, dict) else {})
        elif op == 6:
            await self._resume(conn, data if isinstance(data, dict) else {})
        elif conn.session is None:
            await conn.close(4003, "Not authenticated.")
        elif op == 8:
            self._request_members(conn.session, data if isinstance(data, dict) else {})
        elif op in (3, 4):
            return
        else:
            await conn.close(4001, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        fake = self._fake
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return
        if data.get("token") != fake.bot_token:
            await conn.close(4004, "Authentication failed.")
            return
        shard = parse_shard(data.get("shard"))
        if shard is None:
            await conn.close(4010, "Invalid shard.")
            return
        if "intents" not in data:
            await conn.close(4013, "Invalid intent(s).")
            return
        index, count = shard
        guilds = [g for g in fake.guilds.values() if g.shard_id(count) == index]
        if len(guilds) > fake.max_guilds_per_shard:
            await conn.close(4011, "Sharding required.")
            return
        now = time.monotonic()
        bucket, since, too_early = self.identify_ledger.judge(
            shard, now, max_concurrency=fake.max_concurrency, interval=fake.identify_interval_seconds
        )
        if too_early and fake.reject_early_identify:
            self.identify_ledger.add(IdentifyRecord(now, shard, bucket, since, True, True, None))
            self.invalid_sessions_sent += 1
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            fake._changed()
            return
        session = GatewaySession(secrets.token_hex(16), shard, int(data["intents"]))
        self.identify_ledger.add(
            IdentifyRecord(now, shard, bucket, since, too_early, False, session.session_id)
        )
        self.sessions[session.session_id] = session
        for key in list(self.live):
            if key[1] != count or key == shard:
                self.live.pop(key).superseded = True
        self.live[shard] = session
        session.record(
            "READY",
            {
                "v": 10,
                "user": fake.bot_user_json(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": fake.gateway_url,
                "shard": [index, count],
                "application": {"id": str(fake.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": ["fake"],
                "user_settings": {},
                "auth": {},
                "_trace": ["fakediscord"],
            },
        )
        if session.intents & GUILDS:
            for guild in guilds:
                session.record("GUILD_CREATE", fake.guild_create_payload(guild, session.intents))
        self._attach(conn, session, after=0)
        self.identifies += 1
        fake._changed()

    async def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        fake = self._fake
        if data.get("token") != fake.bot_token:
            await conn.close(4004, "Authentication failed.")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = int(data.get("seq") or 0)
        replayable = session is not None and (not session.buffer or session.buffer[0]["s"] <= seq + 1)
        if session is None or session.superseded or session.invalidated or not replayable:
            self.invalid_sessions_sent += 1
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn:
            old.session = None
            old.abort()
        self._attach(conn, session, after=seq)
        session.record("RESUMED", {"_trace": ["fakediscord"]})
        self.resumes += 1
        fake._changed()

    def _attach(self, conn: GatewayConnection, session: GatewaySession, *, after: int) -> None:
        """Replay everything after ``after``, then route live dispatches to ``conn``.

        Synchronous on purpose: no dispatch can slip in between the replay and the switch.
        """
        for payload in session.buffer:
            if payload["s"] > after:
                conn.send(payload)
        session.connection = conn
        conn.session = session

    def _request_members(self, session: GatewaySession, data: JSON) -> None:
        raw = data.get("guild_id")
        guild_ids = raw if isinstance(raw, list) else [raw]
        for gid in guild_ids:
            guild = self._fake.guilds.get(int(gid)) if gid is not None else None
            if guild is None:
                continue
            members = list(guild.members.values())
            user_ids = data.get("user_ids")
            not_found: list[str] = []
            if user_ids:
                wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
                not_found = [str(u) for u in wanted if u not in guild.members]
                members = [m for m in members if m.id in wanted]
            else:
                query = str(data.get("query") or "").lower()
                members = [
                    m
                    for m in members
                    if m.user.username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
                ]
                limit = int(data.get("limit") or 0)
                if limit:
                    members = members[:limit]
            chunk: JSON = {
                "guild_id": str(guild.id),
                "members": [m.to_json() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": not_found,
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            session.record("GUILD_MEMBERS_CHUNK", chunk)

    # -- used by the fake -----------------------------------------------------------------------

    def ready_shards(self) -> set[tuple[int, int]]:
        """Shards with a live session that is currently connected."""
        return {key for key, s in self.live.items() if s.connection is not None}

    def session_for(self, guild_id: int | None) -> GatewaySession | None:
        """The live session that gets ``guild_id``'s events (shard 0's for DMs), if any."""
        return next((s for s in self.live.values() if s.covers(guild_id)), None)

    def connected_for(self, guild_id: int | None) -> bool:
        """Whether the session of ``guild_id``'s shard is connected now."""
        session = self.session_for(guild_id)
        return session is not None and session.connection is not None

    @property
    def identify_log(self) -> list[IdentifyRecord]:
        """Every IDENTIFY that passed the token and shard checks, oldest first."""
        return list(self.identify_ledger.records)

    @property
    def identify_violations(self) -> list[IdentifyRecord]:
        """IDENTIFYs less than ``identify_interval_seconds`` after the previous one of their
        bucket (``shard_id % max_concurrency``), from any connection or process."""
        return self.identify_ledger.violations

    def session_start_limit(self) -> JSON:
        """``session_start_limit`` as ``GET /gateway/bot`` reports it."""
        fake = self._fake
        return self.identify_ledger.session_start_limit(
            time.monotonic(), total=fake.session_start_total, max_concurrency=fake.max_concurrency
        )

    def dispatch(self, event: str, data: JSON, guild_id: int | None) -> int:
        """Send an event to the live session of the shard owning ``guild_id``; returns how many
        sessions took it (buffered if that session is momentarily disconnected)."""
        taken = 0
        bot_id = self._fake.bot_user.id
        for session in list(self.live.values()):
            if not session.covers(guild_id) or not _wants(session, event, guild_id):
                continue
            session.record(event, _strip_content(session, event, data, bot_id, guild_id))
            taken += 1
        return taken

    async def drop(self, code: int | None = None) -> int:
        """Close every connection: abruptly (no close frame) when ``code`` is None."""
        conns = list(self.connections)
        for conn in conns:
            if code is None:
                conn.abort()
            else:
                await conn.close(code, "fakediscord drop")
        return len(conns)

    def send_op(self, op: int, data: Any) -> int:
        for conn in self.connections:
            conn.send({"op": op, "d": data, "s": None, "t": None})
        return len(self.connections)

    def invalidate(self, *, resumable: bool) -> int:
        count = 0
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                conn.session.invalidated = True
            conn.send({"op": 9, "d": resumable, "s": None, "t": None})
            count += 1
        return count

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001, "fakediscord stopping")
            await conn.stop()
