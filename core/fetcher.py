"""One-shot calls: what a strategy asks the venue for, instead of waiting for a push.

Balances, open orders, one order's state, recent public trades, candle history, a book
snapshot, the venue's clock and our fill history — typed and normalized like the events
(the same :class:`~tickwire.core.types.Balance`, :class:`~tickwire.core.types.OrderUpdate`,
:class:`~tickwire.core.types.Trade`, :class:`~tickwire.core.types.Candle`,
:class:`~tickwire.core.book.OrderBook`). An adapter builds a :class:`Fetcher` subclass
over its REST client (rate-limited by the venue's REST quotas through core's limiter,
errors mapped through the venue's :class:`~tickwire.core.rest.ErrorTable`) and assigns it
to ``client._fetcher``; :class:`~tickwire.core.client.BaseClient` hands each
``fetch_*`` call to it. Calls a venue lacks raise
:class:`~tickwire.core.errors.NotSupported`; private ones need credentials.

What every venue's fetcher needs is here once: each ``fetch_*`` a subclass defines runs
within its ``timeout`` (one :class:`~tickwire.core.deadline.Deadline` for all its pages
and quota waits, :class:`~tickwire.core.errors.RequestTimeout` when it runs out);
:meth:`Fetcher.names` loads the venue's :class:`Names` once; :func:`page_candles` (a
venue paging by cursor) and :func:`window_candles` (a venue taking start and end) page
candle history within the venue's limit; :meth:`Fetcher.fetch_time` times the venue's
:meth:`Fetcher.server_time`; :func:`book_snapshot` makes a one-shot book.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from time import time_ns
from typing import Any

import msgspec

from tickwire.core.book import OrderBook
from tickwire.core.deadline import Deadline
from tickwire.core.errors import NotSupported
from tickwire.core.positions import Fill
from tickwire.core.rest_client import RestClient
from tickwire.core.types import Balance, Candle, OrderUpdate, Trade

__all__ = [
    "Fetcher",
    "Names",
    "ServerTime",
    "book_snapshot",
    "check_interval",
    "page_candles",
    "window_candles",
]

NS = 1_000_000_000


class ServerTime(msgspec.Struct, frozen=True, kw_only=True):
    """The venue's clock, and how far ours is from it.

    ``offset`` is ``server - local`` in ns, where ``local`` is our clock at the middle of
    the request's round trip; a venue that refuses requests signed too far from its clock
    (KuCoin: 5 s) is signed with ``local time + offset``.
    """

    venue: str
    server: int
    local: int
    round_trip: int

    @property
    def offset(self) -> int:
        """``server - local`` (ns): add it to the local clock to get the venue's."""
        return self.server - self.local

    @classmethod
    async def measure(cls, venue: str, ask: Awaitable[int]) -> ServerTime:
        """Await ``ask`` (the venue's clock, ns) and time it: ``local`` is the middle of
        the round trip, where the venue most likely read its clock."""
        before = time_ns()
        server = await ask
        after = time_ns()
        return cls(
            venue=venue, server=server, local=(before + after) // 2, round_trip=after - before
        )


class Names:
    """A venue's names → tickwire's, and back: assets (``XXBT`` → ``BTC``) and symbols
    (any alias, ``XXBTZUSD`` or ``XBT/USD`` → ``BTC/USD``; ``BTC/USD`` → the name a
    request sends). A name the tables lack is passed through as it is, for the venue to
    refuse."""

    def __init__(
        self,
        assets: Mapping[str, str],
        symbols: Mapping[str, str],
        natives: Mapping[str, str],
    ) -> None:
        self.assets, self.symbols, self.natives = dict(assets), dict(symbols), dict(natives)

    def asset(self, code: str) -> str:
        """The asset's unified name."""
        return self.assets.get(code, code)

    def symbol(self, native: str) -> str:
        """The unified symbol of a venue pair name (any alias)."""
        return self.symbols.get(native, native)

    def native(self, symbol: str) -> str:
        """The venue's name of a unified symbol, as requests send it."""
        return self.natives.get(symbol, symbol)


def check_interval(venue: str, interval: int, offered: Iterable[int]) -> None:
    """:class:`ValueError` unless the venue offers candles of ``interval`` seconds, before
    anything is sent."""
    offered = sorted(offered)
    if interval not in offered:
        listed = ", ".join(map(str, offered))
        raise ValueError(f"{venue}: no {interval} s candles (offered: {listed} seconds)")


def book_snapshot(
    venue: str,
    symbol: str,
    depth: int | None,
    bids: Iterable[tuple[Decimal, Decimal]],
    asks: Iterable[tuple[Decimal, Decimal]],
    *,
    ts: int,
    sequence: int | None = None,
) -> OrderBook:
    """A one-shot :class:`OrderBook` of ``symbol`` (its top ``depth`` levels, not kept
    live): ``bids`` and ``asks`` as ``(price, size)`` rows, stamped ``ts`` and
    ``sequence``."""
    book = OrderBook(venue, symbol, depth=depth)
    book.apply_snapshot(bids, asks, sequence=sequence, ts=ts)
    return book


Page = Callable[[int | None], Awaitable[tuple[list[Candle], int | None]]]
"""Asks one page of candles from a cursor (``None``: the venue's default); answers the
page and the next page's cursor (``None``: that was the last)."""


async def page_candles(
    ask: Page, cursor: int | None, interval: int, start: int | None, end: int | None
) -> list[Candle]:
    """Every candle of ``interval`` seconds touching ``[start, end]`` (ns), oldest first,
    page by page from ``cursor``: one per start (a later copy wins, the running bar's),
    until a page says it is the last, goes past ``end`` or its cursor stops moving
    forward (a venue repeating itself must not loop us)."""
    found: dict[int, Candle] = {}
    while True:
        page, following = await ask(cursor)
        for candle in page:
            if (start is None or candle.start + interval * NS > start) and (
                end is None or candle.start <= end
            ):
                found[candle.start] = candle
        past_end = end is not None and any(candle.start > end for candle in page)
        if following is None or past_end or (cursor is not None and following <= cursor):
            return [found[key] for key in sorted(found)]
        cursor = following


Window = Callable[[int | None, int | None], Awaitable[list[Candle]]]
"""Asks the candles beginning in ``[since, until)`` (whole seconds; ``None``: unbounded)."""


async def window_candles(
    ask: Window, interval: int, start: int | None, end: int | None, *, max_bars: int, now: int
) -> list[Candle]:
    """:func:`page_candles` for a venue that takes a start and an end and answers at most
    ``max_bars`` bars: ``[start, end]`` (ns; ``end`` defaults to ``now``, the venue's
    clock) is asked in windows of ``max_bars`` bars, oldest first, so nothing is missed
    where a venue omits bars without trades. Without ``start``: one window, the venue's
    latest bars before ``end``."""
    end_s = None if end is None else -(-end // NS)  # rounded up: a bar at ``end`` counts
    last = end_s if end_s is not None else -(-now // NS) + interval
    step = max_bars * interval

    async def page(since: int | None) -> tuple[list[Candle], int | None]:
        until = end_s if since is None else min(since + step, last)
        following = None if since is None or since + step >= last else since + step
        return await ask(since, until), following

    first = None if start is None else -(-start // NS)
    if first is not None and first >= last:
        return []  # no bar can begin in the range
    return await page_candles(page, first, interval, start, end)


class Fetcher:
    """A venue's one-shot calls (see the module); each raises NotSupported by default.

    ``rest``, when given, is closed by :meth:`aclose`; a subclass's ``__init__`` calls
    ``super().__init__``.
    """

    venue = ""
    """The venue's name, for the errors of calls it does not support."""

    def __init__(self, rest: RestClient | None = None) -> None:
        self.rest = rest
        self._names: Names | None = None
        self._names_lock = asyncio.Lock()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if name.startswith("fetch_") and inspect.iscoroutinefunction(method):
                setattr(cls, name, _within_timeout(method))

    def __repr__(self) -> str:  # never credentials: the REST client's repr is its URL
        return f"{type(self).__name__}({self.rest!r})"

    async def aclose(self) -> None:
        """Release what the calls hold (an HTTP client); the client calls it on close."""
        if self.rest is not None:
            await self.rest.aclose()

    async def load_names(self) -> Names:
        """The venue's name tables (a venue whose names need a lookup overrides it)."""
        return Names({}, {}, {})

    async def names(self) -> Names:
        """The name tables, loaded (:meth:`load_names`) once, on first use."""
        async with self._names_lock:
            if self._names is None:
                self._names = await self.load_names()
            return self._names

    def _unsupported(self, call: str) -> NotSupported:
        return NotSupported(f"{self.venue or 'this venue'}: {call} is not supported")

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """Every asset's balance, by asset (private)."""
        raise self._unsupported("fetch_balances")

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """The account's open orders (of ``symbol``), oldest first (private)."""
        raise self._unsupported("fetch_open_orders")

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order's state, open or closed, by venue id or client id (private).

        :class:`~tickwire.core.errors.UnknownOrder` when the venue has no such order.
        """
        raise self._unsupported("fetch_order")

    async def fetch_fills(
        self, symbol: str | None, since: int | None, *, timeout: float
    ) -> list[Fill]:
        """The account's executions (of ``symbol``, from ``since`` ns), oldest first."""
        raise self._unsupported("fetch_fills")

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        """The latest public trades of ``symbol`` (at most ``limit``), oldest first."""
        raise self._unsupported("fetch_trades")

    async def fetch_candles(
        self, symbol: str, interval: int, start: int | None, end: int | None, *, timeout: float
    ) -> list[Candle]:
        """Candles of ``interval`` seconds from ``start`` to ``end`` (ns), oldest first,
        paged within the venue's limits."""
        raise self._unsupported("fetch_candles")

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """A snapshot of ``symbol``'s book (its top ``depth`` levels), not kept live."""
        raise self._unsupported("fetch_book")

    async def fetch_time(self, *, timeout: float) -> ServerTime:
        """The venue's clock and our offset from it: :meth:`server_time`, timed."""
        return await ServerTime.measure(self.venue, self.server_time())

    async def server_time(self) -> int:
        """The venue's clock (ns), as one query reads it (for :meth:`fetch_time`)."""
        raise self._unsupported("fetch_time")


def _within_timeout(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``method`` run within its ``timeout`` keyword: one budget for every page and wait."""

    @functools.wraps(method)
    async def run(self: Fetcher, *args: Any, timeout: float, **kwargs: Any) -> Any:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        deadline = Deadline(timeout, f"{self.venue} {method.__name__}")
        return await deadline.run(method(self, *args, timeout=timeout, **kwargs))

    return run
