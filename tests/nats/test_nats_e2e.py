"""End to end against a real nats-server: collectors on both emulators, consumers elsewhere.

Each collector is a venue client (on its emulator) with a :class:`Publisher` attached; the
direct view is a second consumer of that same client, so "what a direct client saw" and
"what went to the broker" are the same events by construction, and the comparison is
byte for byte (``encode_event``) per venue, in order.
"""

from __future__ import annotations

import asyncio

from natshelp import SYMBOL, collector, remote, subs_for

from tickwire.core import ClientConfig, NatsConfig, connect
from tickwire.core.nats import connect_nats
from tickwire.core.types import BookUpdate


async def test_a_remote_process_receives_what_each_direct_client_saw(nats_server):
    nats = NatsConfig(url=nats_server.url)
    async with (
        collector("kraken", nats) as kraken,
        collector("kucoin", nats) as kucoin,
        remote(
            nats_server.url,
            ["kraken", "kucoin"],
            subs_for("kraken") + subs_for("kucoin"),
        ) as consumer,
    ):
        for _ in range(5):
            await kraken.step(100)
            await kucoin.step(100)
        for side in (kraken, kucoin):
            await side.settle()
        for side in (kraken, kucoin):
            want = side.direct.market(side.venue, snapshots=False)
            assert side.direct.count(side.venue) > 300
            await consumer.seen.until(
                lambda side=side, want=want: (
                    consumer.seen.market(side.venue, snapshots=False) == want
                )
            )
            stats = side.publisher.stats
            assert stats.dropped == 0 and stats.duplicates == 0
            # Bursts of 100 market steps leave a backlog: events shared messages.
            assert stats.messages < stats.published
            # The remote book equals the direct one, level for level.
        await consumer.stop()
    for venue in ("kraken", "kucoin"):
        books = [
            e
            for e in consumer.seen.events
            if isinstance(e, BookUpdate) and e.venue == venue and e.snapshot
        ]
        assert books, f"{venue}: the remote book started from a snapshot"
    assert not [e for e in consumer.seen.events if type(e).__name__ == "StreamError"]


async def test_a_late_joiner_book_equals_the_direct_book_and_stays_equal(nats_server):
    nats = NatsConfig(url=nats_server.url, snapshot_interval=0.5)
    symbol = SYMBOL["kucoin"]
    async with collector("kucoin", nats, channels=["book"]) as kucoin:
        # A direct client of its own, on its own socket to the same venue.
        config = ClientConfig(
            venue="kucoin", options={"private": False}, **kucoin.emulator.endpoints
        )
        async with connect(config) as direct:
            direct_events = direct.events()
            await direct.subscribe("book", [symbol], depth=10)
            await kucoin.step(300)
            await kucoin.settle()
            async with connect_nats(nats_server.url, venues=["kucoin"]) as late:
                events = late.events()
                await late.subscribe("book", [symbol])
                for _ in range(3):
                    await kucoin.step(100)
                    await kucoin.settle()
                    target = kucoin.emulator.sequence("BTC-USDT")
                    async with asyncio.timeout(10):
                        while direct.book(symbol).sequence != target:
                            await anext(direct_events)
                        while late.book(symbol).sequence != target:
                            await anext(events)
                    assert late.book(symbol).levels() == direct.book(symbol).levels()
                    assert late.book(symbol).levels() == kucoin.client.book(symbol).levels()
