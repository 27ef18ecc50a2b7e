"""Value types of the synthetic market: symbol specs, levels, trades, changes, stats.

Venue-neutral and JSON-free; :mod:`tickwire.exchanges.base.market` produces them and
re-exports them, so either import path works.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Candle", "Level", "MarketChange", "MarketTrade", "Stats", "SymbolSpec"]

Level = tuple[Decimal, Decimal]
"""A book level: ``(price, qty)``."""


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """A tradable pair of the synthetic market, in unified ``BASE/QUOTE`` spelling."""

    symbol: str
    base: str
    quote: str
    price: Decimal  # starting mid price
    price_precision: int  # decimals of a price; the tick is 10**-price_precision
    qty_precision: int  # decimals of a size; the lot is 10**-qty_precision
    level_qty: Decimal  # typical size resting at one price level
    qty_min: Decimal  # smallest order size the venue accepts
    cost_min: Decimal  # smallest order value (price * qty) the venue accepts
    levels: int = 1100  # levels kept per side, enough for a 1000-deep subscription

    @property
    def tick(self) -> Decimal:
        """The price increment."""
        return Decimal(1).scaleb(-self.price_precision)

    @property
    def lot(self) -> Decimal:
        """The size increment."""
        return Decimal(1).scaleb(-self.qty_precision)


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """One print: ``side`` is the taker's side, ``ts`` nanoseconds since the epoch."""

    symbol: str
    trade_id: int
    side: str  # "buy" | "sell"
    price: Decimal
    qty: Decimal
    ord_type: str  # taker order type: "limit" | "market"
    ts: int


@dataclass(frozen=True, slots=True)
class MarketChange:
    """What one :meth:`SyntheticMarket.step` changed, in the order it happened.

    ``bids``/``asks`` hold each changed level once with its new size (0 = removed);
    ``top_changed`` says whether the best bid or ask (price or size) moved.
    """

    symbol: str
    ts: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    trades: tuple[MarketTrade, ...]
    top_changed: bool


@dataclass(slots=True)
class Stats:
    """Rolling statistics of a symbol (the emulator's "24 h" window never expires)."""

    last: Decimal
    open: Decimal  # reference price 24 h ago, for change / change_pct
    high: Decimal
    low: Decimal
    volume: Decimal  # base units
    quote_volume: Decimal  # quote units, for the vwap
    trades: int

    def vwap(self, precision: int) -> Decimal:
        """Volume-weighted average price, at ``precision`` decimals."""
        if not self.volume:
            return self.last
        return (self.quote_volume / self.volume).quantize(Decimal(1).scaleb(-precision))


@dataclass(slots=True)
class Candle:
    """A running OHLC candle of ``interval`` seconds starting at ``begin`` (ns)."""

    begin: int
    interval: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int = 0

    @property
    def end(self) -> int:
        """Nanoseconds at which the candle closes."""
        return self.begin + self.interval * 1_000_000_000

    def vwap(self, precision: int) -> Decimal:
        """Volume-weighted average price (the close while no trade happened)."""
        if not self.volume:
            return self.close
        return (self.quote_volume / self.volume).quantize(Decimal(1).scaleb(-precision))
