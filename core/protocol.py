"""The contract every venue adapter implements: :class:`StreamClient`.

A strategy written against this protocol runs unchanged on any venue::

    async with tickwire.core.connect("kraken") as client:
        await client.subscribe("ticker", ["BTC/USD", "ETH/USD"])
        await client.subscribe("book", ["BTC/USD"], depth=10)
        async for event in client.events():
            match event:
                case Ticker(symbol=symbol, bid=bid, ask=ask):
                    print(symbol, bid, ask)
                case StreamStatus(state=state, reason=reason):
                    print("stream", state, reason)

What an adapter must and may provide:

=========================  ========  =================================================
member                     required  notes
=========================  ========  =================================================
``venue``                  yes       the registered name, e.g. ``"kraken"``
``connect``/``close``      yes       also ``async with``
``subscribe``              yes       channels it supports; others → ``NotSupported``
``unsubscribe``            yes
``subscriptions``          yes       what is live (restored after every reconnect)
``events``/``on_event``    yes       consumers of every socket's events (fan-out)
``book``                   yes       the live, integrity-checked :class:`OrderBook`
``ticker``/``snapshot``    yes       the latest ticker / market state (polling)
``instruments``            yes       trading rules by unified symbol
order methods              no        raise ``NotSupported`` without private support
``fetch_*`` one-shot calls no        balances, orders, fills, trades, candles, book, time
``native``                 yes       the venue-specific escape hatch
=========================  ========  =================================================
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from tickwire.core.book import OrderBook
from tickwire.core.fetcher import ServerTime
from tickwire.core.positions import Fill
from tickwire.core.snapshot import MarketSnapshot
from tickwire.core.streams import OverflowPolicy
from tickwire.core.types import (
    Balance,
    Candle,
    Channel,
    Event,
    Instrument,
    OrderAck,
    OrderRequest,
    OrderUpdate,
    Subscription,
    Ticker,
    Trade,
)

__all__ = ["EventCallback", "StreamClient"]

EventCallback = Callable[[Event], Awaitable[None] | None]
"""A sync or async function that receives every event."""


@runtime_checkable
class StreamClient(Protocol):
    """One venue's market data, account events and order methods, normalized."""

    @property
    def venue(self) -> str:
        """The adapter's registered name."""
        ...

    async def connect(self) -> None:
        """Open the public socket (and, with credentials, the private one)."""
        ...

    async def close(self) -> None:
        """Close every socket and end every task the client owns. Idempotent."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe ``channel`` for unified ``symbols``; returns once the venue acked.

        Options are channel extras: ``depth`` for ``book``, ``interval`` (seconds) for
        ``candles``. Raises :class:`~tickwire.core.errors.SubscriptionError` when the
        venue refuses, and ``ValueError`` for an unknown channel or option, a string
        instead of a list of symbols, or no symbols for a market channel (the account
        channels ``orders`` and ``balances`` take none).

            await client.subscribe("book", ["BTC/USD"], depth=25)
        """
        ...

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Undo :meth:`subscribe` for these symbols."""
        ...

    @property
    def subscriptions(self) -> frozenset[Subscription]:
        """Every subscription the client holds (and restores after a reconnect)."""
        ...

    def events(
        self,
        *,
        channels: Iterable[Channel | str] | None = None,
        symbols: Iterable[str] | None = None,
        types: Iterable[type] | None = None,
        maxsize: int | None = None,
        policy: OverflowPolicy | str | None = None,
    ) -> AsyncIterator[Event]:
        """A new consumer of the client's normalized events, from every socket.

        Each call is a consumer of its own, with its own bounded queue (``maxsize`` and
        overflow ``policy`` default to the config's ``[queue]``) and filter (``channels``,
        ``symbols``, event ``types``): a strategy, a risk monitor and a recorder can read
        the same client side by side, and a slow one under ``drop_market_data`` never
        delays the others. The first consumer also gets what arrived since connect. Close
        it (``aclose()``) or drop it to release it. Rules: :mod:`tickwire.core.fanout`.

            async for event in client.events():
                ...
            async for order in client.events(channels=["orders"]):
                ...
        """
        ...

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
        """Deliver events to ``callback``; returns the function that stops it.

        By default ``callback`` (sync or async) is a consumer of its own, in a task of
        its own: the same filter and queue arguments as :meth:`events`; it runs until
        the client closes or the stop is called (what it has queued is still
        delivered); an exception it raises fails the client.

        ``inline=True``, for latency: a plain (synchronous) ``callback`` is called in the
        reader's task as each event is pushed, in order, before any consumer's task sees
        it: no hand-over to another task. There is no queue, so ``maxsize`` and
        ``policy`` are refused (``TypeError``): a slow callback slows the reader itself
        (and every consumer behind it). A coroutine function is refused (``TypeError``:
        nothing on that path awaits). An ``Exception`` it raises becomes a
        :class:`~tickwire.core.types.StreamError` event and delivery goes on (nothing
        ends a stream); a ``BaseException`` propagates. Registered first, it claims what
        the client buffered since connect, as a first consumer would; it may be
        registered before :meth:`connect`. It stops when the client closes, after the
        ``closed`` status, or when the stop is called.
        """
        ...

    def book(self, symbol: str) -> OrderBook:
        """The live L2 book for a subscribed symbol, best levels first."""
        ...

    def ticker(self, symbol: str) -> Ticker | None:
        """The last :class:`Ticker` delivered for ``symbol``, or None."""
        ...

    def snapshot(self) -> MarketSnapshot:
        """Every symbol's last ticker, best bid and ask, and last trade, as one value."""
        ...

    async def instruments(self) -> Mapping[str, Instrument]:
        """Trading rules by unified symbol."""
        ...

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        """Place one order; resolves to an ack or raises a typed error, never hangs."""
        ...

    async def amend_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        price: Any = None,
        size: Any = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Change an open order's price and/or size."""
        ...

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Cancel one open order, by venue id or client id."""
        ...

    async def cancel_all(self, symbol: str | None = None, *, timeout: float = 10.0) -> int:
        """Cancel every open order (of one symbol, where given); returns how many."""
        ...

    async def cancel_all_after(self, seconds: float, *, timeout: float = 10.0) -> None:
        """Arm the venue's dead man's switch; ``0`` disarms it."""
        ...

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float = 10.0
    ) -> list[OrderAck]:
        """Place a batch of orders in one request where the venue allows it."""
        ...

    async def cancel_orders(
        self, symbol: str, order_ids: Sequence[str], *, timeout: float = 10.0
    ) -> int:
        """Cancel a batch of orders; returns how many were canceled."""
        ...

    # One-shot calls (tickwire.core.fetcher): NotSupported where the venue lacks one;
    # the private ones need credentials. ``timeout`` defaults to the request timeout.

    async def fetch_balances(self, *, timeout: float | None = None) -> dict[str, Balance]:
        """Every asset's balance, by asset."""
        ...

    async def fetch_open_orders(
        self, symbol: str | None = None, *, timeout: float | None = None
    ) -> list[OrderUpdate]:
        """The account's open orders (of ``symbol``), oldest first."""
        ...

    async def fetch_order(
        self,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        symbol: str | None = None,
        timeout: float | None = None,
    ) -> OrderUpdate:
        """One order's state, open or closed, by venue id or client id."""
        ...

    async def fetch_fills(
        self, symbol: str | None = None, *, since: int | None = None, timeout: float | None = None
    ) -> list[Fill]:
        """The account's executions, oldest first."""
        ...

    async def fetch_trades(
        self, symbol: str, limit: int = 100, *, timeout: float | None = None
    ) -> list[Trade]:
        """The latest public trades of ``symbol``, oldest first."""
        ...

    async def fetch_candles(
        self,
        symbol: str,
        interval: int,
        start: int | None = None,
        end: int | None = None,
        *,
        timeout: float | None = None,
    ) -> list[Candle]:
        """Candle history, oldest first, paged within the venue's limits."""
        ...

    async def fetch_book(
        self, symbol: str, depth: int | None = None, *, timeout: float | None = None
    ) -> OrderBook:
        """A snapshot of ``symbol``'s book."""
        ...

    async def fetch_time(self, *, timeout: float | None = None) -> ServerTime:
        """The venue's clock and our offset from it."""
        ...

    @property
    def native(self) -> Any:
        """The venue-specific escape hatch: raw messages and raw topics."""
        ...
