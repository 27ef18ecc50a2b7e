"""Venue trouble crosses the broker: a collector's reconnect and book resync reach remote
readers as the same statuses, and their books follow the venue's fresh snapshot."""

from __future__ import annotations

import asyncio

from natshelp import SYMBOL, collector

from tickwire.core import NatsConfig, StreamState, StreamStatus
from tickwire.core.nats import connect_nats


async def _states(events, until, timeout: float = 15.0) -> list[StreamState]:
    seen: list[StreamState] = []
    async with asyncio.timeout(timeout):
        async for event in events:
            if isinstance(event, StreamStatus) and event.venue != "nats":
                seen.append(event.state)
            if until(seen):
                return seen
    return seen


async def test_a_venue_book_resync_reaches_the_remote_book(nats_server):
    nats = NatsConfig(url=nats_server.url, snapshot_interval=60)
    symbol = SYMBOL["kucoin"]
    async with collector("kucoin", nats, channels=["book"]) as kucoin:
        async with connect_nats(nats_server.url, venues=["kucoin"]) as reader:
            events = reader.events()
            await reader.subscribe("book", [symbol])
            await kucoin.step(50)
            await kucoin.settle()
            kucoin.emulator.skip_sequence("BTC-USDT")  # the venue's gap
            await kucoin.step(50)
            await kucoin.settle()
            states = await _states(events, lambda s: StreamState.RESYNCED in s)
            assert states.index(StreamState.RESYNCING) < states.index(StreamState.RESYNCED)
            # Caught up when the remote book is the venue book. (Not by sequence: a
            # KuCoin increment whose rows are all sequence-only moves the local book's
            # sequence without an event to publish, so the two may never meet.)
            async with asyncio.timeout(10):
                while reader.book(symbol).levels() != kucoin.client.book(symbol).levels():
                    await anext(events)


async def test_a_venue_reconnect_reaches_the_remote_reader(nats_server):
    nats = NatsConfig(url=nats_server.url, snapshot_interval=60)
    symbol = SYMBOL["kraken"]
    async with collector("kraken", nats, channels=["book", "trades"]) as kraken:
        async with connect_nats(nats_server.url, venues=["kraken"]) as reader:
            events = reader.events()
            await reader.subscribe("book", [symbol])
            await kraken.step(50)
            await kraken.settle()
            await kraken.emulator.drop_all()  # every venue socket cut
            states = await _states(events, lambda s: StreamState.RESUBSCRIBED in s)
            assert StreamState.RECONNECTING in states
            await kraken.step(50)
            await kraken.settle()
            async with asyncio.timeout(10):
                while reader.book(symbol).levels() != kraken.client.book(symbol).levels():
                    await anext(events)


async def test_unsubscribe_stops_that_channel_only(nats_server):
    from time import time_ns

    from tickwire.core.types import BookUpdate, Trade

    nats = NatsConfig(url=nats_server.url)
    symbol = SYMBOL["kraken"]
    async with collector("kraken", nats, channels=["book", "trades"]) as kraken:
        async with connect_nats(nats_server.url, venues=["kraken"]) as reader:
            events = reader.events(types=[Trade, BookUpdate])
            await reader.subscribe("book", [symbol])
            await reader.subscribe("trades", [symbol])
            await kraken.step(100)
            await kraken.settle()
            seen = []
            while reader.book(symbol).levels() != kraken.client.book(symbol).levels():
                seen.append(await anext(events))
            await reader.unsubscribe("trades", [symbol])
            since = time_ns()
            assert {sub.channel for sub in reader.subscriptions} == {"book"}
            await kraken.step(200)
            await kraken.settle()
            later = []
            async with asyncio.timeout(10):
                while reader.book(symbol).levels() != kraken.client.book(symbol).levels():
                    later.append(await anext(events))
                while len(events):  # and what was already queued
                    later.append(await anext(events))
            assert any(isinstance(e, BookUpdate) for e in later)
            assert not [e for e in later if isinstance(e, Trade) and e.received > since]
            assert [e for e in kraken.direct.events if isinstance(e, Trade) and e.received > since]
