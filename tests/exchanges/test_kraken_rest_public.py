"""Kraken emulator, public REST: each route's shape as docs.kraken.com documents it, its
values against the emulator's own market, and the errors in Kraken's envelope."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

PAIR_KEYS = {"altname", "wsname", "aclass_base", "base", "aclass_quote", "quote", "lot",
             "cost_decimals", "pair_decimals", "lot_decimals", "lot_multiplier", "leverage_buy",
             "leverage_sell", "fees", "fees_maker", "fee_volume_currency", "margin_call",
             "margin_stop", "ordermin", "costmin", "tick_size", "status"}  # fmt: skip
CODES = {"XXBTZUSD": "BTC/USD", "XETHZUSD": "ETH/USD", "SOLUSD": "SOL/USD",
         "XETHXXBT": "ETH/BTC"}  # fmt: skip


async def public(kraken, http, method: str, status: int = 200, **query: Any) -> Any:
    url = f"{kraken.rest_url}/0/public/{method}"
    async with http.get(url, params={k: str(v) for k, v in query.items()}) as resp:
        assert resp.status == status
        return json.loads(await resp.read(), parse_float=Decimal)


def result(reply: Any) -> Any:
    assert reply["error"] == [], reply
    return reply["result"]


async def test_time_and_system_status(kraken, http) -> None:
    now = time.time()
    clock = result(await public(kraken, http, "Time"))
    assert abs(clock["unixtime"] - now) < 5
    assert time.strptime(clock["rfc1123"], "%a, %d %b %y %H:%M:%S +0000")
    status = result(await public(kraken, http, "SystemStatus"))
    assert status["status"] == "online" and status["timestamp"].endswith("Z")


async def test_assets_lists_kraken_codes_and_filters(kraken, http) -> None:
    assets = result(await public(kraken, http, "Assets"))
    assert set(assets) == {"XXBT", "XETH", "ZUSD", "SOL"}
    assert assets["XXBT"]["altname"] == "XBT" and assets["ZUSD"]["decimals"] == 4
    assert set(result(await public(kraken, http, "Assets", asset="XBT,eth"))) == {"XXBT", "XETH"}
    unknown = await public(kraken, http, "Assets", asset="DOGE")
    assert unknown == {"error": ["EQuery:Unknown asset"], "result": {}}


async def test_asset_pairs_are_keyed_by_code_or_by_the_name_asked(kraken, http) -> None:
    pairs = result(await public(kraken, http, "AssetPairs"))
    assert set(pairs) == set(CODES)
    btc = pairs["XXBTZUSD"]
    assert set(btc) >= PAIR_KEYS
    assert (btc["altname"], btc["wsname"], btc["base"], btc["quote"]) == (
        "XBTUSD", "XBT/USD", "XXBT", "ZUSD"
    )  # fmt: skip
    spec = kraken.pairs["BTC/USD"].spec
    assert Decimal(btc["ordermin"]) == spec.qty_min and Decimal(btc["tick_size"]) == spec.tick
    assert (btc["pair_decimals"], btc["lot_decimals"]) == kraken.precisions("BTC/USD")
    asked = result(await public(kraken, http, "AssetPairs", pair="XBTUSD,BTC/USD,SOLUSD"))
    assert list(asked) == ["XBTUSD", "BTC/USD", "SOLUSD"]
    assert asked["BTC/USD"] == btc
    fees = result(await public(kraken, http, "AssetPairs", pair="XETHXXBT", info="fees"))
    assert set(fees["XETHXXBT"]) == {"fees", "fees_maker", "fee_volume_currency"}
    bad = await public(kraken, http, "AssetPairs", pair="NOPEUSD")
    assert bad == {"error": ["EQuery:Unknown asset pair"], "result": {}}
    assert (await public(kraken, http, "AssetPairs", info="x"))["error"] == [
        "EGeneral:Invalid arguments"
    ]


async def test_ticker_quotes_the_true_book_and_stats(kraken, http) -> None:
    await kraken.step(30)
    tickers = result(await public(kraken, http, "Ticker"))
    assert set(tickers) == set(CODES)
    for code, symbol in CODES.items():
        bids, asks = kraken.book(symbol, 1)
        tick = tickers[code]
        assert (Decimal(tick["b"][0]), Decimal(tick["b"][2])) == bids[0]
        assert (Decimal(tick["a"][0]), Decimal(tick["a"][2])) == asks[0]
        assert Decimal(tick["c"][0]) == kraken.market.stats(symbol).last
        assert Decimal(tick["l"][1]) <= Decimal(tick["c"][0]) <= Decimal(tick["h"][1])
    one = result(await public(kraken, http, "Ticker", pair="ethusd"))
    assert set(one) == {"XETHZUSD"}


async def test_depth_is_the_true_book_best_first(kraken, http) -> None:
    await kraken.step(20, "ETH/USD")
    book = result(await public(kraken, http, "Depth", pair="ETHUSD", count=5))["XETHZUSD"]
    bids, asks = kraken.book("ETH/USD", 5)
    assert [(Decimal(p), Decimal(q)) for p, q, _ in book["bids"]] == bids
    assert [(Decimal(p), Decimal(q)) for p, q, _ in book["asks"]] == asks
    assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])
    assert all(isinstance(ts, int) for _, _, ts in book["bids"])
    missing = await public(kraken, http, "Depth")
    assert missing == {"error": ["EGeneral:Invalid arguments"], "result": {}}
    assert (await public(kraken, http, "Depth", pair="XBTUSD", count=501))["error"]


async def test_ohlc_and_trades_come_from_the_market(kraken, http) -> None:
    await kraken.step(200, "BTC/USD")
    ohlc = result(await public(kraken, http, "OHLC", pair="XBTUSD", interval=5))
    row = ohlc["XXBTZUSD"][-1]  # the running candle (the history: test_kraken_rest_history)
    begin, o, h, low, c = row[0], *(Decimal(v) for v in row[1:5])
    assert ohlc["last"] == begin - 300 and begin % 300 == 0
    assert low <= min(o, c) <= max(o, c) <= h
    assert (await public(kraken, http, "OHLC", pair="XBTUSD", interval=2))["error"]
    trades = result(await public(kraken, http, "Trades", pair="XBTUSD"))
    rows = trades["XXBTZUSD"]
    truth = kraken.market.recent_trades("BTC/USD", 1000)
    assert rows, "200 steps made no trade"
    assert [r[6] for r in rows] == [t.trade_id for t in truth]
    assert [(Decimal(r[0]), Decimal(r[1]), r[3]) for r in rows] == [
        (t.price, t.qty, t.side[0]) for t in truth
    ]
    later = result(await public(kraken, http, "Trades", pair="XBTUSD", since=trades["last"]))
    assert later["XXBTZUSD"] == []


@pytest.mark.parametrize("method", ["Nope", "Spread2"])
async def test_an_unknown_method_is_404_unknown_method(kraken, http, method) -> None:
    reply = await public(kraken, http, method, status=404)
    assert reply == {"error": ["EGeneral:Unknown method"], "result": {}}


async def test_post_with_a_form_works_like_get(kraken, http) -> None:
    url = f"{kraken.rest_url}/0/public/Depth"
    async with http.post(url, data={"pair": "SOLUSD", "count": "2"}) as resp:
        reply = await resp.json()
    assert reply["error"] == [] and len(reply["result"]["SOLUSD"]["asks"]) == 2
