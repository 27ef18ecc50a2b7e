"""A Kraken client that runs for weeks: its task count stays flat across reconnects.

Over real sockets against the Kraken emulator. Issue 8 found ``BaseClient`` keeping
every task it ever spawned (199 finished ones after 200 reconnects/resyncs on Kraken);
core now forgets finished tasks, and this proves it for the Kraken client: every forced
reconnect and every book resync (each spawns a renewal task) leaves the counts as they
were.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import next_of

from tickwire.adapters.kraken import client as kraken_client
from tickwire.core.config import ClientConfig, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.ratelimit import Quota
from tickwire.core.types import StreamState, StreamStatus
from tickwire.exchanges.kraken import KrakenEmulator

ROUNDS = 200
FAST = ReconnectPolicy(base_delay=0.001, max_delay=0.01)


async def settled(client: Any) -> tuple[int, int]:
    """Task counts once the client is idle: a ping's pong travels behind every frame
    already sent, and done-callbacks (which forget finished tasks) run before it."""
    reply = await client.native.request({"method": "ping"}, timeout=10)
    assert reply["method"] == "pong"
    return len(asyncio.all_tasks()), len(client._owned)


@pytest.mark.timeout(300)
async def test_task_count_stays_flat_across_200_reconnects_and_resyncs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each round sends 5 subscribe/unsubscribe messages, paced at Kraken's 20/s: lifted
    # here, where only task counts are measured, so 200 rounds take seconds, not minutes.
    monkeypatch.setattr(
        kraken_client.KrakenClient, "request_quota", Quota(limit=10_000, window=1.0)
    )
    async with KrakenEmulator(seed=3, interval=None) as ex:
        config = ClientConfig(
            venue="kraken",
            reconnect=FAST,
            heartbeat=HeartbeatPolicy(stale_after={}),
            **ex.endpoints,
        )
        async with connect(config) as client:
            events = client.events()
            await client.subscribe("ticker", ["BTC/USD"])
            await client.subscribe("book", ["ETH/USD"], depth=10)

            async def round_trip() -> None:
                await ex.drop_all()  # a forced reconnect: new socket, resubscribe all
                await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
                ex.corrupt_next_checksum("ETH/USD")  # a resync: a renewal task is spawned
                await ex.burst("book", "ETH/USD", 1)
                await next_of(events, StreamStatus, state=StreamState.RESYNCED)

            await round_trip()  # whatever is created lazily exists from here on
            before = await settled(client)
            for _ in range(ROUNDS):
                await round_trip()
            after = await settled(client)
            assert ex.connection_count >= ROUNDS + 2
    # Flat: what ran for each reconnect or resync is gone, not kept (199 were before).
    assert after[0] <= before[0] + 2, (before, after)
    assert after[1] <= before[1] + 2, (before, after)
