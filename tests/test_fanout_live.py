"""Three consumers on one client, against the emulators over real sockets (issue 9).

A fast consumer, a slow one under ``drop_market_data``, and one filtered to one symbol,
while the market runs on two symbols and the account places orders: the fast one gets
every event, the filtered one exactly its symbol's market data, the slow one's drops are
counted and reported, and every order update reaches all three.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tickwire.core import (
    ClientConfig,
    Event,
    OrderRequest,
    OrderUpdate,
    Side,
    StreamState,
    StreamStatus,
    connect,
)
from tickwire.core.registry import default_registry
from tickwire.core.types import BookUpdate, Candle, Ticker, Trade

SYMBOLS = {"kraken": ("BTC/USD", "ETH/USD"), "kucoin": ("BTC/USDT", "ETH/USDT")}
MARKET = (Ticker, Trade, BookUpdate, Candle)
ORDERS = 5


def _emulator(venue: str) -> Any:
    spec = next(s for s in default_registry().emulators.values() if s.venue == venue)
    return spec.factory(seed=11)


class Reader:
    """Reads one consumer until told to stop; notes when it has seen every wanted order."""

    def __init__(self, consumer: Any, pause: float) -> None:
        self.consumer = consumer
        self.pause = pause
        self.events: list[Event] = []
        self.wanted: set[str] = set()
        self.orders: set[str] = set()
        self.got_orders = asyncio.Event()

    def expect(self, wanted: set[str]) -> None:
        """Set ``got_orders`` once updates of all these orders were read (maybe already)."""
        self.wanted = wanted
        if wanted <= self.orders:
            self.got_orders.set()

    async def run(self, done: asyncio.Event) -> None:
        async for event in self.consumer:
            self.events.append(event)
            if isinstance(event, OrderUpdate):
                self.orders.add(event.order_id)
                if self.wanted and self.wanted <= self.orders:
                    self.got_orders.set()
            if done.is_set() and len(self.consumer) == 0:
                return
            if self.pause:
                await asyncio.sleep(self.pause)  # a consumer with 1 ms of work per event


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_fast_slow_and_filtered_consumers_side_by_side(venue: str) -> None:
    mine, other = SYMBOLS[venue]
    async with _emulator(venue) as emulator:
        config = ClientConfig(venue=venue, credentials=emulator.credentials(), **emulator.endpoints)
        async with connect(config) as client:
            fast = client.events()
            slow = client.events(policy="drop_market_data", maxsize=50)
            filtered = client.events(symbols=[mine])
            for channel in ("ticker", "trades", "book"):
                await client.subscribe(channel, [mine, other])
            await client.subscribe("orders")
            done = asyncio.Event()
            readers = {
                "fast": Reader(fast, 0),
                "slow": Reader(slow, 0.001),
                "filtered": Reader(filtered, 0),
            }
            tasks = [asyncio.create_task(reader.run(done)) for reader in readers.values()]
            natives = [s.replace("/", "-") if venue == "kucoin" else s for s in (mine, other)]
            for _ in range(20):
                for native in natives:
                    await emulator.step(50, symbol=native)
            bid = client.book(mine).best_bid
            assert bid is not None
            price = (bid.price * Decimal("0.8")).quantize(Decimal("0.1"))
            request = OrderRequest(symbol=mine, side=Side.BUY, size=Decimal("0.001"), price=price)
            acks = [await client.place_order(request, timeout=5) for _ in range(ORDERS)]
            for reader in readers.values():
                reader.expect({ack.order_id for ack in acks})
            async with asyncio.timeout(20):
                for reader in readers.values():
                    await reader.got_orders.wait()
                done.set()
                await emulator.step(1, symbol=natives[0])  # wakes a reader waiting for more
                await asyncio.gather(*tasks)
    seen = {name: reader.events for name, reader in readers.items()}
    wanted = readers["fast"].wanted

    fast_market = [e for e in seen["fast"] if isinstance(e, MARKET)]
    # The filtered consumer: exactly the fast one's market data of its symbol, in order.
    assert [e for e in seen["filtered"] if isinstance(e, MARKET)] == [
        e for e in fast_market if e.symbol == mine
    ]
    assert {e.symbol for e in fast_market} == {mine, other}
    # The slow one lost market data, said so, and kept every account event.
    assert slow.dropped > 0
    lagging = [
        e for e in seen["slow"] if isinstance(e, StreamStatus) and e.state is StreamState.LAGGING
    ]
    assert lagging and sum(int(s.reason.split()[1]) for s in lagging) <= slow.dropped
    for name, events in seen.items():
        updates = [e for e in events if isinstance(e, OrderUpdate)]
        assert wanted <= {u.order_id for u in updates}, name
        assert updates == [e for e in seen["fast"] if isinstance(e, OrderUpdate)][: len(updates)]
