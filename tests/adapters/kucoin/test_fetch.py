"""KuCoin's one-shot calls against the emulator over 127.0.0.1: each answers what the
paper engine and the emulated market hold (the venue's REST errors: test_fetch_errors)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from msgspec.structs import replace

from tickwire.adapters.kucoin.fetch import KucoinFetcher
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.connect import connect
from tickwire.core.errors import ConfigError, UnknownOrder
from tickwire.core.protocol import StreamClient
from tickwire.core.types import OrderRequest, OrderStatus, OrderType, Side
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import FAST_RECONNECT

KEY, SECRET, PASSPHRASE = "kc-fetch-key", "kc-fetch-secret-9Zq", "kc-fetch-pass-3Xy"
SYMBOL, NATIVE = "BTC/USDT", "BTC-USDT"
SIZE = Decimal("0.001")
S = 1_000_000_000


@pytest.fixture
async def ex() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=13, interval=None, api_keys={KEY: (SECRET, PASSPHRASE)}) as e:
        yield e


def account(ex: KucoinEmulator, **options: object) -> StreamClient:
    config = ClientConfig(
        venue="kucoin",
        reconnect=FAST_RECONNECT,
        credentials=Credentials(KEY, SECRET, PASSPHRASE),
        request_timeout=5.0,
        options={"private": False} | options,
        **ex.endpoints,
    )
    return connect(config)


def resting(ex: KucoinEmulator, client_id: str, ticks: int = 500) -> OrderRequest:
    """A buy far below the best bid: it rests (the market moves only when stepped)."""
    (bid, _), *_ = ex.book(NATIVE, 1)[0]
    price = (bid - ticks * Decimal("0.1")).quantize(Decimal("0.1"))
    return OrderRequest(symbol=SYMBOL, side=Side.BUY, size=SIZE, price=price, client_id=client_id)


async def test_balances_are_the_paper_accounts(ex: KucoinEmulator) -> None:
    async with account(ex) as client:
        await client.place_order(resting(ex, "held"))  # something on hold
        balances = await client.fetch_balances()
    held = ex.account_engine(KEY).balances()
    assert {a: (b.total, b.available, b.hold) for a, b in balances.items()} == held
    assert balances["USDT"].hold and all(b.venue == "kucoin" for b in balances.values())


async def test_open_orders_after_placing_three_and_canceling_one(ex: KucoinEmulator) -> None:
    async with account(ex) as client:
        for n in range(3):
            await client.place_order(resting(ex, f"open-{n}", ticks=500 + n))
        await client.cancel_order(SYMBOL, client_id="open-1")
        of_symbol = await client.fetch_open_orders(SYMBOL)
        everywhere = await client.fetch_open_orders()
    held = ex.account_engine(KEY).open_orders()
    assert [o.client_id for o in of_symbol] == ["open-0", "open-2"]
    assert [o.order_id for o in of_symbol] == [o.order_id for o in held]
    assert [(o.price, o.size, o.remaining) for o in of_symbol] == [
        (o.price, o.size, o.size - o.filled) for o in held
    ]
    assert [replace(o, received=0) for o in everywhere] == [
        replace(o, received=0) for o in of_symbol
    ]
    assert {o.status for o in of_symbol} == {OrderStatus.OPEN}
    assert all(o.symbol == SYMBOL and o.side is Side.BUY for o in of_symbol)


async def test_an_order_by_client_id_or_id_open_or_closed(ex: KucoinEmulator) -> None:
    async with account(ex) as client:
        ack = await client.place_order(resting(ex, "lookup-me"))
        by_client = await client.fetch_order(client_id="lookup-me", symbol=SYMBOL)
        by_id = await client.fetch_order(order_id=ack.order_id, symbol=SYMBOL)
        await client.cancel_order(SYMBOL, order_id=ack.order_id)
        closed = await client.fetch_order(client_id="lookup-me", symbol=SYMBOL)
        with pytest.raises(UnknownOrder):
            await client.fetch_order(client_id="never-placed", symbol=SYMBOL)
        with pytest.raises(ValueError, match="symbol"):
            await client.fetch_order(client_id="lookup-me")
    assert replace(by_client, received=0) == replace(by_id, received=0)
    assert (by_client.order_id, by_client.client_id) == (ack.order_id, "lookup-me")
    assert by_client.status is OrderStatus.OPEN and by_client.order_type is OrderType.LIMIT
    assert closed.status is OrderStatus.CANCELED and closed.filled == 0


async def test_fills_are_the_accounts_executions(ex: KucoinEmulator) -> None:
    async with account(ex) as client:
        for side in (Side.BUY, Side.SELL, Side.BUY):
            request = OrderRequest(symbol=SYMBOL, side=side, size=SIZE, type=OrderType.MARKET)
            await client.place_order(request)
        fills = await client.fetch_fills(SYMBOL)
        later = await client.fetch_fills(SYMBOL, since=fills[-1].ts)
    paper = ex.private.account(KEY).fills
    assert len(paper) >= 3
    assert [(f.order_id, f.price, f.size, f.fee) for f in fills] == [
        (p.order_id, p.price, p.size, p.fee) for p in paper
    ]
    assert [f.side for f in fills][:1] == [Side.BUY] and fills == sorted(fills, key=lambda f: f.ts)
    assert later and all(f.ts >= fills[-1].ts for f in later) and len(later) < len(fills)


async def test_recent_trades_are_the_markets(ex: KucoinEmulator) -> None:
    await ex.step(40)
    async with account(ex) as client:
        trades = await client.fetch_trades(SYMBOL, limit=25)
    recent = ex.feed.history[NATIVE].recent()[-25:]
    assert [(t.trade_id, t.price, t.size, t.side.value, t.ts) for t in trades] == [
        (str(r.sequence), r.trade.price, r.trade.qty, r.trade.side, r.trade.ts) for r in recent
    ]


async def test_candles_spanning_more_than_one_page(ex: KucoinEmulator) -> None:
    now_s = time.time_ns() // S
    start_s, end_s = (now_s - 2600 * 60) // 60 * 60, now_s // 60 * 60
    before = ex.rest.requests
    async with account(ex) as client:
        requests_at_connect = ex.rest.requests
        candles = await client.fetch_candles(SYMBOL, 60, start_s * S, end_s * S)
        with pytest.raises(ValueError, match="no 61 s candles"):
            await client.fetch_candles(SYMBOL, 61)
    assert ex.rest.requests - requests_at_connect == 2  # 2600 bars: two pages of <= 1500
    assert before < requests_at_connect
    assert [c.start // S for c in candles] == list(range(start_s, end_s, 60))
    history = ex.feed.history[NATIVE]
    for candle in candles[::97]:  # each bar equals the venue's own, asked alone
        begin = candle.start // S
        (row,) = history.candles("1min", 60, begin, begin + 60, time.time_ns() // S)
        assert [str(begin), candle.open, candle.close, candle.high, candle.low, candle.volume] == [
            row[0],
            *map(Decimal, row[1:6]),
        ]
    assert all(c.interval == 60 and c.symbol == SYMBOL for c in candles)


async def test_book_snapshots_top_n_and_full(ex: KucoinEmulator) -> None:
    async with account(ex) as client:
        top = await client.fetch_book(SYMBOL, 20)
        five = await client.fetch_book(SYMBOL, 5)
        full = await client.fetch_book(SYMBOL)
    for book, depth in ((top, 20), (five, 5), (full, None)):
        bids, asks = ex.book(NATIVE, depth)
        assert [(lv.price, lv.size) for lv in book.bids()] == list(bids)
        assert [(lv.price, lv.size) for lv in book.asks()] == list(asks)
        assert book.synced and book.sequence == ex.sequence(NATIVE)
    assert len(full.bids()) > 100  # the signed full book, not the public top 100


async def test_public_calls_need_no_keys_and_private_ones_say_so(ex: KucoinEmulator) -> None:
    async with KucoinRest(ex.rest_url, timeout=5.0) as rest:
        fetcher = KucoinFetcher(rest)
        book = await fetcher.fetch_book(SYMBOL, None, timeout=5.0)
        assert len(book.bids()) == 100  # unsigned: the public top 100
        with pytest.raises(ConfigError, match="credentials"):
            await fetcher.fetch_balances(timeout=5.0)
        with pytest.raises(ConfigError, match="credentials"):
            await fetcher.fetch_book(SYMBOL, 500, timeout=5.0)


async def test_a_venue_clock_8_s_ahead_is_measured_and_signed_with() -> None:
    async with KucoinEmulator(
        seed=14, interval=None, clock_offset=8.0, api_keys={KEY: (SECRET, PASSPHRASE)}
    ) as skewed:
        # The client measures the offset at connect: its private socket (a signed
        # bullet), orders and one-shot calls are all accepted.
        async with account(skewed, private=True) as client:
            measured = await client.fetch_time()
            await client.place_order(resting(skewed, "skewed"))
            orders = await client.fetch_open_orders(SYMBOL)
            balances = await client.fetch_balances()
        assert 7 * S < measured.offset < 9 * S
        assert 0 < measured.round_trip < S
        assert [o.client_id for o in orders] == ["skewed"] and balances["USDT"].hold
        # Without a measurement first: the 400002 refusal is re-measured and retried once.
        keys = Credentials(KEY, SECRET, PASSPHRASE)
        async with KucoinRest(skewed.rest_url, timeout=5.0, credentials=keys) as rest:
            fetcher = KucoinFetcher(rest)
            assert rest.clock_offset_ms == 0
            assert (await fetcher.fetch_balances(timeout=5.0)).keys() == balances.keys()
            assert 7_000 < rest.clock_offset_ms < 9_000
