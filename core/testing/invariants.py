"""The contract every event must keep, as pure functions, and a naive book to replay into.

:func:`event_problems` lists what is wrong with one event (an empty list: nothing)::

    problems = event_problems(ticker, venue="kraken", symbols={"BTC/USD"})

:class:`BookModel` is the simplest possible L2 book: it applies the ``BookUpdate`` events
a client delivered, so the kit can compare it with the client's live
:class:`~tickwire.core.book.OrderBook` (what the events say must be what the book holds).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from tickwire.core.book import OrderBook
from tickwire.core.types import (
    Balance,
    BookLevel,
    BookUpdate,
    Candle,
    Event,
    OrderStatus,
    OrderUpdate,
    Side,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)

__all__ = ["UNIFIED_SYMBOL", "BookModel", "book_problems", "event_problems"]

UNIFIED_SYMBOL = re.compile(r"[A-Z0-9]+/[A-Z0-9]+")
"""A unified symbol: ``BASE/QUOTE`` in capitals (``BTC/USDT``)."""

_TICKER_AMOUNTS = ("bid", "bid_size", "ask", "ask_size", "last", "last_size", "volume_24h")
_CANDLE_AMOUNTS = ("open", "high", "low", "close", "volume")
_ORDER_AMOUNTS = (
    "price",
    "size",
    "filled",
    "remaining",
    "avg_price",
    "last_fill_price",
    "last_fill_size",
    "fee",
)


def event_problems(event: Event, *, venue: str, symbols: Collection[str]) -> list[str]:
    """Everything ``event`` gets wrong: venue name, times, symbol, types, invariants.

    ``symbols`` are the unified symbols the client subscribed; a market or order event
    for any other symbol is a problem.
    """
    name = type(event).__name__
    problems: list[str] = []
    if event.venue != venue:
        problems.append(f"{name}.venue is {event.venue!r}, not {venue!r}")
    if not isinstance(event.ts, int) or event.ts <= 0:
        problems.append(f"{name}.ts must be positive integer nanoseconds, got {event.ts!r}")
    received = getattr(event, "received", 1)
    if not isinstance(received, int) or received <= 0:
        problems.append(f"{name}.received must be positive integer nanoseconds, got {received!r}")
    symbol = getattr(event, "symbol", None)
    if isinstance(event, Ticker | Trade | BookUpdate | Candle | OrderUpdate):
        problems += _symbol_problems(name, symbol, symbols)
    problems += _KIND_CHECKS.get(type(event), _no_problems)(event)
    return [f"{p} (in {_short(event)})" for p in problems]


def _symbol_problems(name: str, symbol: Any, symbols: Collection[str]) -> list[str]:
    if not isinstance(symbol, str) or not UNIFIED_SYMBOL.fullmatch(symbol):
        return [f"{name}.symbol {symbol!r} is not a unified BASE/QUOTE symbol"]
    if symbol not in symbols:
        return [f"{name}.symbol {symbol!r} was never subscribed"]
    return []


def _amounts(event: object, fields: Iterable[str], *, positive: bool = False) -> list[str]:
    """Each field is None or a finite, non-negative (or positive) Decimal."""
    problems = []
    for field in fields:
        value = getattr(event, field)
        if value is None:
            continue
        if type(value) is not Decimal:
            problems.append(f"{field} is {type(value).__name__}, not Decimal")
        elif not value.is_finite() or value < 0 or (positive and value == 0):
            problems.append(
                f"{field} is {value}, not a {'positive' if positive else 'non-negative'}"
            )
    return problems


def _ticker(event: Any) -> list[str]:
    problems = _amounts(event, _TICKER_AMOUNTS)
    bid, ask = event.bid, event.ask
    if isinstance(bid, Decimal) and isinstance(ask, Decimal) and not bid < ask:
        problems.append(f"bid {bid} is not below ask {ask}")
    return problems


def _trade(event: Any) -> list[str]:
    problems = _amounts(event, ("price", "size"), positive=True)
    if not isinstance(event.side, Side):
        problems.append(f"side {event.side!r} is not a Side")
    if not isinstance(event.trade_id, str) or not event.trade_id:
        problems.append("trade_id is empty")
    return problems


def _book(event: Any) -> list[str]:
    problems = []
    for side, levels in (("bids", event.bids), ("asks", event.asks)):
        prices = []
        for level in levels:
            if type(level) is not BookLevel:
                problems.append(f"{side} holds a {type(level).__name__}, not a BookLevel")
                continue
            problems += [f"{side} {p}" for p in _amounts(level, ("size",))]
            problems += [f"{side} {p}" for p in _amounts(level, ("price",), positive=True)]
            if event.snapshot and level.size == 0:
                problems.append(f"snapshot {side} hold a zero-size level at {level.price}")
            prices.append(level.price)
        if len(set(prices)) != len(prices):
            problems.append(f"{side} repeat a price")
        if event.snapshot and prices != sorted(prices, reverse=side == "bids"):
            problems.append(f"snapshot {side} are not best-first")
    if (
        event.snapshot
        and event.bids
        and event.asks
        and not event.bids[0].price < event.asks[0].price
    ):
        problems.append(
            f"snapshot is crossed: bid {event.bids[0].price} ≥ ask {event.asks[0].price}"
        )
    return problems


def _candle(event: Any) -> list[str]:
    problems = _amounts(event, _CANDLE_AMOUNTS)
    if (
        not problems
        and not event.low
        <= min(event.open, event.close)
        <= max(event.open, event.close)
        <= event.high
    ):
        problems.append(f"OHLC out of order: {event.open} {event.high} {event.low} {event.close}")
    if event.interval <= 0 or event.start <= 0:
        problems.append(f"interval {event.interval} / start {event.start} must be positive")
    return problems


def _balance(event: Any) -> list[str]:
    problems = _amounts(event, ("total", "available", "hold"))
    if not isinstance(event.asset, str) or not event.asset:
        problems.append("asset is empty")
    return problems


def _order(event: Any) -> list[str]:
    problems = _amounts(event, _ORDER_AMOUNTS)
    if not isinstance(event.status, OrderStatus):
        problems.append(f"status {event.status!r} is not an OrderStatus")
    if not isinstance(event.order_id, str) or not event.order_id:
        problems.append("order_id is empty")
    return problems


def _status(event: Any) -> list[str]:
    return [] if isinstance(event.state, StreamState) else [f"state {event.state!r} is unknown"]


def _no_problems(event: Any) -> list[str]:
    return []


_KIND_CHECKS = {
    Ticker: _ticker,
    Trade: _trade,
    BookUpdate: _book,
    Candle: _candle,
    Balance: _balance,
    OrderUpdate: _order,
    StreamStatus: _status,
    StreamError: _no_problems,
}


def _short(event: Event) -> str:
    text = repr(event)
    return text if len(text) <= 160 else text[:157] + "..."


def book_problems(book: OrderBook) -> list[str]:
    """What is wrong with a live book: order, sizes, a crossed or empty side."""
    bids, asks = book.bids(), book.asks()
    problems = []
    if [b.price for b in bids] != sorted((b.price for b in bids), reverse=True):
        problems.append("bids are not best-first")
    if [a.price for a in asks] != sorted(a.price for a in asks):
        problems.append("asks are not best-first")
    if any(level.size <= 0 for level in (*bids, *asks)):
        problems.append("a level has a size of zero or less")
    if not bids or not asks:
        problems.append("a side is empty")
    elif not bids[0].price < asks[0].price or not (book.spread or 0) > 0:
        problems.append(f"crossed: best bid {bids[0].price} ≥ best ask {asks[0].price}")
    return [f"{book.venue} {book.symbol} book: {p}" for p in problems]


class BookModel:
    """A naive replica of one book, built only from delivered :class:`BookUpdate` events."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.synced = False

    def apply(self, update: BookUpdate, depth: int | None) -> str | None:
        """Apply one update (truncated to ``depth``, as the client must); a problem or None."""
        if update.snapshot:
            self.bids = {level.price: level.size for level in update.bids}
            self.asks = {level.price: level.size for level in update.asks}
            self.synced = True
        elif not self.synced:
            return "a book delta arrived before any snapshot (or right after a resync began)"
        else:
            for side, levels in ((self.bids, update.bids), (self.asks, update.asks)):
                for level in levels:
                    if level.size:
                        side[level.price] = level.size
                    else:
                        side.pop(level.price, None)
        if depth is not None:
            self.bids = dict(sorted(self.bids.items(), reverse=True)[:depth])
            self.asks = dict(sorted(self.asks.items())[:depth])
        return None

    def reset(self) -> None:
        """The client said the book is resyncing: wait for the next snapshot."""
        self.synced = False

    def differences(self, book: OrderBook) -> str | None:
        """How ``book`` differs from the replayed events, or None when they agree."""
        for side, model, live in (
            ("bids", sorted(self.bids.items(), reverse=True), book.bids()),
            ("asks", sorted(self.asks.items()), book.asks()),
        ):
            rows = [(level.price, level.size) for level in live]
            if rows != model:
                first = next(
                    (i for i, (a, b) in enumerate(zip(rows, model, strict=False)) if a != b),
                    min(len(rows), len(model)),
                )
                return (
                    f"{book.symbol} {side} differ from the replayed BookUpdate events at level "
                    f"{first}: book {rows[first : first + 1]} vs events {model[first : first + 1]}"
                    f" ({len(rows)} vs {len(model)} levels)"
                )
        return None
