"""The Kraken emulator's candle history: what REST ``OHLC`` answers.

docs.kraken.com (Market Data, "Get OHLC Data"): the result is keyed by the pair, each row
``[time, open, high, low, close, vwap, volume, count]`` (time in whole seconds, prices and
volume as strings); "the last entry in the OHLC array is for the current, not-yet-committed
timeframe, and will always be present, regardless of the value of ``since``"; the call
"returns up to 720 of the most recent entries (older data cannot be retrieved, regardless
of the value of ``since``)"; ``since`` returns the candles after that time and ``last`` is
the value to pass as ``since`` to poll for newly committed candles (the last committed
entry's time).

So the emulator keeps the 720 buckets that end with the running one. The running bucket is
the live market's own candle (the one the WebSocket ``ohlc`` channel shows); earlier ones
since the start are the market's candles as they closed, and before the start a
synthetic past (:class:`~tickwire.exchanges.base.history.CandleHistory`) that ends at the
market's starting price.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from tickwire.exchanges.base.history import Bar, CandleHistory
from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.base.marketdata import Candle
from tickwire.exchanges.kraken.instruments import KrakenPair
from tickwire.exchanges.kraken.restnames import decimal_text

__all__ = ["OHLC_KEPT", "OHLC_MINUTES", "OhlcHistory"]

OHLC_MINUTES = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
"""The intervals ``OHLC`` offers, in minutes."""
OHLC_KEPT = 720
"""Entries ``OHLC`` keeps per interval, the running one included."""
_NS = 1_000_000_000


def _bar(c: Candle) -> Bar:
    begin = c.begin // _NS
    return Bar(begin, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades)


class OhlcHistory:
    """The committed candles of every pair and interval, and ``OHLC`` answers.

    Every interval's running candle is tracked from the start; after each market step
    that printed, and before each answer (:meth:`sync`), a candle the market replaced is
    kept as committed, exactly as it ran. A bucket without prints is flat at the previous
    close, as the market opens one that a query starts.
    """

    def __init__(
        self,
        market: SyntheticMarket,
        pairs: dict[str, KrakenPair],
        seed: object,
        clock: Callable[[], int],
    ) -> None:
        self.market = market
        self.pairs = pairs
        start = clock()
        self.past = {s: CandleHistory(p.spec, seed, start) for s, p in pairs.items()}
        self._running: dict[tuple[str, int], Candle] = {}
        self._closed: dict[tuple[str, int], deque[Candle]] = {}
        for symbol in pairs:
            for minutes in OHLC_MINUTES:
                self._closed[symbol, minutes] = deque(maxlen=OHLC_KEPT)
            self.sync(symbol)

    def sync(self, symbol: str) -> None:
        """Keep the candles of ``symbol`` the market closed since the last call."""
        for minutes in OHLC_MINUTES:
            candle = self.market.candle(symbol, minutes * 60)
            before = self._running.get((symbol, minutes))
            if before is not candle:
                if before is not None:
                    self._closed[symbol, minutes].append(before)
                self._running[symbol, minutes] = candle

    def rows(self, symbol: str, minutes: int, since: int | None) -> tuple[list[list[Any]], int]:
        """``(rows oldest first, last)`` for ``OHLC`` of ``symbol`` (see the module)."""
        self.sync(symbol)
        span = minutes * 60
        running = _bar(self._running[symbol, minutes])
        first = running.begin - (OHLC_KEPT - 1) * span
        if since is not None:
            # Only committed buckets after ``since``; the running one is always there.
            first = max(first, (since // span + 1) * span)
        pair, past = self.pairs[symbol], self.past[symbol]
        closed = {bar.begin: bar for bar in map(_bar, self._closed[symbol, minutes])}
        bars = []
        close = past.spec.price.quantize(past.spec.tick)  # where the synthetic past ends
        # Walk from the oldest bucket that can precede ``first`` so a gap knows its close.
        origin = min(first, min(closed, default=first))
        for begin in range(origin, running.begin, span):
            if begin + span <= past.start_s:
                bar = past.synthetic(begin, span, minutes)
            else:
                bar = closed.get(begin) or Bar(begin, close, close, close, close, 0 * close,
                                               0 * close, 0)  # fmt: skip
            close = bar.close
            if begin >= first:
                bars.append(bar)
        rows = [self._row(pair, bar) for bar in (*bars, running)]
        return rows, running.begin - span

    @staticmethod
    def _row(pair: KrakenPair, bar: Bar) -> list[Any]:
        pp, qp = pair.spec.price_precision, pair.spec.qty_precision
        vwap = bar.quote_volume / bar.volume if bar.volume else bar.close
        return [bar.begin, decimal_text(bar.open, pp), decimal_text(bar.high, pp),
                decimal_text(bar.low, pp), decimal_text(bar.close, pp), decimal_text(vwap, pp),
                decimal_text(bar.volume, qp), bar.trades]  # fmt: skip
