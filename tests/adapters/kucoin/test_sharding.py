"""1,000 tickers, one subscribe call each: spread over shards, paced under KuCoin's limits."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from helpers import drain

from tickwire.core.types import StreamError, Ticker
from tickwire.exchanges.base.market import SymbolSpec
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import client_for


def specs(n: int) -> list[SymbolSpec]:
    # Shallow books: the emulator builds 1,000 of them.
    return [
        SymbolSpec(
            symbol=f"C{i:04d}/USDT",
            base=f"C{i:04d}",
            quote="USDT",
            price=Decimal("10.5"),
            price_precision=3,
            qty_precision=2,
            level_qty=Decimal("5"),
            qty_min=Decimal("0.01"),
            cost_min=Decimal("0.1"),
            levels=10,
        )
        for i in range(n)
    ]


async def assert_tickers_for_all(client, ex: KucoinEmulator, events, symbols: list[str]) -> None:
    for name in ex.symbols:
        await ex.burst("/market/ticker", name, 1)
    await client.native.barrier()
    seen = await drain(events)
    assert {e.symbol for e in seen if isinstance(e, Ticker)} == set(symbols)
    assert not [e for e in seen if isinstance(e, StreamError)]


@pytest.mark.timeout(120)
async def test_1000_concurrent_single_symbol_subscribes():
    async with KucoinEmulator(seed=3, symbols=specs(1000), interval=None) as ex:
        symbols = [s.replace("-", "/") for s in ex.symbols]
        async with client_for(ex, full_book=False) as client:
            events = client.events()
            started = time.monotonic()
            await asyncio.gather(*(client.subscribe("ticker", [s]) for s in symbols))
            elapsed = time.monotonic() - started
            assert len(client.subscriptions) == 1000
            assert len(client.shards) == 4  # ⌈1000 / 300⌉
            assert all(len(shard.topics) <= 300 for shard in client.shards)
            await assert_tickers_for_all(client, ex, events, symbols)
            sent = sum(s.messages for s in ex.connection_stats)
            print(
                f"\n1,000 gathered subscribes: {elapsed:.2f}s, {len(ex.connection_stats)} "
                f"connections, {sent} upstream messages, max {ex.max_window_messages}/window"
            )
        assert sent < 30  # coalesced: ≤100 topics per message, plus the barrier pings
        assert ex.max_window_messages <= 100
        assert ex.refusals == 0


@pytest.mark.slow  # ~11 s of real pacing: 110 messages against 100 per 10 s
@pytest.mark.timeout(120)
async def test_sequential_subscribes_are_paced_under_the_message_limit():
    # 110 awaited calls on one connection: more than the 100 per 10 s KuCoin allows.
    async with KucoinEmulator(seed=4, symbols=specs(110), interval=None) as ex:
        symbols = [s.replace("-", "/") for s in ex.symbols]
        async with client_for(ex, full_book=False) as client:
            events = client.events()
            started = time.monotonic()
            for symbol in symbols:
                await client.subscribe("ticker", [symbol])
            elapsed = time.monotonic() - started
            assert len(client.shards) == 1
            await assert_tickers_for_all(client, ex, events, symbols)
            print(
                f"\n110 sequential subscribes: {elapsed:.2f}s, max {ex.max_window_messages}/window"
            )
        assert ex.max_window_messages <= 100
        assert ex.refusals == 0
