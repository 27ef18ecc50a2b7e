"""The Kraken adapter against the Kraken emulator, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from helpers import drain, next_of

from tickwire.core.config import ClientConfig, HeartbeatPolicy, QueuePolicy, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.errors import SubscriptionError
from tickwire.core.protocol import StreamClient
from tickwire.core.types import (
    BookUpdate,
    Channel,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
    Subscription,
    Ticker,
    Trade,
)
from tickwire.exchanges.kraken import KrakenEmulator

FAST_RECONNECT = ReconnectPolicy(base_delay=0.01, max_delay=0.1)


@pytest.fixture
async def emulator() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=7, interval=None) as ex:
        yield ex


def client_for(ex: KrakenEmulator, **fields: object) -> StreamClient:
    config = ClientConfig(venue="kraken", reconnect=FAST_RECONNECT, **ex.endpoints)
    return connect(config, **fields)


async def barrier(client: StreamClient) -> None:
    """Wait until the client has read everything the emulator sent before now.

    A ping's pong travels behind every frame already queued on the same socket.
    """
    reply = await client.native.request({"method": "ping"}, timeout=120)
    assert reply["method"] == "pong"


def assert_book_equals_emulator(client: StreamClient, ex: KrakenEmulator, symbol: str, depth: int):
    book = client.book(symbol)
    bids, asks = ex.book(symbol, depth)
    assert [(level.price, level.size) for level in book.bids()] == list(bids)
    assert [(level.price, level.size) for level in book.asks()] == list(asks)


async def test_streams_normalized_tickers_trades_and_books(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD", "ETH/USD"])
        await client.subscribe("trades", ["BTC/USD", "ETH/USD"])
        await client.subscribe("book", ["BTC/USD", "ETH/USD"], depth=10)
        assert Subscription(Channel.BOOK, "BTC/USD", (("depth", 10),)) in client.subscriptions
        await emulator.step(200)
        await barrier(client)
        seen = await drain(events)
        for symbol in ("BTC/USD", "ETH/USD"):
            tickers = [e for e in seen if isinstance(e, Ticker) and e.symbol == symbol]
            books = [e for e in seen if isinstance(e, BookUpdate) and e.symbol == symbol]
            trades = [e for e in seen if isinstance(e, Trade) and e.symbol == symbol]
            assert tickers and books and trades
            assert books[0].snapshot and len(books[0].bids) == 10
            assert all(isinstance(t.bid, Decimal) and t.bid < t.ask for t in tickers)
            assert all(t.venue == "kraken" and t.ts > 0 for t in tickers)
            book = client.book(symbol)
            assert book.best_bid.price < book.best_ask.price
            assert book.spread == book.best_ask.price - book.best_bid.price
            assert_book_equals_emulator(client, emulator, symbol, 10)
        assert not [e for e in seen if isinstance(e, StreamError)]


async def test_instruments_come_from_the_instrument_channel(emulator):
    async with client_for(emulator) as client:
        instruments = await client.instruments()
        btc = instruments["BTC/USD"]
        assert (btc.base, btc.quote) == ("BTC", "USD")
        assert (btc.price_precision, btc.size_precision) == emulator.precisions("BTC/USD")


async def test_unknown_symbol_raises_subscription_error(emulator):
    async with client_for(emulator) as client:
        with pytest.raises(SubscriptionError, match="Currency pair not supported"):
            await client.subscribe("ticker", ["NOPE/USD"])
        assert client.subscriptions == frozenset()


@pytest.mark.slow  # ~7 s alone, 20 s on a loaded machine: the slow step of .ci/run runs it
@pytest.mark.timeout(300)  # the emulator's side dominates on a loaded machine
async def test_100k_book_updates_verify_without_a_mismatch(emulator):
    # The test reads only after the burst, so the queue must hold it all: with the
    # default bound, BLOCK backpressure would (rightly) stop reading the socket.
    async with client_for(emulator, queue=QueuePolicy(maxsize=200_000)) as client:
        events = client.events()
        await client.subscribe("book", ["BTC/USD"], depth=25)
        await emulator.burst("book", "BTC/USD", 100_000)
        await barrier(client)
        updates = resyncs = errors = 0
        for event in await drain(events):
            if isinstance(event, BookUpdate) and not event.snapshot:
                updates += 1
            elif isinstance(event, StreamStatus) and event.state is StreamState.RESYNCING:
                resyncs += 1
            elif isinstance(event, StreamError):
                errors += 1
        assert (updates, resyncs, errors) == (100_000, 0, 0)
        assert_book_equals_emulator(client, emulator, "BTC/USD", 25)


async def test_one_corrupted_checksum_causes_exactly_one_resync(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", ["ETH/USD"], depth=10)
        await emulator.step(20, symbol="ETH/USD")
        emulator.corrupt_next_checksum("ETH/USD")
        await emulator.step(50, symbol="ETH/USD")
        resynced = await next_of(events, StreamStatus, state=StreamState.RESYNCED)
        assert resynced.symbol == "ETH/USD" and resynced.channel is Channel.BOOK
        await emulator.step(50, symbol="ETH/USD")
        await barrier(client)
        statuses = [e for e in await drain(events) if isinstance(e, StreamStatus)]
        assert not [s for s in statuses if s.state in (StreamState.RESYNCING, StreamState.RESYNCED)]
        assert_book_equals_emulator(client, emulator, "ETH/USD", 10)


async def test_ten_drops_in_a_row_reconnect_and_restore_every_subscription(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD"])
        await client.subscribe("book", ["ETH/USD"], depth=10)
        before = client.subscriptions
        for _ in range(10):
            await emulator.drop_all()
            await next_of(events, StreamStatus, state=StreamState.RECONNECTING)
            await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
        assert client.subscriptions == before
        assert emulator.connection_count == 11
        await emulator.step(100)
        await next_of(events, Ticker, symbol="BTC/USD")
        await barrier(client)
        assert_book_equals_emulator(client, emulator, "ETH/USD", 10)


async def test_a_silent_feed_is_detected_and_reconnected(emulator):
    heartbeat = HeartbeatPolicy(idle_timeout=0.5, ping_interval=5.0)
    async with client_for(emulator, heartbeat=heartbeat) as client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD"])
        emulator.stop_heartbeats()
        status = await next_of(events, StreamStatus, state=StreamState.RECONNECTING)
        assert "heartbeat timeout" in status.reason
        emulator.resume_heartbeats()
        await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
        await emulator.step(50)
        await next_of(events, Ticker, symbol="BTC/USD")


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_events_can_be_delivered_to_a_sync_or_async_callback(emulator, asynchronous):
    received: list[Event] = []
    got_ticker = asyncio.Event()

    def record(event: Event) -> None:
        received.append(event)
        if isinstance(event, Ticker):
            got_ticker.set()

    async def record_async(event: Event) -> None:
        record(event)

    async with client_for(emulator) as client:
        client.on_event(record_async if asynchronous else record)
        beside = client.events()  # a callback is one consumer; others may read too
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.step(20, symbol="BTC/USD")
        async with asyncio.timeout(10):
            await got_ticker.wait()
            await next_of(beside, Ticker, symbol="BTC/USD")
    assert isinstance(received[-1], StreamStatus) and received[-1].state is StreamState.CLOSED


async def test_a_quiet_channel_is_reported_stale_and_renewed_without_a_reconnect(emulator):
    # Heartbeats keep the socket alive; only the book channel is silent past its threshold.
    heartbeat = HeartbeatPolicy(idle_timeout=5.0, stale_after={"book": 0.3})
    async with client_for(emulator, heartbeat=heartbeat) as client:
        events = client.events()
        await client.subscribe("book", ["SOL/USD"], depth=10)
        stale = await next_of(events, StreamStatus, state=StreamState.STALE)
        assert (stale.channel, stale.symbol) == (Channel.BOOK, "SOL/USD")
        snapshot = await next_of(events, BookUpdate, symbol="SOL/USD")
        assert snapshot.snapshot  # the renewed subscription brought a fresh snapshot
        assert emulator.connection_count == 1


async def test_a_streaming_channel_is_never_reported_stale(emulator):
    # Every book message counts as the channel's activity: only silence is staleness.
    # The window is 20 updates wide so that a loaded machine's stall cannot open a gap
    # (0.4 s failed once under two CPU hogs); the 1.5 s run still outlasts it.
    heartbeat = HeartbeatPolicy(idle_timeout=5.0, stale_after={"book": 1.0})
    async with client_for(emulator, heartbeat=heartbeat) as client:
        events = client.events()
        await client.subscribe("book", ["BTC/USD"], depth=10)
        for _ in range(30):  # 1.5 s of a book update every 50 ms: well within 1.0 s
            await emulator.burst("book", "BTC/USD", 1)
            await asyncio.sleep(0.05)  # time passing is the point here
        await client.native.request({"method": "ping"})  # every frame before it is read
        states = [e.state for e in await drain(events) if isinstance(e, StreamStatus)]
        assert StreamState.STALE not in states


async def test_a_subscribe_issued_during_a_reconnect_waits_for_the_new_socket(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.drop_all()
        await next_of(events, StreamStatus, state=StreamState.RECONNECTING)
        await client.subscribe("book", ["ETH/USD"], depth=10)  # the socket is down here
        snapshot = await next_of(events, BookUpdate, symbol="ETH/USD")
        assert snapshot.snapshot
