"""``client.ticker(symbol)`` and ``client.snapshot()`` against a consumer's own record.

On both built-in venues, over real sockets against the emulators: whenever the consumer
has caught up (its queue is empty, so it has seen every event delivered), the client's
latest state must equal what the consumer saw last, symbol by symbol.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tickwire.core import Ticker, Trade, connect
from tickwire.core.registry import default_registry

SYMBOLS = {"kraken": ["BTC/USD", "ETH/USD"], "kucoin": ["BTC/USDT", "ETH/USDT"]}
NATIVE = {"kraken": lambda s: s, "kucoin": lambda s: s.replace("/", "-")}


def _emulator(venue: str) -> Any:
    spec = next(s for s in default_registry().emulators.values() if s.venue == venue)
    return spec.factory(seed=7)


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_ticker_and_snapshot_equal_the_last_delivered_events(venue: str) -> None:
    symbols = SYMBOLS[venue]
    async with _emulator(venue) as emulator, connect(venue, **emulator.endpoints) as client:
        events = client.events()
        for channel in ("ticker", "trades", "book"):
            await client.subscribe(channel, symbols)
        assert client.ticker(symbols[0]) is None or isinstance(client.ticker(symbols[0]), Ticker)
        tickers: dict[str, Ticker] = {}
        trades: dict[str, Trade] = {}
        compared = 0
        async with asyncio.timeout(20):
            while compared < 200:
                for symbol in symbols:
                    await emulator.step(5, symbol=NATIVE[venue](symbol))
                async for event in events:
                    if isinstance(event, Ticker):
                        tickers[event.symbol] = event
                    elif isinstance(event, Trade):
                        trades[event.symbol] = event
                    if len(events) == 0:  # caught up: compare, then feed the market more
                        break
                snapshot = client.snapshot()
                for symbol in symbols:
                    assert client.ticker(symbol) == tickers.get(symbol)
                    if symbol in tickers or symbol in trades:
                        state = snapshot[symbol]
                        assert state.ticker == tickers.get(symbol)
                        assert state.last_trade == trades.get(symbol)
                        book = client.book(symbol)
                        if book.synced and book.best_bid is not None:
                            assert state.bid == book.best_bid.price
                    compared += 1
        assert tickers and trades  # the comparison saw both kinds
        assert isinstance(snapshot[symbols[0]].ticker, Ticker)
        with pytest.raises(KeyError):
            snapshot["NOPE/USD"]
