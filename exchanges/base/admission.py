"""Admission rules of the paper matching engine: what an order may be, what it would take.

Pure functions over a :class:`MarketView` (the part of the synthetic market the engine
reads) and the ledger's available funds; :class:`~.matching.MatchingEngine` calls
:func:`admit` before it changes anything, so a refused order leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Protocol

from tickwire.exchanges.base.marketdata import Level, MarketTrade, SymbolSpec
from tickwire.exchanges.base.paper import PaperError

__all__ = [
    "Admitted",
    "MarketView",
    "admit",
    "check_price",
    "check_size",
    "crossing_levels",
    "traded_through",
]

ZERO = Decimal(0)
SIDES = ("buy", "sell")
TYPES = ("limit", "market")
TIME_IN_FORCE = ("gtc", "ioc", "fok", "gtd")

Admitted = tuple[SymbolSpec, list[Level], Decimal, bool]
"""What :func:`admit` found: the spec, the levels the order takes, the hold, and
whether it is a post-only order that would have taken (then it takes nothing)."""


class MarketView(Protocol):
    """The part of :class:`SyntheticMarket` the engine reads (a test may fake it)."""

    def spec(self, symbol: str) -> SymbolSpec:
        """The symbol's spec; ``KeyError`` when unknown."""
        ...

    def side(self, symbol: str, bids: bool, depth: int | None = None) -> list[Level]:
        """One side of the book, best-first."""
        ...

    def recent_trades(self, symbol: str, limit: int = 50) -> list[MarketTrade]:
        """The last trades, oldest first."""
        ...


def check_size(spec: SymbolSpec, size: Decimal) -> None:
    """Refuse a size that is not a positive multiple of the lot, or below the minimum."""
    if not size.is_finite() or size <= 0 or _off_grid(size, spec.lot):
        raise PaperError(
            "invalid_order", f"size must be a positive multiple of {spec.lot}", detail="size"
        )
    if size < spec.qty_min:
        raise PaperError(
            "invalid_order", f"size below the minimum {spec.qty_min}", detail="min_size"
        )


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    """Refuse a price that is not positive or not on the tick grid."""
    if not price.is_finite() or price <= 0:
        raise PaperError("invalid_order", "price must be positive", detail="price")
    if _off_grid(price, spec.tick):
        raise PaperError("invalid_order", f"price must be a multiple of {spec.tick}", detail="tick")


def _off_grid(value: Decimal, step: Decimal) -> bool:
    try:
        return bool(value % step)
    except InvalidOperation:  # absurdly large against the step: not a sane order anyway
        return True


def crossing_levels(
    market: MarketView, symbol: str, side: str, limit: Decimal | None, want: Decimal | None
) -> list[Level]:
    """Opposite levels an order of ``side`` at ``limit`` (None: any price) would take.

    Best-first. With ``want`` given, stop once the levels hold that much; otherwise
    return every crossing level. Reads the book in growing slices, since usually only
    its top matters.
    """
    bids = side == "sell"
    depth = 8
    while True:
        book = market.side(symbol, bids, depth)
        out: list[Level] = []
        total = ZERO
        for p, q in book:
            if limit is not None and (p > limit if side == "buy" else p < limit):
                return out
            out.append((p, q))
            total += q
            if want is not None and total >= want:
                return out
        if len(book) < depth:
            return out
        depth *= 4


def admit(
    market: MarketView,
    available: Callable[[str], Decimal],
    hold_rate: Decimal,
    symbol: str,
    side: str,
    type: str,
    size: Decimal,
    price: Decimal | None,
    tif: str,
    post_only: bool,
    expire_at: int | None,
    *,
    post_only_rejects: bool = True,
) -> Admitted:
    """Check an order like a venue would, or raise :class:`PaperError`.

    The order of the checks mirrors a venue's: shape, grid and minimums, what it would
    take, then funds. A post-only order that would take is refused, unless
    ``post_only_rejects`` is false. A buy holds ``price * size * hold_rate`` of the quote asset (a
    market buy prices its size by walking the book); a sell holds its size of base.
    """
    try:
        spec = market.spec(symbol)
    except KeyError:
        raise PaperError("unknown_symbol", f"unknown symbol {symbol!r}") from None
    if side not in SIDES or type not in TYPES or tif not in TIME_IN_FORCE:
        raise PaperError("invalid_order", "bad side, type or time in force", detail="param")
    if (tif == "gtd") != (expire_at is not None) or (type == "market" and tif == "gtd"):
        raise PaperError("invalid_order", "a limit gtd order needs expire_at", detail="param")
    if type == "market" and (price is not None or post_only):
        raise PaperError("invalid_order", "a market order has no price", detail="param")
    check_size(spec, size)
    if type == "limit":
        if price is None:
            raise PaperError("invalid_order", "a limit order needs a price", detail="price")
        check_price(spec, price)
    levels = crossing_levels(market, symbol, side, price, None if type == "limit" else size)
    crosses = post_only and bool(levels)
    if crosses:
        if post_only_rejects:
            raise PaperError("post_only_would_take", "a post-only order would take liquidity")
        levels = []
    reference = price if price is not None else (levels[0][0] if levels else None)
    if reference is not None and reference * size < spec.cost_min:
        raise PaperError("invalid_order", f"order value below {spec.cost_min}", detail="min_cost")
    if side == "sell":
        hold = size
    elif price is not None:
        hold = price * size * hold_rate
    else:
        hold = sum((p * q for p, q in levels), ZERO) * hold_rate
    asset = spec.quote if side == "buy" else spec.base
    if hold > available(asset):
        raise PaperError("insufficient_funds", f"not enough {asset} available")
    return spec, levels, hold, crosses


def traded_through(side: str, price: Decimal, trades: list[MarketTrade], after: int) -> Decimal:
    """Size printed through a resting order's ``price`` by trades with id > ``after``.

    A sell print below a resting bid (a buy print above a resting ask) swept through
    its price, so the order resting there would have been filled first.
    """
    total = ZERO
    for t in trades:
        if t.trade_id > after and t.side != side:
            if t.price < price if side == "buy" else t.price > price:
                total += t.qty
    return total
