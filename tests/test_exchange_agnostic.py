"""One strategy-shaped test, run unchanged on every built-in venue: only the name differs.

The emulator and the adapter both come from the plugin registry, exactly as a user's
``connect(venue)`` finds them; a small table maps the same assets to each venue's quote.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tickwire.core.book import OrderBook
from tickwire.core.connect import connect
from tickwire.core.registry import default_registry
from tickwire.core.types import BookUpdate, Ticker, Trade

SYMBOLS = {
    "kraken": ["BTC/USD", "ETH/USD"],
    "kucoin": ["BTC/USDT", "ETH/USDT"],
}


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_same_strategy_on_every_venue(venue):
    symbols = SYMBOLS[venue]
    emulator = default_registry().emulator(venue).factory(seed=11, interval=0.01)
    async with emulator, connect(venue, **emulator.endpoints) as client:
        events = client.events()
        await client.subscribe("ticker", symbols)
        await client.subscribe("trades", symbols)
        await client.subscribe("book", symbols)
        wanted = {(kind, s) for kind in (Ticker, Trade, BookUpdate) for s in symbols}
        async with asyncio.timeout(20):
            async for event in events:
                if isinstance(event, Ticker):
                    assert isinstance(event.bid, Decimal) and isinstance(event.ask, Decimal)
                    assert event.bid < event.ask
                elif isinstance(event, Trade):
                    assert isinstance(event.price, Decimal) and event.price > 0
                    assert event.size > 0
                elif isinstance(event, BookUpdate):
                    assert all(isinstance(level.price, Decimal) for level in event.bids)
                else:
                    continue
                assert event.venue == venue and event.ts > 0 and event.symbol in symbols
                wanted.discard((type(event), event.symbol))
                if not wanted:
                    break
        for symbol in symbols:
            book = client.book(symbol)
            assert isinstance(book, OrderBook) and book.synced
            bids, asks = book.bids(10), book.asks(10)
            assert [b.price for b in bids] == sorted((b.price for b in bids), reverse=True)
            assert [a.price for a in asks] == sorted(a.price for a in asks)
            assert book.spread is not None and book.spread > 0
