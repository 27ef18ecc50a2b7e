"""The KuCoin emulator's private side, part 3: dead-cancel-all and order-in-flight faults.

Helpers come from the part 1 and part 2 modules; plain aiohttp clients sign on their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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
from test_kucoin_private_orders import HF, events, order, split

from tickwire.exchanges.kucoin import KucoinEmulator


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    # One dead-cancel-all second lasts 20 ms here, so a 5 s timeout fires in 0.1 s.
    async with emulator(dcp_second=0.02) as ex:
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


# -- dead-cancel-all ---------------------------------------------------------------------


async def wait_for(push: Push, kind: str, timeout: float = 5.0) -> list[Any]:
    """Order-change frames up to and including the first of ``kind``."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            frame = await push.recv(timeout)
            if frame["topic"] == ORDERS:
                seen.append(frame["data"])
                if frame["data"]["type"] == kind:
                    return seen


async def test_dead_cancel_all_fires_unless_renewed(kucoin, rest, push) -> None:
    dcp = f"{HF}/dead-cancel-all"
    btc = await rest.ok("POST", HF, order("dcp-btc"))
    await rest.ok("POST", HF, order("dcp-eth", price="1000") | {"symbol": "ETH-USDT"})
    await push.drain()
    assert await rest.call("GET", f"{dcp}/query") == (200, {"code": "200000", "data": {}})

    body = sample("dcp_set_request.json") | {"symbols": "BTC-USDT"}
    status, reply = await rest.call("POST", dcp, body)
    assert_like(reply, sample("dcp_set_response.json"))
    assert reply["data"]["triggerTime"] - reply["data"]["currentTime"] == 5
    status, reply = await rest.call("GET", f"{dcp}/query")
    assert status == 200
    assert_like(reply, sample("dcp_query_response.json"))
    assert (reply["data"]["timeout"], reply["data"]["symbols"]) == (5, "BTC-USDT")

    # Renewing (calling again) well within the timeout (5 x 0.02 s) keeps it from firing.
    for _ in range(6):
        await asyncio.sleep(0.05)
        await rest.ok("POST", dcp, body)
    assert kucoin.dcp.fired == 0 and len(kucoin.engine.open_orders()) == 2

    # Stop renewing: the BTC order is canceled, the ETH one is not protected.
    canceled = await wait_for(push, "canceled")
    assert [(d["orderId"], d["status"]) for d in canceled] == [(btc["orderId"], "done")]
    assert kucoin.dcp.fired == 1
    assert [o.client_id for o in kucoin.engine.open_orders()] == ["dcp-eth"]
    assert (await rest.ok("GET", f"{dcp}/query")) == {}

    # timeout -1 disables; out-of-range values are refused.
    await rest.ok("POST", dcp, {"timeout": 5})
    assert await rest.ok("POST", dcp, {"timeout": -1}) == {}
    assert kucoin.dcp.setting is None
    for bad in (
        {"timeout": 4},
        {"timeout": 86401},
        {"timeout": "5"},
        {"timeout": 5, "symbols": "X"},
    ):
        _status, reply = await rest.call("POST", dcp, bad)
        assert reply["code"] in ("400100", "900001"), (bad, reply)


# -- order faults: at most one order per clientOid ----------------------------------------


async def test_connection_cut_before_processing_places_nothing(kucoin, rest) -> None:
    kucoin.fail_next_order("before")
    with pytest.raises(aiohttp.ClientError):
        await rest.call("POST", HF, order("cut-before"))
    assert kucoin.engine.order(client_id="cut-before") is None
    _status, reply = await rest.call("GET", f"{HF}/client-order/cut-before?symbol=BTC-USDT")
    assert reply == {"code": "400100", "msg": "order_not_exist"}
    # The retry is a fresh placement: exactly one order results.
    await rest.ok("POST", HF, order("cut-before"))
    assert [o.client_id for o in kucoin.engine.open_orders()] == ["cut-before"]


async def test_connection_cut_after_processing_keeps_one_order(kucoin, rest, push) -> None:
    kucoin.fail_next_order("after")
    with pytest.raises(aiohttp.ClientError):
        await rest.call("POST", HF, order("cut-after"))
    # The order exists (its pushes went out) and can be found by its clientOid...
    orders, _ = split(await push.drain())
    assert events(orders) == [("received", "new"), ("open", "open")]
    detail = await rest.ok("GET", f"{HF}/client-order/cut-after?symbol=BTC-USDT")
    assert detail["id"] == orders[0]["orderId"]
    # ...and a blind retry cannot create a second one.
    _status, reply = await rest.call("POST", HF, order("cut-after"))
    assert reply["code"] == "126044"
    assert [o.client_id for o in kucoin.engine.open_orders()] == ["cut-after"]


async def test_delayed_order_outlives_the_client_timeout(kucoin, rest, push) -> None:
    kucoin.delay_next_order(0.3)
    with pytest.raises(TimeoutError):
        await rest.call("POST", HF, order("slow-1"), timeout=0.05)
    assert kucoin.engine.order(client_id="slow-1") is None  # not processed yet
    received = await wait_for(push, "received")
    assert received[-1]["clientOid"] == "slow-1"
    _status, reply = await rest.call("POST", HF, order("slow-1"))
    assert reply["code"] == "126044"
    assert len(kucoin.engine.open_orders()) == 1


async def test_held_order_is_placed_and_never_answered(kucoin, rest, push) -> None:
    kucoin.hold_next_order()
    with pytest.raises(TimeoutError):
        await rest.call("POST", HF, order("held-1"), timeout=0.3)
    # The venue did the work: the order exists once, its pushes went out.
    assert kucoin.orders_with_client_id("held-1") == 1
    received = await wait_for(push, "received")
    assert received[-1]["clientOid"] == "held-1"
    await rest.ok("POST", HF, order("held-2"))  # the next request is answered again


async def test_order_faults_keyed_by_path(kucoin, rest) -> None:
    kucoin.fail_next_order("before", method=f"{HF}/sync")
    await rest.ok("POST", HF, order("other-path"))  # not the armed path: untouched
    with pytest.raises(aiohttp.ClientError):
        await rest.call("POST", f"{HF}/sync", order("armed-path"))
    assert kucoin.orders_with_client_id("armed-path") == 0
    assert kucoin.orders_with_client_id("other-path") == 1


async def test_rate_limited_order_is_refused_and_not_placed(kucoin, rest) -> None:
    kucoin.rate_limit_next("order")
    status, reply = await rest.call("POST", HF, order("limited-1"))
    assert (status, reply) == (429, {"code": "429000", "msg": "Too Many Requests"})
    assert kucoin.orders_with_client_id("limited-1") == 0
    await rest.ok("POST", HF, order("limited-1"))  # one shot only
    with pytest.raises(ValueError):
        kucoin.rate_limit_next("checksum")


def test_fault_stage_is_checked() -> None:
    with pytest.raises(ValueError, match="stage"):
        emulator().fail_next_order("halfway")
