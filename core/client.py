"""What every adapter's client shares: lifecycle, task ownership, delivery, bookkeeping.

An adapter subclasses :class:`BaseClient`, implements :meth:`BaseClient._start` (open its
sessions) and the subscription methods, and inherits the rest of the
:class:`~tickwire.core.protocol.StreamClient` contract: ``async with``, :meth:`events`,
:meth:`on_event`, :meth:`book`, :meth:`ticker`, :meth:`snapshot`, ``subscriptions``, and
order methods that hand each call to the adapter's private side and raise
:class:`~tickwire.core.errors.NotSupported` for an adapter without one
(:mod:`~tickwire.core.order_methods`; the one-shot ``fetch_*`` calls likewise,
:mod:`~tickwire.core.fetching`). An adapter stores each ticker and trade it delivers
in ``_tickers`` / ``_trades`` (by symbol) for :meth:`ticker` and :meth:`snapshot`.

Concurrency is structured: the client owns one TaskGroup, entered by :meth:`connect` and
left by :meth:`close` (call both from the same task, or use ``async with``). A task that
fails unexpectedly fails the client, loudly, instead of dying unseen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from time import time_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import aiohttp
import httpx

from tickwire.core.book import OrderBook
from tickwire.core.config import ClientConfig
from tickwire.core.consumers import inline_callback
from tickwire.core.context import AdapterContext
from tickwire.core.errors import NotSupported, SubscriptionError
from tickwire.core.fanout import Consumer, EventFilter, EventHub
from tickwire.core.fetcher import Fetcher
from tickwire.core.fetching import FetchMethods
from tickwire.core.http import TappedTransport, TransportFactory
from tickwire.core.order_methods import OrderMethods
from tickwire.core.protocol import EventCallback
from tickwire.core.session import Session
from tickwire.core.snapshot import MarketSnapshot, take_snapshot
from tickwire.core.streams import OverflowPolicy
from tickwire.core.subscriptions import check_symbols
from tickwire.core.trader import Trader
from tickwire.core.types import (
    Channel,
    Instrument,
    StreamState,
    StreamStatus,
    Subscription,
    Ticker,
    Trade,
)

if TYPE_CHECKING:
    from tickwire.core.account import AccountSocket
    from tickwire.core.dead_man import DeadManOption
    from tickwire.core.metrics import ClientStats

__all__ = ["BaseClient"]


class BaseClient(FetchMethods, OrderMethods):
    """Shared machinery of a :class:`~tickwire.core.protocol.StreamClient` implementation."""

    venue: ClassVar[str] = ""
    supports_orders: ClassVar[bool] = False
    """True for an adapter with a private side: without credentials its order methods
    raise ConfigError rather than NotSupported."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._events = EventHub(
            maxsize=config.queue.maxsize, policy=config.queue.overflow, venue=self.venue
        )
        self._subscriptions: set[Subscription] = set()
        self._books: dict[str, OrderBook] = {}
        # The latest ticker and trade per symbol: an adapter stores each as it pushes it
        # (one dict store), for ticker() and snapshot().
        self._tickers: dict[str, Ticker] = {}
        self._trades: dict[str, Trade] = {}
        self._tasks: asyncio.TaskGroup | None = None
        self._owned: set[asyncio.Task[Any]] = set()
        self._inline: set[Callable[[], None]] = set()  # stops of inline callbacks
        self._http: aiohttp.ClientSession | None = None
        self._closed = False
        self._shut = asyncio.Event()  # set once closing has finished
        self.http_factory: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession
        """Opens the client's HTTP session for its sockets on connect (a replay swaps it)."""
        self.rest_transport_factory: TransportFactory = TappedTransport
        """Builds the transport under the adapter's REST calls (a replay swaps it)."""
        self._trader: Trader | None = None  # the private side, set by the adapter
        self.account_socket: AccountSocket | None = None
        """The account channels' own socket, when the venue has one (:meth:`_start_account`)."""
        self._fetcher: Fetcher | None = None  # the one-shot calls, set by the adapter
        self.context = AdapterContext(
            self.venue,
            config,
            self._events,
            self._books,
            self._spawn,
            lambda: self.http,
            self.rest_transport,
        )
        """What the adapter's parts get instead of the client (:mod:`.context`)."""

    # --- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the venue's sockets; returns once they are up and handshaken."""
        if self._tasks is not None:
            return
        self._http = self.http_factory()
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        try:
            await self._start()
        except BaseException:
            # Raise the connect failure itself (AuthError, ConnectTimeout...), not the
            # ExceptionGroup the TaskGroup would wrap it in when handed the exception.
            try:
                await self._shutdown(None, None, None)
            except Exception:  # tasks failing as they were ended: secondary to the cause
                pass
            raise

    async def close(self) -> None:
        """Close every socket and end every task the client owns. Idempotent.

        A client that never connected may still have made one-shot calls: their HTTP
        client is closed too.
        """
        if self._tasks is None and self._fetcher is not None:
            await self._fetcher.aclose()
        await self._shutdown(None, None, None)

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._shutdown(exc_type, exc, tb)

    async def _shutdown(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tasks is None:
            return
        if self._closed:
            # Closing already, from another task: return once that is done, so that the
            # caller's loop does not end (cancelling it) halfway through the closing.
            await self._shut.wait()
            return
        self._closed = True
        # Consumers end first: CLOSED is the last event they see, and a reader held by a
        # full ``block`` consumer is let go, so its socket can finish its closing handshake.
        self._events.push(StreamStatus(venue=self.venue, state=StreamState.CLOSED, ts=time_ns()))
        self._events.close()
        for stop in list(self._inline):  # CLOSED was the last event they had
            stop()
        try:
            await self._stop()
            if self._fetcher is not None:  # the adapter's one-shot calls: their HTTP client
                await self._fetcher.aclose()
        finally:
            for task in list(self._owned):
                if not task.done() and task.get_name() != "tickwire-callback":
                    task.cancel()
            # Only a cancellation is handed to the TaskGroup (it needs it to turn a
            # failed child task into that task's error). Any other exception from
            # the `async with` body propagates as itself, not wrapped in a group.
            if not isinstance(exc, asyncio.CancelledError):
                exc_type, exc, tb = None, None, None
            try:
                await self._tasks.__aexit__(exc_type, exc, tb)
            finally:
                if self._http is not None:
                    await self._http.close()
                self._shut.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coroutine`` as a task the client owns and ends on close."""
        if self._tasks is None:
            raise RuntimeError("the client is not connected")
        if self._closed:
            # Closing sockets still call back (a shard lost → a book resync), but the
            # TaskGroup refuses new tasks once it is cancelled: nothing new starts, and
            # the caller gets a task that is cancelled before it ever runs.
            task = asyncio.get_running_loop().create_task(coroutine, name=name)
            task.cancel()
            return task
        task = self._tasks.create_task(coroutine, name=name)
        # Forget it once done: a client that runs for weeks spawns a task per reconnect,
        # resync and renewal, and must not keep every one it ever ran.
        self._owned.add(task)
        task.add_done_callback(self._owned.discard)
        return task

    @property
    def hub(self) -> EventHub:
        """Where every event of the client goes: its consumers, and the wire tap."""
        return self._events

    def record(self, directory: str | Path, **options: Any) -> AbstractAsyncContextManager[Any]:
        """Record every raw frame and boundary of this client into ``directory``.

            async with client.record("rec/") as writer:
                ...

        ``options`` go to :class:`~tickwire.core.recording.RecordingWriter`. Needs the
        ``record`` extra (zstandard); see :mod:`tickwire.core.recording.recorder`.
        """
        from tickwire.core.recording.recorder import recording  # optional dependency

        return recording(self, directory, **options)

    def stats(self) -> ClientStats:
        """This client's counters: events by channel and type, drops, errors, reconnects,
        resyncs, queue depths, latencies (:mod:`tickwire.core.metrics`). Counting starts
        at the first call (or at ``instrument(client)``), so a client nobody asks pays
        nothing."""
        from tickwire.core.metrics import stats  # counting code loads only when asked

        return stats(self)

    def rest_transport(self) -> httpx.AsyncBaseTransport:
        """The transport an adapter builds its ``httpx.AsyncClient`` on (:mod:`.http`)."""
        return self.rest_transport_factory(self._events)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The client's HTTP session (for WebSockets; REST goes through httpx)."""
        if self._http is None:
            raise RuntimeError("the client is not connected")
        return self._http

    # --- adapter hooks ---------------------------------------------------------------

    async def _start(self) -> None:
        """Open sessions (via :meth:`_spawn`) and wait until they are ready."""
        raise NotImplementedError

    async def _stop(self) -> None:
        """Close sessions gracefully; tasks still running afterwards are cancelled."""

    async def _start_account(
        self, socket: AccountSocket, trader: Trader, dead_man: DeadManOption | None, **options: Any
    ) -> None:
        """Connect the account socket (``AuthError``: the keys are refused), order through
        ``trader``, and keep its dead man's switch armed while the socket is healthy
        (``options`` go to ``trader.keep_armed``)."""
        self.account_socket = socket
        await socket.start()
        self._trader = trader
        socket.arm_while_healthy(trader, dead_man, **options)

    async def until_ready(self, session: Session) -> None:
        """Wait (up to the request timeout) while ``session`` is reconnecting
        (:meth:`AdapterContext.wait_ready`)."""
        await self.context.wait_ready(session)

    # --- subscriptions: every adapter implements these ---------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe ``channel`` for ``symbols`` (see :class:`StreamClient`)."""
        raise NotImplementedError

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Undo :meth:`subscribe` for these symbols."""
        raise NotImplementedError

    # --- delivery --------------------------------------------------------------------

    def events(
        self,
        *,
        channels: Iterable[Channel | str] | None = None,
        symbols: Iterable[str] | None = None,
        types: Iterable[type] | None = None,
        maxsize: int | None = None,
        policy: OverflowPolicy | str | None = None,
    ) -> Consumer:
        """A new consumer of the client's events (see :class:`StreamClient`)."""
        event_filter = EventFilter(channels=channels, symbols=symbols, types=types)
        return self._events.attach(event_filter, maxsize=maxsize, policy=policy)

    def on_event(
        self,
        callback: EventCallback,
        *,
        channels: Iterable[Channel | str] | None = None,
        symbols: Iterable[str] | None = None,
        types: Iterable[type] | None = None,
        maxsize: int | None = None,
        policy: OverflowPolicy | str | None = None,
        inline: bool = False,
    ) -> Callable[[], None]:
        """Deliver events to ``callback`` (see :class:`StreamClient`); returns its stop."""
        event_filter = EventFilter(channels=channels, symbols=symbols, types=types)
        if inline:
            return self._on_event_inline(callback, event_filter, maxsize, policy)
        consumer = self._events.attach(event_filter, maxsize=maxsize, policy=policy)
        self._spawn(consumer.run_callback(callback), name="tickwire-callback")
        stream = consumer.stream  # not the consumer: its task alone must hold that
        return lambda: self._events.detach(stream)

    def _on_event_inline(
        self,
        callback: EventCallback,
        event_filter: EventFilter,
        maxsize: int | None,
        policy: OverflowPolicy | str | None,
    ) -> Callable[[], None]:
        if maxsize is not None or policy is not None:
            raise TypeError(
                "on_event(inline=True) has no queue, so no maxsize or overflow policy: "
                "the callback runs on the reader's path, and a slow one slows the reader"
            )
        deliver = inline_callback(callback, self.context.error)
        if self._closed:
            return _nothing  # it would live as long as the client: not at all
        unlisten = self._events.listen(event_filter, deliver, claim=True)

        def stop() -> None:
            unlisten()
            self._inline.discard(stop)

        self._inline.add(stop)
        return stop

    # --- state -----------------------------------------------------------------------

    @property
    def subscriptions(self) -> frozenset[Subscription]:
        """Every subscription the client holds (restored after each reconnect)."""
        return frozenset(self._subscriptions)

    def book(self, symbol: str) -> OrderBook:
        """The live L2 book of a symbol subscribed on the ``book`` channel."""
        try:
            return self._books[symbol]
        except KeyError:
            message = f"no book subscription for {symbol}"
            raise SubscriptionError(self.venue, "book", message) from None

    def ticker(self, symbol: str) -> Ticker | None:
        """The last :class:`Ticker` delivered for ``symbol``, or None."""
        return self._tickers.get(symbol)

    def snapshot(self) -> MarketSnapshot:
        """The latest market state of every symbol, as one immutable value (polling)."""
        return take_snapshot(self.venue, time_ns(), self._tickers, self._trades, self._books)

    async def instruments(self) -> Mapping[str, Instrument]:
        """Trading rules by unified symbol."""
        raise NotSupported(f"{self.venue}: instruments are not available")

    @property
    def native(self) -> Any:
        """The venue-specific escape hatch; ``None`` for an adapter that offers none."""
        return None

    def _checked(
        self, channel: Channel | str, symbols: Iterable[str], *, subscribing: bool = True
    ) -> tuple[Channel, tuple[str, ...]]:
        """The arguments of :meth:`subscribe`/:meth:`unsubscribe`, validated once for all.

        Every adapter's ``subscribe`` starts here, so every venue refuses the same
        mistakes with the same ``ValueError``: an unknown channel, a string for a list
        of symbols, no symbols for a market channel (see
        :func:`~tickwire.core.subscriptions.check_symbols`).
        """
        chosen = self._channel(channel)
        return chosen, check_symbols(chosen, symbols, allow_empty=not subscribing)

    @staticmethod
    def _channel(channel: Channel | str) -> Channel:
        try:
            return Channel(channel)
        except ValueError:
            known = ", ".join(c.value for c in Channel)
            raise ValueError(f"unknown channel {channel!r}; channels are: {known}") from None


def _nothing() -> None:
    """The stop of a callback that never started."""
