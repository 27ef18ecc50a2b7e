"""The KuCoin emulator's private side, part 2: HF orders, their pushes, DCP, order faults.

Plain aiohttp clients signing on their own (helpers in ``test_kucoin_private.py``); the
emulator's truth (``ex.engine``) is only read to check what the wire said.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from test_kucoin_private import (
    BALANCE,
    ORDERS,
    Push,
    Rest,
    assert_like,
    emulator,
    open_push,
    sample,
)

from tickwire.exchanges.kucoin import KucoinEmulator

HF = "/api/v1/hf/orders"


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with emulator() as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def push(kucoin, http) -> Push:
    push = await open_push(http, kucoin)
    for topic in (ORDERS, BALANCE):
        assert (await push.subscribe(topic))["type"] == "ack"
    return push


@pytest.fixture
def rest(kucoin, http) -> Rest:
    return Rest(http, kucoin)


def order(oid: str, side: str = "buy", price: str = "30000", size: str = "0.001", **kw: Any):
    return {"clientOid": oid, "symbol": "BTC-USDT", "side": side, "type": "limit"} | {
        "price": price,
        "size": size,
        **kw,
    }


def split(frames: list[Any]) -> tuple[list[Any], list[Any]]:
    """(order-change data, balance data), each in arrival order."""
    orders = [f["data"] for f in frames if f["topic"] == ORDERS]
    balances = [f["data"] for f in frames if f["topic"] == BALANCE]
    return orders, balances


def events(orders: list[Any]) -> list[tuple[str, str]]:
    return [(d["type"], d["status"]) for d in orders]


# Sample key sets of the current (2024+) order-change schema: the open sample, plus the
# fields §8.1 adds per event. The old-docs V2 samples also carry originFunds and
# canceledFunds, which belong to market-by-funds orders.
V2_OPEN = sample("tradeOrdersV2_open.json")
MATCH_EXTRA = {"matchPrice": "1", "matchSize": "1", "tradeId": "x", "liquidity": "maker"}


def expected_change(kind: str, *, market: bool = False) -> dict[str, Any]:
    if kind == "received":
        frame = sample("tradeOrdersV2_received.json")
        data = dict(frame["data"])
        if not market:
            data["price"] = "1"
        return frame | {"data": data}
    data = dict(V2_OPEN["data"])
    if kind == "match":
        data |= MATCH_EXTRA | {"feeType": "makerFee"}
    if kind == "update":
        data["oldSize"] = "1"
    if market:
        del data["price"]
    return V2_OPEN | {"data": data}


def expected_balance(settled: bool) -> dict[str, Any]:
    frame = sample("balance.json")
    if not settled:
        return frame
    context = sample("balance_docs_example.json")["data"]["relationContext"]
    return frame | {"data": frame["data"] | {"relationContext": context}}


def check_frames(frames: list[Any]) -> None:
    for frame in frames:
        if frame["topic"] == ORDERS:
            assert_like(frame, expected_change(frame["data"]["type"]))
        else:
            assert_like(frame, expected_balance(frame["data"]["relationEvent"] == "trade.setted"))


# -- the lifecycle on the wire -----------------------------------------------------------


async def test_crossing_limit_order_takes_then_is_filled(kucoin, rest, push) -> None:
    (ask, ask_size), *_ = kucoin.book("BTC-USDT", 1)[1]
    size = min(Decimal("0.001"), ask_size)
    before = kucoin.engine.balances()
    placed = await rest.ok("POST", HF, order("take-1", price=str(ask), size=str(size)))
    assert placed["clientOid"] == "take-1"

    frames = await push.drain()
    check_frames(frames)
    orders, balances = split(frames)
    assert events(orders) == [("received", "new"), ("match", "match"), ("filled", "done")]
    match = orders[1]
    assert (match["liquidity"], match["feeType"]) == ("taker", "takerFee")
    assert (Decimal(match["matchPrice"]), Decimal(match["matchSize"])) == (ask, size)
    assert all(d["orderId"] == placed["orderId"] for d in orders)
    assert (orders[2]["filledSize"], orders[2]["remainSize"]) == (str(size), "0")

    assert [(b["currency"], b["relationEvent"]) for b in balances] == [
        ("USDT", "trade.hold"),
        ("BTC", "trade.setted"),
        ("USDT", "trade.setted"),  # the quote leg and the fee, one push
    ]
    hold, btc, usdt = balances
    value = ask * size
    fee = value * Decimal("0.001")
    # The hold covers price x size plus the fee (KuCoin's sample: 0.5 held as 0.5005),
    # so a taker fill at the limit price consumes it exactly: nothing left to release.
    assert Decimal(hold["holdChange"]) == -Decimal(hold["availableChange"]) == value + fee
    assert Decimal(btc["availableChange"]) == size and btc["holdChange"] == "0"
    assert Decimal(usdt["holdChange"]) == -(value + fee) and usdt["availableChange"] == "0"
    assert btc["relationContext"]["tradeId"] == match["tradeId"]
    assert hold["relationContext"] == {"symbol": "BTC-USDT", "orderId": placed["orderId"]}
    after = kucoin.engine.balances()
    assert Decimal(usdt["total"]) == after["USDT"][0] == before["USDT"][0] - value - fee
    assert Decimal(usdt["hold"]) == after["USDT"][2] == 0
    assert Decimal(btc["total"]) == after["BTC"][0] == before["BTC"][0] + size


async def test_resting_order_fills_as_the_market_moves(kucoin, rest, push) -> None:
    bid = kucoin.book("BTC-USDT", 1)[0][0][0]
    placed = await rest.ok("POST", HF, order("rest-1", price=str(bid), size="0.05"))
    orders, balances = split(await push.drain())
    assert events(orders) == [("received", "new"), ("open", "open")]
    assert orders[1]["remainSize"] == "0.05"
    assert [b["relationEvent"] for b in balances] == ["trade.hold"]

    seen: list[Any] = []
    for _ in range(500):
        await kucoin.step(1, "BTC-USDT")
        seen += await push.drain()
        if any(f["data"].get("type") == "filled" for f in seen):
            break
    check_frames(seen)
    orders, balances = split(seen)
    kinds = events(orders)
    assert kinds[-1] == ("filled", "done") and set(kinds[:-1]) == {("match", "open")}
    assert {(d["liquidity"], d["feeType"]) for d in orders[:-1]} == {("maker", "makerFee")}
    assert all(Decimal(d["matchPrice"]) == bid for d in orders[:-1])
    assert sum(Decimal(d["matchSize"]) for d in orders[:-1]) == Decimal("0.05")
    assert {b["relationEvent"] for b in balances} == {"trade.setted"} | (
        {"trade.hold"} if balances[-1]["relationEvent"] == "trade.hold" else set()
    )
    detail = await rest.ok("GET", f"{HF}/{placed['orderId']}?symbol=BTC-USDT")
    assert (detail["dealSize"], detail["active"], detail["inOrderBook"]) == ("0.05", False, False)


async def test_order_detail_and_sync_bodies(kucoin, rest, push) -> None:
    sync = await rest.ok("POST", f"{HF}/sync", order("sync-1", remark="order remarks"))
    assert_like({"code": "200000", "data": sync}, sample("hf_order_sync_response.json"))
    assert (sync["status"], sync["remainSize"], sync["dealSize"]) == ("open", "0.001", "0")
    for path in (f"{HF}/{sync['orderId']}", f"{HF}/client-order/sync-1"):
        detail = await rest.ok("GET", path + "?symbol=BTC-USDT")
        assert_like({"code": "200000", "data": detail}, sample("order_detail_response.json"))
        assert (detail["id"], detail["active"], detail["inOrderBook"]) == (
            sync["orderId"],
            True,
            True,
        )
        assert (detail["price"], detail["funds"], detail["timeInForce"]) == ("30000", "30", "GTC")
    active = await rest.ok("GET", f"{HF}/active?symbol=BTC-USDT")
    assert [d["id"] for d in active] == [sync["orderId"]]
    assert await rest.ok("GET", f"{HF}/active/symbols") == {"symbols": ["BTC-USDT"]}

    status, reply = await rest.call("DELETE", f"{HF}/sync/{sync['orderId']}?symbol=BTC-USDT")
    assert_like(reply, sample("cancel_sync_response.json"))
    assert (reply["data"]["status"], reply["data"]["canceledSize"]) == ("done", "0.001")
    detail = await rest.ok("GET", f"{HF}/{sync['orderId']}?symbol=BTC-USDT")
    assert (detail["active"], detail["cancelExist"], detail["cancelledSize"]) == (
        False,
        True,
        "0.001",
    )
    status, reply = await rest.call("GET", f"{HF}/6720ecd9ec71f4000747731a?symbol=BTC-USDT")
    assert (status, reply) == (200, {"code": "400100", "msg": "order_not_exist"})


# -- cancels, alter, batch ---------------------------------------------------------------


async def test_cancel_by_order_id_and_by_client_oid(kucoin, rest, push) -> None:
    a = await rest.ok("POST", HF, order("c-a"))
    await rest.ok("POST", HF, order("c-b"))
    await push.drain()

    status, reply = await rest.call("DELETE", f"{HF}/{a['orderId']}?symbol=BTC-USDT")
    assert status == 200
    assert_like(reply, sample("cancel_response.json"))
    assert reply["data"] == {"orderId": a["orderId"]}
    orders, balances = split(await push.drain())
    assert events(orders) == [("canceled", "done")]
    assert (orders[0]["canceledSize"], orders[0]["remainSize"]) == ("0.001", "0")
    assert_like({"topic": ORDERS} | V2_OPEN | {"data": orders[0]}, V2_OPEN)
    assert [(b["relationEvent"], Decimal(b["holdChange"]) < 0) for b in balances] == [
        ("trade.hold", True)
    ]

    _status, reply = await rest.call("DELETE", f"{HF}/client-order/c-b?symbol=BTC-USDT")
    assert_like(reply, sample("cancel_by_clientoid_response.json"))
    assert reply["data"] == {"clientOid": "c-b"}
    assert events(split(await push.drain())[0]) == [("canceled", "done")]

    unknown = sample("rest_error_cancel_unknown.json")
    for path in (
        f"{HF}/{a['orderId']}?symbol=BTC-USDT",  # already canceled
        f"{HF}/client-order/c-b?symbol=BTC-USDT",
        f"{HF}/client-order/nobody?symbol=BTC-USDT",
        f"{HF}/6720ecd9ec71f4000747731a?symbol=BTC-USDT",
    ):
        assert await rest.call("DELETE", path) == (200, unknown), path
    assert kucoin.engine.open_orders() == []
    assert kucoin.engine.balances()["USDT"][2] == 0


async def test_cancel_all_for_a_symbol(kucoin, rest, push) -> None:
    await rest.ok("POST", HF, order("s-1"))
    await rest.ok("POST", HF, order("s-2", side="sell", price="90000"))
    eth = await rest.ok("POST", HF, order("s-3", price="1000") | {"symbol": "ETH-USDT"})
    await push.drain()

    status, reply = await rest.call("DELETE", f"{HF}?symbol=BTC-USDT")
    assert (status, reply) == (200, sample("cancel_all_by_symbol_response.json"))
    orders, _ = split(await push.drain())
    assert sorted(d["clientOid"] for d in orders) == ["s-1", "s-2"]
    assert {(d["type"], d["status"]) for d in orders} == {("canceled", "done")}
    assert [o.order_id for o in kucoin.engine.open_orders()] == [eth["orderId"]]
    assert await rest.ok("GET", f"{HF}/active?symbol=BTC-USDT") == []

    status, reply = await rest.call("DELETE", f"{HF}/cancelAll")
    assert_like(reply, sample("cancel_all_response.json"))
    assert reply["data"] == {"succeedSymbols": ["ETH-USDT"], "failedSymbols": []}
    assert kucoin.engine.open_orders() == []


async def test_alter_cancels_and_replaces(kucoin, rest, push) -> None:
    old = await rest.ok("POST", HF, order("alt-1", size="0.002"))
    await push.drain()
    status, reply = await rest.call(
        "POST",
        f"{HF}/alter",
        {"symbol": "BTC-USDT", "orderId": old["orderId"], "newPrice": "31000", "newSize": "0.003"},
    )
    assert status == 200
    assert_like(reply, sample("modify_order_response.json"))
    new_id = reply["data"]["newOrderId"]
    assert reply["data"]["clientOid"] == "alt-1" and new_id != old["orderId"]
    orders, _ = split(await push.drain())
    assert [(d["orderId"], d["type"]) for d in orders] == [
        (old["orderId"], "canceled"),
        (new_id, "received"),
        (new_id, "open"),
    ]
    assert (orders[2]["price"], orders[2]["size"], orders[2]["clientOid"]) == (
        "31000",
        "0.003",
        "alt-1",
    )
    detail = await rest.ok("GET", f"{HF}/client-order/alt-1?symbol=BTC-USDT")
    assert (detail["id"], detail["price"]) == (new_id, "31000")
    # By clientOid too; an unknown order is refused.
    reply = await rest.ok(
        "POST", f"{HF}/alter", {"symbol": "BTC-USDT", "clientOid": "alt-1", "newSize": "0.001"}
    )
    assert reply["clientOid"] == "alt-1"
    assert [o.size for o in kucoin.engine.open_orders()] == [Decimal("0.001")]
    current = kucoin.engine.open_orders()[0].order_id
    # A refused successor leaves the order as it was.
    _status, reply = await rest.call(
        "POST", f"{HF}/alter", {"symbol": "BTC-USDT", "orderId": current, "newPrice": "1.05"}
    )
    assert reply["code"] == "400100"
    assert [o.order_id for o in kucoin.engine.open_orders()] == [current]
    _status, reply = await rest.call(
        "POST", f"{HF}/alter", {"symbol": "BTC-USDT", "orderId": new_id, "newPrice": "1"}
    )
    assert reply == {"code": "400100", "msg": "order_not_exist"}


async def test_partial_cancel_is_an_update(kucoin, rest, push) -> None:
    placed = await rest.ok("POST", HF, order("part-1", size="0.01"))
    await push.drain()
    data = await rest.ok(
        "DELETE", f"{HF}/cancel/{placed['orderId']}?symbol=BTC-USDT&cancelSize=0.004"
    )
    assert data == {"orderId": placed["orderId"], "cancelSize": "0.004"}
    frames = await push.drain()
    check_frames(frames)
    orders, balances = split(frames)
    assert events(orders) == [("update", "open")]
    assert (orders[0]["oldSize"], orders[0]["size"], orders[0]["canceledSize"]) == (
        "0.01",
        "0.006",
        "0.004",
    )
    assert [Decimal(b["holdChange"]) < 0 for b in balances] == [True]


async def test_batch_placement_answers_per_order(kucoin, rest, push) -> None:
    batch = {
        "orderList": [
            order("m-1"),
            order("m-2", size="0.0000001"),  # below the minimum size
            order("m-3", side="sell", price="90000"),
            order("m-1"),  # clientOid already used
        ]
    }
    results = await rest.ok("POST", f"{HF}/multi", batch)
    assert [r["success"] for r in results] == [True, False, True, False]
    assert [r.get("clientOid") for r in results] == ["m-1", None, "m-3", None]
    assert set(results[0]) == {"orderId", "clientOid", "success"}
    assert set(results[1]) == {"success", "failMsg"} and "minimum" in results[1]["failMsg"]
    assert {o.client_id for o in kucoin.engine.open_orders()} == {"m-1", "m-3"}
    too_many = {"orderList": [order(f"x-{i}") for i in range(6)]}
    status, reply = await rest.call("POST", f"{HF}/multi", too_many)
    assert (status, reply["code"]) == (200, "400100")
    assert len(kucoin.engine.open_orders()) == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (order("e-1", size="5"), "126013"),  # 150 000 USDT for a 100 000 account
        (order("e-2", price="30000.05"), "400100"),  # off the 0.1 tick
        (order("e-3", size="0.0000001"), "400100"),  # below baseMinSize
        (order("e-4", size="0.000010001"), "400100"),  # off the size increment
        (order("e-5") | {"symbol": "NOPE-USDT"}, "900001"),
        (order("e-7") | {"timeInForce": "GTT"}, "400100"),  # GTT needs cancelAfter
        (order("bad oid!"), "400100"),
        (order("e-8") | {"type": "market", "funds": "10"}, "400100"),
    ],
)
async def test_refused_orders(kucoin, rest, body, code) -> None:
    status, reply = await rest.call("POST", HF, body)
    assert (status, reply["code"]) == (200, code), reply
    assert set(reply) == {"code", "msg"}
    assert kucoin.engine.open_orders() == []
    assert kucoin.engine.balances()["USDT"][2] == 0


async def test_time_in_force_and_market_orders(kucoin, rest, push) -> None:
    top, top_size = kucoin.book("SOL-USDT", 1)[1][0]
    sol = {"symbol": "SOL-USDT", "price": str(top), "size": str(top_size + 1)}
    # IOC for more than the best level at its price: fills that level, cancels the rest.
    await rest.ok("POST", HF, order("ioc-1", timeInForce="IOC") | sol)
    orders, _ = split(await push.drain())
    assert events(orders) == [("received", "new"), ("match", "match"), ("canceled", "done")]
    assert (orders[1]["matchSize"], orders[-1]["canceledSize"]) == (str(top_size), "1")
    # FOK that cannot fill entirely: nothing trades.
    await rest.ok("POST", HF, order("fok-1", timeInForce="FOK") | sol)
    assert events(split(await push.drain())[0]) == [("received", "new"), ("canceled", "done")]
    # A post-only order that would take is accepted, then canceled.
    await rest.ok("POST", HF, order("po-1", postOnly=True) | sol)
    orders, _ = split(await push.drain())
    assert events(orders) == [("received", "new"), ("canceled", "done")]
    assert orders[-1]["filledSize"] == "0"
    # A market buy by size walks the book; no price anywhere.
    market = {"clientOid": "mkt-1", "symbol": "BTC-USDT", "side": "buy", "type": "market"}
    await rest.ok("POST", HF, market | {"size": "0.001"})
    frames = await push.drain()
    orders, _ = split(frames)
    assert events(orders)[0] == ("received", "new") and events(orders)[-1] == ("filled", "done")
    for frame in frames:
        if frame["topic"] == ORDERS:
            assert_like(frame, expected_change(frame["data"]["type"], market=True))
    # GTT rests until cancelAfter.
    await rest.ok("POST", HF, order("gtt-1", timeInForce="GTT", cancelAfter=3600))
    detail = await rest.ok("GET", f"{HF}/client-order/gtt-1?symbol=BTC-USDT")
    assert (detail["timeInForce"], detail["cancelAfter"], detail["active"]) == ("GTT", 3600, True)


async def test_accounts_match_the_engine(kucoin, rest) -> None:
    await rest.ok("POST", HF, order("acc-1"))
    truth = {
        asset: tuple(format(v.normalize(), "f") for v in values)
        for asset, values in kucoin.engine.balances().items()
    }
    assert truth["USDT"][2] != "0"  # the order holds funds: the rows must show it
    rows = await rest.ok("GET", "/api/v1/accounts")
    by_type: dict[str, dict[str, tuple[str, str, str]]] = {}
    for r in rows:
        row = (r["balance"], r["available"], r["holds"])
        by_type.setdefault(r["type"], {})[r["currency"]] = row
    # HF orders trade the trade_hf account; the classic trade account is empty.
    assert by_type["trade_hf"] == truth
    assert by_type["trade"] == dict.fromkeys(truth, ("0", "0", "0"))
    assert set(by_type) == {"trade", "trade_hf"}
    hf = await rest.ok("GET", "/api/v1/accounts?type=trade_hf&currency=BTC")
    assert [(r["currency"], r["type"]) for r in hf] == [("BTC", "trade_hf")]
    assert await rest.ok("GET", "/api/v1/accounts?type=margin") == []
