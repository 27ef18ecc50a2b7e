"""``/metrics`` scraped over HTTP during runs with injected faults: the counts are exact.

Each test runs a venue's emulator with the market moved by hand (``interval=None``), so
that every event the client counts is one the test caused and read itself: the scrape
must show exactly the reconnects, resyncs and renewals injected, and exactly the events
the client's consumers received or lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import drain, until

from tickwire.core import connect
from tickwire.core.metrics import AGE_SAMPLE, stats
from tickwire.core.metrics.prometheus import serve_metrics
from tickwire.core.types import (
    CHANNEL_OF,
    BookUpdate,
    Candle,
    Event,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator

from .scraping import scrape, status

MARKET = (Ticker, Trade, BookUpdate, Candle)
DROPS = 2
RESYNCS = 2
RENEWALS = 2


def _tally(seen: list[Event]) -> dict[tuple[str, str], int]:
    """Events by (channel, type) label, the way the exporter labels them."""
    counts: dict[tuple[str, str], int] = {}
    for event in seen:
        if isinstance(event, StreamStatus):
            key = (str(event.channel or ""), "status")
        else:
            key = (str(CHANNEL_OF.get(type(event), "")), event.__struct_config__.tag)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _check_events(page: Any, venue: str, seen: list[Event]) -> None:
    """Every ``tickwire_events_total`` series equals what the consumer read."""
    expected = _tally(seen)
    exported = {
        (dict(labels)["channel"], dict(labels)["type"]): value
        for labels, value in page.series("tickwire_events_total", venue=venue).items()
    }
    assert exported == expected


def _check_frame_ages(page: Any, venue: str, seen: list[Event]) -> None:
    """One market-data event in AGE_SAMPLE per type is observed, the first included."""
    for kind in (Ticker, BookUpdate):
        channel = str(CHANNEL_OF[kind])
        n = sum(1 for event in seen if type(event) is kind)
        observed = (n + AGE_SAMPLE - 1) // AGE_SAMPLE
        labels = {"venue": venue, "channel": channel}
        assert page.value("tickwire_frame_age_seconds_count", **labels) == observed
        buckets = page.series("tickwire_frame_age_seconds_bucket", **labels)
        by_bound = sorted((float(dict(k)["le"]), v) for k, v in buckets.items())
        assert by_bound[-1] == (float("inf"), observed)
        assert [v for _, v in by_bound] == sorted(v for _, v in by_bound)  # cumulative
        assert page.value("tickwire_frame_age_seconds_sum", **labels) >= 0


async def test_kraken_scrape_counts_reconnects_resyncs_drops_and_events_exactly() -> None:
    symbol = "BTC/USD"
    async with KrakenEmulator(seed=5, interval=None) as emulator:
        client = connect("kraken", **emulator.endpoints)
        async with serve_metrics(client) as server, client:
            events = client.events()
            slow = client.events(policy="drop_market_data", maxsize=3)  # never read
            await client.subscribe("ticker", [symbol])
            await client.subscribe("book", [symbol], depth=10)
            seen: list[Event] = []
            await emulator.burst("ticker", symbol, 20)
            await until(events, into=seen, where=lambda e: type(e) is Ticker and len(seen) > 20)
            for _ in range(DROPS):
                await emulator.drop_all()
                await until(events, into=seen, where=status(StreamState.RESUBSCRIBED))
            for _ in range(RESYNCS):
                emulator.corrupt_next_checksum(symbol)
                await emulator.burst("book", symbol, 3)
                await until(events, into=seen, where=status(StreamState.RESYNCED, symbol))
            before = len(seen)
            await emulator.burst("book", symbol, 40)
            await until(events, into=seen, where=lambda e: len(seen) >= before + 40)
            seen += await drain(events)

            page = await scrape(server.url)

            assert page.value("tickwire_reconnects_total", venue="kraken") == DROPS
            assert page.value("tickwire_resyncs_total", venue="kraken") == RESYNCS
            assert page.value("tickwire_token_renewals_total", venue="kraken") == 0
            assert page.value("tickwire_statuses_total", venue="kraken", state="resynced") == (
                RESYNCS
            )
            _check_events(page, "kraken", seen)
            _check_frame_ages(page, "kraken", seen)
            # The slow consumer kept 3 market events (and every status); the rest it lost.
            kept: list[Event] = []
            queued = len(slow)
            kept += await drain(slow)
            market = sum(1 for e in seen if isinstance(e, MARKET))
            lost = market - sum(1 for e in kept if isinstance(e, MARKET))
            assert lost > 0
            assert page.value("tickwire_dropped_events_total", venue="kraken") == lost
            assert page.value("tickwire_queue_depth", venue="kraken", consumer="1") == queued
            assert page.value("tickwire_queue_depth", venue="kraken", consumer="0") == 0
            assert page.types["tickwire_frame_age_seconds"] == "histogram"
            assert page.types["tickwire_queue_depth"] == "gauge"
            # The dependency-free snapshot says the same as the scrape.
            snapshot = stats(client)
            assert (snapshot.reconnects, snapshot.resyncs) == (DROPS, RESYNCS)


async def test_kucoin_scrape_counts_reconnects_resyncs_and_token_renewals_exactly() -> None:
    symbol, native = "BTC/USDT", "BTC-USDT"
    async with KucoinEmulator(seed=5, interval=None) as emulator:
        client = connect("kucoin", **emulator.endpoints)
        async with serve_metrics(client, port=0) as server, client:
            events = client.events()
            seen: list[Event] = []
            await client.subscribe("ticker", [symbol])
            for _ in range(DROPS):
                await emulator.drop_all()
                await until(events, into=seen, where=status(StreamState.RESUBSCRIBED))
            await client.subscribe("book", [symbol])
            await until(events, into=seen, where=lambda e: isinstance(e, BookUpdate) and e.snapshot)
            for _ in range(RESYNCS):
                emulator.skip_sequence(native)
                await emulator.burst("/market/level2", native, 3)
                await until(events, into=seen, where=status(StreamState.RESYNCED, symbol))
            shard = client.shards[0]  # type: ignore[attr-defined]
            for _ in range(RENEWALS):
                await shard.renew()  # make-before-break: a fresh token, no reconnect
            await emulator.burst("/market/ticker", native, 20)
            # A ping's pong comes after every frame sent before it: once it is back, the
            # client has pushed every event the market steps made (tickers and books).
            await shard.primary.barrier()
            seen += await drain(events)

            page = await scrape(server.url)

            assert page.value("tickwire_reconnects_total", venue="kucoin") == DROPS
            assert page.value("tickwire_resyncs_total", venue="kucoin") == RESYNCS
            assert page.value("tickwire_token_renewals_total", venue="kucoin") == RENEWALS
            assert page.value("tickwire_dropped_events_total", venue="kucoin") == 0
            _check_events(page, "kucoin", seen)
            _check_frame_ages(page, "kucoin", seen)


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_counting_keeps_the_fast_path_and_stops_on_close(venue: str) -> None:
    factory = {"kraken": KrakenEmulator, "kucoin": KucoinEmulator}[venue]
    async with factory(seed=1, interval=None) as emulator:
        client = connect(venue, **emulator.endpoints)
        from tickwire.core.metrics import instrument

        metrics = instrument(client)  # type: ignore[arg-type]
        consumer = client.events()
        hub = client.hub  # type: ignore[attr-defined]
        assert hub.push == consumer.stream.push  # counted inside: still the fast path
        hub.push(StreamStatus(venue=venue, state=StreamState.RESYNCED, ts=1))
        assert metrics.snapshot().statuses == {"resynced": 1}
        metrics.close()
        assert hub.push == consumer.stream.push
        hub.push(StreamStatus(venue=venue, state=StreamState.RESYNCED, ts=2))
        assert metrics.snapshot().statuses == {"resynced": 1}  # no longer counted
        assert instrument(client) is not metrics  # type: ignore[arg-type]
