"""Cross-venue spread monitor: the same asset's mid price on two venues, side by side.

    cd examples
    python spread_monitor.py configs/kraken.toml configs/kucoin.toml
    python spread_monitor.py configs/kraken.toml configs/kucoin.toml --offline --duration 10

Each config's ticker subscriptions say what to watch; ``BTC/USD`` on one venue and
``BTC/USDT`` on the other count as one market (see ``venues.DOLLARS``). Nothing here
names a venue: change a config file and the same program watches another pair of venues.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from venues import arguments, bps, market_key, open_clients, run_for

from tickwire.core import Event, Ticker
from tickwire.core.program import run


class SpreadMonitor:
    """Keeps each venue's latest mid per market and prints the gap when it moves."""

    def __init__(self, threshold_bps: Decimal = Decimal("0.5")) -> None:
        self.threshold = threshold_bps
        self.mids: dict[str, dict[str, Decimal]] = defaultdict(dict)  # market → venue → mid
        self.spreads: dict[str, list[Decimal]] = defaultdict(list)  # market → gaps seen, bps
        self.shown: dict[str, Decimal] = {}

    def on_event(self, event: Event) -> None:
        """The callback both clients deliver every event to."""
        if not isinstance(event, Ticker) or event.bid is None or event.ask is None:
            return
        market = market_key(event.symbol)
        mids = self.mids[market]
        mids[event.venue] = (event.bid + event.ask) / 2
        if len(mids) < 2:
            return  # not seen on the other venue yet
        (low_venue, low), (high_venue, high) = sorted(mids.items(), key=lambda item: item[1])
        gap = bps(high - low, low)
        self.spreads[market].append(gap)
        if abs(gap - self.shown.get(market, Decimal(-1))) >= self.threshold:
            self.shown[market] = gap
            print(
                f"{market:<9} {low_venue} {low:.2f} < {high_venue} {high:.2f}  gap {gap} bps",
                flush=True,
            )

    def summary(self) -> None:
        """One line per market: how many comparisons, and the gap's range."""
        for market, gaps in sorted(self.spreads.items()):
            mean = (sum(gaps, Decimal(0)) / len(gaps)).quantize(Decimal("0.1"))
            print(
                f"{market}: {len(gaps)} comparisons, gap {min(gaps)}..{max(gaps)} bps, mean {mean}"
            )


async def main(argv: Sequence[str] | None = None) -> None:
    """Watch two venues until ``--duration`` ends (or Ctrl-C)."""
    args = arguments(__doc__.splitlines()[0], configs=2).parse_args(argv)
    monitor = SpreadMonitor()
    async with open_clients(args.config, offline=args.offline) as clients:
        if clients[0].venue == clients[1].venue:
            raise SystemExit("give two configs of two different venues")
        for client in clients:
            client.on_event(monitor.on_event)
        await run_for(args.duration)
    monitor.summary()


if __name__ == "__main__":
    run(main(sys.argv[1:]))  # one line per failure (TICKWIRE_DEBUG=1: the traceback)
