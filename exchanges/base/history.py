"""A symbol's candle history, for emulators whose venue serves candles from before a
client connected (KuCoin ``/api/v1/market/candles``, Kraken ``OHLC``).

:class:`CandleHistory` answers buckets of any span, venue-neutral (:class:`Bar`); each
emulator writes them in its own wire format:

* Buckets that end at or before the emulator's start are **synthetic**: a smooth
  deterministic path of a few sine waves that ends exactly at the market's starting
  price, plus per-bucket wiggle and volume drawn from a hash of (seed, symbol, kind,
  bucket). Any range, however long ago, is answered the same way every time, so a client
  can page through it.
* Later buckets are **aggregated from the prints** the emulator logged (given at query
  time); a bucket without prints is flat at the previous close, volume 0 (the first one
  continues from the starting price, where the synthetic past ends).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from tickwire.exchanges.base.market import MarketTrade, SymbolSpec

__all__ = ["Bar", "CandleHistory", "unit_draw"]

# (amplitude as a fraction of the price, period in seconds) of the synthetic past.
_WAVES = ((0.04, 9 * 86400.0), (0.012, 86400.0), (0.004, 3600.0), (0.0015, 300.0))
_ZERO = Decimal(0)


def unit_draw(*parts: object) -> float:
    """A stable draw in [0, 1) from its arguments (not Python's salted ``hash()``)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class Bar:
    """One bucket: ``begin`` in whole seconds, prices, base and quote volume, prints."""

    begin: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int


class CandleHistory:
    """The synthetic past and the aggregated present of one symbol (see the module)."""

    def __init__(self, spec: SymbolSpec, seed: object, start_ns: int) -> None:
        self.spec = spec
        self.seed = seed
        self.start_s = start_ns // 1_000_000_000
        self._phases = [
            2 * math.pi * unit_draw(seed, spec.symbol, "phase", i) for i in range(len(_WAVES))
        ]

    def price_at(self, t: float) -> Decimal:
        """The synthetic path at ``t`` seconds: the starting price at the emulator's start."""
        dt = t - self.start_s
        g = sum(
            a * (math.sin(2 * math.pi * dt / p + ph) - math.sin(ph))
            for (a, p), ph in zip(_WAVES, self._phases, strict=True)
        )
        return self.on_tick(self.spec.price * Decimal(repr(1 + g)))

    def on_tick(self, price: Decimal) -> Decimal:
        """``price`` rounded to the symbol's tick (never below one tick)."""
        tick = self.spec.tick
        return max(price.quantize(tick, rounding=ROUND_HALF_EVEN), tick)

    def synthetic(self, begin: int, span: int, kind: object) -> Bar:
        """The synthetic bucket of ``span`` seconds at ``begin``; ``kind`` names the
        interval in the draws (so two venues' spellings of one span may differ)."""
        spec = self.spec
        o, c = self.price_at(begin), self.price_at(begin + span)
        wiggle = unit_draw(self.seed, kind, begin, "w")
        spread = Decimal(repr(0.002 * math.sqrt(span / 60) * wiggle))
        hi = self.on_tick(max(o, c) * (1 + spread))
        lo = self.on_tick(min(o, c) * (1 - spread))
        draw = unit_draw(self.seed, spec.symbol, kind, begin, "v")
        volume = (spec.level_qty * Decimal(repr(0.2 + 3 * draw)) * (span // 60 or 1)).quantize(
            spec.lot
        )
        quote = (volume * ((o + c) / 2)).quantize(Decimal(1).scaleb(-(spec.price_precision + 4)))
        prints = 1 + int(draw * 40 * math.sqrt(span / 60))
        return Bar(begin, o, hi, lo, c, volume, quote, prints)

    def bars(
        self, span: int, first: int, last: int, kind: object, trades: Iterable[MarketTrade]
    ) -> list[Bar]:
        """Every bucket of ``span`` seconds beginning in ``[first, last]`` (multiples of
        ``span``), oldest first: synthetic before the start, else aggregated ``trades``
        (every print logged so far, oldest first)."""
        out = [
            self.synthetic(begin, span, kind)
            for begin in range(first, last + 1, span)
            if begin + span <= self.start_s
        ]
        origin = max(first, self.start_s // span * span)
        if origin > last:
            return out
        close = self.spec.price.quantize(self.spec.tick)  # where the synthetic past ends
        buckets: dict[int, list[MarketTrade]] = {}
        for t in trades:
            begin = t.ts // 1_000_000_000 // span * span
            if begin < origin:
                close = t.price
            elif begin <= last:
                buckets.setdefault(begin, []).append(t)
        for begin in range(origin, last + 1, span):
            prints = buckets.get(begin)
            if not prints:
                out.append(Bar(begin, close, close, close, close, _ZERO, _ZERO, 0))
                continue
            prices = [t.price for t in prints]
            volume = sum((t.qty for t in prints), _ZERO)
            quote = sum((t.qty * t.price for t in prints), _ZERO)
            o, close = prices[0], prices[-1]
            out.append(Bar(begin, o, max(prices), min(prices), close, volume, quote, len(prints)))
        return out
