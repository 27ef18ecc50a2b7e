"""Kraken's one-shot calls against the emulator's REST, over real sockets on 127.0.0.1.

The emulator's market and paper engine are the truth every answer is checked against.
Error strings and paging the emulator does not produce are served by respx.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from decimal import Decimal

import httpx
import pytest
import respx

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.adapters.kraken.rest import (
    PRIVATE_KEY,
    PRIVATE_QUOTA,
    PUBLIC_KEY,
    PUBLIC_QUOTA,
    KrakenRest,
)
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.errors import (
    AuthError,
    ConfigError,
    InvalidOrder,
    RateLimited,
    TransportError,
    UnknownOrder,
)
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.types import OrderStatus, Side
from tickwire.exchanges.kraken import KrakenEmulator

from .test_private import KEY, SECRET, crossing_buy, private_client, resting_buy

D = Decimal
NS = 1_000_000_000


@asynccontextmanager
async def rest_only(config: ClientConfig) -> AsyncIterator[KrakenClient]:
    """A client used for one-shot calls only, never connected: ``close()`` still closes
    its REST client (core)."""
    client = KrakenClient(config)
    try:
        yield client
    finally:
        await client.close()


def prices(ex: KrakenEmulator) -> tuple[Decimal, Decimal]:
    """(best bid, best ask) of BTC/USD, from the emulator's market: it moves only when
    stepped, so no book subscription is needed to know them."""
    (bids, asks) = ex.market.book("BTC/USD", 1)
    return bids[0][0], asks[0][0]


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    """An emulator that moves only when the test says so, with one full-permission key."""
    async with KrakenEmulator(seed=11, interval=None, api_keys={KEY: SECRET}) as ex:
        yield ex


# --- public ----------------------------------------------------------------------------


async def test_time_measures_the_venue_clock_eight_seconds_ahead():
    skew = 8 * NS
    async with KrakenEmulator(seed=1, interval=None, clock=lambda: time.time_ns() + skew) as ex:
        async with rest_only(ClientConfig(venue="kraken", **ex.endpoints)) as client:
            clock = await client.fetch_time()
    assert clock.venue == "kraken"
    assert clock.round_trip > 0
    # Kraken's Time has whole seconds: the offset is the skew to within one second.
    assert abs(clock.offset - skew) < NS + clock.round_trip


async def test_trades_book_and_candles_are_the_emulator_market(kraken):
    for _ in range(30):
        kraken.market.step("BTC/USD")
    async with rest_only(ClientConfig(venue="kraken", **kraken.endpoints)) as client:
        trades = await client.fetch_trades("BTC/USD", 5)
        book = await client.fetch_book("BTC/USD", 10)
        candles = await client.fetch_candles("BTC/USD", 60)
    truth = kraken.market.recent_trades("BTC/USD", 5)
    assert [t.trade_id for t in trades] == [str(t.trade_id) for t in truth]
    assert [(t.price, t.size) for t in trades] == [(t.price, t.qty) for t in truth]
    assert [t.side for t in trades] == [Side(t.side) for t in truth]
    assert all(t.symbol == "BTC/USD" and t.venue == "kraken" for t in trades)
    bids, asks = kraken.market.book("BTC/USD", 10)
    assert book.symbol == "BTC/USD" and book.synced
    assert [(lvl.price, lvl.size) for lvl in book.bids()] == [(p, q) for p, q in bids]
    assert [(lvl.price, lvl.size) for lvl in book.asks()] == [(p, q) for p, q in asks]
    running = kraken.market.candle("BTC/USD", 60)
    assert candles[-1].start == running.begin
    assert (candles[-1].open, candles[-1].close, candles[-1].volume) == (
        running.open,
        running.close,
        running.volume,
    )


async def test_an_interval_kraken_lacks_is_refused_before_any_request(kraken):
    async with rest_only(ClientConfig(venue="kraken", **kraken.endpoints)) as client:
        with pytest.raises(ValueError, match="no 120 s candles"):
            await client.fetch_candles("BTC/USD", 120)
        with pytest.raises(ValueError, match="no 90 s candles"):
            await client.fetch_candles("BTC/USD", 90)


# --- private ---------------------------------------------------------------------------


async def test_balances_equal_the_paper_account_with_what_orders_hold(kraken):
    async with private_client(kraken) as client:
        bid, _ = prices(kraken)
        await client.place_order(resting_buy(bid, "0.5"), timeout=5)
        balances = await client.fetch_balances()
    truth = kraken.engine.balances()
    assert set(balances) == set(truth)
    for asset, (total, available, hold) in truth.items():
        got = balances[asset]
        assert (got.total, got.available, got.hold) == (total, available, hold), asset
    assert balances["USD"].hold > 0  # the resting buy's


async def test_open_orders_after_placing_three_and_cancelling_one(kraken):
    async with private_client(kraken) as client:
        bid, _ = prices(kraken)
        acks = [
            await client.place_order(resting_buy(bid - i, client_id=f"tw-open-{i}"), timeout=5)
            for i in range(3)
        ]
        await client.cancel_order("BTC/USD", order_id=acks[1].order_id, timeout=5)
        orders = await client.fetch_open_orders()
        mine = await client.fetch_open_orders("BTC/USD")
        others = await client.fetch_open_orders("ETH/USD")
    truth = {o.order_id for o in kraken.engine.open_orders()}
    assert {o.order_id for o in orders} == truth == {acks[0].order_id, acks[2].order_id}
    assert [o.client_id for o in orders] == ["tw-open-0", "tw-open-2"]  # oldest first
    assert [o.order_id for o in mine] == [o.order_id for o in orders] and others == []
    for order in orders:
        engine = kraken.engine.order(order_id=order.order_id)
        assert engine is not None
        assert (order.symbol, order.side, order.status) == ("BTC/USD", Side.BUY, OrderStatus.OPEN)
        assert (order.price, order.size, order.filled) == (engine.price, engine.size, D(0))


async def test_an_order_by_client_id_open_then_cancelled_and_an_unknown_one(kraken):
    async with private_client(kraken) as client:
        bid, _ = prices(kraken)
        ack = await client.place_order(resting_buy(bid, client_id="tw-by-client"), timeout=5)
        live = await client.fetch_order(client_id="tw-by-client")
        by_id = await client.fetch_order(order_id=ack.order_id)
        await client.cancel_order("BTC/USD", client_id="tw-by-client", timeout=5)
        closed = await client.fetch_order(client_id="tw-by-client")
        with pytest.raises(UnknownOrder):
            await client.fetch_order(client_id="tw-never-placed")
        with pytest.raises(UnknownOrder):
            await client.fetch_order(order_id="OABCDE-FGHIJ-KLMNOP")
    assert (live.order_id, live.client_id, live.status) == (
        ack.order_id,
        "tw-by-client",
        OrderStatus.OPEN,
    )
    assert (by_id.order_id, by_id.client_id, by_id.status) == (
        live.order_id,
        live.client_id,
        live.status,
    )
    assert (closed.order_id, closed.status) == (ack.order_id, OrderStatus.CANCELED)
    assert kraken.engine.order(order_id=ack.order_id).state == "canceled"


async def test_fills_are_the_paper_engine_executions(kraken):
    async with private_client(kraken) as client:
        _, ask = prices(kraken)
        ack = await client.place_order(crossing_buy(ask, "0.05"), timeout=5)
        fills = await client.fetch_fills("BTC/USD")
        filled = await client.fetch_order(order_id=ack.order_id)
        none_later = await client.fetch_fills(since=time.time_ns() + 60 * NS)
    truth = [f for f in kraken.desk.trade_log if f.order_id == ack.order_id]
    assert truth and [(f.price, f.size, f.fee) for f in fills] == [
        (f.price, f.size, f.fee) for f in truth
    ]
    assert all(f.order_id == ack.order_id and f.side is Side.BUY for f in fills)
    assert sum(f.size for f in fills) == D("0.05")
    assert filled.status is OrderStatus.FILLED and filled.filled == D("0.05")
    assert none_later == []


async def test_private_calls_without_credentials_are_a_config_error(kraken):
    async with rest_only(ClientConfig(venue="kraken", **kraken.endpoints)) as client:
        with pytest.raises(ConfigError, match="credentials"):
            await client.fetch_balances()


# --- Kraken's error strings and paging (respx) ------------------------------------------

BASE = "https://kraken.test"
ASSETS = {"XXBT": {"altname": "XBT"}, "ZUSD": {"altname": "USD"}}
PAIRS = {"XXBTZUSD": {"altname": "XBTUSD", "wsname": "XBT/USD", "base": "XXBT", "quote": "ZUSD"}}


def _client() -> AbstractAsyncContextManager[KrakenClient]:
    return rest_only(
        ClientConfig(
            venue="kraken", rest_url=BASE, credentials=Credentials(KEY, SECRET), request_timeout=5
        )
    )


def _names(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/0/public/Assets").respond(json={"error": [], "result": ASSETS})
    mock.get(f"{BASE}/0/public/AssetPairs").respond(json={"error": [], "result": PAIRS})


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        ("EAPI:Invalid key", 200, AuthError),
        ("EOrder:Unknown order", 200, UnknownOrder),
        ("EAPI:Rate limit exceeded", 200, RateLimited),
        ("EGeneral:Invalid arguments:txid", 200, InvalidOrder),
        ("EService:Unavailable", 503, TransportError),
    ],
)
async def test_kraken_error_strings_map_to_core_errors(error, status, expected):
    with respx.mock(assert_all_called=False) as mock:
        _names(mock)
        body = {"error": [error], "result": {}}
        mock.post(f"{BASE}/0/private/QueryOrders").respond(status, json=body)
        async with _client() as client:
            with pytest.raises(expected) as caught:
                await client.fetch_order(order_id="OABCDE-FGHIJ-KLMNOP")
    assert SECRET not in str(caught.value) and KEY not in str(caught.value)
    if expected is not TransportError:
        assert caught.value.code == error.rsplit(":txid", 1)[0]


async def test_a_5xx_without_a_kraken_body_is_a_transport_error():
    with respx.mock(assert_all_called=False) as mock:
        _names(mock)
        mock.post(f"{BASE}/0/private/BalanceEx").respond(502, text="<html>Bad gateway</html>")
        async with _client() as client:
            with pytest.raises(TransportError, match="HTTP 502"):
                await client.fetch_balances()


async def test_candles_spanning_more_than_one_page_are_paged_with_since():
    """A venue handing out 720 rows after ``since`` (the documented cap per answer):
    1000 one-minute candles take two calls, the second from the first's ``last``."""
    t0 = 1_700_000_040  # a whole minute
    rows = [[t0 + 60 * i, "10.0", "11.0", "9.0", "10.5", "10.2", "1.5", 3] for i in range(1000)]
    sinces: list[int] = []

    def ohlc(request: httpx.Request) -> httpx.Response:
        since = int(request.url.params["since"])
        sinces.append(since)
        page = [r for r in rows if int(r[0]) > since][:720]  # type: ignore[call-overload]
        last = int(page[-1][0]) if page else since  # type: ignore[call-overload]
        return httpx.Response(200, json={"error": [], "result": {"XXBTZUSD": page, "last": last}})

    with respx.mock(assert_all_called=False) as mock:
        _names(mock)
        mock.get(f"{BASE}/0/public/OHLC").mock(side_effect=ohlc)
        async with _client() as client:
            candles = await client.fetch_candles(
                "BTC/USD", 60, start=t0 * NS, end=(t0 + 60 * 999) * NS
            )
    assert [c.start for c in candles] == [(t0 + 60 * i) * NS for i in range(1000)]
    assert sinces == [t0 - 1, t0 + 60 * 719]
    assert candles[0].symbol == "BTC/USD" and candles[0].close == D("10.5")


async def test_rest_quotas_admit_kraken_bursts_then_pace_to_the_documented_rates():
    """Public: five at once, then one every two seconds (about one a second over ten);
    private: the Starter counter's 15 at once, then one every three seconds (0.33/s)."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # a clock that moves only when waited on
        waits.append(seconds)
        now[0] += seconds

    quotas = {PUBLIC_KEY: PUBLIC_QUOTA, PRIVATE_KEY: PRIVATE_QUOTA}
    limiter = RateLimiter(quotas, clock=lambda: now[0], sleep=sleep)
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/0/public/Time").respond(json={"error": [], "result": {"unixtime": 1}})
        mock.post(f"{BASE}/0/private/BalanceEx").respond(json={"error": [], "result": {}})
        async with KrakenRest(
            BASE, credentials=Credentials(KEY, SECRET), timeout=5, limiter=limiter
        ) as rest:
            for _ in range(6):
                await rest.public("Time", {})
            assert sum(waits) == pytest.approx(2.0)  # the sixth waited for its token
            waits.clear()
            for _ in range(16):
                await rest.private("BalanceEx", {})
    assert sum(waits) == pytest.approx(3.0)  # the sixteenth waited for the counter to decay
