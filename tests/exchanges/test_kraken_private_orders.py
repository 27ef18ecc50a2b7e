"""Kraken emulator order methods: amend, edit, cancels, batches, the dead man's switch,
errors (the order faults are in test_kraken_faults.py)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

BTC = "BTC/USD"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "kraken"
WHOLE_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def load_sample(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def keys_of(name: str) -> set[str]:
    return set(load_sample(name))


def reports(frames: list[Any], exec_type: str | None = None) -> list[dict[str, Any]]:
    found = [r for f in frames if f.get("channel") == "executions" for r in f["data"]]
    return [r for r in found if exec_type is None or r["exec_type"] == exec_type]


def replies(frames: list[Any], method: str) -> list[dict[str, Any]]:
    return [f for f in frames if f.get("method") == method]


async def trader(kraken_account: Any, *, executions: bool = True) -> Any:
    ws = await kraken_account.connect()
    if executions:
        await ws.call("subscribe", channel="executions")
        await ws.drain()
    return ws


async def rest(ws: Any, price: float = 1000.0, qty: float = 0.01, **extra: Any) -> str:
    """Place a resting buy far below the market; its order id."""
    await ws.call("add_order", order_type="limit", side="buy", order_qty=qty,
                  limit_price=price, symbol=BTC, **extra)  # fmt: skip
    ack = replies(await ws.drain(), "add_order")[0]
    assert ack["success"] is True, ack
    order_id: str = ack["result"]["order_id"]
    return order_id


async def error_of(ws: Any, method: str, **params: Any) -> str:
    await ws.call(method, **params)
    reply = replies(await ws.drain(), method)[0]
    assert reply["success"] is False
    text: str = reply["error"]
    return text


# -- amend and edit -------------------------------------------------------------------


async def test_amend_in_place_reports_amended_like_the_sample(kraken_account) -> None:
    ws = await trader(kraken_account)
    order_id = await rest(ws, order_userref=5)
    await ws.call("amend_order", order_id=order_id, order_qty=0.02, limit_price=1001.5)
    frames = await ws.drain()
    ack = replies(frames, "amend_order")[0]
    assert set(ack) == keys_of("amend_order_response.json") - {"req_id"} | {"req_id"}
    assert set(ack["result"]) == {"amend_id", "order_id"} and ack["result"]["order_id"] == order_id
    (amended,) = reports(frames)
    assert set(amended) == set(load_sample("executions_amended.json")["data"][0])
    assert (amended["order_qty"], amended["limit_price"]) == (
        Decimal("0.02000000"),
        Decimal("1001.5"),
    )
    assert amended["amended"] is True and amended["order_userref"] == 5
    order = kraken_account.ex.engine.order(order_id=order_id)
    assert (order.size, order.price, order.order_id) == (
        Decimal("0.02"),
        Decimal("1001.5"),
        order_id,
    )


async def test_amend_by_cl_ord_id_and_its_refusals(kraken_account) -> None:
    ws = await trader(kraken_account)
    await rest(ws, cl_ord_id="amend-me")
    await ws.call("amend_order", cl_ord_id="amend-me", limit_price=999.0)
    ack = replies(await ws.drain(), "amend_order")[0]
    assert ack["result"]["cl_ord_id"] == "amend-me"
    text = await error_of(ws, "amend_order", cl_ord_id="amend-me", limit_price="999")
    assert text == load_sample("error_amend_field_type.json")["error"]
    assert await error_of(ws, "amend_order", order_id="OXXXXX-XXXXX-XXXXXX", order_qty=1) == (
        "EOrder:Invalid order"
    )
    ask = kraken_account.ex.book(BTC, 1)[1][0][0]
    refused = await error_of(ws, "amend_order", cl_ord_id="amend-me", limit_price=float(ask),
                             post_only=True)  # fmt: skip
    assert refused == "EOrder:Post only order"
    assert await error_of(ws, "amend_order", cl_ord_id="amend-me") == "EGeneral:Invalid arguments"


async def test_edit_order_replaces_with_a_new_id(kraken_account) -> None:
    ws = await trader(kraken_account)
    old = await rest(ws, order_userref=9)
    await ws.call("edit_order", order_id=old, symbol=BTC, order_qty=0.03, limit_price=1002.0)
    frames = await ws.drain()
    ack = replies(frames, "edit_order")[0]
    assert set(ack["result"]) == set(load_sample("edit_order_response.json")["result"])
    new = ack["result"]["order_id"]
    assert new != old and ack["result"]["original_order_id"] == old
    canceled, pending, live = reports(frames)
    assert (canceled["order_id"], canceled["reason"]) == (old, "Order replaced")
    assert (pending["exec_type"], pending["order_id"], pending["order_userref"]) == (
        "pending_new", new, 9,
    )  # fmt: skip
    assert live["exec_type"] == "new"
    assert [o.order_id for o in kraken_account.ex.engine.open_orders()] == [new]
    assert await error_of(ws, "edit_order", order_id=old, symbol=BTC, order_qty=0.01) == (
        "EOrder:Invalid order"
    )


# -- cancels --------------------------------------------------------------------------


async def test_cancel_order_answers_once_per_order_with_one_req_id(kraken_account) -> None:
    ws = await trader(kraken_account)
    first, second = await rest(ws), await rest(ws, price=1001.0)
    req_id = await ws.call("cancel_order", order_id=[first, second, "OXXXXX-XXXXX-XXXXXX"])
    frames = await ws.drain()
    answers = replies(frames, "cancel_order")
    assert [a["req_id"] for a in answers] == [req_id] * 3
    sample = load_sample("cancel_order_response.json")
    assert set(answers[0]) == set(sample) and answers[0]["result"] == {"order_id": first}
    assert answers[1]["result"] == {"order_id": second}
    assert answers[2]["error"] == "EOrder:Invalid order"
    canceled = reports(frames, "canceled")
    assert [c["order_id"] for c in canceled] == [first, second]
    for report in canceled:
        assert set(report) == set(load_sample("executions_canceled.json")["data"][0])
        assert report["reason"] == report["cancel_reason"] == "User requested"


async def test_cancel_by_cl_ord_id_and_by_userref(kraken_account) -> None:
    ws = await trader(kraken_account)
    await rest(ws, cl_ord_id="c-1")
    tagged = [await rest(ws, order_userref=42), await rest(ws, order_userref=42)]
    await ws.call("cancel_order", cl_ord_id=["c-1"])
    (answer,) = replies(await ws.drain(), "cancel_order")
    assert set(answer) == set(load_sample("cancel_order_response_cl_ord_id.json"))
    assert answer["result"] == {"cl_ord_id": "c-1"}
    await ws.call("cancel_order", order_userref=[42])
    answers = replies(await ws.drain(), "cancel_order")
    assert [a["result"]["order_id"] for a in answers] == tagged
    assert kraken_account.ex.engine.open_orders() == []
    assert await error_of(ws, "cancel_order", order_id="nope") == "EGeneral:Invalid arguments"


async def test_cancel_all_counts(kraken_account) -> None:
    ws = await trader(kraken_account)
    for price in (1000.0, 1001.0, 1002.0):
        await rest(ws, price=price)
    await ws.call("cancel_all")
    frames = await ws.drain()
    (answer,) = replies(frames, "cancel_all")
    assert set(answer) == set(load_sample("cancel_all_response.json"))
    assert answer["result"] == {"count": 3} and len(reports(frames, "canceled")) == 3
    await ws.call("cancel_all")
    assert replies(await ws.drain(), "cancel_all")[0]["result"] == {"count": 0}


# -- batches --------------------------------------------------------------------------


async def test_batch_add_places_in_order_and_funds_fail_alone(kraken_account) -> None:
    ws = await trader(kraken_account)
    orders = [
        {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": 1000.0,
         "order_userref": 1},
        {"order_type": "limit", "side": "sell", "order_qty": 500.0, "limit_price": 99999.0,
         "cl_ord_id": "too-big"},
        {"order_type": "limit", "side": "sell", "order_qty": 0.01, "limit_price": 99999.0},
    ]  # fmt: skip
    await ws.call("batch_add", symbol=BTC, orders=orders)
    (answer,) = replies(await ws.drain(), "batch_add")
    assert set(answer) == set(load_sample("batch_add_response.json"))
    rows = answer["result"]
    assert isinstance(rows, list) and len(rows) == 3
    assert rows[0]["order_userref"] == 1 and rows[0]["order_id"]
    assert rows[1] == {"cl_ord_id": "too-big", "error": "EOrder:Insufficient funds"}
    assert set(rows[2]) == {"order_id"}
    assert len(kraken_account.ex.engine.open_orders()) == 2


async def test_batch_add_is_validated_as_a_whole(kraken_account) -> None:
    ws = await trader(kraken_account)
    good = {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": 1000.0}
    off_tick = {**good, "limit_price": 1000.05}
    assert await error_of(ws, "batch_add", symbol=BTC, orders=[good, off_tick]) == (
        "EOrder:Invalid price"
    )
    tiny = {**good, "order_qty": 0.00001}
    assert await error_of(ws, "batch_add", symbol=BTC, orders=[good, tiny]) == (
        "EOrder:Order minimum not met"
    )
    assert await error_of(ws, "batch_add", symbol=BTC, orders=[good]) == (
        "EGeneral:Invalid arguments"
    )
    assert await error_of(ws, "batch_add", symbol=BTC, orders=[good] * 16) == (
        "EGeneral:Invalid arguments"
    )
    assert kraken_account.ex.engine.open_orders() == []


@pytest.mark.parametrize("form", ["documented", "observed"])
async def test_batch_cancel_forms(kraken_account, form) -> None:
    kraken_account.ex.desk.batch_cancel_form = form
    ws = await trader(kraken_account)
    first = await rest(ws)
    await rest(ws, order_userref=77)
    await rest(ws, cl_ord_id="bc-1")
    await ws.call("batch_cancel", orders=[first, "77", "OXXXXX-XXXXX-XXXXXX"], cl_ord_id=["bc-1"])
    frames = await ws.drain()
    (answer,) = replies(frames, "batch_cancel")
    if form == "documented":
        assert set(answer) == set(load_sample("batch_cancel_response_documented.json"))
        assert answer["result"] == {"count": 3}
    else:
        assert set(answer) == set(load_sample("batch_cancel_response_observed.json"))
        assert answer["orders_cancelled"] == 3
    assert len(reports(frames, "canceled")) == 3
    assert await error_of(ws, "batch_cancel", orders=[first]) == "EGeneral:Invalid arguments"


# -- dead man's switch ----------------------------------------------------------------


async def test_dead_man_switch_cancels_everything_when_not_refreshed(kraken_account) -> None:
    ws = await trader(kraken_account)
    ids = [await rest(ws), await rest(ws, price=1001.0)]
    await ws.call("cancel_all_orders_after", timeout=60)
    (armed,) = replies(await ws.drain(), "cancel_all_orders_after")
    assert set(armed) == set(load_sample("cancel_all_orders_after_response.json"))
    current, trigger = armed["result"]["currentTime"], armed["result"]["triggerTime"]
    assert WHOLE_SECOND.fullmatch(current) and WHOLE_SECOND.fullmatch(trigger)
    span = datetime.fromisoformat(trigger[:-1]) - datetime.fromisoformat(current[:-1])
    assert span.total_seconds() == 60
    # Refreshed with a short timeout and then left alone: it fires (1 s = 50 ms here).
    await ws.call("cancel_all_orders_after", timeout=1)
    canceled: list[dict[str, Any]] = []
    async with asyncio.timeout(5):
        while len(canceled) < 2:
            frame = await ws.recv()
            canceled += reports([frame], "canceled")
    assert [c["order_id"] for c in canceled] == ids
    assert kraken_account.ex.engine.open_orders() == []
    assert kraken_account.ex.desk.dead_man_trigger is None  # fired: disarmed until re-armed


async def test_dead_man_switch_disarms_with_zero(kraken_account) -> None:
    ws = await trader(kraken_account, executions=False)
    await ws.call("cancel_all_orders_after", timeout=30)
    await ws.drain()
    assert kraken_account.ex.desk.dead_man_trigger is not None
    await ws.call("cancel_all_orders_after", timeout=0)
    (answer,) = replies(await ws.drain(), "cancel_all_orders_after")
    assert answer["result"]["triggerTime"] == "0"
    assert kraken_account.ex.desk.dead_man_trigger is None
    assert await error_of(ws, "cancel_all_orders_after", timeout=86400) == (
        "EGeneral:Invalid arguments:timeout"
    )


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"limit_price": "1000"}, "Limit_price field must be a number_float"),
        ({"order_qty": True}, "Order_qty field must be a number_float"),
        ({"limit_price": 1000.05}, "EOrder:Invalid price"),
        ({"order_qty": 0.00001}, "EOrder:Order minimum not met"),
        ({"order_qty": 0.000000001}, "EGeneral:Invalid arguments:order_qty"),
        ({"order_qty": 1000.0}, "EOrder:Insufficient funds"),
        ({"order_userref": 1, "cl_ord_id": "x"}, "EGeneral:Invalid arguments"),
        ({"symbol": "XBT/USD"}, "EQuery:Unknown asset pair"),
        ({"side": "short"}, "EGeneral:Invalid arguments:side"),
        ({"order_type": "stop-loss"}, "EGeneral:Invalid arguments:order_type"),
        ({"time_in_force": "gtd"}, "EGeneral:Invalid arguments:expire_time"),
        ({"cl_ord_id": "way-too-long-for-a-free-text-id"}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"bogus": 1}, "Unsupported field: 'bogus' for the given msg type: add_order"),
    ],
)
async def test_add_order_errors(kraken_account, params, error) -> None:
    ws = await trader(kraken_account, executions=False)
    base = {"order_type": "limit", "side": "buy", "order_qty": 0.01, "limit_price": 1000.0,
            "symbol": BTC}  # fmt: skip
    text = await error_of(ws, "add_order", **{**base, **params})
    assert text.startswith(error)
    assert kraken_account.ex.engine.open_orders() == []


async def test_field_type_error_frame_matches_the_sample(kraken_account) -> None:
    ws = await trader(kraken_account, executions=False)
    await ws.call("add_order", order_type="limit", side="buy", order_qty="1", limit_price=1.0,
                  symbol=BTC)  # fmt: skip
    (reply,) = replies(await ws.drain(), "add_order")
    assert set(reply) == set(load_sample("error_field_type.json"))


async def test_validate_only_places_nothing(kraken_account) -> None:
    ws = await trader(kraken_account)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, validate=True)  # fmt: skip
    frames = await ws.drain()
    assert replies(frames, "add_order")[0]["result"] == {"order_id": ""}
    assert reports(frames) == [] and kraken_account.ex.engine.open_orders() == []


async def test_post_only_that_would_take_is_accepted_then_canceled(kraken_account) -> None:
    ws = await trader(kraken_account)
    ask = kraken_account.ex.book(BTC, 1)[1][0][0]
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=float(ask), symbol=BTC, post_only=True)  # fmt: skip
    frames = await ws.drain()
    assert replies(frames, "add_order")[0]["success"] is True
    got = reports(frames)
    assert [r["exec_type"] for r in got] == ["pending_new", "canceled"]
    assert got[0]["post_only"] is True and got[1]["reason"] == "Post only order"


async def test_order_status_false_leaves_out_intermediate_reports(kraken_account) -> None:
    ws = await kraken_account.connect()
    await ws.call("subscribe", channel="executions", order_status=False)
    await ws.drain()
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, cl_ord_id="quiet")  # fmt: skip
    await ws.call("amend_order", cl_ord_id="quiet", limit_price=999.0)
    await ws.call("cancel_order", cl_ord_id=["quiet"])
    assert [r["exec_type"] for r in reports(await ws.drain())] == ["new", "canceled"]
