"""Book-imbalance signal: who is leaning on the book, buyers or sellers?

    cd examples
    python book_imbalance.py configs/kraken.toml [--offline] [--duration 10]

For every book the config subscribes, on every update, the imbalance of the top
``--levels`` levels is (bid size - ask size) / (bid size + ask size), from -1 (only
sellers) to +1 (only buyers). Past ``--threshold`` either way the signal is buy or sell
pressure; each change of signal is printed. The venue is whatever the config names.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from venues import arguments, open_clients, run_for

from tickwire.core import BookUpdate, Event, OrderBook, StreamClient
from tickwire.core.program import run


def imbalance(book: OrderBook, levels: int) -> Decimal | None:
    """(bid size - ask size) / total over the top ``levels``; None for an empty book."""
    bid_size = sum((level.size for level in book.bids(levels)), Decimal(0))
    ask_size = sum((level.size for level in book.asks(levels)), Decimal(0))
    total = bid_size + ask_size
    return (bid_size - ask_size) / total if total else None


class ImbalanceSignal:
    """Turns book updates into a buy / sell / flat signal per symbol."""

    def __init__(self, client: StreamClient, levels: int, threshold: Decimal) -> None:
        self.client = client
        self.levels = levels
        self.threshold = threshold
        self.signal: dict[str, str] = {}
        self.readings: dict[str, list[Decimal]] = defaultdict(list)

    def on_event(self, event: Event) -> None:
        """The client's callback."""
        if not isinstance(event, BookUpdate):
            return
        book = self.client.book(event.symbol)
        value = imbalance(book, self.levels) if book.synced else None
        if value is None:
            return
        self.readings[event.symbol].append(value)
        signal = "flat"
        if value > self.threshold:
            signal = "buy pressure"
        elif value < -self.threshold:
            signal = "sell pressure"
        if self.signal.get(event.symbol) != signal:
            self.signal[event.symbol] = signal
            print(f"{event.venue} {event.symbol}: imbalance {value:+.2f} → {signal}", flush=True)

    def summary(self) -> None:
        """Per symbol: updates read, mean imbalance, the last signal."""
        for symbol, values in sorted(self.readings.items()):
            mean = sum(values, Decimal(0)) / len(values)
            print(
                f"{self.client.venue} {symbol}: {len(values)} updates, "
                f"mean imbalance {mean:+.2f}, now {self.signal[symbol]}"
            )


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the signal on one venue until ``--duration`` ends (or Ctrl-C)."""
    parser = arguments(__doc__.splitlines()[0], configs=1)
    parser.add_argument("--levels", type=int, default=5, help="book levels per side (5)")
    parser.add_argument("--threshold", type=Decimal, default=Decimal("0.3"), help="(0.3)")
    args = parser.parse_args(argv)
    async with open_clients(args.config, offline=args.offline) as (client,):
        signal = ImbalanceSignal(client, args.levels, args.threshold)
        client.on_event(signal.on_event)
        await run_for(args.duration)
    signal.summary()


if __name__ == "__main__":
    run(main(sys.argv[1:]))  # one line per failure (TICKWIRE_DEBUG=1: the traceback)
