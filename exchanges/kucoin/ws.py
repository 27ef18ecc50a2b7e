"""The push WebSocket: token check, welcome, ping/pong, subscribe/unsubscribe, limits.

One :class:`PushSession` per accepted connection. Behaviour, per reference §3-§5:

* ``?token=&connectId=``: a valid token gets ``{"id": connectId, "type": "welcome"}``.
  An unknown or expired token is refused; by default (``reject_with="frame"``) the
  upgrade succeeds, the recorded frame ``{"type":"error","code":401,"data":"token is
  expired"}`` (no ``id``; ``"token is invalid"`` for a token never issued) is sent and the
  socket closed with 1000. ``reject_with="http"`` answers the upgrade with HTTP 401 instead.
* Every client message counts against ``msg_limit`` per ``msg_window`` seconds; over it,
  ``509 exceed max permits per 10 seconds`` answers the message, which is not processed.
* Silence (no message of any kind) for ``pingInterval + pingTimeout`` closes the socket
  (1000); so does the token's expiry (1001), without an error frame.
* Ids: ``ack``/``pong``/``error`` echo the request id as a string (the connectId when the
  request has none).
* Private topics (:mod:`.private`) are admitted only on a connection opened with a
  ``bullet-private`` token; they count against the per-connection topic cap.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from aiohttp import WSMsgType, web

from tickwire.exchanges.base.faults import RATE_LIMIT, FaultPlan
from tickwire.exchanges.base.server import Connection, EmulatorServer
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.feed import Feed
from tickwire.exchanges.kucoin.limits import ConnectionStats, MessageWindow
from tickwire.exchanges.kucoin.private import (
    PRIVATE_TOPICS,
    PrivateFeed,
    PrivateTokens,
    PrivateTopicError,
)
from tickwire.exchanges.kucoin.tokens import TokenState, TokenStore
from tickwire.exchanges.kucoin.topics import TopicError, parse

__all__ = ["WS_PATH", "PushSession", "WsConfig", "WsGateway"]

WS_PATH = "/ws-api-spot/"
"""Where the push socket listens; clients learn it from the bullet call, never guess it."""

RATE_TEXT = "exceed max permits per 10 seconds"
_decode = msgspec.json.Decoder().decode


@dataclass(frozen=True, slots=True)
class WsConfig:
    """The push socket's limits and timings."""

    msg_limit: int = 100
    msg_window: float = 10.0
    topic_cap: int = 300
    max_per_request: int = 100
    ping_interval_ms: int = 18000
    ping_timeout_ms: int = 10000
    reject_with: Literal["frame", "http"] = "frame"

    @property
    def idle_timeout(self) -> float:
        """Seconds of client silence after which the server closes the socket."""
        return (self.ping_interval_ms + self.ping_timeout_ms) / 1000


class PushSession:
    """One connection's state: its counters, rate window and timers."""

    def __init__(
        self,
        conn: Connection,
        stats: ConnectionStats,
        window: MessageWindow,
        *,
        feed: PrivateFeed | None = None,
    ) -> None:
        self.conn = conn
        self.stats = stats
        self.window = window
        self.feed = feed
        """The account feed of a connection opened with a ``bullet-private`` token."""
        self.last_rx = time.monotonic()
        self.idle_timer: asyncio.TimerHandle | None = None
        self.expiry_timer: asyncio.TimerHandle | None = None

    def cancel_timers(self) -> None:
        """Stop the idle and expiry timers (the connection is gone)."""
        for timer in (self.idle_timer, self.expiry_timer):
            if timer is not None:
                timer.cancel()

    @property
    def connect_id(self) -> str:
        """The client's ``connectId`` (or the one the server made up)."""
        return self.stats.connect_id


def _as_id(value: object, fallback: str) -> str:
    # The venue accepts numbers or strings and always answers with a string.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return fallback


class WsGateway:
    """All push-socket sessions of one emulator, and the switches tests flip."""

    def __init__(
        self,
        server: EmulatorServer,
        feed: Feed,
        tokens: TokenStore,
        config: WsConfig,
        faults: FaultPlan | None = None,
    ) -> None:
        self.server = server
        self.feed = feed
        self.tokens = tokens
        self.config = config
        self.sessions: dict[Connection, PushSession] = {}
        self.stats: list[ConnectionStats] = []
        """Counters of every connection accepted so far, oldest first, closed ones too."""
        self.pongs = True
        """Whether pings are answered (the venue's liveness signal; a fault turns it off)."""
        self.faults = faults if faults is not None else FaultPlan()
        """Where ``rate_limit_next("subscribe")`` shots are taken from."""
        self.private: PrivateTokens | None = None
        """Set by an emulator with a private side; ``None`` refuses private topics."""

    # -- connection lifecycle --------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The route handler of :data:`WS_PATH`."""
        token = request.query.get("token")
        connect_id = request.query.get("connectId") or uuid.uuid4().hex
        state = self.tokens.check(token)
        if state is not TokenState.VALID:
            text = "token is expired" if state is TokenState.EXPIRED else "token is invalid"
            return await self._refuse(request, text)
        assert token is not None
        expiry = self.tokens.expiry(token)
        feed = self.private.feed_for(token) if self.private is not None else None

        def opened(conn: Connection) -> None:
            stats = ConnectionStats(connect_id)
            self.stats.append(stats)
            window = MessageWindow(self.config.msg_limit, self.config.msg_window)
            session = PushSession(conn, stats, window, feed=feed)
            self.sessions[conn] = session
            conn.send(frames.welcome(connect_id))
            loop = asyncio.get_running_loop()
            delay = max(expiry - time.monotonic(), 0.0)
            session.expiry_timer = loop.call_later(
                delay, self._close, session, "token expired", 1001
            )
            self._arm_idle(session)

        return await self.server.serve_websocket(
            request, self._on_message, on_open=opened, on_close=self._on_close
        )

    async def _refuse(self, request: web.Request, text: str) -> web.StreamResponse:
        body = frames.error(None, 401, text)
        if self.config.reject_with == "http":
            return web.Response(status=401, body=body, content_type="application/json")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_frame(body, WSMsgType.TEXT)
        await ws.close(code=1000)
        return ws

    def _on_close(self, conn: Connection) -> None:
        session = self.sessions.pop(conn, None)
        if session is None:
            return
        session.cancel_timers()
        self.feed.remove(conn, session.stats.topics)
        if session.feed is not None:
            session.feed.remove(conn)

    def _arm_idle(self, session: PushSession) -> None:
        loop = asyncio.get_running_loop()
        deadline = session.last_rx + self.config.idle_timeout
        delay = max(deadline - time.monotonic(), 0.0)
        session.idle_timer = loop.call_later(delay, self._idle_check, session)

    def _idle_check(self, session: PushSession) -> None:
        # Re-armed from the last message when it fires, instead of on every message.
        if time.monotonic() - session.last_rx >= self.config.idle_timeout - 0.001:
            self._close(session, "idle", 1000)
        else:
            self._arm_idle(session)

    def _close(self, session: PushSession, reason: str, code: int) -> None:
        if session.stats.closed is not None or session.conn.closed:
            return
        session.stats.closed = reason
        session.cancel_timers()
        self.server.start_task(session.conn.close(code), name=f"kucoin-close-{session.conn.id}")

    async def expire_all(self) -> None:
        """Expire every token now and drop the live connections, as at expiry."""
        self.tokens.expire_all()
        sessions = list(self.sessions.values())
        for session in sessions:
            self._close(session, "token expired", 1001)
        async with asyncio.timeout(5.0):
            await asyncio.gather(*(s.conn.finished.wait() for s in sessions))

    # -- messages --------------------------------------------------------------------

    def _error(self, session: PushSession, msg_id: str | None, code: int, text: str) -> None:
        session.stats.errors += 1
        session.conn.send(frames.error(msg_id, code, text))

    def _on_message(self, conn: Connection, data: bytes) -> None:
        session = self.sessions.get(conn)
        if session is None:
            return
        now = time.monotonic()
        session.last_rx = now
        stats = session.stats
        stats.messages += 1
        try:
            msg: Any = _decode(data)
        except msgspec.DecodeError:
            msg = None
        msg_id = _as_id(msg.get("id"), session.connect_id) if isinstance(msg, dict) else None
        if not session.window.admit(now):
            stats.rate_refused += 1
            self._error(session, msg_id or session.connect_id, 509, RATE_TEXT)
            return
        stats.max_window = session.window.max_seen
        if not isinstance(msg, dict):
            self._error(session, session.connect_id, 400, "request is not a JSON object")
            return
        assert msg_id is not None
        kind = msg.get("type")
        if kind == "ping":
            if self.pongs:
                conn.send(frames.pong(msg_id))
        elif kind == "subscribe":
            self._subscribe(session, msg, msg_id)
        elif kind == "unsubscribe":
            self._unsubscribe(session, msg, msg_id)
        else:
            self._error(session, msg_id, 415, "type is not supported")

    def _subscribe(self, session: PushSession, msg: dict[str, Any], msg_id: str) -> None:
        stats = session.stats
        if self.faults.take(RATE_LIMIT, "subscribe"):
            stats.sub_refused += 1
            self._error(session, msg_id, 509, RATE_TEXT)
            return
        if msg.get("topic") in PRIVATE_TOPICS:
            self._subscribe_private(session, msg, msg_id)
            return
        try:
            topics = parse(
                msg.get("topic"), self.feed.symbols, max_symbols=self.config.max_per_request
            )
        except TopicError as exc:
            if exc.code == 509:
                stats.sub_refused += 1
            self._error(session, msg_id, exc.code, exc.text)
            return
        new = [t for t in topics if t.key not in stats.topics]
        cap = self.config.topic_cap
        if len(stats.topics) + len(new) > cap:
            stats.sub_refused += 1
            self._error(
                session,
                msg_id,
                509,
                f"exceeds max subscription count limitation of {cap} per session",
            )
            return
        self.feed.add(session.conn, new)
        stats.topics.update(t.key for t in new)
        self._ack(session, msg, msg_id)

    def _subscribe_private(self, session: PushSession, msg: dict[str, Any], msg_id: str) -> None:
        topic: str = msg["topic"]
        stats = session.stats
        try:
            PrivateFeed.check(topic, session.feed is not None, msg.get("privateChannel"))
        except PrivateTopicError as exc:
            self._error(session, msg_id, exc.code, exc.text)
            return
        assert session.feed is not None  # check() refuses public connections
        cap = self.config.topic_cap
        if topic not in stats.topics and len(stats.topics) + 1 > cap:
            stats.sub_refused += 1
            self._error(
                session,
                msg_id,
                509,
                f"exceeds max subscription count limitation of {cap} per session",
            )
            return
        session.feed.add(session.conn, topic)
        stats.topics.add(topic)
        self._ack(session, msg, msg_id)

    def _unsubscribe(self, session: PushSession, msg: dict[str, Any], msg_id: str) -> None:
        topic = msg.get("topic")
        if isinstance(topic, str) and topic in PRIVATE_TOPICS:
            if session.feed is not None:
                session.feed.remove(session.conn, [topic])
            session.stats.topics.discard(topic)
            self._ack(session, msg, msg_id)
            return
        try:
            topics = parse(
                msg.get("topic"), self.feed.symbols, max_symbols=self.config.max_per_request
            )
        except TopicError as exc:
            self._error(session, msg_id, exc.code, exc.text)
            return
        keys = [t.key for t in topics]
        self.feed.remove(session.conn, keys)
        session.stats.topics.difference_update(keys)
        self._ack(session, msg, msg_id)

    @staticmethod
    def _ack(session: PushSession, msg: dict[str, Any], msg_id: str) -> None:
        if msg.get("response") is True:
            session.conn.send(frames.ack(msg_id))

    # -- reading back ----------------------------------------------------------------

    def live_stats(self) -> Iterable[ConnectionStats]:
        """Counters of the connections open now."""
        return [s.stats for s in self.sessions.values()]
