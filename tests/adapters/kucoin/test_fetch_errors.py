"""KuCoin's one-shot calls against respx: the venue's error codes, paging, the clock."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from tickwire.adapters.kucoin.fetch import MAX_CANDLES, KucoinFetcher
from tickwire.adapters.kucoin.rest import PUBLIC, KucoinRest
from tickwire.core.config import Credentials
from tickwire.core.errors import (
    AuthError,
    DecodeError,
    InvalidOrder,
    RateLimited,
    TransportError,
    UnknownOrder,
)
from tickwire.core.ratelimit import Quota, RateLimiter

BASE = "https://api.kucoin.test"
KEYS = Credentials("key-1", "secret-XYZ-123", "phrase-456")
ORDER = "/api/v1/hf/orders/client-order/cid-1"
NOW_MS = 1_780_000_000_000
S = 1_000_000_000


def ok(data: object) -> dict[str, object]:
    return {"code": "200000", "data": data}


@pytest.fixture
async def fetcher() -> AsyncIterator[KucoinFetcher]:
    async with KucoinRest(BASE, timeout=5.0, credentials=KEYS) as rest:
        yield KucoinFetcher(rest)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


async def lookup(fetcher: KucoinFetcher) -> object:
    return await fetcher.fetch_order(order_id=None, client_id="cid-1", symbol="BTC/USDT",
                                     timeout=5.0)  # fmt: skip


@pytest.mark.parametrize(
    ("msg", "error"),
    [("order_not_exist", UnknownOrder), ("symbol is invalid", InvalidOrder)],
)
async def test_400100_is_an_unknown_order_or_an_invalid_request(
    fetcher: KucoinFetcher, mock: respx.MockRouter, msg: str, error: type[Exception]
) -> None:
    mock.get(ORDER).respond(200, json={"code": "400100", "msg": msg})
    with pytest.raises(error) as info:
        await lookup(fetcher)
    assert type(info.value) is error and KEYS.api_secret not in repr(info.value)


async def test_empty_data_is_an_unknown_order(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    mock.get(ORDER).respond(200, json=ok(None))
    with pytest.raises(UnknownOrder):
        await lookup(fetcher)


async def test_400002_is_remeasured_and_retried_once(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    refused = httpx.Response(400, json={"code": "400002", "msg": "Invalid KC-API-TIMESTAMP"})
    accounts = mock.get("/api/v1/accounts")
    accounts.side_effect = [refused, httpx.Response(200, json=ok([]))]
    venue_ms = time.time_ns() // 1_000_000 + 8_000
    clock = mock.get("/api/v1/timestamp").respond(json=ok(venue_ms))
    assert await fetcher.fetch_balances(timeout=5.0) == {}
    assert (accounts.call_count, clock.call_count) == (2, 1)
    first, second = (int(c.request.headers["KC-API-TIMESTAMP"]) for c in accounts.calls)
    assert 7_000 < second - first < 9_000  # the retry was signed with the venue's time
    # Refused again: an AuthError, after one retry only.
    accounts.side_effect = [refused, refused]
    with pytest.raises(AuthError) as info:
        await fetcher.fetch_balances(timeout=5.0)
    assert info.value.code == "400002" and accounts.call_count == 4


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"gw-ratelimit-reset": "1500"}, 1.5), ({"Retry-After": "3"}, 3.0)],
)
async def test_429000_is_rate_limited_with_the_venues_wait(
    fetcher: KucoinFetcher, mock: respx.MockRouter, headers: dict[str, str], wait: float
) -> None:
    body = {"code": "429000", "msg": "Too Many Requests"}
    route = mock.get("/api/v1/market/histories").respond(429, json=body, headers=headers)
    with pytest.raises(RateLimited) as info:
        await fetcher.fetch_trades("BTC/USDT", 10, timeout=5.0)
    assert info.value.retry_after == wait and route.call_count == 1  # the caller decides


@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        (503, {"text": "<html>Service Unavailable</html>"}),
        (500, {"json": {"code": "500000", "msg": "Internal Server Error"}}),
    ],
)
async def test_5xx_is_a_transport_error(
    fetcher: KucoinFetcher, mock: respx.MockRouter, status: int, kwargs: dict[str, Any]
) -> None:
    mock.get("/api/v1/market/orderbook/level2_20").respond(status, **kwargs)
    with pytest.raises(TransportError, match=str(status)):
        await fetcher.fetch_book("BTC/USDT", 20, timeout=5.0)


async def test_a_reply_of_another_shape_is_a_decode_error(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    mock.get("/api/v1/accounts").respond(json=ok([{"currency": "BTC", "type": "trade_hf"}]))
    with pytest.raises(DecodeError):
        await fetcher.fetch_balances(timeout=5.0)


def fill(n: int) -> dict[str, object]:
    return {"id": n, "orderId": f"o{n}", "symbol": "BTC-USDT", "side": "buy", "price": "100",
            "size": "0.1", "fee": "0.01", "feeCurrency": "USDT",
            "createdAt": NOW_MS + n}  # fmt: skip


async def test_fills_page_back_by_last_id_until_since(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    pages = {None: range(150, 50, -1), "51": range(50, 0, -1)}  # newest first

    def answer(request: httpx.Request) -> httpx.Response:
        ids = list(pages[request.url.params.get("lastId")])
        return httpx.Response(200, json=ok({"items": [fill(n) for n in ids], "lastId": ids[-1]}))

    route = mock.get("/api/v1/hf/fills").mock(side_effect=answer)
    fills = await fetcher.fetch_fills("BTC/USDT", None, timeout=5.0)
    assert [f.order_id for f in fills] == [f"o{n}" for n in range(1, 151)]
    assert fills[0].fee == Decimal("0.01") and fills[0].symbol == "BTC/USDT"
    assert route.call_count == 2
    recent = await fetcher.fetch_fills("BTC/USDT", (NOW_MS + 120) * 1_000_000, timeout=5.0)
    assert [f.order_id for f in recent] == [f"o{n}" for n in range(120, 151)]
    assert route.call_count == 3  # the first page already reached back past ``since``


async def test_candles_are_asked_in_windows_of_1500_bars(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        start, end = int(request.url.params["startAt"]), int(request.url.params["endAt"])
        assert request.url.params["type"] == "1hour"
        rows = [[str(t), "1", "2", "3", "0.5", "10", "20"] for t in range(start, end, 3600)]
        return httpx.Response(200, json=ok(rows[::-1]))  # newest first, as KuCoin sends

    route = mock.get("/api/v1/market/candles").mock(side_effect=answer)
    start = 1_700_000_000 // 3600 * 3600
    end = start + 4000 * 3600
    candles = await fetcher.fetch_candles("BTC/USDT", 3600, start * S, end * S, timeout=5.0)
    assert [c.start // S for c in candles] == list(range(start, end, 3600))
    windows = [(int(c.request.url.params["startAt"]), int(c.request.url.params["endAt"]))
               for c in route.calls]  # fmt: skip
    step = MAX_CANDLES * 3600
    assert windows == [(start, start + step), (start + step, start + 2 * step),
                       (start + 2 * step, end)]  # fmt: skip
    assert candles[0].close == Decimal("2") and candles[0].high == Decimal("3")


async def test_an_interval_kucoin_lacks_is_refused_before_sending(fetcher: KucoinFetcher) -> None:
    with pytest.raises(ValueError, match="no 2 s candles"):
        await fetcher.fetch_candles("BTC/USDT", 2, None, None, timeout=5.0)


async def test_server_time_is_taken_at_the_round_trips_middle(
    fetcher: KucoinFetcher, mock: respx.MockRouter
) -> None:
    mock.get("/api/v1/timestamp").respond(json=ok(NOW_MS))
    before = time.time_ns()
    measured = await fetcher.fetch_time(timeout=5.0)
    after = time.time_ns()
    assert measured.server == NOW_MS * 1_000_000
    assert before <= measured.local - measured.round_trip // 2 <= measured.local <= after
    assert measured.offset == measured.server - measured.local


async def test_calls_wait_for_their_weight_in_the_pool(mock: respx.MockRouter) -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # a clock that moves only when waited on
        waits.append(seconds)
        now[0] += seconds

    # A public pool of 6 per second: a bucket of 3 refilling 3/s; a trades call weighs 3.
    limiter = RateLimiter({PUBLIC: Quota(6, 1.0)}, clock=lambda: now[0], sleep=sleep)
    route = mock.get("/api/v1/market/histories").respond(json=ok([]))
    async with KucoinRest(BASE, timeout=5.0, limiter=limiter) as rest:
        fetcher = KucoinFetcher(rest)
        for _ in range(3):
            assert await fetcher.fetch_trades("BTC/USDT", 10, timeout=5.0) == []
    assert route.call_count == 3
    assert sum(waits) == pytest.approx(2.0)  # the 2nd and 3rd waited a second each
