"""The L2 order book engine every adapter keeps its books in.

An :class:`OrderBook` holds price levels for one symbol on one venue. Adapters feed it a
snapshot, then deltas, and enforce their venue's integrity rules (sequence numbers,
checksums) around it; the engine itself only knows how to store and read levels fast::

    D = Decimal
    book = OrderBook("kraken", "BTC/USD", depth=10)
    book.apply_snapshot(bids=[(D("100"), D("2"))], asks=[(D("101"), D("1"))], sequence=6)
    book.apply_delta(bids=[(D("100"), D("0"))], asks=[], sequence=7)
    book.best_ask  # BookLevel(price=Decimal('101'), size=Decimal('1'))

Layout, chosen for the per-message path: each side is a ``dict`` price → size (O(1)
lookups and size changes) plus a list of its prices kept sorted ascending with
:mod:`bisect`. A size change touches only the dict; a new or deleted level costs one
binary search and one list insert/delete (a C-level memmove). The whole book is never
re-sorted after a snapshot, and truncation removes exactly the levels beyond the depth.
Both lists ascend, so the best bid is the *last* bid price and the best ask the first.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from decimal import Decimal

from tickwire.core.types import BookLevel, Side

__all__ = ["OrderBook"]

_Row = tuple[Decimal, Decimal]


def _check_depth(depth: int | None) -> None:
    if depth is not None and depth < 1:
        raise ValueError(f"book depth must be at least 1 (or None for unbounded), got {depth}")


def _set(
    sizes: dict[Decimal, Decimal], prices: list[Decimal], price: Decimal, size: Decimal
) -> None:
    """Set one level on one side: the shared hot path of set_level and apply_delta."""
    if size:
        if price in sizes:
            # An existing level changing size is the common case: the order is unchanged.
            sizes[price] = size
        elif size > 0:
            sizes[price] = size
            insort(prices, price)
        else:
            raise ValueError(f"negative size {size} at price {price}")
    elif price in sizes:
        del sizes[price]
        del prices[bisect_left(prices, price)]
    # else: deleting a level we never had is normal (it was beyond our depth, or the
    # venue repeats deletes), so it is silently a no-op.


def _write(
    levels: Sequence[BookLevel], sizes: dict[Decimal, Decimal], prices: list[Decimal]
) -> None:
    """Checked levels into one side: :func:`_set` without its size check."""
    for level in levels:
        price = level.price
        if level.size:
            if price not in sizes:
                insort(prices, price)
            sizes[price] = level.size
        elif price in sizes:
            del sizes[price]
            del prices[bisect_left(prices, price)]


def _load(rows: Iterable[_Row]) -> tuple[dict[Decimal, Decimal], list[Decimal]]:
    """Build one side from snapshot rows: zero sizes skipped, a repeated price's last row wins."""
    sizes: dict[Decimal, Decimal] = {}
    for price, size in rows:
        if size:
            if size < 0:
                raise ValueError(f"negative size {size} at price {price}")
            sizes[price] = size
        else:
            # A zero row in a snapshot means "no level"; it also cancels an earlier row
            # for the same price, consistent with "last row wins".
            sizes.pop(price, None)
    return sizes, sorted(sizes)


class OrderBook:
    """A live L2 book: price levels per side, best first, optionally capped at ``depth``.

    ``sequence`` and ``ts`` are public so adapters can keep their venue's sequence
    number and time next to the levels they describe. ``synced`` says whether a snapshot
    was applied since creation or the last :meth:`reset`; an adapter resets the book on
    a gap or checksum mismatch and applies a fresh snapshot.
    """

    __slots__ = (
        "_ask_prices",
        "_ask_sizes",
        "_bid_prices",
        "_bid_sizes",
        "_sides",
        "_synced",
        "depth",
        "sequence",
        "symbol",
        "ts",
        "venue",
    )

    def __init__(self, venue: str, symbol: str, *, depth: int | None = None) -> None:
        _check_depth(depth)
        self.venue = venue
        self.symbol = symbol
        self.depth = depth
        self.sequence: int | None = None
        """The venue's sequence number after the last applied message, where it has one."""
        self.ts = 0
        """Venue time (ns) of the last applied message; 0 before any."""
        self._synced = False
        self._bid_sizes: dict[Decimal, Decimal] = {}
        self._bid_prices: list[Decimal] = []  # ascending: the best bid is the last
        self._ask_sizes: dict[Decimal, Decimal] = {}
        self._ask_prices: list[Decimal] = []  # ascending: the best ask is the first
        self._sides = {
            Side.BUY: (self._bid_sizes, self._bid_prices),
            Side.SELL: (self._ask_sizes, self._ask_prices),
        }

    def __repr__(self) -> str:
        return (
            f"<OrderBook {self.venue} {self.symbol} bids={len(self._bid_prices)} "
            f"asks={len(self._ask_prices)} sequence={self.sequence} synced={self._synced}>"
        )

    # --- state ---------------------------------------------------------------------

    @property
    def synced(self) -> bool:
        """True once a snapshot was applied, until the next :meth:`reset`."""
        return self._synced

    def reset(self) -> None:
        """Drop every level and forget the sequence: the book awaits a fresh snapshot.

        ``ts`` is kept: it still names the last message that was applied.
        """
        # Clear in place: ``_sides`` holds references to these containers.
        self._bid_sizes.clear()
        self._bid_prices.clear()
        self._ask_sizes.clear()
        self._ask_prices.clear()
        self._synced = False
        self.sequence = None

    # --- writes --------------------------------------------------------------------

    def apply_snapshot(
        self,
        bids: Iterable[_Row],
        asks: Iterable[_Row],
        *,
        sequence: int | None = None,
        ts: int = 0,
    ) -> None:
        """Replace the whole book with ``(price, size)`` rows in any order.

        Size-0 rows are ignored; the result is truncated to ``depth``; the book becomes
        ``synced`` and takes ``sequence`` and ``ts`` as given.
        """
        bid_sizes, bid_prices = _load(bids)
        ask_sizes, ask_prices = _load(asks)
        # Swap contents in place (not the objects) so ``_sides`` stays valid.
        self._bid_sizes.clear()
        self._bid_sizes.update(bid_sizes)
        self._bid_prices[:] = bid_prices
        self._ask_sizes.clear()
        self._ask_sizes.update(ask_sizes)
        self._ask_prices[:] = ask_prices
        self.truncate()
        self.sequence = sequence
        self.ts = ts
        self._synced = True

    def set_level(self, side: Side, price: Decimal, size: Decimal) -> None:
        """Set the absolute size at ``price``; size 0 deletes the level (absent is fine).

        No truncation happens here: callers applying a batch of rows truncate once at the
        end (as :meth:`apply_delta` does), since a venue may delete a level in the same
        message that brings a deeper one into view.
        """
        sizes, prices = self._sides[side]
        _set(sizes, prices, price, size)

    def apply_delta(
        self,
        bids: Iterable[_Row],
        asks: Iterable[_Row],
        *,
        sequence: int | None = None,
        ts: int = 0,
    ) -> None:
        """Apply changed levels in array order (a repeated price: last row wins), then truncate.

        ``sequence`` and ``ts`` are recorded when given (not ``None``, not 0); otherwise
        the previous values stay, so a venue without sequence numbers never clears one.
        """
        sizes, prices = self._bid_sizes, self._bid_prices
        for price, size in bids:
            _set(sizes, prices, price, size)
        sizes, prices = self._ask_sizes, self._ask_prices
        for price, size in asks:
            _set(sizes, prices, price, size)
        if self.depth is not None:
            self.truncate()
        if sequence is not None:
            self.sequence = sequence
        if ts:
            self.ts = ts

    def apply_levels(
        self, bids: Sequence[BookLevel], asks: Sequence[BookLevel], sequence: int, ts: int
    ) -> None:
        """Apply an increment's levels, already checked (price > 0, finite size >= 0).

        :meth:`apply_delta`'s rule for levels an adapter built for its event anyway (no
        ``(price, size)`` pair made only to be unpacked): array order, size 0 deletes,
        then truncation; ``sequence`` is recorded, ``ts`` when not 0. One call for a
        whole message: this is the per-message path of a sequenced book.
        """
        if bids:  # one side is often empty
            _write(bids, self._bid_sizes, self._bid_prices)
        if asks:
            _write(asks, self._ask_sizes, self._ask_prices)
        if self.depth is not None:
            self.truncate()
        self.sequence = sequence
        if ts:
            self.ts = ts

    def truncate(self, depth: int | None = None) -> None:
        """Keep only the best ``depth`` levels per side (default: the book's own ``depth``).

        With neither given, the book is unbounded and nothing is removed. Cost is
        proportional to the number of levels removed.
        """
        if depth is None:
            depth = self.depth
            if depth is None:
                return
        else:
            _check_depth(depth)
        # Bids ascend, so the worst bids are at the front.
        excess = len(self._bid_prices) - depth
        if excess > 0:
            sizes = self._bid_sizes
            for price in self._bid_prices[:excess]:
                del sizes[price]
            del self._bid_prices[:excess]
        # Asks ascend, so the worst asks are at the back.
        if len(self._ask_prices) > depth:
            sizes = self._ask_sizes
            for price in self._ask_prices[depth:]:
                del sizes[price]
            del self._ask_prices[depth:]

    # --- reads ---------------------------------------------------------------------

    def bids(self, n: int | None = None) -> list[BookLevel]:
        """The best ``n`` bids (all when ``None``), highest price first."""
        sizes = self._bid_sizes
        return [BookLevel(p, sizes[p]) for p in _best_last(self._bid_prices, n)]

    def asks(self, n: int | None = None) -> list[BookLevel]:
        """The best ``n`` asks (all when ``None``), lowest price first."""
        sizes = self._ask_sizes
        return [BookLevel(p, sizes[p]) for p in _best_first(self._ask_prices, n)]

    def top_bids(self, n: int) -> list[_Row]:
        """The best ``n`` bids as raw ``(price, size)`` tuples, highest first (for checksums)."""
        sizes = self._bid_sizes
        return [(p, sizes[p]) for p in _best_last(self._bid_prices, n)]

    def top_asks(self, n: int) -> list[_Row]:
        """The best ``n`` asks as raw ``(price, size)`` tuples, lowest first (for checksums)."""
        sizes = self._ask_sizes
        return [(p, sizes[p]) for p in _best_first(self._ask_prices, n)]

    def best_prices(self, n: int) -> tuple[list[Decimal], list[Decimal]]:
        """``(ask prices, bid prices)`` of the best ``n`` levels, best first (C slices)."""
        return _best_first(self._ask_prices, n), _best_last(self._bid_prices, n)

    def top_prices(
        self, n: int
    ) -> tuple[list[Decimal], list[Decimal], list[Decimal], list[Decimal]]:
        """``(ask prices, ask sizes, bid prices, bid sizes)`` of the best ``n`` levels.

        Best first on each side, as parallel lists built by C-level slicing and
        ``map``: the cheapest shape for a per-message checksum.
        """
        asks = _best_first(self._ask_prices, n)
        bids = _best_last(self._bid_prices, n)
        return (
            asks,
            list(map(self._ask_sizes.__getitem__, asks)),
            bids,
            list(map(self._bid_sizes.__getitem__, bids)),
        )

    def size_at(self, side: Side, price: Decimal) -> Decimal | None:
        """The size resting at ``price`` on ``side``, or ``None`` if there is no level."""
        return self._sides[side][0].get(price)

    @property
    def best_bid(self) -> BookLevel | None:
        """The highest bid, or ``None`` when there are no bids."""
        if not self._bid_prices:
            return None
        price = self._bid_prices[-1]
        return BookLevel(price, self._bid_sizes[price])

    @property
    def best_ask(self) -> BookLevel | None:
        """The lowest ask, or ``None`` when there are no asks."""
        if not self._ask_prices:
            return None
        price = self._ask_prices[0]
        return BookLevel(price, self._ask_sizes[price])

    @property
    def spread(self) -> Decimal | None:
        """Best ask minus best bid, or ``None`` when a side is empty."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    @property
    def mid(self) -> Decimal | None:
        """The midpoint of best bid and best ask, or ``None`` when a side is empty."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._ask_prices[0] + self._bid_prices[-1]) / 2

    @property
    def bid_count(self) -> int:
        """How many bid levels the book holds."""
        return len(self._bid_prices)

    @property
    def ask_count(self) -> int:
        """How many ask levels the book holds."""
        return len(self._ask_prices)

    def __len__(self) -> int:
        """Total levels on both sides."""
        return len(self._bid_prices) + len(self._ask_prices)

    def levels(self) -> tuple[tuple[BookLevel, ...], tuple[BookLevel, ...]]:
        """Every level as ``(bids, asks)``, best first: compare two books with ``==``."""
        return tuple(self.bids()), tuple(self.asks())


_TopColumns = tuple[list[Decimal], list[Decimal], list[Decimal], list[Decimal]]


def _best_last(prices: list[Decimal], n: int | None) -> list[Decimal]:
    """The last ``n`` prices of an ascending list, reversed (best bid first)."""
    if n is None:
        return prices[::-1]
    if n <= 0:
        # Guard: ``prices[-0:]`` would be the whole list.
        return []
    return prices[: -n - 1 : -1] if n < len(prices) else prices[::-1]


def _best_first(prices: list[Decimal], n: int | None) -> list[Decimal]:
    """The first ``n`` prices of an ascending list (best ask first)."""
    if n is None:
        return prices[:]
    if n <= 0:
        return []
    return prices[:n]
