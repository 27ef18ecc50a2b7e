"""The KuCoin emulator's public REST beyond the streaming needs, as the venue documents it.

Each body is compared with the docs-new example of its route (key sets and JSON value
types, ``assert_like``) and its values with the emulator's truth (the market, the feed's
sequences, the trades it pushed). A plain aiohttp client: nothing goes through the adapter.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from test_kucoin_emulator import assert_like, connect, sample

from tickwire.exchanges.kucoin import KucoinEmulator


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=5, interval=None) as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, ex: KucoinEmulator, path: str) -> Any:
    async with http.get(ex.rest_url + path) as resp:
        assert resp.status == 200, path
        return await resp.json()


async def data(http: aiohttp.ClientSession, ex: KucoinEmulator, path: str) -> Any:
    body = await get(http, ex, path)
    assert body["code"] == "200000", body
    return body["data"]


async def test_bodies_have_the_documented_shapes(kucoin, http) -> None:
    await kucoin.step(50)
    cases = [
        ("/api/v3/currencies", "currencies_response.json"),
        ("/api/v1/market/orderbook/level1?symbol=BTC-USDT", "level1_rest_response.json"),
        ("/api/v1/market/allTickers", "all_tickers_response.json"),
        ("/api/v1/market/stats?symbol=ETH-USDT", "stats_response.json"),
        ("/api/v1/market/histories?symbol=BTC-USDT", "trade_histories_response.json"),
        ("/api/v1/market/candles?symbol=BTC-USDT&type=1min", "candles_rest_response.json"),
        ("/api/v1/symbols", "symbols_response_excerpt.json"),
    ]
    for path, name in cases:
        expected = sample(name)
        if isinstance(expected["data"], list):
            # The first row is the model (the docs' later rows vary nullable fields).
            expected["data"] = expected["data"][:1]
        assert_like(await get(http, kucoin, path), expected)


async def test_symbols_v1_and_v2_agree_and_currencies_cover_them(kucoin, http) -> None:
    v1 = await data(http, kucoin, "/api/v1/symbols")
    v2 = await data(http, kucoin, "/api/v2/symbols")
    assert v1 == v2 and {s["symbol"] for s in v1} == set(kucoin.symbols)
    currencies = {c["currency"] for c in await data(http, kucoin, "/api/v3/currencies")}
    assert currencies == {a for s in v1 for a in (s["baseCurrency"], s["quoteCurrency"])}
    one = await data(http, kucoin, "/api/v3/currencies/BTC")
    assert one["currency"] == "BTC" and one["chains"]
    assert (await get(http, kucoin, "/api/v3/currencies/NOPE"))["code"] == "900014"
    btc = await data(http, kucoin, "/api/v1/symbols?market=BTC")
    assert [s["symbol"] for s in btc] == ["ETH-BTC"]


async def test_level1_and_tickers_are_the_true_top(kucoin, http) -> None:
    await kucoin.step(30, "SOL-USDT")
    bids, asks = kucoin.book("SOL-USDT", 1)
    top = await data(http, kucoin, "/api/v1/market/orderbook/level1?symbol=SOL-USDT")
    assert (Decimal(top["bestBid"]), Decimal(top["bestBidSize"])) == bids[0]
    assert (Decimal(top["bestAsk"]), Decimal(top["bestAskSize"])) == asks[0]
    assert int(top["sequence"]) == kucoin.sequence("SOL-USDT")
    tickers = await data(http, kucoin, "/api/v1/market/allTickers")
    row = next(t for t in tickers["ticker"] if t["symbol"] == "SOL-USDT")
    assert (Decimal(row["buy"]), Decimal(row["sell"])) == (bids[0][0], asks[0][0])
    assert Decimal(row["last"]) == Decimal(top["price"])
    assert {t["symbol"] for t in tickers["ticker"]} == set(kucoin.symbols)


async def test_histories_are_the_pushed_trades(kucoin, http) -> None:
    client = await connect(http, kucoin)
    await client.request("subscribe", "/market/match:ETH-USDT")
    await kucoin.burst("/market/match", "ETH-USDT", 120)
    pushed = [m["data"] for m in await client.drain() if m.get("subject") == "trade.l3match"]
    assert len(pushed) >= 120
    history = await data(http, kucoin, "/api/v1/market/histories?symbol=ETH-USDT")
    assert len(history) == 100
    assert [(h["sequence"], h["price"], h["size"], h["side"], str(h["time"])) for h in history] == [
        (p["sequence"], p["price"], p["size"], p["side"], p["time"]) for p in pushed[-100:]
    ]


async def test_candles_page_through_the_past_and_show_live_trades(kucoin, http) -> None:
    now = int(time.time())
    path = f"/api/v1/market/candles?symbol=BTC-USDT&type=1min&endAt={now}"
    first = await data(http, kucoin, f"{path}&startAt={now - 3000 * 60}")
    assert len(first) == 1500  # the venue's cap: the newest 1500 of the range
    starts = [int(r[0]) for r in first]
    assert starts == sorted(starts, reverse=True) and starts[0] > now - 120
    assert all(b - a == 60 for a, b in zip(starts[1:], starts, strict=False))
    older = await data(
        http,
        kucoin,
        f"/api/v1/market/candles?symbol=BTC-USDT&type=1min"
        f"&startAt={now - 3000 * 60}&endAt={starts[-1]}",
    )
    assert int(older[0][0]) == starts[-1] - 60 and len(older) == 1500  # pages join up
    again = await data(http, kucoin, f"{path}&startAt={now - 3000 * 60}")
    assert again[5:] == first[5:]  # the past is the same every time
    for _, o, c, h, low, vol, _turnover in first:
        assert Decimal(low) <= min(Decimal(o), Decimal(c)) <= max(Decimal(o), Decimal(c))
        assert max(Decimal(o), Decimal(c)) <= Decimal(h) and Decimal(vol) >= 0

    # Live trades land in the current bucket.
    await kucoin.burst("/market/match", "BTC-USDT", 20)
    trades = kucoin.market.recent_trades("BTC/USDT", 100)
    bucket = trades[-1].ts // 1_000_000_000 // 60 * 60
    rows = await data(http, kucoin, f"{path}&startAt={bucket}&endAt={bucket + 60}")
    assert [r[0] for r in rows] == [str(bucket)]
    in_bucket = [t for t in trades if t.ts // 1_000_000_000 // 60 * 60 == bucket]
    assert Decimal(rows[0][2]) == in_bucket[-1].price
    assert Decimal(rows[0][5]) >= sum(t.qty for t in in_bucket)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/market/candles?symbol=BTC-USDT&type=2min", "400100"),
        ("/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=9&endAt=2", "400100"),
        ("/api/v1/market/candles?symbol=BSV-BTC&type=1min", "900001"),
        ("/api/v1/market/histories", "400100"),
        ("/api/v1/market/orderbook/level1?symbol=BSV-BTC", "900001"),
    ],
)
async def test_bad_requests_answer_documented_codes(kucoin, http, path, code) -> None:
    body = await get(http, kucoin, path)
    assert body["code"] == code and set(body) == {"code", "msg"}


async def test_futures_host_lists_no_contracts(kucoin, http) -> None:
    assert await data(http, kucoin, "/api/v1/contracts/active") == []


async def test_topic_with_a_space_after_the_colon_is_invalid(kucoin, http) -> None:
    # What real KuCoin answers since Feb 2026 (cryptofeed issue #1100), not a 404.
    client = await connect(http, kucoin)
    reply = await client.request("subscribe", "/market/match: BTC-USDT")
    assert reply == {
        "id": "1",
        "type": "error",
        "code": 400,
        "data": "topic /market/match: BTC-USDT is invalid",
    }
    assert (await client.request("subscribe", "/market/match:BTC-USDT"))["type"] == "ack"
