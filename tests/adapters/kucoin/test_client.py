"""The KuCoin adapter against the KuCoin emulator, over real sockets on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import drain, next_of

from tickwire.core.errors import RateLimited, SubscriptionError
from tickwire.core.types import (
    BookUpdate,
    Candle,
    Channel,
    StreamError,
    StreamState,
    StreamStatus,
    Subscription,
    Ticker,
    Trade,
)
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import assert_book_equals_emulator, client_for

PAIRS = ["BTC/USDT", "ETH/USDT"]


@pytest.fixture
async def emulator():
    async with KucoinEmulator(seed=7, interval=None) as ex:
        yield ex


async def test_streams_normalized_tickers_trades_candles_and_books(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", PAIRS)
        await client.subscribe("trades", PAIRS)
        await client.subscribe("candles", PAIRS, interval=60)
        await client.subscribe("book", PAIRS)
        assert Subscription(Channel.BOOK, "BTC/USDT", (("depth", "full"),)) in client.subscriptions
        await emulator.step(300)
        await client.native.barrier()
        seen = await drain(events)
        for symbol in PAIRS:
            native = symbol.replace("/", "-")
            tickers = [e for e in seen if isinstance(e, Ticker) and e.symbol == symbol]
            trades = [e for e in seen if isinstance(e, Trade) and e.symbol == symbol]
            candles = [e for e in seen if isinstance(e, Candle) and e.symbol == symbol]
            books = [e for e in seen if isinstance(e, BookUpdate) and e.symbol == symbol]
            assert tickers and trades and candles and books
            assert books[0].snapshot and not any(b.snapshot for b in books[1:])
            assert all(isinstance(t.bid, Decimal) and t.bid < t.ask for t in tickers)
            assert all(t.venue == "kucoin" and t.ts > 0 for t in tickers)
            assert all(c.interval == 60 and c.low <= c.high for c in candles)
            book = client.book(symbol)
            assert book.sequence == emulator.sequence(native)
            assert book.best_bid.price < book.best_ask.price
            assert_book_equals_emulator(client, emulator, symbol)
        assert not [e for e in seen if isinstance(e, StreamError)]


async def test_public_snapshot_book_is_exact_at_the_top(emulator):
    async with client_for(emulator, full_book=False) as client:
        await client.subscribe("book", ["BTC/USDT"])
        await emulator.step(100, "BTC-USDT")
        await client.native.barrier()
        assert client.book("BTC/USDT").sequence == emulator.sequence("BTC-USDT")
        assert_book_equals_emulator(client, emulator, "BTC/USDT", 20)


@pytest.mark.parametrize("depth", [5, 50])
async def test_depth_books(emulator, depth):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", PAIRS, depth=depth)
        await emulator.step(100)
        await client.native.barrier()
        seen = [e for e in await drain(events) if isinstance(e, BookUpdate)]
        assert {e.symbol for e in seen} == set(PAIRS)
        assert all(e.snapshot and len(e.bids) == depth for e in seen)
        for symbol in PAIRS:
            assert_book_equals_emulator(client, emulator, symbol, depth)


async def test_every_gap_causes_exactly_one_resync(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", ["ETH/USDT"])
        for _ in range(3):
            await emulator.step(20, "ETH-USDT")
            emulator.skip_sequence("ETH-USDT")
            await emulator.step(20, "ETH-USDT")
            resynced = await next_of(events, StreamStatus, state=StreamState.RESYNCED)
            assert resynced.symbol == "ETH/USDT" and resynced.channel is Channel.BOOK
            await emulator.step(20, "ETH-USDT")
            await client.native.barrier()
            statuses = [e for e in await drain(events) if isinstance(e, StreamStatus)]
            assert not [s for s in statuses if s.state is StreamState.RESYNCING]
            assert client.book("ETH/USDT").sequence == emulator.sequence("ETH-USDT")
            assert_book_equals_emulator(client, emulator, "ETH/USDT")


async def test_drop_all_restores_every_subscription_on_every_shard(emulator):
    async with client_for(emulator, options={"topics_per_connection": 2}) as client:
        events = client.events()
        await client.subscribe("ticker", PAIRS)
        await client.subscribe("trades", PAIRS)
        await client.subscribe("book", PAIRS)
        assert len(client.shards) == 3
        await emulator.drop_all()
        for _ in range(3):
            await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
        await emulator.step(200)
        await client.native.barrier()
        seen = await drain(events)
        for symbol in PAIRS:
            assert any(isinstance(e, Ticker) and e.symbol == symbol for e in seen)
            assert any(isinstance(e, Trade) and e.symbol == symbol for e in seen)
            assert_book_equals_emulator(client, emulator, symbol)
        assert sorted(client.native.topics) == sorted(
            f"{prefix}:{s.replace('/', '-')}"
            for prefix in ("/market/ticker", "/market/match", "/market/level2")
            for s in PAIRS
        )


async def test_rate_limited_subscribe_raises_rate_limited(emulator):
    async with client_for(emulator) as client:
        emulator.rate_limit_next("subscribe")
        with pytest.raises(RateLimited):
            await client.subscribe("ticker", ["BTC/USDT"])
        assert client.subscriptions == frozenset()
        await client.subscribe("ticker", ["BTC/USDT"])  # the caller's retry works
        assert len(client.subscriptions) == 1


async def test_unknown_symbol_raises_subscription_error(emulator):
    async with client_for(emulator) as client:
        with pytest.raises(SubscriptionError, match="not found"):
            await client.subscribe("ticker", ["NOPE/USDT", "BTC/USDT"])
        assert client.subscriptions == frozenset({Subscription(Channel.TICKER, "BTC/USDT", ())})


async def test_instruments_and_native_topics(emulator):
    async with client_for(emulator) as client:
        instruments = await client.instruments()
        assert instruments["BTC/USDT"].native_symbol == "BTC-USDT"
        frames: list[bytes] = []
        client.native.add_tap(frames.append)
        await client.native.subscribe_topic("/market/snapshot:BTC-USDT")
        assert "/market/snapshot:BTC-USDT" in client.native.topics
        reply = await client.native.request({"type": "ping"})
        assert reply["type"] == "pong"
        await client.native.unsubscribe_topic("/market/snapshot:BTC-USDT")
        assert client.native.topics == []


async def test_other_depths_are_the_synced_book(emulator):
    async with client_for(emulator) as client:
        await client.subscribe("book", ["SOL/USDT"], depth=10)
        await emulator.step(100, "SOL-USDT")
        await client.native.barrier()
        assert len(client.book("SOL/USDT").bids()) >= 10
        assert_book_equals_emulator(client, emulator, "SOL/USDT", 10)


async def test_an_expired_token_reconnects_with_a_fresh_one(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", PAIRS)
        await client.subscribe("book", ["BTC/USDT"])
        await emulator.expire_tokens()
        await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
        await next_of(events, StreamStatus, state=StreamState.RESYNCED, symbol="BTC/USDT")
        await emulator.step(100)
        await client.native.barrier()
        seen = await drain(events)
        assert {e.symbol for e in seen if isinstance(e, Ticker)} == set(PAIRS)
        assert_book_equals_emulator(client, emulator, "BTC/USDT")
        assert len(emulator.connection_stats) == 2


async def test_a_garbled_sequence_surfaces_as_decode_error_and_the_stream_goes_on():
    bad = (
        b'{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker",'
        b'"data":{"sequence":"not-a-number","price":"1","size":"1","bestAsk":"2",'
        b'"bestAskSize":"1","bestBid":"1","bestBidSize":"1","time":1}}'
    )
    async with KucoinEmulator(seed=3, interval=None) as ex, client_for(ex) as client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USDT"])
        for connection in ex.open_connections():
            connection.send(bad)
        await ex.step(30, symbol="BTC-USDT")
        error = await next_of(events, StreamError)
        assert error.error == "DecodeError" and "not-a-number" in error.frame
        ticker = await next_of(events, Ticker)
        assert ticker.symbol == "BTC/USDT"


async def test_close_closes_the_rest_client_it_fetched_over(emulator):
    async with client_for(emulator) as client:
        await client.fetch_time()
        rest = client._rest
        assert not rest._closed
    assert rest._closed  # closed by core with the fetcher, after the sockets
