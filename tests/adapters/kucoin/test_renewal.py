"""Token renewal, make-before-break: 5-second tokens, a one-minute stream, no gap, no dup."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import pytest
from helpers import drain

from tickwire.core.types import BookUpdate, Event, StreamError, StreamState, StreamStatus, Trade
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import assert_book_equals_emulator, client_for

PAIRS = ["BTC/USDT", "ETH/USDT"]
STREAM_SECONDS = 60.0


@pytest.mark.timeout(180)
async def test_one_minute_of_5_second_tokens_keeps_every_subscription_without_gaps():
    async with KucoinEmulator(seed=5, interval=None, token_ttl=5) as ex:
        options = {"renew_after": 2.5}
        async with client_for(ex, options=options) as client:
            events = client.events()
            await client.subscribe("ticker", PAIRS)
            await client.subscribe("trades", PAIRS)
            await client.subscribe("book", PAIRS)
            seen: list[Event] = []
            deadline = time.monotonic() + STREAM_SECONDS
            while time.monotonic() < deadline:
                await ex.step(4)
                await asyncio.sleep(0.02)  # market pacing, not a wait for a result
                seen += await drain(events)
            await client.native.barrier()
            seen += await drain(events)
            renewals = client.shards[0].renewals
            connections = len(ex.connection_stats)
            for symbol in PAIRS:
                assert_book_equals_emulator(client, ex, symbol)
                assert client.book(symbol).sequence == ex.sequence(symbol.replace("/", "-"))
        assert renewals >= STREAM_SECONDS / 2.5 - 3, renewals
        assert connections == renewals + 1  # no socket dropped: every swap was planned
        assert not [e for e in seen if isinstance(e, StreamError)]
        bad = {StreamState.RESYNCING, StreamState.RECONNECTING}
        assert not [e for e in seen if isinstance(e, StreamStatus) and e.state in bad]
        trades: dict[str, list[int]] = defaultdict(list)
        for event in seen:
            if isinstance(event, Trade):
                trades[event.symbol].append(int(event.trade_id))
        for symbol in PAIRS:
            ids = trades[symbol]
            assert len(ids) > 50
            assert ids == list(range(ids[0], ids[0] + len(ids)))  # no gap, no duplicate
            books = [e for e in seen if isinstance(e, BookUpdate) and e.symbol == symbol]
            sequences = [b.sequence for b in books[1:]]
            assert sequences == sorted(set(sequences))  # strictly increasing
