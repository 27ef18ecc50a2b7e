"""Trade and candle history of the KuCoin emulator's symbols (``/market/histories``, ``candles``).

The venue answers history from before a client connected; the emulator has a past too:

* **Trades** are logged as the market prints them (with their engine sequence), after the
  market's seeded prints, up to :data:`MAX_TRADES` per symbol; ``/api/v1/market/histories``
  shows the last 100, oldest first.
* **Candles** come from :class:`~tickwire.exchanges.base.history.CandleHistory` (shared
  with the Kraken emulator): buckets that start at or after the emulator's start are
  aggregated from that log (a bucket without trades is flat at the previous close,
  volume 0); buckets before the start are synthetic, a deterministic path that ends
  exactly at the market's starting price, drawn per (seed, symbol, type, bucket). So any
  range, however long ago, is answered the same way every time, and a client can page
  through it.

Rows are KuCoin's: ``[start (s), open, close, high, low, volume, turnover]``, all strings,
newest first, at most :data:`MAX_CANDLES` per answer (the newest of the range).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from tickwire.exchanges.base.history import Bar, CandleHistory
from tickwire.exchanges.base.market import MarketTrade, SymbolSpec
from tickwire.exchanges.kucoin.frames import dec

__all__ = ["MAX_CANDLES", "MAX_TRADES", "TRADES_SHOWN", "History", "LoggedTrade"]

MAX_TRADES = 200_000
"""Trades remembered per symbol (oldest dropped first)."""
MAX_CANDLES = 1500
"""The venue's cap on candles per ``/api/v1/market/candles`` answer."""
TRADES_SHOWN = 100
"""``/api/v1/market/histories`` answers the last 100 trades."""


@dataclass(frozen=True, slots=True)
class LoggedTrade:
    """One print with the engine sequence it consumed."""

    trade: MarketTrade
    sequence: int


class History:
    """Trade log and candle answers for one symbol."""

    def __init__(self, spec: SymbolSpec, seed: object, start_ns: int) -> None:
        self.spec = spec
        self.seed = seed
        self.past = CandleHistory(spec, seed, start_ns)
        self.start_s = self.past.start_s
        self.trades: deque[LoggedTrade] = deque(maxlen=MAX_TRADES)

    def log(self, trades: Iterable[tuple[MarketTrade, int]]) -> None:
        """Record prints with their sequences."""
        self.trades.extend(LoggedTrade(t, s) for t, s in trades)

    def recent(self, limit: int = TRADES_SHOWN) -> list[LoggedTrade]:
        """The last ``limit`` prints, oldest first."""
        n = len(self.trades)
        return [self.trades[i] for i in range(max(n - limit, 0), n)]

    def candles(
        self, kind: str, span: int, start_s: int, end_s: int, now_s: int
    ) -> list[list[str]]:
        """Buckets of ``span`` seconds beginning in ``[start_s, end_s)``, newest first.

        Buckets after ``now_s`` do not exist yet; at most :data:`MAX_CANDLES`, the newest.
        """
        if self.trades:  # a bucket holding a print exists, whatever this machine's clock
            now_s = max(now_s, self.trades[-1].trade.ts // 1_000_000_000)
        end_s = min(end_s, now_s + 1)
        first = -(-start_s // span) * span  # the first bucket beginning at or after start
        last = (end_s - 1) // span * span
        if last < first:
            return []
        first = max(first, last - (MAX_CANDLES - 1) * span)
        bars = self.past.bars(span, first, last, kind, (t.trade for t in self.trades))
        return [_row(bar) for bar in reversed(bars)]


def _row(bar: Bar) -> list[str]:
    # KuCoin's row order: time, open, close, high, low, volume, turnover.
    volume, turnover = (dec(bar.volume), dec(bar.quote_volume)) if bar.trades else ("0", "0")
    return [str(bar.begin), dec(bar.open), dec(bar.close), dec(bar.high), dec(bar.low),
            volume, turnover]  # fmt: skip
