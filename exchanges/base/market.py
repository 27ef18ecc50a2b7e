"""A seeded synthetic market: true L2 books, trades, 24 h stats and candles.

:class:`SyntheticMarket` is venue-neutral: it knows nothing of JSON or of any venue's
spelling. Each symbol keeps its *true* full book (``Decimal`` prices on the tick grid,
``Decimal`` sizes on the lot grid, both carrying exactly the instrument's precision), a
trade-id counter, 24 h statistics and the running candles someone asked for. Every
random draw comes from one ``random.Random(seed)``, so a seed replays the same market::

    market = SyntheticMarket([btc_usd_spec], seed=1, clock=lambda: 0)
    change = market.step("BTC/USD")
    change.bids      # ((price, qty), ...) changed bid levels; qty 0 means removed
    change.trades    # prints that consumed liquidity in this step

Venue emulators turn a :class:`MarketChange` into their own frames.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal

from tickwire.exchanges.base.bookside import BookSide as _Side
from tickwire.exchanges.base.fairprice import FairPrice, VenueProfile, profile_for, shared_fair
from tickwire.exchanges.base.marketdata import (
    Candle,
    Level,
    MarketChange,
    MarketTrade,
    Stats,
    SymbolSpec,
)
from tickwire.exchanges.base.symbolstate import SymbolState

__all__ = [
    "Candle",
    "Level",
    "MarketChange",
    "MarketTrade",
    "Stats",
    "SymbolSpec",
    "SyntheticMarket",
]


class SyntheticMarket:
    """A deterministic random-walk market over several symbols.

    ``seed`` fixes every draw; ``clock`` (nanoseconds, default :func:`time.time_ns`)
    stamps trades and changes. :meth:`step` advances one symbol by one small event:
    a level resized, added or removed near the top, or a taker trade that consumes
    liquidity from the best levels (then the touch moves and the book refills).
    :meth:`anchor_to` makes every step also pull the book toward a shared fair price.
    """

    #: How many recent trades a symbol remembers (trade snapshots take from these).
    RECENT_TRADES = 100

    def __init__(
        self,
        specs: Iterable[SymbolSpec],
        seed: int = 0,
        *,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.rng = random.Random(seed)
        self.clock = clock
        self._books: dict[str, SymbolState] = {}
        for spec in specs:
            self._books[spec.symbol] = self._seed_book(spec)
        if not self._books:
            raise ValueError("a market needs at least one symbol")
        self._symbols = list(self._books)
        self._anchor: tuple[FairPrice, VenueProfile] | None = None

    # -- read side --------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        """The symbols, in the order given."""
        return list(self._symbols)

    def spec(self, symbol: str) -> SymbolSpec:
        """The :class:`SymbolSpec` of ``symbol`` (``KeyError`` if unknown)."""
        return self._books[symbol].spec

    def book(self, symbol: str, depth: int | None = None) -> tuple[list[Level], list[Level]]:
        """The true book: ``(bids, asks)``, each best-first, at most ``depth`` levels."""
        b = self._books[symbol]
        return b.bids.best(depth), b.asks.best(depth)

    def side(self, symbol: str, bids: bool, depth: int | None = None) -> list[Level]:
        """One side of the true book, best-first."""
        b = self._books[symbol]
        return (b.bids if bids else b.asks).best(depth)

    def stats(self, symbol: str) -> Stats:
        """Live 24 h statistics of ``symbol`` (do not mutate)."""
        return self._books[symbol].stats

    def recent_trades(self, symbol: str, limit: int = 50) -> list[MarketTrade]:
        """The last ``limit`` trades, oldest first."""
        recent = self._books[symbol].recent
        return list(recent)[-limit:] if limit else []

    def candle(self, symbol: str, interval: int) -> Candle:
        """The running candle of ``interval`` seconds; tracking starts on the first call."""
        b = self._books[symbol]
        now = self.clock()
        candle = b.candles.get(interval)
        if candle is None or now >= candle.end:
            candle = b.new_candle(interval, now)
            b.candles[interval] = candle
        return candle

    # -- write side -------------------------------------------------------------------

    def anchor_to(
        self, fair: FairPrice | None = None, profile: VenueProfile | str = "default"
    ) -> None:
        """Follow ``fair`` as ``profile``'s venue would, from now on (opt-in).

        ``fair`` defaults to the process-wide :func:`shared_fair` (the same walk in every
        process); a venue name picks its profile with :func:`profile_for`. Every book is
        moved at once, whole, so its mid sits on the venue's price now (call this before
        clients connect: the move is not published). From then on each :meth:`step` that
        leaves a symbol's mid more than the profile's half spread from the venue's price
        sweeps the far side as a taker would (trades included) and re-quotes the near
        side up to it, so the book follows the fair price, late and noisy. Without this
        call the seeded market stays exactly as before.
        """
        fair = shared_fair() if fair is None else fair
        profile = profile_for(profile) if isinstance(profile, str) else profile
        fair.adopt(b.spec for b in self._books.values())
        self._anchor = (fair, profile)
        now = self.clock() / 1e9
        for b in self._books.values():
            tick = b.spec.tick
            target = round(fair.quote(b.spec, profile, now) / float(tick))
            shift = tick * (target - round((b.bids.at_rank(0) + b.asks.at_rank(0)) / tick / 2))
            b.shift(shift)

    def pick_symbol(self) -> str:
        """Draw the symbol the next un-targeted :meth:`step` would move."""
        return self.rng.choice(self._symbols)

    def step(self, symbol: str | None = None) -> MarketChange:
        """Advance ``symbol`` (or a random one) by one event and describe the change."""
        if symbol is None:
            symbol = self.pick_symbol()
        b = self._books[symbol]
        rng = self.rng
        ts = self.clock()
        top_before = b.top()
        bids: dict[Decimal, Decimal] = {}
        asks: dict[Decimal, Decimal] = {}
        trades: list[MarketTrade] = []
        r = rng.random()
        is_bid = rng.random() < 0.5
        side, changes = (b.bids, bids) if is_bid else (b.asks, asks)
        if r < 0.5:
            price = side.at_rank(self._near_top_rank(side))
            self._put(side, changes, price, self._level_qty(b.spec))
        elif r < 0.8:
            self._restructure(b, is_bid, changes)
        else:
            trades = self._trade(b, ts, bids, asks)
        if self._anchor is not None:
            trades += self._follow(b, ts, bids, asks)
        for s, c in ((b.bids, bids), (b.asks, asks)):
            self._refill(b.spec, s, c)
        return MarketChange(
            symbol=symbol,
            ts=ts,
            bids=tuple(bids.items()),
            asks=tuple(asks.items()),
            trades=tuple(trades),
            top_changed=b.top() != top_before,
        )

    # -- internals --------------------------------------------------------------------

    def _seed_book(self, spec: SymbolSpec) -> SymbolState:
        rng, tick = self.rng, spec.tick
        mid = spec.price.quantize(tick)
        bids, asks = _Side(True), _Side(False)
        bid, ask = mid - tick, mid + tick
        for _ in range(spec.levels):
            if bid > 0:  # a cheap pair may run out of positive ticks
                bids.set(bid, self._level_qty(spec))
            asks.set(ask, self._level_qty(spec))
            bid -= tick * rng.randint(1, 3)
            ask += tick * rng.randint(1, 3)
        lot = spec.lot
        open_ = (mid * Decimal(str(round(rng.uniform(0.97, 1.03), 6)))).quantize(tick)
        high = (max(open_, mid) * Decimal(str(round(rng.uniform(1.0, 1.02), 6)))).quantize(tick)
        low = (min(open_, mid) * Decimal(str(round(rng.uniform(0.98, 1.0), 6)))).quantize(tick)
        volume = (spec.level_qty * rng.randint(500, 5000)).quantize(lot)
        vwap = ((high + low) / 2).quantize(tick)
        stats = Stats(mid, open_, high, low, volume, volume * vwap, rng.randint(1000, 100_000))
        first_id = rng.randint(1_000_000, 90_000_000)
        book = SymbolState(spec, bids, asks, stats, first_id, deque(maxlen=self.RECENT_TRADES))
        # A short made-up history, so a trade snapshot is never empty.
        now = self.clock()
        for i in range(20):
            qty = max((self._level_qty(spec) / 4).quantize(lot), lot)
            book.recent.append(
                MarketTrade(
                    symbol=spec.symbol,
                    trade_id=book.next_trade_id,
                    side="buy" if rng.random() < 0.5 else "sell",
                    price=mid + tick * rng.randint(-5, 5),
                    qty=qty,
                    ord_type="limit",
                    ts=now - (20 - i) * 1_000_000_000,
                )
            )
            book.next_trade_id += 1
        return book

    def _level_qty(self, spec: SymbolSpec) -> Decimal:
        # Sizes spread over ~0.05x..3x the typical level size, never below one lot.
        typical = int(spec.level_qty.scaleb(spec.qty_precision))
        lots = int(typical * self.rng.uniform(0.05, 3.0))
        return Decimal(max(lots, 1)).scaleb(-spec.qty_precision)

    def _near_top_rank(self, side: _Side) -> int:
        # Most activity sits at the top of the book, as on a real venue.
        return min(int(self.rng.expovariate(0.3)), len(side) - 1)

    @staticmethod
    def _put(side: _Side, changes: dict[Decimal, Decimal], price: Decimal, qty: Decimal) -> None:
        side.set(price, qty)
        changes[price] = qty

    #: Ticks behind the touch where levels are added and removed, and how many levels
    #: that window holds on average: the density the random walk is pulled back to.
    WINDOW_TICKS = 30
    WINDOW_TARGET = 15

    def _restructure(self, b: SymbolState, is_bid: bool, changes: dict[Decimal, Decimal]) -> None:
        spec, rng = b.spec, self.rng
        tick = spec.tick
        side = b.bids if is_bid else b.asks
        best_bid, best_ask = b.bids.at_rank(0), b.asks.at_rank(0)
        gap = int((best_ask - best_bid) / tick)
        if gap > 1 and rng.random() < min(0.9, 0.25 * (gap - 1)):
            # Improve the touch inside the spread: with trades, this walks the price.
            k = rng.randint(1, gap - 1)
            price = best_bid + tick * k if is_bid else best_ask - tick * k
            self._put(side, changes, price, self._level_qty(spec))
            return
        best = best_bid if is_bid else best_ask
        edge = best - tick * self.WINDOW_TICKS if is_bid else best + tick * self.WINDOW_TICKS
        if is_bid:
            in_window = len(side) - bisect.bisect_left(side.prices, edge)
        else:
            in_window = bisect.bisect_right(side.prices, edge)
        # Add or cancel with odds that pull the window's density back to its target.
        if rng.random() < self.WINDOW_TARGET / (in_window + self.WINDOW_TARGET):
            k = rng.randint(1, self.WINDOW_TICKS)
            price = best - tick * k if is_bid else best + tick * k
            if price > 0:
                self._put(side, changes, price, self._level_qty(spec))
        elif len(side) > 1:
            self._put(side, changes, side.at_rank(self._near_top_rank(side)), Decimal(0))

    def _trade(
        self,
        b: SymbolState,
        ts: int,
        bids: dict[Decimal, Decimal],
        asks: dict[Decimal, Decimal],
    ) -> list[MarketTrade]:
        spec, rng = b.spec, self.rng
        taker = "buy" if rng.random() < 0.5 else "sell"
        maker, changes = (b.asks, asks) if taker == "buy" else (b.bids, bids)
        wanted = (spec.level_qty * Decimal(str(round(rng.uniform(0.1, 2.5), 4)))).quantize(spec.lot)
        wanted = max(wanted, spec.lot)
        ord_type = "market" if rng.random() < 0.4 else "limit"
        trades: list[MarketTrade] = []
        # Keep at least one level per side, so a touch always exists.
        while wanted and len(maker) > 1:
            price = maker.at_rank(0)
            available = maker.sizes[price]
            fill = min(wanted, available)
            wanted -= fill
            self._put(maker, changes, price, available - fill)
            trade = MarketTrade(spec.symbol, b.next_trade_id, taker, price, fill, ord_type, ts)
            b.next_trade_id += 1
            trades.append(trade)
            b.record(trade)
        return trades

    #: Most levels one pull sweeps, and re-quotes, in a single step.
    MAX_SWEEP = 60
    MAX_REQUOTE = 4

    def _follow(
        self, b: SymbolState, ts: int, bids: dict[Decimal, Decimal], asks: dict[Decimal, Decimal]
    ) -> list[MarketTrade]:
        # Pull the mid toward the venue's price: a taker sweeps the side in the way, then
        # makers re-quote the other side behind it, never through the remaining touch.
        assert self._anchor is not None
        fair, profile = self._anchor
        spec, rng = b.spec, self.rng
        tick, half = spec.tick, profile.half_spread_ticks
        target = round(fair.quote(spec, profile, ts / 1e9) / float(tick))  # in ticks
        twice_mid = round((b.bids.at_rank(0) + b.asks.at_rank(0)) / tick)
        if 2 * (target - half) > twice_mid:
            taker, maker, changes, quoting, quotes = "buy", b.asks, asks, b.bids, bids
            limit, edge = tick * (target + half), tick * (target - half)
        elif 2 * (target + half) < twice_mid:
            taker, maker, changes, quoting, quotes = "sell", b.bids, bids, b.asks, asks
            limit, edge = tick * (target - half), tick * (target + half)
        else:
            return []
        up = taker == "buy"
        trades: list[MarketTrade] = []
        while len(maker) > 1 and len(trades) < self.MAX_SWEEP:
            price = maker.at_rank(0)
            if (price >= limit) if up else (price <= limit):
                break
            trade = MarketTrade(
                spec.symbol, b.next_trade_id, taker, price, maker.sizes[price], "market", ts
            )
            b.next_trade_id += 1
            self._put(maker, changes, price, Decimal(0))
            trades.append(trade)
            b.record(trade)
        # Re-quote from the new edge back toward the old touch, one tick inside the far side.
        far, near = maker.at_rank(0), quoting.at_rank(0)
        price = min(edge, far - tick) if up else max(edge, far + tick)
        for _ in range(self.MAX_REQUOTE):
            if (price <= near) if up else (price >= near):
                break
            self._put(quoting, quotes, price, self._level_qty(spec))
            price += tick * rng.randint(1, 3) * (-1 if up else 1)
        return trades

    def _refill(self, spec: SymbolSpec, side: _Side, changes: dict[Decimal, Decimal]) -> None:
        # Keep the depth near `levels` by adding or trimming at the far end, where no
        # subscription of up to 1000 levels sees it.
        while len(side) < spec.levels:
            worst = side.at_rank(len(side) - 1)
            step = spec.tick * self.rng.randint(1, 3)
            price = worst - step if side.is_bid else worst + step
            if price <= 0:
                return
            self._put(side, changes, price, self._level_qty(spec))
        while len(side) > spec.levels + 20:
            self._put(side, changes, side.at_rank(len(side) - 1), Decimal(0))
