"""ccxt.pro ``kucoin`` against the KuCoin emulator: markets and the public streams.

Default options, URL override only (:func:`kucoin_peers.ccxt_kucoin`). Each test checks
ccxt's own objects against the emulator's truth: the markets it built, the book it
maintains (caught up to the emulator's last sequence, then equal to the true book), the
ticker and the trades it parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kucoin_peers import SYMBOLS, as_floats, ccxt_kucoin, not_crossed

from tickwire.exchanges.kucoin import KucoinEmulator

pytest.importorskip("ccxt.pro")

WAIT = 10.0


@pytest.fixture
async def emulator() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=3, interval=None) as ex:
        yield ex


async def test_load_markets_are_the_emulator_symbols(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        markets = await client.load_markets()
        assert set(markets) == set(SYMBOLS)
        for symbol, name in SYMBOLS.items():
            market, spec = markets[symbol], emulator.feed.symbols[name].spec
            assert (market["id"], market["spot"], market["active"]) == (name, True, True)
            assert market["precision"]["price"] == float(spec.tick)
            assert market["precision"]["amount"] == float(spec.lot)
            assert market["limits"]["amount"]["min"] == float(spec.qty_min)
        assert {"BTC", "ETH", "SOL", "USDT"} <= set(client.currencies)


async def _stepping(ex: KucoinEmulator, name: str, steps: int) -> None:
    # A few events at a time, yielding so the peer reads while the market moves.
    for _ in range(steps // 5):
        await ex.step(5, name)
        await asyncio.sleep(0)


async def caught_up_book(client: Any, symbol: str, sequence: int) -> Any:
    """ccxt's book once it has applied the increment numbered ``sequence``."""
    async with asyncio.timeout(WAIT):
        while True:
            book = client.orderbooks.get(symbol)
            if book is not None and book["nonce"] >= sequence:
                return book
            await client.watch_order_book(symbol)  # behind: more increments are due


async def test_watch_order_book_is_the_true_book(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        await client.load_markets()
        first = asyncio.ensure_future(client.watch_order_book("BTC/USDT"))
        while not first.done():  # ccxt syncs from the snapshot once increments flow
            await _stepping(emulator, "BTC-USDT", 10)
        await first
        await _stepping(emulator, "BTC-USDT", 300)
        sequence = emulator.sequence("BTC-USDT")
        book = await caught_up_book(client, "BTC/USDT", sequence)
        assert book["nonce"] == sequence
        bids, asks = emulator.book("BTC-USDT", 50)
        # ccxt's KuCoin levels carry the level's sequence third; price and size first.
        assert [level[:2] for level in book["bids"][:50]] == as_floats(bids)
        assert [level[:2] for level in book["asks"][:50]] == as_floats(asks)
        assert not_crossed(book["bids"], book["asks"])


async def test_watch_ticker_is_the_true_top(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        await client.load_markets()
        ticker = asyncio.ensure_future(client.watch_ticker("ETH/USDT"))
        while not ticker.done():  # ccxt reads /market/snapshot, pushed every 2 s or forced
            await emulator.burst("/market/snapshot", "ETH-USDT", 1)
            await asyncio.sleep(0)
        await ticker
        # The market stands still now: the last snapshot pushed shows the true top.
        (bid, _), (ask, _) = (side[0] for side in emulator.book("ETH-USDT", 1))
        last = emulator.feed.last_trade("ETH-USDT").price
        truth = ("ETH/USDT", float(bid), float(ask), float(last))

        def seen() -> tuple[Any, ...]:
            got = client.tickers["ETH/USDT"]
            return (got["symbol"], got["bid"], got["ask"], got["last"])

        async with asyncio.timeout(WAIT):
            while seen() != truth:
                await client.watch_ticker("ETH/USDT")  # an older snapshot: more are due
        assert truth[1] < truth[2]


async def test_watch_trades_are_the_printed_trades(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        await client.load_markets()
        seen: dict[str, Any] = {}
        trades = asyncio.ensure_future(client.watch_trades("SOL/USDT"))
        while not trades.done():
            await emulator.burst("/market/match", "SOL-USDT", 1)
            await asyncio.sleep(0)
        steps = await emulator.burst("/market/match", "SOL-USDT", 30)
        assert steps
        printed = emulator.market.recent_trades("SOL/USDT", 100)
        wanted = {str(t.trade_id) for t in printed[-30:]}
        async with asyncio.timeout(WAIT):
            for trade in await trades:
                seen[trade["id"]] = trade
            while not wanted <= set(seen):
                for trade in await client.watch_trades("SOL/USDT"):
                    seen[trade["id"]] = trade
        for t in printed[-30:]:
            got = seen[str(t.trade_id)]
            assert (got["symbol"], got["side"]) == ("SOL/USDT", t.side)
            assert (got["price"], got["amount"]) == (float(t.price), float(t.qty))
            assert got["timestamp"] == t.ts // 1_000_000
