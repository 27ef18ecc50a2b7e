"""One symbol's true state in the synthetic market, and what every trade updates in it.

A :class:`SymbolState` holds what :class:`~tickwire.exchanges.base.market.SyntheticMarket`
keeps per symbol: both book sides, the 24 h statistics, the trade-id counter, the last
trades and the running candles. The market decides *what* happens (the random walk,
the fair-price pull); this module is the bookkeeping that must follow every event
whatever caused it: a print moves the stats, the recent trades and each candle, and a
whole-book shift moves prices everywhere they are kept. Kept apart so the random walk
reads as decisions, not as bookkeeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from decimal import Decimal

from tickwire.exchanges.base.bookside import BookSide
from tickwire.exchanges.base.marketdata import Candle, Level, MarketTrade, Stats, SymbolSpec

__all__ = ["SymbolState"]


@dataclass(slots=True)
class SymbolState:
    """The true book, stats, trade ids, recent trades and candles of one symbol."""

    spec: SymbolSpec
    bids: BookSide
    asks: BookSide
    stats: Stats
    next_trade_id: int
    recent: deque[MarketTrade]
    candles: dict[int, Candle] = field(default_factory=dict)

    def top(self) -> tuple[Level | None, Level | None]:
        """The best bid and best ask, ``None`` for an empty side."""
        bid = self.bids.best(1)
        ask = self.asks.best(1)
        return (bid[0] if bid else None, ask[0] if ask else None)

    def record(self, trade: MarketTrade) -> None:
        """Account for a print: recent trades, stats and every running candle."""
        self.recent.append(trade)
        st = self.stats
        st.last = trade.price
        st.high = max(st.high, trade.price)
        st.low = min(st.low, trade.price)
        st.volume += trade.qty
        st.quote_volume += trade.qty * trade.price
        st.trades += 1
        for interval, candle in list(self.candles.items()):
            if trade.ts >= candle.end:
                candle = self.new_candle(interval, trade.ts)
                self.candles[interval] = candle
            candle.high = max(candle.high, trade.price)
            candle.low = min(candle.low, trade.price)
            candle.close = trade.price
            candle.volume += trade.qty
            candle.quote_volume += trade.qty * trade.price
            candle.trades += 1

    def new_candle(self, interval: int, now: int) -> Candle:
        """An empty candle of ``interval`` seconds holding ``now``, opened at the last price."""
        span = interval * 1_000_000_000
        last = self.stats.last
        zero = Decimal(0).scaleb(-self.spec.qty_precision)
        return Candle(now - now % span, interval, last, last, last, last, zero, Decimal(0))

    def shift(self, by: Decimal) -> None:
        """Move every price by ``by``: levels (dropping any at or below 0), stats, trades."""
        for side in (self.bids, self.asks):
            moved = [(p + by, q) for p, q in side.sizes.items()]
            side.prices.clear()
            side.sizes.clear()
            for price, qty in moved:
                if price > 0:
                    side.set(price, qty)
        st = self.stats
        st.last, st.open, st.high, st.low = (
            st.last + by,
            st.open + by,
            st.high + by,
            st.low + by,
        )
        self.recent = deque(
            (replace(t, price=t.price + by) for t in self.recent), maxlen=self.recent.maxlen
        )
