"""A consumer slower than the feed, on every built-in venue, under both overflow policies.

Over real sockets against the emulators: the market is flooded while the consumer takes
1 ms per event (and at first stops reading altogether), and orders are placed meanwhile.
What must hold (issue 8): orders resolve with their real outcome within their timeout,
every account event reaches the consumer, no heartbeat watchdog fires because the *user*
is slow, the queue stays bounded, and under ``drop_market_data`` the drops are counted
and reported by a ``lagging`` status.
"""

from __future__ import annotations

import asyncio
import resource
from decimal import Decimal
from typing import Any

import pytest

from tickwire.core import (
    ClientConfig,
    HeartbeatPolicy,
    OrderAck,
    OrderRequest,
    OrderUpdate,
    QueuePolicy,
    Side,
    StreamState,
    StreamStatus,
    connect,
)
from tickwire.core.registry import default_registry
from tickwire.core.types import BookUpdate, Event

SYMBOLS = {"kraken": "BTC/USD", "kucoin": "BTC/USDT"}
NATIVE = {"kraken": "BTC/USD", "kucoin": "BTC-USDT"}  # as the emulators' step() spells them
MAXSIZE = 200
ORDERS = 10
PAUSE = 3.0  # the consumer reads nothing for this long: longer than the idle timeout
IDLE_TIMEOUT = 2.0  # Kraken heartbeats about once a second

# Each run floods the market for several seconds and waits out PAUSE on purpose.
pytestmark = pytest.mark.slow


def _emulator(venue: str) -> Any:
    registry = default_registry()
    spec = next(s for s in registry.emulators.values() if s.venue == venue)
    return spec.factory(seed=3)


async def _drain(events: Any) -> None:
    async for _ in events:
        pass


async def _flood(emulator: Any, native: str, until: asyncio.Event) -> None:
    # ~10-20k market events a second: far more than a 1 ms-per-event consumer reads.
    while not until.is_set():
        await emulator.step(100, symbol=native)
        await asyncio.sleep(0.005)


def _resting_buy(best_bid: Decimal, symbol: str, n: int) -> OrderRequest:
    price = (best_bid * Decimal("0.8")).quantize(Decimal("0.1"))
    return OrderRequest(
        symbol=symbol, side=Side.BUY, size=Decimal("0.001"), price=price, client_id=f"slow{n:04d}"
    )


@pytest.mark.parametrize("policy", ["block", "drop_market_data"])
@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_a_slow_consumer_delays_no_order_no_account_event_and_trips_no_watchdog(
    venue: str, policy: str
) -> None:
    symbol = SYMBOLS[venue]
    emulator = _emulator(venue)
    async with emulator:
        config = ClientConfig(
            venue=venue,
            credentials=emulator.credentials(),
            queue=QueuePolicy(maxsize=MAXSIZE, overflow=policy),  # type: ignore[arg-type]
            heartbeat=HeartbeatPolicy(idle_timeout=IDLE_TIMEOUT, stale_after={}),
            **emulator.endpoints,
        )
        async with connect(config) as client:
            events = client.events()
            # Statuses also go to a consumer of their own, read at the end: whatever
            # happened to the sockets is there, however far the slow consumer got.
            status_log = client.events(types=[StreamStatus])
            for channel in ("ticker", "trades", "book"):
                await client.subscribe(channel, [symbol])
            await client.subscribe("orders")
            best_bid = await _best_bid(events)

            seen: list[Event] = []
            longest = 0
            stop_flood = asyncio.Event()
            flood = asyncio.create_task(_flood(emulator, NATIVE[venue], stop_flood))
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                # The consumer is away: orders go out all the same, and resolve.
                requests = [_resting_buy(best_bid, symbol, n) for n in range(ORDERS)]
                placing = [
                    asyncio.create_task(client.place_order(request, timeout=5))
                    for request in requests
                ]
                async with asyncio.timeout(5):
                    await asyncio.wait(placing)
                acks = [task.result() for task in placing]  # raises RequestTimeout if late
                assert all(isinstance(ack, OrderAck) for ack in acks)
                await asyncio.sleep(PAUSE)  # the consumer stays away past the idle timeout

                # Now it reads, slowly, until every order's update has arrived.
                # (Under drop_market_data, also until the drops were reported: that
                # comes once the backlog is below half.)
                wanted = {ack.client_id for ack in acks}
                lagging = policy != "drop_market_data"
                async with asyncio.timeout(30):
                    async for event in events:
                        seen.append(event)
                        longest = max(longest, len(events))  # type: ignore[arg-type]
                        if isinstance(event, OrderUpdate):
                            wanted.discard(event.client_id)
                        elif isinstance(event, StreamStatus):
                            lagging = lagging or event.state is StreamState.LAGGING
                        if not wanted and lagging:
                            break
                        await asyncio.sleep(0.001)
            finally:
                stop_flood.set()
                # Under block the client stops reading while this consumer is full, so
                # the flood's last step can wait on the socket: read on until it is done.
                draining = asyncio.create_task(_drain(events))
                await flood
                draining.cancel()
            rss_growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
            every_status = [await anext(status_log) for _ in range(len(status_log))]

    # Every order resolved as placed, and the emulator holds each one exactly once.
    for ack in acks:
        held = [o for o in emulator.engine.open_orders() if o.client_id == ack.client_id]
        assert len(held) == 1, ack
    statuses = [e for e in seen if isinstance(e, StreamStatus)]
    assert not [s for s in every_status if s.state is StreamState.RECONNECTING], every_status
    # Bounded: market data never exceeds the bound; only account events and statuses,
    # which are never dropped, may sit above it.
    assert longest <= MAXSIZE + 4 * ORDERS + len(statuses) + 10
    assert rss_growth_kb < 200_000
    if policy == "drop_market_data":
        assert events.dropped > 0  # type: ignore[attr-defined]
        assert any(s.state is StreamState.LAGGING for s in statuses)


async def _best_bid(events: Any) -> Decimal:
    async with asyncio.timeout(10):
        async for event in events:
            if isinstance(event, BookUpdate) and event.bids:
                return event.bids[0].price
    raise AssertionError("no book")
