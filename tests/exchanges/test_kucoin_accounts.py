"""The KuCoin emulator's accounts: one per API key, and the routes clients read at start-up.

Signed with the plain client of ``test_kucoin_private`` (nothing from the adapter); bodies
compared with the docs-new examples, values with each key's paper engine.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from test_kucoin_emulator import assert_like, sample
from test_kucoin_private import BALANCE, KEY, ORDERS, PASSPHRASE, SECRET, Push, Rest, sign

from tickwire.exchanges.kucoin import KucoinEmulator
from tickwire.exchanges.kucoin.emulator import TEST_KEY, TEST_PASSPHRASE, TEST_SECRET

OTHER = "kc-second-key"
HF = "/api/v1/hf/orders"


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    keys = {KEY: (SECRET, PASSPHRASE), OTHER: (SECRET, PASSPHRASE)}
    async with KucoinEmulator(seed=8, interval=None, api_keys=keys) as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def private_push(http: aiohttp.ClientSession, ex: KucoinEmulator, key: str) -> Push:
    data = await Rest(http, ex, key).ok("POST", "/api/v1/bullet-private")
    server = data["instanceServers"][0]
    ws = await http.ws_connect(f"{server['endpoint']}?token={data['token']}&connectId={key}")
    push = Push(ws)
    assert await push.recv() == {"id": key, "type": "welcome"}
    for topic in (ORDERS, BALANCE):
        assert (await push.subscribe(topic))["type"] == "ack"
    return push


def order(oid: str, side: str = "buy", price: str = "30000", size: str = "0.001") -> Any:
    return {
        "clientOid": oid,
        "symbol": "BTC-USDT",
        "side": side,
        "type": "limit",
        "price": price,
        "size": size,
    }


def as_rows(engine_balances: dict[str, tuple[Decimal, Decimal, Decimal]]) -> dict[str, Any]:
    return {
        asset: tuple(format(v.normalize(), "f") for v in values)
        for asset, values in engine_balances.items()
    }


async def test_two_keys_see_two_accounts(kucoin, http) -> None:
    first, second = Rest(http, kucoin, KEY), Rest(http, kucoin, OTHER)
    push_first = await private_push(http, kucoin, KEY)
    push_second = await private_push(http, kucoin, OTHER)
    before = kucoin.account_engine(OTHER).balances()
    await first.ok("POST", "/api/v1/hf/orders", order("mine-1"))

    assert kucoin.engine is kucoin.account_engine(KEY)  # the first key is the default
    assert [o.client_id for o in kucoin.engine.open_orders()] == ["mine-1"]
    assert kucoin.account_engine(OTHER).open_orders() == []
    assert kucoin.account_engine(OTHER).balances() == before
    assert await second.ok("GET", "/api/v1/hf/orders/active?symbol=BTC-USDT") == []
    _, reply = await second.call("GET", f"{HF}/client-order/mine-1?symbol=BTC-USDT")
    assert reply["code"] == "400100"  # another account's order does not exist for this key
    # Each account's balances are its own engine's.
    for rest, key in ((first, KEY), (second, OTHER)):
        rows = await rest.ok("GET", "/api/v1/accounts?type=trade_hf")
        got = {r["currency"]: (r["balance"], r["available"], r["holds"]) for r in rows}
        assert got == as_rows(kucoin.account_engine(key).balances())
    # Pushes go to the owner's private socket only.
    assert [f["data"]["type"] for f in await push_first.drain() if f["topic"] == ORDERS] == [
        "received",
        "open",
    ]
    assert await push_second.drain() == []
    # The same clientOid is free on the other account.
    await second.ok("POST", "/api/v1/hf/orders", order("mine-1"))
    assert [o.client_id for o in kucoin.account_engine(OTHER).open_orders()] == ["mine-1"]


async def test_startup_routes_have_the_documented_shapes(kucoin, http) -> None:
    rest = Rest(http, kucoin)
    cases = [
        ("/api/v1/hf/accounts/opened", "hf_accounts_opened_response.json"),
        ("/api/v1/accounts", "accounts_response.json"),
    ]
    for path, name in cases:
        status, reply = await rest.call("GET", path)
        assert status == 200
        assert_like(reply, sample(name))
    assert await rest.ok("GET", "/api/v1/hf/accounts/opened") is True
    margin = await rest.ok("GET", "/api/v3/margin/symbols")
    assert_like(margin, sample("margin_symbols_response.json")["data"] | {"items": []})
    assert margin["items"] == []  # no margin trading here
    assert await rest.ok("GET", "/api/v1/isolated/symbols") == []
    mode = await rest.ok("GET", "/api/ua/v1/account/mode")
    assert mode["selfAccountMode"] == "CLASSIC"  # not a unified account
    # Signed like every private route.
    async with http.get(kucoin.rest_url + "/api/ua/v1/account/mode") as resp:
        assert (resp.status, (await resp.json())["code"]) == (400, "400001")


async def test_fills_are_the_engine_fills(kucoin, http) -> None:
    rest = Rest(http, kucoin)
    _, asks = kucoin.book("BTC-USDT", 3)
    # Two taking orders: each fills against the displayed asks.
    for n in range(2):
        await rest.ok("POST", "/api/v1/hf/orders", order(f"take-{n}", price=str(asks[2][0])))
    fills = await rest.ok("GET", "/api/v1/hf/fills?symbol=BTC-USDT")
    assert_like(fills, sample("hf_fills_response.json")["data"])
    items = fills["items"]
    truth = kucoin.engine
    expected = [
        (f.order_id, f.side, f.price, f.size, f.fee, f.liquidity)
        for f in reversed(kucoin.private.default.fills)
    ]
    assert expected and len(items) == len(expected)
    assert [
        (
            i["orderId"],
            i["side"],
            Decimal(i["price"]),
            Decimal(i["size"]),
            Decimal(i["fee"]),
            i["liquidity"],
        )
        for i in items
    ] == expected
    ids = {truth.order(client_id=f"take-{n}").order_id for n in range(2)}  # type: ignore[union-attr]
    assert {i["orderId"] for i in items} == ids
    # Paging: lastId asks for older fills.
    page = await rest.ok("GET", "/api/v1/hf/fills?symbol=BTC-USDT&limit=1")
    assert [i["id"] for i in page["items"]] == [items[0]["id"]] and page["lastId"] == items[0]["id"]
    older = await rest.ok("GET", f"/api/v1/hf/fills?symbol=BTC-USDT&lastId={page['lastId']}")
    assert older["items"] == items[1:]
    _, reply = await rest.call("GET", "/api/v1/hf/fills?symbol=BTC-USDT&limit=500")
    assert reply["code"] == "400100"


async def test_a_skewed_venue_clock_checks_signatures_against_itself(http) -> None:
    async with KucoinEmulator(seed=8, interval=None, clock_offset=8.0) as skewed:
        async with http.get(skewed.rest_url + "/api/v1/timestamp") as resp:
            venue_ms = (await resp.json())["data"]
        local_ms = time.time_ns() // 1_000_000
        assert 7_000 < venue_ms - local_ms < 9_000  # eight seconds ahead
        rest = Rest(http, skewed, TEST_KEY)
        # Signed with this machine's clock: more than 5 s off, refused as the venue does.
        path = "/api/v1/accounts"
        own = sign("GET", path, key=TEST_KEY, secret=TEST_SECRET, passphrase=TEST_PASSPHRASE)
        status, reply = await rest.call("GET", path, headers=own)
        assert (status, reply["code"]) == (400, "400002")
        # Signed with the venue's time (as a client that measured the offset does): accepted.
        venue = sign(
            "GET",
            path,
            key=TEST_KEY,
            secret=TEST_SECRET,
            passphrase=TEST_PASSPHRASE,
            ts=skewed.now_ms(),
        )
        status, reply = await rest.call("GET", path, headers=venue)
        assert (status, reply["code"]) == (200, "200000")
