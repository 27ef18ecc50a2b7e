"""KuCoin private pushes and order REST bodies against every golden sample."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tickwire.adapters.kucoin.fetch import fill_from
from tickwire.adapters.kucoin.parse import decode_frame
from tickwire.adapters.kucoin.parse_private import (
    decode_private,
    order_status,
    to_balance,
    to_report,
)
from tickwire.adapters.kucoin.schemas import BalanceData, Envelope, Message, OrderChangeData
from tickwire.adapters.kucoin.trade_schemas import (
    AlterData,
    CancelAllData,
    ClientOidData,
    DcpData,
    FillRow,
    HfOrder,
    OrderDetail,
    OrderIdData,
)
from tickwire.core.errors import DecodeError
from tickwire.core.order_tracker import OrderTracker
from tickwire.core.types import (
    Balance,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    decode_event,
    encode_event,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"
D = Decimal
RECEIVED = 1_700_000_000_000_000_000
RATES = {"maker": Decimal("0.001"), "taker": Decimal("0.001")}


def to_order_update(data: OrderChangeData, received: int) -> OrderUpdate:
    """One push through core's tracker, as the private socket does (a fresh order)."""
    update = OrderTracker("kucoin").apply(to_report(data, RATES), received)
    assert update is not None
    return update


def message(name: str) -> Message:
    msg = decode_frame((FIXTURES / name).read_bytes())
    assert isinstance(msg, Message)
    return msg


def order_data(name: str) -> OrderChangeData:
    data = decode_private(message(name))
    assert isinstance(data, OrderChangeData)
    return data


ORDER_FIXTURES = sorted(p.name for p in FIXTURES.glob("tradeOrders*.json"))
EXPECTED_STATUS = {
    "received": OrderStatus.PENDING,
    "open": OrderStatus.OPEN,
    "match": OrderStatus.PARTIALLY_FILLED,
    "update": OrderStatus.OPEN,  # nothing filled yet in the sample
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
}


@pytest.mark.parametrize("name", ORDER_FIXTURES)
def test_every_order_sample_normalizes(name: str) -> None:
    raw = json.loads((FIXTURES / name).read_bytes())["data"]
    data = order_data(name)
    update = to_order_update(data, RECEIVED)
    assert update.status is EXPECTED_STATUS[raw["type"]]
    assert (update.venue, update.order_id, update.client_id) == (
        "kucoin",
        raw["orderId"],
        raw["clientOid"],
    )
    assert update.symbol == raw["symbol"].replace("-", "/")
    assert update.side is Side(raw["side"]) and update.order_type is OrderType(raw["orderType"])
    assert update.filled == D(raw.get("filledSize", "0"))
    assert update.ts == raw["ts"] and update.received == RECEIVED
    assert decode_event(encode_event(update)) == update  # survives the JSONL round trip


def test_received_is_pending_with_the_submitted_size() -> None:
    update = to_order_update(order_data("tradeOrdersV2_received.json"), RECEIVED)
    assert update == OrderUpdate(
        venue="kucoin",
        symbol="BTC/USDT",
        order_id="6720da3fa30a360007f5f832",
        client_id="5c52e11203aa677f33e493fc",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        status=OrderStatus.PENDING,
        size=D("0.00001"),
        remaining=D("0.00001"),
        ts=1730206271616000000,
        received=RECEIVED,
    )


def test_open() -> None:
    update = to_order_update(order_data("tradeOrdersV2_open.json"), RECEIVED)
    assert update.status is OrderStatus.OPEN
    assert (update.price, update.size, update.remaining) == (D("50000"), D("0.00001"), D("0.00001"))
    assert update.last_fill_price is None and update.fee is None


def test_match_carries_the_fill_and_its_fee() -> None:
    data = order_data("tradeOrders_match.json")
    assert (data.fee_type, data.liquidity, data.trade_id) == (
        "takerFee",
        "taker",
        "5efab07a4ee4c7000a82d6d9",
    )
    update = to_order_update(data, RECEIVED)  # its first fill: the average is its price
    assert update.status is OrderStatus.PARTIALLY_FILLED
    assert (update.last_fill_price, update.last_fill_size) == (D("0.96738"), D("0.1"))
    assert (update.filled, update.remaining, update.avg_price) == (D("0.1"), D("0"), D("0.96738"))
    fee = data.match_price * data.match_size * RATES["taker"]  # type: ignore[operator]
    assert (update.fee, update.fee_asset) == (fee, "USDT") == (D("0.000096738"), "USDT")


def test_v2_match_without_fee_type() -> None:
    data = order_data("tradeOrdersV2_match.json")
    assert data.fee_type is None and data.fee is None and data.liquidity == "taker"
    assert order_status(data) is OrderStatus.PARTIALLY_FILLED


def test_update_carries_the_new_size_and_the_old_one() -> None:
    update = to_order_update(order_data("tradeOrders_update.json"), RECEIVED)
    assert (update.status, update.size, update.remaining) == (
        OrderStatus.OPEN,
        D("0.06"),
        D("0.06"),
    )
    assert update.reason == "size 0.1 -> 0.06"


def test_update_after_fills_is_partially_filled_and_done_is_canceled() -> None:
    data = order_data("tradeOrders_update.json")
    filled = msgspec.structs.replace(data, filled_size=D("0.02"))
    assert order_status(filled) is OrderStatus.PARTIALLY_FILLED
    done = msgspec.structs.replace(filled, status="done")
    assert order_status(done) is OrderStatus.CANCELED


def test_filled_and_canceled_are_terminal() -> None:
    filled = to_order_update(order_data("tradeOrdersV2_filled.json"), RECEIVED)
    canceled = to_order_update(order_data("tradeOrdersV2_canceled.json"), RECEIVED)
    assert filled.status.is_terminal and canceled.status.is_terminal
    assert (filled.filled, filled.remaining) == (D("0.1"), D("0"))
    assert (canceled.filled, canceled.remaining) == (D("0"), D("0"))


def test_unknown_order_event_is_a_decode_error() -> None:
    data = msgspec.structs.replace(order_data("tradeOrdersV2_open.json"), type="teleported")
    with pytest.raises(DecodeError, match="teleported"):
        to_order_update(data, RECEIVED)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("balance.json", ("USDT", "21.133773386762", "20.132773386762", "1.001", 1730269283892)),
        ("balance_docs_example.json", ("KCS", "88", "88", "0", 1545743136994)),
    ],
)
def test_balances(name: str, expected: tuple[Any, ...]) -> None:
    data = decode_private(message(name))
    assert isinstance(data, BalanceData)
    asset, total, available, hold, ms = expected
    balance = to_balance(data, RECEIVED)
    assert balance == Balance(
        venue="kucoin",
        asset=asset,
        total=D(total),
        available=D(available),
        hold=D(hold),
        ts=ms * 1_000_000,
        received=RECEIVED,
    )
    assert decode_event(encode_event(balance)) == balance


def test_bad_private_pushes_are_decode_errors() -> None:
    stop = message("stop_order_open.json")
    with pytest.raises(DecodeError, match="unknown private subject 'stopOrder'"):
        decode_private(stop)
    bad = msgspec.structs.replace(message("balance.json"), data=msgspec.Raw(b'{"currency":1}'))
    with pytest.raises(DecodeError, match=r"bad 'account\.balance' data"):
        decode_private(bad)
    data = decode_private(message("balance.json"))
    assert isinstance(data, BalanceData)
    with pytest.raises(DecodeError, match="bad balance time"):
        to_balance(msgspec.structs.replace(data, time="17e3"), RECEIVED)


# --- order REST bodies -----------------------------------------------------------------


def rest_data(name: str, type_: Any) -> Any:
    envelope = msgspec.json.decode((FIXTURES / name).read_bytes(), type=Envelope)
    assert envelope.code == "200000"
    return msgspec.json.decode(envelope.data, type=type_)


def test_the_request_sample_round_trips_through_hf_order() -> None:
    sample = json.loads((FIXTURES / "hf_order_request.json").read_bytes())
    order = msgspec.convert(sample, HfOrder)  # "remark" is not modelled: ignored
    assert (order.client_oid, order.symbol, order.price, order.size) == (
        "5c52e11203aa677f33e493fb",
        "BTC-USDT",
        "50000",
        "0.00001",
    )
    encoded = json.loads(msgspec.json.encode(order))
    assert encoded == {k: v for k, v in sample.items() if k != "remark"}


def test_reply_samples() -> None:
    assert rest_data("hf_order_response.json", OrderIdData) == OrderIdData(
        "670fd33bf9406e0007ab3945", "5c52e11203aa677f33e493fb"
    )
    assert rest_data("cancel_response.json", OrderIdData).order_id == "671124f9365ccb00073debd4"
    assert rest_data("cancel_by_clientoid_response.json", ClientOidData).client_oid == (
        "5c52e11203aa677f33e493fb"
    )
    assert rest_data("modify_order_response.json", AlterData) == AlterData(
        "67112258f9406e0007408827", "client order id 12"
    )
    assert rest_data("cancel_all_response.json", CancelAllData).failed_symbols == []
    assert rest_data("cancel_all_by_symbol_response.json", str) == "success"
    assert rest_data("dcp_set_response.json", DcpData) == DcpData(1729656588, 1729656593)
    assert rest_data("dcp_query_response.json", DcpData).trigger_time == 1729241308
    assert msgspec.json.decode(b"{}", type=DcpData) == DcpData()  # disarmed


def test_order_detail_sample() -> None:
    order = rest_data("order_detail_response.json", OrderDetail)
    assert (order.id, order.client_oid, order.side, order.type) == (
        "6717422bd51c29000775ea03",
        "5c52e11203aa677f33e493fb",
        "buy",
        "limit",
    )
    assert (order.deal_size, order.deal_funds, order.fee) == (
        D("0.00001"),
        D("0.677176"),
        D("0.000677176"),
    )
    assert (order.active, order.created_at) == (False, 1729577515444)


# --- values outside the rules are DecodeErrors -----------------------------------------------


def private_with(name: str, **changes: Any) -> Message:
    doc = json.loads((FIXTURES / name).read_bytes())
    doc["data"].update(changes)
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, Message)
    return msg


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1E+99999", "-5"])
@pytest.mark.parametrize("field", ["matchPrice", "matchSize", "price", "filledSize"])
def test_an_impossible_order_value_is_a_decode_error(field: str, value: str) -> None:
    data = decode_private(private_with("tradeOrdersV2_match.json", **{field: value}))
    assert isinstance(data, OrderChangeData)
    with pytest.raises(DecodeError, match="order"):
        to_report(data, RATES)


@pytest.mark.parametrize(
    "changes", [{"total": "NaN"}, {"available": "-5"}, {"hold": "Infinity"}, {"time": "-5"}]
)
def test_an_impossible_balance_is_a_decode_error(changes: dict[str, str]) -> None:
    data = decode_private(private_with("balance.json", **changes))
    assert isinstance(data, BalanceData)
    with pytest.raises(DecodeError):
        to_balance(data, 1)


def test_an_impossible_order_time_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_private(private_with("tradeOrdersV2_match.json", ts=-5))


FILL = {
    "id": 7, "orderId": "o1", "symbol": "BTC-USDT", "side": "buy", "price": "30000",
    "size": "0.5", "fee": "0.015", "feeCurrency": "USDT", "createdAt": 1729100692873,
}  # fmt: skip


def test_a_rest_fill_is_normalized() -> None:
    fill = fill_from(msgspec.json.decode(msgspec.json.encode(FILL), type=FillRow))
    assert (fill.symbol, fill.price, fill.size, fill.fee) == (
        "BTC/USDT", Decimal("30000"), Decimal("0.5"), Decimal("0.015")
    )  # fmt: skip
    assert fill.ts == 1729100692873 * 1_000_000


@pytest.mark.parametrize(
    "changes",
    [{"price": "0"}, {"price": "NaN"}, {"size": "0"}, {"size": "-1"}, {"fee": "-1"},
     {"fee": "Infinity"}, {"fee": "NaN"}],
)  # fmt: skip
def test_an_impossible_rest_fill_is_a_decode_error(changes: dict[str, str]) -> None:
    row = msgspec.json.decode(msgspec.json.encode(FILL | changes), type=FillRow)
    with pytest.raises(DecodeError, match="fill"):
        fill_from(row)
