"""One supervised WebSocket connection, written once for every venue.

A :class:`Session` keeps one logical connection alive for as long as its client lives::

    endpoint() ─► connect ─► on_open() (handshake, resubscribe) ─► read frames ─┐
        ▲                                                                       │
        └──── backoff (full jitter) ◄── fail pending requests, on_close() ◄─────┘

The venue-specific parts come from a :class:`SessionHandler` the adapter implements.
While a socket is up three tasks run side by side in one TaskGroup: the single reader
(aiohttp forbids concurrent ``receive()``), the keepalive pinger, and the watchdog, which
replaces a socket that went silent and reports channels that went stale. Every state
change reaches the user as a :class:`~tickwire.core.types.StreamStatus`. Sending, paced
by the rate limiter, and requests matched with their replies are in
:mod:`~tickwire.core.session_requests` (a mixin of :class:`Session`).

The same changes are logged on ``tickwire.core.session``, one line each: INFO when a
socket comes up (and when it is back after a drop), one WARNING per dropped socket or
failed attempt (reason, next delay, attempt), ERROR on giving up. Nothing is logged per
frame, and never a URL's query or credentials (a venue's token may ride in the query).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterable
from time import time_ns
from typing import Any

import aiohttp

from tickwire.core.clock import current_clock
from tickwire.core.config import DEFAULT_MAX_FRAME_SIZE, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.errors import (
    DecodeError,
    Disconnected,
    ExchangeError,
    HeartbeatTimeout,
    TransportError,
)
from tickwire.core.failures import ConnectionLost, describe, is_permanent
from tickwire.core.fanout import EventHub
from tickwire.core.handlers import SessionHandler, WireTap
from tickwire.core.http import safe_url
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.reconnect import Backoff
from tickwire.core.rpc import PendingRequests
from tickwire.core.session_requests import SessionRequests, Socket
from tickwire.core.staleness import StaleWatch
from tickwire.core.types import StreamError, StreamState, StreamStatus

__all__ = ["Session", "SessionHandler", "WireTap", "describe"]

log = logging.getLogger(__name__)

_TEXT = aiohttp.WSMsgType.TEXT
_BINARY = aiohttp.WSMsgType.BINARY
_NS = 1_000_000_000
_TOO_BIG = aiohttp.WSCloseCode.MESSAGE_TOO_BIG


# What ends one socket without ending the session: the venue or the network failed.
_RECOVERABLE = (
    ConnectionLost,
    TransportError,
    ExchangeError,
    aiohttp.ClientError,
    OSError,
    TimeoutError,
)


class Session(SessionRequests):
    """A WebSocket connection that reconnects, resubscribes and reports, until closed.

    ``pending`` correlates requests with replies; every pending request fails with
    :class:`~tickwire.core.errors.Disconnected` when the socket drops. ``activity``
    maps watched keys to the ``received`` time of their last frame; the adapter writes
    it on the hot path, the watchdog reads it.

    ``backpressure``: whether the reader waits for the consumer when ``events`` is full
    (the ``block`` policy). A socket that carries order replies and account events passes
    False: those are read and handled whatever the consumer does, so an order call
    resolves on time; only market data is held back.
    """

    def __init__(
        self,
        handler: SessionHandler,
        *,
        name: str,
        venue: str,
        events: EventHub,
        http: aiohttp.ClientSession,
        reconnect: ReconnectPolicy,
        heartbeat: HeartbeatPolicy,
        connect_timeout: float,
        ping_interval: float | None = None,
        limiter: RateLimiter | None = None,
        limit_keys: Iterable[str] = (),
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        backpressure: bool = True,
    ) -> None:
        self.name = name
        self.venue = venue
        self.pending: PendingRequests[Hashable, Any] = PendingRequests()
        self._liveness = StaleWatch()
        self.activity = self._liveness.activity
        self.last_frame = 0
        self.last_reason = "not connected yet"  # why the last socket ended (for errors)
        self._handler = handler
        self._events = events
        self._http = http
        self._reconnect = reconnect
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        # Public: a venue whose token dictates the ping period (KuCoin) sets it in
        # endpoint(); each socket's keepalive reads it when the socket comes up.
        self.ping_interval = ping_interval
        # Likewise per socket: a venue whose only sign of life is the pong to our ping
        # (KuCoin) must not be declared dead before a ping could have been answered.
        self.idle_timeout = heartbeat.idle_timeout
        self._limiter = limiter
        self._limit_keys = tuple(limit_keys)
        self._max_frame_size = max_frame_size
        self._clock = current_clock()  # receive times: the wall clock, or a replay's
        self._backpressure = backpressure
        # While the reader waits for a slow consumer (backpressure), the silence it causes
        # is the consumer's, not the venue's: the watchdog holds its judgement.
        self._held = False
        self._released = 0  # when the reader last stopped waiting for the consumer
        self._ws: Socket | None = None
        self._where = ""  # the current socket's URL as logs may show it (no query)
        self._ready = asyncio.Event()
        # Set by the first socket coming up, or by a first attempt that failed for good
        # (refused, unresolved, TLS, HTTP error): what wait_connected() waits for.
        self._first_settled = asyncio.Event()
        self._first_failure: BaseException | None = None
        self._closing = asyncio.Event()
        self._dropped = asyncio.Event()
        self._drop_reason: str | None = None

    # --- state ------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True while a socket is up and its handshake has completed."""
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        """Return once a socket is up and handshaken."""
        await self._ready.wait()

    async def wait_connected(self) -> None:
        """Like :meth:`wait_ready`, but raise at once if the very first attempt failed for
        a reason retrying will not fix (:func:`~tickwire.core.failures.is_permanent`),
        naming the URL and the cause: a refused port fails in milliseconds, not after the
        connect timeout."""
        await self._first_settled.wait()
        failure = self._first_failure
        if failure is not None and not self._ready.is_set():
            if isinstance(failure, ExchangeError):
                raise failure  # the venue's own refusal (a bad key), typed
            where = f" to {self._where}" if self._where else ""
            message = f"{self.venue} {self.name}: cannot connect{where}: {describe(failure)}"
            raise TransportError(message) from failure
        await self._ready.wait()

    def watch(self, key: Hashable, stale_after: float) -> None:
        """Report ``key`` stale when no frame touched it for ``stale_after`` seconds.

        Watching again (after a reconnect) restarts the clock for ``key``.
        """
        self._liveness.watch(key, stale_after)

    def unwatch(self, key: Hashable) -> None:
        """Stop watching ``key``."""
        self._liveness.unwatch(key)

    # --- the socket ---------------------------------------------------------------------

    def drop(self, reason: str) -> None:
        """Abandon the current socket; the supervisor replaces it and reports ``reason``."""
        if self._ws is not None and self._drop_reason is None:
            # DEBUG: the supervisor's WARNING for the drop carries the same reason, and a
            # dropped socket must make exactly one WARNING line.
            log.debug("%s %s: dropping socket: %s", self.venue, self.name, reason)
            self._drop_reason = reason
            self._dropped.set()

    async def close(self) -> None:
        """Close the socket and stop reconnecting. Idempotent."""
        self._closing.set()
        ws = self._ws
        if ws is not None:
            await ws.close()

    # --- the supervisor --------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve and reconnect until :meth:`close`.

        Raises :class:`TransportError` when ``max_attempts`` reconnects failed in a row.
        """
        policy = self._reconnect
        backoff = Backoff(
            base=policy.base_delay, cap=policy.max_delay, stable_after=policy.stable_after
        )
        reconnecting = False
        while not self._closing.is_set():
            try:
                reason = await self._connect_and_serve(backoff, reconnecting)
            except _RECOVERABLE as exc:
                reason = describe(exc)
                if not self._first_settled.is_set() and is_permanent(exc):
                    self._first_failure = exc
                    self._first_settled.set()
            if self._ws is not None and (wire := self._events.wire) is not None:
                wire.disconnect(self.name, reason)
            self._ws = None
            self.last_reason = reason
            self._ready.clear()
            self.pending.fail_all(Disconnected(f"{self.venue} {self.name}: {reason}"))
            self._handler.on_close(reason)
            if self._closing.is_set():
                break
            backoff.disconnected()
            if policy.max_attempts is not None and backoff.attempt >= policy.max_attempts:
                log.error(
                    "%s %s: gave up after %d attempts: %s",
                    self.venue,
                    self.name,
                    backoff.attempt,
                    reason,
                )
                self._status(StreamState.CLOSED, f"gave up: {reason}", backoff.attempt)
                raise TransportError(f"{self.venue} {self.name}: gave up after {reason}")
            delay = backoff.next_delay()
            log.warning(
                "%s %s: connection lost (%s); reconnecting in %.2fs (attempt %d)",
                self.venue,
                self.name,
                reason,
                delay,
                backoff.attempt,
            )
            self._status(StreamState.RECONNECTING, reason, backoff.attempt)
            reconnecting = True
            try:
                async with asyncio.timeout(delay):
                    await self._closing.wait()
            except TimeoutError:
                pass

    async def _connect_and_serve(self, backoff: Backoff, reconnecting: bool) -> str:
        url = await self._handler.endpoint()
        self._where = safe_url(url)
        async with asyncio.timeout(self._connect_timeout):
            ws = await self._http.ws_connect(
                url, decode_text=False, max_msg_size=self._max_frame_size
            )
        self._ws = ws
        if (wire := self._events.wire) is not None:
            wire.connect(self.name, url)
        self.last_frame = time_ns()
        self._dropped.clear()
        self._drop_reason = None
        try:
            return await self._serve(ws, backoff, reconnecting)
        finally:
            await ws.close()

    async def _serve(self, ws: Socket, backoff: Backoff, reconnecting: bool) -> str:
        reason = "closed"
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._read(ws))
                tasks.create_task(self._watchdog())
                tasks.create_task(self._until_dropped())
                async with asyncio.timeout(self._connect_timeout):
                    await self._handler.on_open(self)
                attempts = backoff.attempt
                backoff.connected()
                self._ready.set()
                self._first_settled.set()
                if reconnecting:
                    log.info(
                        "%s %s: reconnected to %s after %d attempt(s); subscriptions restored",
                        self.venue,
                        self.name,
                        self._where,
                        attempts,
                    )
                else:
                    log.info("%s %s: connected to %s", self.venue, self.name, self._where)
                self._status(StreamState.CONNECTED, "")
                if reconnecting:
                    self._status(StreamState.RESUBSCRIBED, "every subscription restored")
                if self.ping_interval:
                    tasks.create_task(self._keepalive(self.ping_interval))
        except* _RECOVERABLE as group:
            reason = describe(group.exceptions[0])
        return reason

    async def _read(self, ws: Socket) -> None:
        # The hot path: no logging, no copies; the frame goes to the adapter as bytes.
        receive = ws.receive
        on_frame = self._handler.on_frame
        events = self._events
        now = self._clock
        backpressure = self._backpressure
        while True:
            message = await receive()
            kind = message.type
            if kind is _TEXT or kind is _BINARY:
                received = now()
                self.last_frame = received
                if (wire := events.wire) is not None:
                    wire.frame(self.name, received, message.data, kind is _TEXT)
                try:
                    on_frame(message.data, received)
                except Exception as exc:  # the guard: see _frame_failed
                    self._frame_failed(exc, message.data)
                # pressed first: an attribute; full asks each block consumer.
                if backpressure and events.pressed and events.full:
                    await self._hold()
            elif kind is aiohttp.WSMsgType.ERROR:
                error = message.data
                if isinstance(error, aiohttp.WebSocketError) and error.code == _TOO_BIG:
                    self._frame_failed(DecodeError(f"frame over {self._max_frame_size} bytes"))
                raise ConnectionLost(f"socket error: {error}")
            else:  # CLOSE, CLOSING, CLOSED: raising ends the socket's other tasks too
                if self._closing.is_set():
                    raise ConnectionLost("closed by the client")
                raise ConnectionLost(f"closed by the venue (code {ws.close_code})")

    async def _hold(self) -> None:
        self._held = True
        try:
            await self._events.drained()
        finally:
            self._held = False
            self._released = time_ns()

    def _frame_failed(self, exc: Exception, frame: bytes = b"") -> None:
        # Nothing a venue sends may end a stream: whatever handling one frame raised (an
        # adapter bug, a value no schema foresaw, invalid UTF-8 under an older msgspec)
        # becomes one StreamError, and the reader goes on with the next frame. Adapters
        # report their own precise DecodeErrors; this is the net under every adapter,
        # third-party ones included.
        self._events.push(StreamError.from_exception(self.venue, exc, self.name, frame))

    async def _until_dropped(self) -> None:
        await self._dropped.wait()
        raise ConnectionLost(self._drop_reason or "dropped")

    async def _keepalive(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            message = self._handler.ping_message()
            if message is not None:
                # Paced like any message (venues count pings), but not recorded: a ping
                # is no request, and a replay pings on its own schedule, if at all.
                await self._send(message, record=False)

    async def _watchdog(self) -> None:
        idle_timeout = self.idle_timeout
        idle_ns = int(idle_timeout * _NS)
        period = min(1.0, idle_timeout / 4)
        while True:
            await asyncio.sleep(period)
            if self._held:
                continue  # the consumer is slow, not the venue
            now = time_ns()
            released = self._released
            if now - max(self.last_frame, released) > idle_ns:
                raise HeartbeatTimeout(f"no frame for {idle_timeout:g}s (heartbeat timeout)")
            newly_stale = self._liveness.newly_stale(now, released)
            if newly_stale:
                await self._handler.on_stale(newly_stale)

    def _status(self, state: StreamState, reason: str, attempt: int = 0) -> None:
        text = f"{self.name}: {reason}" if reason else self.name
        self._events.push(
            StreamStatus(venue=self.venue, state=state, reason=text, attempt=attempt, ts=time_ns())
        )
