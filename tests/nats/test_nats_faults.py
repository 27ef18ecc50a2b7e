"""Faults against real servers: a broker killed and restarted, a durable consumer restarted,
a stranger's message on our subjects."""

from __future__ import annotations

import asyncio
import re

import nats as nats_py
from natshelp import collector, remote, subs_for

from tickwire.core import NatsConfig, StreamState, StreamStatus
from tickwire.core.nats import connect_nats
from tickwire.core.types import StreamError, Trade


async def test_a_broker_killed_mid_stream_loses_and_duplicates_nothing(nats_server):
    nats = NatsConfig(url=nats_server.url)
    async with (
        collector("kraken", nats) as kraken,
        remote(nats_server.url, ["kraken"], subs_for("kraken")) as consumer,
    ):
        await kraken.step(200)
        await kraken.settle()
        # Killed between two bursts, with the collector's messages still in flight.
        await kraken.burst_steps(2, 100, after_first=nats_server.kill)  # buffered
        await kraken.direct.until(kraken.caught_up)
        nats_server.start()
        await nats_server.ready()
        await kraken.step(200)
        await kraken.settle()
        want = kraken.direct.market("kraken", snapshots=False)
        await consumer.seen.until(
            lambda: consumer.seen.market("kraken", snapshots=False) == want, timeout=20
        )
        stats = kraken.publisher.stats
        assert stats.outages >= 1 and stats.dropped == 0
        await consumer.seen.until(
            lambda: any(
                isinstance(e, StreamStatus) and e.reason.startswith("broker: back")
                for e in consumer.seen.events
            )
        )
        await consumer.stop()
    assert consumer.seen.market("kraken", snapshots=False) == want  # nothing more came


async def test_a_durable_consumer_resumes_where_it_stopped(nats_server):
    nats = NatsConfig(url=nats_server.url)
    subs = subs_for("kucoin", ["trades", "ticker"])
    async with collector("kucoin", nats) as kucoin:
        async with remote(nats_server.url, ["kucoin"], subs, "--durable", "risk") as first:
            await kucoin.step(300)
            await kucoin.settle()
            await first.stop()
        await kucoin.step(300)  # published while no consumer runs
        await kucoin.settle()
        async with remote(nats_server.url, ["kucoin"], subs, "--durable", "risk") as second:
            await kucoin.step(300)
            await kucoin.settle()
            want = kucoin.direct.market("kucoin")
            want.pop("BookUpdate")  # the collector's book paces the test; not read here

            def joined() -> dict[str, list[bytes]]:
                both: dict[str, list[bytes]] = {}
                for part in (first.seen, second.seen):
                    for kind, lines in part.market("kucoin").items():
                        both.setdefault(kind, []).extend(lines)
                return both

            await second.seen.until(lambda: joined() == want, timeout=20)
            await second.stop()
        assert joined() == want
        assert first.seen.count("kucoin") and second.seen.count("kucoin")


async def test_a_message_that_is_not_an_event_is_a_stream_error_and_the_stream_goes_on(
    nats_server,
):
    nats = NatsConfig(url=nats_server.url)
    async with collector("kraken", nats, channels=["trades"]) as kraken:
        async with connect_nats(nats_server.url, venues=["kraken"]) as reader:
            events = reader.events()
            await reader.subscribe("trades", ["BTC/USD"])
            stranger = await nats_py.connect(nats_server.url)
            try:
                js = stranger.jetstream()
                await js.publish("tickwire.kraken.trades.BTC_USD", b'{"price": "not an event"}')
                await js.publish("tickwire.kraken.trades.BTC_USD", b"\xff\x00 binary")
            finally:
                await stranger.close()
            errors = []
            async for event in events:
                if isinstance(event, StreamError):
                    errors.append(event)
                    if len(errors) == 2:
                        break
            assert all(e.error == "DecodeError" and e.venue == "nats" for e in errors)
            assert "not an event" in errors[0].frame
            await kraken.step(100)
            async for event in events:
                if isinstance(event, Trade):
                    break  # the stream went on


async def test_a_full_buffer_drops_counted_and_books_heal_from_a_snapshot(nats_server):
    nats = NatsConfig(url=nats_server.url, buffer=100, snapshot_interval=60)
    symbol = "BTC/USDT"
    async with collector("kucoin", nats, channels=["book"]) as kucoin:
        async with connect_nats(nats_server.url, venues=["kucoin"]) as reader:
            events = reader.events()
            await reader.subscribe("book", [symbol])
            await kucoin.step(50)
            await kucoin.settle()
            nats_server.kill()
            await kucoin.step(400)  # far more book messages than the buffer holds
            await kucoin.direct.until(kucoin.caught_up)
            assert kucoin.publisher.stats.dropped > 0
            nats_server.start()
            await nats_server.ready()
            await kucoin.step(50)
            await kucoin.settle()
            states = []
            async with asyncio.timeout(15):
                async for event in events:
                    if isinstance(event, StreamStatus):
                        states.append((event.state, event.reason))
                        if event.state is StreamState.LAGGING:
                            # Counted when the broker answered again; the buffer may still
                            # have been full for a few more events right after.
                            told = re.search(r"(\d+) events dropped", event.reason)
                            assert told, event.reason
                            assert 0 < int(told[1]) <= kucoin.publisher.stats.dropped
                    # Statuses and books come from different subjects: wait for all three.
                    seen = {s for s, _ in states}
                    if (
                        reader.book(symbol).levels() == kucoin.client.book(symbol).levels()
                        and {
                            StreamState.LAGGING,
                            StreamState.RESYNCED,
                        }
                        <= seen
                    ):
                        break
            kinds = [s for s, _ in states]
            assert StreamState.RESYNCING in kinds and StreamState.RESYNCED in kinds
            assert kinds.index(StreamState.RESYNCING) < kinds.index(StreamState.RESYNCED)
