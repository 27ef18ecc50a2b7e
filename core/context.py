"""The narrow seam between core and an adapter's parts.

An adapter's client is a :class:`~tickwire.core.client.BaseClient`; its parts (books,
sockets, the private side, order calls) get an :class:`AdapterContext` instead of the
client, and do everything through it::

    context.emit(update)                                # deliver an event
    context.error(exc, "book BTC/USD", frame)           # report a StreamError, go on
    context.status(StreamState.STALE, "no trades", channel=Channel.TRADES)
    context.spawn(self._renew(), "kraken-renew")        # a task the client owns
    session = context.session(self, name="public")      # a socket with the config's policies
    await context.wait_ready(session, deadline)         # one wait, one error
    deadline = context.deadline("kraken add_order")     # one time budget per call

No part needs the client object, so none touches its private state (a test checks it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from time import time_ns
from typing import Any

import aiohttp
import httpx

from tickwire.core.book import OrderBook
from tickwire.core.config import ClientConfig
from tickwire.core.deadline import Deadline
from tickwire.core.errors import ConnectTimeout, RequestTimeout
from tickwire.core.fanout import EventHub
from tickwire.core.handlers import SessionHandler
from tickwire.core.session import Session
from tickwire.core.types import Channel, StreamError, StreamState, StreamStatus

__all__ = ["AdapterContext"]


class AdapterContext:
    """What core offers an adapter's parts: delivery, tasks, sessions, time budgets.

    Built by :class:`~tickwire.core.client.BaseClient` (``client.context``); a hot path
    may call ``context.hub.push`` itself (never a reference to it kept: it is rebound).
    """

    def __init__(
        self,
        venue: str,
        config: ClientConfig,
        hub: EventHub,
        books: dict[str, OrderBook],
        spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]],
        http: Callable[[], aiohttp.ClientSession],
        rest_transport: Callable[[], httpx.AsyncBaseTransport],
    ) -> None:
        self.venue = venue
        self.config = config
        self.hub = hub
        self.books = books
        """The client's L2 books by symbol (what ``client.book()`` reads); kept by a
        :class:`~tickwire.core.bookkeeper.BookKeeper`."""
        self.spawn = spawn
        """Run a coroutine as a task the client owns (ended when it closes)."""
        self._http = http
        self._rest_transport = rest_transport

    def __repr__(self) -> str:
        return f"AdapterContext({self.venue!r})"

    def emit(self, event: Any) -> None:
        """Deliver one event to every consumer of the client.

        Reads ``hub.push`` at each call: the hub rebinds it whenever its consumers change
        (and metrics wrap it), so a reference taken once would miss every consumer but
        the first.
        """
        self.hub.push(event)

    # --- reporting -------------------------------------------------------------------

    def error(self, exc: BaseException, context: str, frame: bytes | str = b"") -> None:
        """Deliver ``exc`` as a :class:`StreamError` (what failed, where, frame excerpt)."""
        self.emit(StreamError.from_exception(self.venue, exc, context, frame))

    def status(
        self,
        state: StreamState,
        reason: str = "",
        *,
        channel: Channel | None = None,
        symbol: str | None = None,
    ) -> None:
        """Deliver a :class:`StreamStatus` of this venue, stamped now."""
        self.emit(
            StreamStatus(
                venue=self.venue,
                state=state,
                reason=reason,
                channel=channel,
                symbol=symbol,
                ts=time_ns(),
            )
        )

    # --- connections -----------------------------------------------------------------

    def session(self, handler: SessionHandler, *, name: str, **options: Any) -> Session:
        """A :class:`Session` for ``handler`` with the config's reconnect, heartbeat,
        timeout and frame-size policies; ``options`` add or override (``ping_interval``,
        ``limiter``, ``limit_keys``, ``backpressure=False`` for sockets with order
        replies)."""
        config = self.config
        settings: dict[str, Any] = {
            "reconnect": config.reconnect,
            "heartbeat": config.heartbeat,
            "connect_timeout": config.connect_timeout,
            "max_frame_size": config.max_frame_size,
        }
        settings.update(options)
        return Session(
            handler, name=name, venue=self.venue, events=self.hub, http=self._http(), **settings
        )

    async def start(self, session: Session) -> None:
        """Run ``session`` as a task the client owns; return once it is connected.

        A first attempt that fails for good (refused, unresolved, TLS, an HTTP error or
        a refusal on the token call) raises at once, naming the URL and the cause;
        :class:`ConnectTimeout` (naming why the last attempt failed) when the venue stays
        silent past the config's ``connect_timeout``.
        """
        self.spawn(session.run(), f"{self.venue}-{session.name}")
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                await session.wait_connected()
        except TimeoutError:
            raise ConnectTimeout(
                f"{self.venue} {session.name}: not connected within "
                f"{self.config.connect_timeout:g}s ({session.last_reason})"
            ) from None

    def rest_transport(self) -> httpx.AsyncBaseTransport:
        """The transport for the adapter's ``httpx.AsyncClient`` (recorded, replayed)."""
        return self._rest_transport()

    # --- time ------------------------------------------------------------------------

    def deadline(self, what: str, timeout: float | None = None) -> Deadline:
        """A call's time budget: ``timeout`` seconds, or the config's request timeout."""
        return Deadline(self.config.request_timeout if timeout is None else timeout, what)

    async def wait_ready(self, session: Session, deadline: Deadline | None = None) -> None:
        """Return once ``session`` is connected; :class:`RequestTimeout` (naming why the
        last socket ended) if it is not within ``deadline`` (default: request timeout).

        A subscribe or order issued during a reconnect then goes out on the new socket
        instead of failing on the old one.
        """
        if session.ready:
            return
        if deadline is None:
            deadline = self.deadline(f"{self.venue} {session.name}")
        try:
            async with asyncio.timeout_at(deadline.at):
                await session.wait_ready()
        except TimeoutError:
            raise RequestTimeout(
                f"{self.venue} {session.name}: not connected within {deadline.seconds:g}s "
                f"({session.last_reason})"
            ) from None
