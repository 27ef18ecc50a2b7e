"""Token renewal, make-before-break: short-lived tokens, a long stream, no gap, no dup.

The one-minute run of 5-second tokens is the slow step's (``pytest -m slow``); the default
run streams five seconds of 3-second tokens through the same checks.
"""

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


@pytest.mark.parametrize(
    ("token_ttl", "renew_after", "seconds"),
    [
        pytest.param(3.0, 1.0, 5.0, id="5s"),
        pytest.param(5.0, 2.5, 60.0, id="1min", marks=pytest.mark.slow),
    ],
)
@pytest.mark.timeout(180)
async def test_short_lived_tokens_keep_every_subscription_without_gaps(
    token_ttl: float, renew_after: float, seconds: float
) -> None:
    async with KucoinEmulator(seed=5, interval=None, token_ttl=token_ttl) as ex:
        options = {"renew_after": renew_after}
        async with client_for(ex, options=options) as client:
            events = client.events()
            await client.subscribe("ticker", PAIRS)
            await client.subscribe("trades", PAIRS)
            await client.subscribe("book", PAIRS)
            seen: list[Event] = []
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await ex.step(4)
                await asyncio.sleep(0.02)  # market pacing, not a wait for a result
                seen += await drain(events)
            await client.native.barrier()
            seen += await drain(events)
            # Read in one step of the loop: a renewal still opening its socket may or may
            # not have been accepted by the venue yet, and is not counted by the shard.
            shard = client.shards[0]
            renewals, in_flight = shard.renewals, shard.incoming is not None
            connections = len(ex.connection_stats)
            for symbol in PAIRS:
                assert_book_equals_emulator(client, ex, symbol)
                assert client.book(symbol).sequence == ex.sequence(symbol.replace("/", "-"))
        assert renewals >= seconds / renew_after - 3, renewals
        # No socket dropped: every connection but the first was a planned swap (the
        # RECONNECTING check below sees a drop too).
        assert renewals + 1 <= connections <= renewals + 1 + in_flight
        assert not [e for e in seen if isinstance(e, StreamError)]
        bad = {StreamState.RESYNCING, StreamState.RECONNECTING}
        assert not [e for e in seen if isinstance(e, StreamStatus) and e.state in bad]
        trades: dict[str, list[int]] = defaultdict(list)
        for event in seen:
            if isinstance(event, Trade):
                trades[event.symbol].append(int(event.trade_id))
        for symbol in PAIRS:
            ids = trades[symbol]
            assert len(ids) > 50 * seconds / 60, len(ids)  # enough for a gap to show
            assert ids == list(range(ids[0], ids[0] + len(ids)))  # no gap, no duplicate
            books = [e for e in seen if isinstance(e, BookUpdate) and e.symbol == symbol]
            sequences = [b.sequence for b in books[1:]]
            assert sequences == sorted(set(sequences))  # strictly increasing
