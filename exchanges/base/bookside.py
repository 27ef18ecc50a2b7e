"""One side of a synthetic order book: sorted prices and a price → size map."""

from __future__ import annotations

import bisect
from decimal import Decimal

from tickwire.exchanges.base.marketdata import Level

__all__ = ["BookSide"]


class BookSide:
    """One side of a book: prices sorted ascending plus a price → size map."""

    __slots__ = ("is_bid", "prices", "sizes")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []
        self.sizes: dict[Decimal, Decimal] = {}

    def __len__(self) -> int:
        return len(self.prices)

    def at_rank(self, rank: int) -> Decimal:
        """Price of the ``rank``-th best level (0 = best)."""
        return self.prices[-1 - rank] if self.is_bid else self.prices[rank]

    def best(self, depth: int | None = None) -> list[Level]:
        """Levels best-first, at most ``depth`` of them."""
        sizes = self.sizes
        if self.is_bid:
            chosen = self.prices if depth is None else self.prices[-depth:] if depth else []
            return [(p, sizes[p]) for p in reversed(chosen)]
        chosen = self.prices if depth is None else self.prices[:depth]
        return [(p, sizes[p]) for p in chosen]

    def set(self, price: Decimal, qty: Decimal) -> None:
        """Set a level's size; 0 removes it."""
        if qty:
            if price not in self.sizes:
                bisect.insort(self.prices, price)
            self.sizes[price] = qty
        elif self.sizes.pop(price, None) is not None:
            del self.prices[bisect.bisect_left(self.prices, price)]
