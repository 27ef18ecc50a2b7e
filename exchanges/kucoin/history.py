"""Trade and candle history of the KuCoin emulator's symbols (``/market/histories``, ``candles``).

The venue answers history from before a client connected; the emulator has a past too:

* **Trades** are logged as the market prints them (with their engine sequence), after the
  market's seeded prints, up to :data:`MAX_TRADES` per symbol; ``/api/v1/market/histories``
  shows the last 100, oldest first.
* **Candles** of buckets that start at or after the emulator's start are aggregated from
  that log (a bucket without trades is flat at the previous close, volume 0). Buckets
  before the start are synthetic: a smooth deterministic path of a few sine waves that
  ends exactly at the market's starting price, plus per-bucket wiggle and volume drawn
  from a hash of (seed, symbol, type, bucket). So any range, however long ago, is
  answered the same way every time, and a client can page through it.

Rows are KuCoin's: ``[start (s), open, close, high, low, volume, turnover]``, all strings,
newest first, at most :data:`MAX_CANDLES` per answer (the newest of the range).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from tickwire.exchanges.base.market import MarketTrade, SymbolSpec
from tickwire.exchanges.kucoin.frames import dec

__all__ = ["MAX_CANDLES", "MAX_TRADES", "TRADES_SHOWN", "History", "LoggedTrade"]

MAX_TRADES = 200_000
"""Trades remembered per symbol (oldest dropped first)."""
MAX_CANDLES = 1500
"""The venue's cap on candles per ``/api/v1/market/candles`` answer."""
TRADES_SHOWN = 100
"""``/api/v1/market/histories`` answers the last 100 trades."""

# (amplitude as a fraction of the price, period in seconds) of the synthetic past.
_WAVES = ((0.04, 9 * 86400.0), (0.012, 86400.0), (0.004, 3600.0), (0.0015, 300.0))


@dataclass(frozen=True, slots=True)
class LoggedTrade:
    """One print with the engine sequence it consumed."""

    trade: MarketTrade
    sequence: int


def _unit(*parts: object) -> float:
    # A stable draw in [0, 1) from its arguments (not Python's salted hash()).
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class History:
    """Trade log and candle answers for one symbol."""

    def __init__(self, spec: SymbolSpec, seed: object, start_ns: int) -> None:
        self.spec = spec
        self.seed = seed
        self.start_s = start_ns // 1_000_000_000
        self.trades: deque[LoggedTrade] = deque(maxlen=MAX_TRADES)
        self._phases = [
            2 * math.pi * _unit(seed, spec.symbol, "phase", i) for i in range(len(_WAVES))
        ]

    def log(self, trades: Iterable[tuple[MarketTrade, int]]) -> None:
        """Record prints with their sequences."""
        self.trades.extend(LoggedTrade(t, s) for t, s in trades)

    def recent(self, limit: int = TRADES_SHOWN) -> list[LoggedTrade]:
        """The last ``limit`` prints, oldest first."""
        n = len(self.trades)
        return [self.trades[i] for i in range(max(n - limit, 0), n)]

    # -- candles ---------------------------------------------------------------------

    def _price(self, t: float) -> Decimal:
        # The synthetic past: equals the starting price at the emulator's start.
        dt = t - self.start_s
        g = sum(
            a * (math.sin(2 * math.pi * dt / p + ph) - math.sin(ph))
            for (a, p), ph in zip(_WAVES, self._phases, strict=True)
        )
        return self._tick(self.spec.price * Decimal(repr(1 + g)))

    def _tick(self, price: Decimal) -> Decimal:
        tick = self.spec.tick
        return max(price.quantize(tick, rounding=ROUND_HALF_EVEN), tick)

    def _synthetic(self, begin: int, span: int, kind: str) -> list[str]:
        spec = self.spec
        o, c = self._price(begin), self._price(begin + span)
        wiggle = Decimal(repr(0.002 * math.sqrt(span / 60) * _unit(self.seed, kind, begin, "w")))
        hi = self._tick(max(o, c) * (1 + wiggle))
        lo = self._tick(min(o, c) * (1 - wiggle))
        draw = _unit(self.seed, spec.symbol, kind, begin, "v")
        volume = (spec.level_qty * Decimal(repr(0.2 + 3 * draw)) * (span // 60 or 1)).quantize(
            spec.lot
        )
        mid = (o + c) / 2
        turnover = (volume * mid).quantize(Decimal(1).scaleb(-(spec.price_precision + 4)))
        return [str(begin), dec(o), dec(c), dec(hi), dec(lo), dec(volume), dec(turnover)]

    def candles(
        self, kind: str, span: int, start_s: int, end_s: int, now_s: int
    ) -> list[list[str]]:
        """Buckets of ``span`` seconds beginning in ``[start_s, end_s)``, newest first.

        Buckets after ``now_s`` do not exist yet; at most :data:`MAX_CANDLES`, the newest.
        """
        end_s = min(end_s, now_s + 1)
        first = -(-start_s // span) * span  # the first bucket beginning at or after start
        last = (end_s - 1) // span * span
        if last < first:
            return []
        first = max(first, last - (MAX_CANDLES - 1) * span)
        live = self._live(span, first, last)
        rows = []
        for begin in range(last, first - 1, -span):
            if begin + span <= self.start_s:
                rows.append(self._synthetic(begin, span, kind))
            elif begin in live:
                rows.append(live[begin])
        return rows

    def _live(self, span: int, first: int, last: int) -> dict[int, list[str]]:
        # Aggregate the log into buckets from the one holding the start up to ``last``;
        # empty buckets repeat the previous close (the synthetic path's at the start).
        origin = max(first, self.start_s // span * span)
        if origin > last:
            return {}
        close = self.spec.price.quantize(self.spec.tick)  # where the synthetic past ends
        buckets: dict[int, list[MarketTrade]] = {}
        for logged in self.trades:
            t = logged.trade
            begin = t.ts // 1_000_000_000 // span * span
            if begin < origin:
                close = t.price
            elif begin <= last:
                buckets.setdefault(begin, []).append(t)
        out: dict[int, list[str]] = {}
        zero = Decimal(0)
        for begin in range(origin, last + 1, span):
            prints = buckets.get(begin)
            if not prints:
                out[begin] = [str(begin), *(dec(close),) * 4, "0", "0"]
                continue
            prices = [t.price for t in prints]
            volume = sum((t.qty for t in prints), zero)
            turnover = sum((t.qty * t.price for t in prints), zero)
            o, close = prices[0], prices[-1]
            out[begin] = [
                str(begin),
                dec(o),
                dec(close),
                dec(max(prices)),
                dec(min(prices)),
                dec(volume),
                dec(turnover),
            ]
        return out
