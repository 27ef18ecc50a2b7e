"""Who is subscribed to what, and the frames each market change owes them.

:class:`Feed` keeps the public subscriptions of every connection, builds snapshots, and
turns each :class:`~tickwire.exchanges.base.market.MarketChange` into ``book``,
``ticker``, ``trade`` and ``ohlc`` updates. Publishing is synchronous: a market step and
the queueing of all its frames happen without an ``await`` in between, so every client
sees the steps in one order and an update never overtakes the snapshot it follows.

Book updates are computed per subscribed depth from the true book before and after the
step (reference §6.2): the changed levels that are inside the depth, ``qty 0`` for
levels inside the depth that disappeared, and the levels that slid into the depth. No
delete is sent for a level that was merely pushed out; the client's truncation drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tickwire.exchanges.base.faults import BAD_CHECKSUM, FaultPlan
from tickwire.exchanges.base.market import Level, MarketChange, SyntheticMarket
from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken import frames
from tickwire.exchanges.kraken.history import OhlcHistory
from tickwire.exchanges.kraken.instruments import KrakenPair

__all__ = ["Feed"]


def _book_delta(old: list[Level], new: list[Level], removed: set[Decimal]) -> list[Level]:
    """The levels a client holding ``old`` (one side, truncated) needs to reach ``new``."""
    before = dict(old)
    zero = [(p, q) for p, q in old if p in removed]
    return [(p, q * 0) for p, q in zero] + [(p, q) for p, q in new if before.get(p) != q]


class Feed:
    """Public market-data subscriptions of all connections, and their publication."""

    def __init__(
        self,
        market: SyntheticMarket,
        pairs: dict[str, KrakenPair],
        faults: FaultPlan,
        clock: Callable[[], int],
        history: OhlcHistory | None = None,
    ) -> None:
        self.market = market
        self.history = history
        """Keeps the candles each step closes (REST ``OHLC`` answers from it)."""
        self.pairs = pairs
        self.faults = faults
        self.clock = clock
        self.books: dict[str, dict[Connection, int]] = {s: {} for s in pairs}
        self.tickers: dict[str, dict[Connection, str]] = {s: {} for s in pairs}
        self.trades: dict[str, dict[Connection, None]] = {s: {} for s in pairs}
        self.ohlcs: dict[str, dict[tuple[Connection, int], None]] = {s: {} for s in pairs}
        self.instruments: dict[Connection, None] = {}
        self._checksummers = {
            s: frames.Checksummer(p.spec.price_precision, p.spec.qty_precision)
            for s, p in pairs.items()
        }

    # -- subscriptions ---------------------------------------------------------------

    def add(self, conn: Connection, channel: str, symbol: str | None, param: object) -> None:
        """Start sending ``channel`` updates for ``symbol`` to ``conn``.

        ``param`` is the book depth, the ticker event trigger or the ohlc interval (min).
        """
        if channel == "instrument":
            self.instruments[conn] = None
            return
        assert symbol is not None
        if channel == "book":
            assert isinstance(param, int)
            self.books[symbol][conn] = param
        elif channel == "ticker":
            assert isinstance(param, str)
            self.tickers[symbol][conn] = param
        elif channel == "trade":
            self.trades[symbol][conn] = None
        elif channel == "ohlc":
            assert isinstance(param, int)
            self.ohlcs[symbol][conn, param] = None
            self.market.candle(symbol, param * 60)  # start tracking trades into it

    def remove(self, conn: Connection, channel: str, symbol: str | None, param: object) -> None:
        """Stop what :meth:`add` started (no error if it was not there)."""
        if channel == "instrument":
            self.instruments.pop(conn, None)
        elif symbol is None:
            return
        elif channel == "book":
            self.books[symbol].pop(conn, None)
        elif channel == "ticker":
            self.tickers[symbol].pop(conn, None)
        elif channel == "trade":
            self.trades[symbol].pop(conn, None)
        elif channel == "ohlc":
            assert isinstance(param, int)
            self.ohlcs[symbol].pop((conn, param), None)

    def subscribers(self, channel: str, symbol: str) -> int:
        """How many subscriptions of ``channel`` to ``symbol`` exist (all connections)."""
        if channel == "book":
            return len(self.books[symbol])
        if channel == "ticker":
            return len(self.tickers[symbol])
        if channel == "trade":
            return len(self.trades[symbol])
        return len(self.ohlcs[symbol])

    def remove_all(self, conn: Connection) -> None:
        """Forget every subscription of ``conn`` (it closed)."""
        self.instruments.pop(conn, None)
        for index in (self.books, self.tickers, self.trades):
            for subs in index.values():
                subs.pop(conn, None)
        for candles in self.ohlcs.values():
            for key in [k for k in candles if k[0] is conn]:
                del candles[key]

    # -- snapshots -------------------------------------------------------------------

    def snapshot(self, channel: str, symbol: str | None, param: object) -> bytes:
        """The snapshot message a new subscription starts with."""
        now = self.clock()
        if channel == "instrument":
            return frames.instrument("snapshot", list(self.pairs.values()))
        assert symbol is not None
        pair = self.pairs[symbol]
        if channel == "book":
            assert isinstance(param, int)
            bids, asks = self.market.book(symbol, param)
            return frames.book("snapshot", pair, bids, asks, self._checksum(symbol), now)
        if channel == "ticker":
            return self._ticker("snapshot", symbol, now)
        if channel == "trade":
            return frames.trades("snapshot", pair, self.market.recent_trades(symbol, 50))
        assert channel == "ohlc" and isinstance(param, int)
        candle = self.market.candle(symbol, param * 60)
        return frames.ohlc("snapshot", pair, [candle], now)

    def _ticker(self, kind: str, symbol: str, ts: int) -> bytes:
        bids, asks = self.market.book(symbol, 1)
        zero = (Decimal(0), Decimal(0))
        bid, ask = bids[0] if bids else zero, asks[0] if asks else zero
        return frames.ticker(kind, self.pairs[symbol], self.market.stats(symbol), bid, ask, ts)

    def _checksum(self, symbol: str) -> int:
        bids, asks = self.market.book(symbol, 10)
        crc = self._checksummers[symbol](bids, asks)
        if self.faults.take(BAD_CHECKSUM, symbol):
            crc ^= 0xFFFFFFFF  # a wrong value; the book itself stays right
        return crc

    # -- publication -----------------------------------------------------------------

    def advance(self, symbol: str | None = None, *, force_ticker: bool = False) -> dict[str, int]:
        """Step the market once and queue every frame it causes; count messages per channel.

        ``force_ticker`` sends a ticker update to the symbol's ticker subscribers whatever
        their event trigger (bursts use it).
        """
        market = self.market
        if symbol is None:
            symbol = market.pick_symbol()
        book_subs = self.books[symbol]
        deepest = max(book_subs.values(), default=0)
        if deepest:
            old_bids = market.side(symbol, True, deepest)
            old_asks = market.side(symbol, False, deepest)
        change = market.step(symbol)
        if self.history is not None and change.trades:
            self.history.sync(symbol)  # only a print (or a query) closes a candle
        sent = {"book": 0, "ticker": 0, "trade": 0, "ohlc": 0}
        if deepest:
            sent["book"] = self._publish_book(change, old_bids, old_asks, deepest)
        self._publish_rest(change, sent, force_ticker)
        return sent

    def _publish_book(
        self, change: MarketChange, old_bids: list[Level], old_asks: list[Level], deepest: int
    ) -> int:
        symbol = change.symbol
        pair = self.pairs[symbol]
        new_bids = self.market.side(symbol, True, deepest)
        new_asks = self.market.side(symbol, False, deepest)
        removed_bids = {p for p, q in change.bids if not q}
        removed_asks = {p for p, q in change.asks if not q}
        by_depth: dict[int, list[Connection]] = {}
        for conn, depth in self.book_subscribers(symbol):
            by_depth.setdefault(depth, []).append(conn)
        crc: int | None = None
        messages = 0
        for depth, conns in by_depth.items():
            bids = _book_delta(old_bids[:depth], new_bids[:depth], removed_bids)
            asks = _book_delta(old_asks[:depth], new_asks[:depth], removed_asks)
            if not bids and not asks:
                continue  # nothing visible at this depth
            if crc is None:
                crc = self._checksum(symbol)
            frame = frames.book("update", pair, bids, asks, crc, change.ts)
            for conn in conns:
                conn.send(frame)
            messages += 1
        return messages

    def book_subscribers(self, symbol: str) -> list[tuple[Connection, int]]:
        """``(connection, depth)`` of every book subscription to ``symbol``."""
        return list(self.books[symbol].items())

    def _publish_rest(self, change: MarketChange, sent: dict[str, int], force: bool) -> None:
        symbol = change.symbol
        pair = self.pairs[symbol]
        tickers = self.tickers[symbol]
        if tickers and (change.trades or change.top_changed or force):
            frame = self._ticker("update", symbol, change.ts)
            for conn, trigger in tickers.items():
                wanted = change.trades if trigger == "trades" else change.top_changed
                if wanted or force:
                    conn.send(frame)
                    sent["ticker"] = 1
        if not change.trades:
            return
        if self.trades[symbol]:
            frame = frames.trades("update", pair, change.trades)
            for conn in self.trades[symbol]:
                conn.send(frame)
            sent["trade"] = 1
        candles = self.ohlcs[symbol]
        if candles:
            by_interval: dict[int, bytes] = {}
            for conn, interval in candles:
                frame = by_interval.get(interval) or frames.ohlc(
                    "update", pair, [self.market.candle(symbol, interval * 60)], change.ts
                )
                by_interval[interval] = frame
                conn.send(frame)
            sent["ohlc"] = len(by_interval)
