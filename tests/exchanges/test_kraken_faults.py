"""Kraken emulator, the shared fault vocabulary: an order request lost before or after
the engine saw it, held, delayed; tokens expired under live sessions; a bad checksum."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from test_kraken_private_orders import BTC, error_of, replies, reports, rest, trader

# -- an order in flight when the socket dies ------------------------------------------


async def closed(ws: Any, method: str = "add_order") -> bool:
    """Whether the server cut the socket (the next read ends, no frame)."""
    async with asyncio.timeout(3):
        while True:
            msg = await ws.ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):  # fmt: skip
                return True
            if json.loads(msg.data).get("method") == method:
                return False  # an ack got through


async def test_fail_before_places_nothing(kraken_account) -> None:
    ex = kraken_account.ex
    ex.fail_next_order("before", method="add_order")
    ws = await trader(kraken_account, executions=False)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, cl_ord_id="inflight-1")  # fmt: skip
    assert await closed(ws)
    assert ex.engine.order(client_id="inflight-1") is None
    again = await trader(kraken_account, executions=False)  # the retry is safe
    await rest(again, cl_ord_id="inflight-1")
    assert [o.client_id for o in ex.engine.open_orders()] == ["inflight-1"]


async def test_fail_after_keeps_one_order_per_cl_ord_id(kraken_account) -> None:
    ex = kraken_account.ex
    ex.fail_next_order("after", method="add_order")
    watcher = await trader(kraken_account)  # another socket sees the reports
    ws = await trader(kraken_account, executions=False)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, cl_ord_id="inflight-2")  # fmt: skip
    assert await closed(ws)  # no ack ever came
    placed = ex.engine.order(client_id="inflight-2")
    assert placed is not None and placed.is_open
    seen = reports(await watcher.drain())
    assert [r["exec_type"] for r in seen] == ["pending_new", "new"]
    # Reconcile from a fresh snapshot, and a blind retry is refused: one order only.
    fresh = await kraken_account.connect()
    await fresh.call("subscribe", channel="executions")
    snapshot = next(f for f in await fresh.drain() if f.get("type") == "snapshot")
    assert [o["cl_ord_id"] for o in snapshot["data"]] == ["inflight-2"]
    text = await error_of(fresh, "add_order", order_type="limit", side="buy", order_qty=0.01,
                          limit_price=1000.0, symbol=BTC, cl_ord_id="inflight-2")  # fmt: skip
    assert text.startswith("EGeneral:Invalid arguments:cl_ord_id")
    assert [o.client_id for o in ex.engine.open_orders()] == ["inflight-2"]
    assert ex.orders_with_client_id("inflight-2") == 1
    assert ex.orders_with_client_id("inflight-1") == 0


async def test_hold_next_order_withholds_only_the_ack(kraken_account) -> None:
    ex = kraken_account.ex
    ex.hold_next_order(method="add_order")
    ws = await trader(kraken_account)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, cl_ord_id="held")  # fmt: skip
    frames = await ws.drain()  # the pong proves nothing else is coming for it
    assert replies(frames, "add_order") == []
    assert [r["exec_type"] for r in reports(frames)] == ["pending_new", "new"]
    assert ex.engine.order(client_id="held") is not None


async def test_delay_next_order_answers_late_and_only_once(kraken_account) -> None:
    ex = kraken_account.ex
    ex.delay_next_order(0.3, method="add_order")
    ws = await trader(kraken_account, executions=False)
    started = time.monotonic()
    await rest(ws, cl_ord_id="slow")  # reads up to the pong, which waits behind the order
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await rest(ws, cl_ord_id="fast")
    assert time.monotonic() - started < 0.3
    assert {o.client_id for o in ex.engine.open_orders()} == {"slow", "fast"}


async def test_order_faults_keyed_by_method_spare_other_methods(kraken_account) -> None:
    ex = kraken_account.ex
    ex.fail_next_order("before", method="cancel_order")
    ws = await trader(kraken_account, executions=False)
    order_id = await rest(ws)  # add_order is not the armed method
    await ws.call("cancel_order", order_id=[order_id])
    assert await closed(ws, "cancel_order")
    assert ex.engine.order(order_id=order_id).is_open


async def test_expire_tokens_ends_live_sessions_and_old_tokens(kraken_account) -> None:
    ex = kraken_account.ex
    live = await trader(kraken_account)
    old_token = live.token
    public = await kraken_account.http.ws_connect(ex.ws_url)  # not a private session
    await ex.expire_tokens()
    msg = await live.ws.receive(timeout=3)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert not public.closed
    await public.close()
    stale = await kraken_account.connect(token=old_token)
    text = await error_of(stale, "add_order", order_type="limit", side="buy", order_qty=0.01,
                          limit_price=1000.0, symbol=BTC)  # fmt: skip
    assert text == "Token(s) not found"
    fresh = await trader(kraken_account)  # a fresh token works at once
    await rest(fresh)


def test_a_checksum_fault_for_an_unknown_pair_is_refused(kraken) -> None:
    with pytest.raises(ValueError, match="unknown symbol"):
        kraken.corrupt_next_checksum("NOPE/USD")
