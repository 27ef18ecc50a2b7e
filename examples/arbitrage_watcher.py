"""Cross-venue arbitrage watcher: buy on one venue's ask, sell on the other's bid, net of fees.

    cd examples
    python arbitrage_watcher.py configs/kraken.toml configs/kucoin.toml \\
        --fee kraken=0.0026 --fee kucoin=0.001 [--offline] [--duration 10]

It reads the top of each venue's live book (the configs' book subscriptions) and, on
every book update, checks both directions for every market both venues list. An
opportunity is printed when buying at one ask and selling at the other bid, after both
taker fees, still earns something; its size is what both top levels can fill. Watching
only: nothing is traded, and transfer costs and latency are not modelled.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from venues import arguments, bps, market_key, open_clients, run_for

from tickwire.core import BookUpdate, Event, StreamClient
from tickwire.core.program import run

DEFAULT_TAKER_FEE = Decimal("0.004")  # conservative; pass your account's with --fee


def net_edge(ask: Decimal, bid: Decimal, buy_fee: Decimal, sell_fee: Decimal) -> Decimal:
    """Quote earned per unit bought at ``ask`` and sold at ``bid``, after both taker fees."""
    return bid * (1 - sell_fee) - ask * (1 + buy_fee)


class ArbitrageWatcher:
    """Compares the books of every market the clients share, in both directions."""

    def __init__(self, clients: Sequence[StreamClient], fees: dict[str, Decimal]) -> None:
        self.clients = {client.venue: client for client in clients}
        self.fees = fees
        self.symbols: dict[str, dict[str, str]] = {}  # market → venue → symbol
        self.found: Counter[str] = Counter()  # "buy kraken → sell kucoin BTC/USD" → count
        self.best: dict[str, Decimal] = {}  # same key → best edge seen, bps
        self.shown: dict[str, tuple[Decimal, Decimal]] = {}

    def on_event(self, event: Event) -> None:
        """The callback both clients deliver every event to."""
        if not isinstance(event, BookUpdate):
            return
        market = market_key(event.symbol)
        venues = self.symbols.setdefault(market, {})
        venues[event.venue] = event.symbol
        if len(venues) < 2:
            return
        for buy_venue, sell_venue in ((a, b) for a in venues for b in venues if a != b):
            self._check(market, buy_venue, sell_venue)

    def _check(self, market: str, buy_venue: str, sell_venue: str) -> None:
        buy_book = self.clients[buy_venue].book(self.symbols[market][buy_venue])
        sell_book = self.clients[sell_venue].book(self.symbols[market][sell_venue])
        ask, bid = buy_book.best_ask, sell_book.best_bid
        if not (buy_book.synced and sell_book.synced) or ask is None or bid is None:
            return  # a book is resyncing: its top is not to be trusted now
        edge = net_edge(ask.price, bid.price, self.fees[buy_venue], self.fees[sell_venue])
        if edge <= 0:
            return
        key = f"buy {buy_venue} → sell {sell_venue} {market}"
        self.found[key] += 1
        edge_bps = bps(edge, ask.price)
        self.best[key] = max(edge_bps, self.best.get(key, edge_bps))
        if self.shown.get(key) != (ask.price, bid.price):  # print each new price pair once
            self.shown[key] = (ask.price, bid.price)
            size = min(ask.size, bid.size)
            print(
                f"{key}: ask {ask.price} bid {bid.price} size {size} "
                f"net {edge_bps} bps ({edge * size:.2f} per fill)",
                flush=True,
            )

    def summary(self) -> None:
        """How often each direction paid, and its best net edge."""
        if not self.found:
            print("no opportunity net of fees", flush=True)
        for key, count in self.found.most_common():
            print(f"{key}: {count} book updates with an edge, best {self.best[key]} bps")


def fee_table(pairs: Sequence[str], venues: Sequence[str]) -> dict[str, Decimal]:
    """``["kraken=0.0026"]`` → taker fee per venue; unnamed venues get the default."""
    fees = dict.fromkeys(venues, DEFAULT_TAKER_FEE)
    for pair in pairs:
        venue, _, rate = pair.partition("=")
        fees[venue] = Decimal(rate)
    return fees


async def main(argv: Sequence[str] | None = None) -> None:
    """Watch two venues until ``--duration`` ends (or Ctrl-C)."""
    parser = arguments(__doc__.splitlines()[0], configs=2)
    parser.add_argument("--fee", action="append", default=[], metavar="VENUE=RATE")
    args = parser.parse_args(argv)
    async with open_clients(args.config, offline=args.offline) as clients:
        watcher = ArbitrageWatcher(clients, fee_table(args.fee, [c.venue for c in clients]))
        for client in clients:
            client.on_event(watcher.on_event)
        await run_for(args.duration)
    watcher.summary()


if __name__ == "__main__":
    run(main(sys.argv[1:]))  # one line per failure (TICKWIRE_DEBUG=1: the traceback)
