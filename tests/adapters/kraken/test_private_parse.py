"""Kraken private wire schemas, balances and the execution-report merge, on golden frames."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tickwire.adapters.kraken.parse import (
    decode_frame,
    decode_private_frame,
    decode_result,
    to_balances,
)
from tickwire.adapters.kraken.private import to_report
from tickwire.adapters.kraken.schemas import HeartbeatMessage, MethodResponse, StatusMessage
from tickwire.adapters.kraken.schemas_private import (
    BalancesMessage,
    BatchAddRow,
    CancelAfterResult,
    CountResult,
    EchoedIdsResult,
    ExecutionData,
    ExecutionsMessage,
    OrderIdResult,
)
from tickwire.core.errors import DecodeError
from tickwire.core.order_tracker import OrderState
from tickwire.core.order_tracker import OrderTracker as CoreTracker
from tickwire.core.types import Balance, OrderStatus, OrderType, OrderUpdate, Side

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"
RECEIVED = 1_700_000_000_000_000_000
D = Decimal


class OrderTracker:
    """Core's order tracker fed Kraken's wire reports, the way the private side feeds it."""

    def __init__(self) -> None:
        self.core = CoreTracker("kraken")

    def apply(self, r: ExecutionData, received: int) -> OrderUpdate | None:
        return self.core.apply(to_report(r, received), received)

    def apply_snapshot(
        self, reports: list[ExecutionData], received: int, *, baseline: bool
    ) -> list[OrderUpdate]:
        mapped = [to_report(r, received) for r in reports]
        return self.core.apply_snapshot(mapped, received, baseline=baseline)

    def get(self, order_id: str | None = None, client_id: str | None = None) -> OrderState | None:
        return self.core.get(order_id, client_id)

    def open_orders(self) -> list[OrderState]:
        return self.core.open_orders()


def frame(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def executions(name: str) -> ExecutionsMessage:
    msg = decode_private_frame(frame(name))
    assert isinstance(msg, ExecutionsMessage)
    return msg


def report(name: str) -> ExecutionData:
    return executions(name).data[0]


PRIVATE = {
    **{p.name: ExecutionsMessage for p in FIXTURES.glob("executions_*.json")},
    **{p.name: BalancesMessage for p in FIXTURES.glob("balances_*.json")},
    "status.json": StatusMessage,
    "status_2024.json": StatusMessage,
    "heartbeat.json": HeartbeatMessage,
    **{p.name: MethodResponse for p in FIXTURES.glob("*_response*.json") if "rest_" not in p.name},
    **{p.name: MethodResponse for p in FIXTURES.glob("error_*.json")},
    "subscribe_executions_ack.json": MethodResponse,
    "subscribe_executions_ack_with_warnings.json": MethodResponse,
    "subscribe_balances_ack.json": MethodResponse,
    "pong.json": MethodResponse,
}


@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_every_auth_socket_fixture_decodes(name: str) -> None:
    assert type(decode_private_frame(frame(name))) is PRIVATE[name]


@pytest.mark.parametrize("name", ["book_update.json", "ticker_update.json", b"nope", b"{}"])
def test_the_private_decoder_refuses_what_the_auth_socket_never_sends(name: str | bytes) -> None:
    with pytest.raises(DecodeError):
        decode_private_frame(frame(name) if isinstance(name, str) else name)


def test_the_public_decoder_still_refuses_private_channels() -> None:
    with pytest.raises(DecodeError):
        decode_frame(frame("executions_trade.json"))


def test_sequences_and_sparse_fields() -> None:
    msg = executions("executions_new.json")
    assert (msg.type, msg.sequence) == ("update", 9)
    new = msg.data[0]
    assert (new.exec_type, new.order_id, new.order_status) == ("new", "OK4GJX-KSTLS-7DZZO5", "new")
    assert new.symbol is None and new.order_qty is None  # sparse: merged by the tracker
    trade = report("executions_trade.json")
    assert (trade.last_qty, trade.last_price, trade.cum_qty) == (
        D("0.005"),
        D("26599.9"),
        D("0.005"),
    )
    assert trade.fees is not None and trade.fees[0].qty == D("0.3458")
    assert str(report("executions_canceled.json").cum_qty) == "0E-8"  # wire digits kept


def test_balances_snapshot_and_ledger_updates() -> None:
    snapshot = decode_private_frame(frame("balances_snapshot.json"))
    assert isinstance(snapshot, BalancesMessage)
    balances = to_balances(snapshot, RECEIVED)
    assert [(b.asset, b.total) for b in balances] == [
        ("BTC", D("1.2")),
        ("MATIC", D("500")),
        ("USD", D("80595.4943")),
    ]
    assert all(b.ts == RECEIVED and b.available is None for b in balances)
    update = decode_private_frame(frame("balances_update_trade.json"))
    assert isinstance(update, BalancesMessage)
    [usd] = to_balances(update, RECEIVED)
    assert usd == Balance(
        venue="kraken", asset="USD", total=D("118.0677"), ts=1716559313526524000, received=RECEIVED
    )
    assert update.data[0].amount == D("-19.9743")


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("add_order_response.json", OrderIdResult, {"order_id": "AA5JGQ-SBMRC-SCJ7J7"}),
        ("add_order_response_cl_ord_id.json", OrderIdResult, {"order_id": "OPS23M-VS41G-DDE5Z2"}),
        ("amend_order_response.json", EchoedIdsResult, {"order_id": "BQS60L-EGW18-UPAK9U"}),
        ("edit_order_response.json", OrderIdResult, {"order_id": "7FIK6B-S15X0-DPJJTH"}),
        ("cancel_order_response.json", EchoedIdsResult, {"order_id": "OLUMT4-UTEGU-ZYM7E9"}),
        ("cancel_order_response_cl_ord_id.json", EchoedIdsResult, {"cl_ord_id": "a-uuid"}),
        ("cancel_all_response.json", CountResult, {"count": 1}),
        ("batch_cancel_response_documented.json", CountResult, {"count": 3}),
        (
            "cancel_all_orders_after_response.json",
            CancelAfterResult,
            {"currentTime": "2023-09-21T15:49:29Z"},
        ),
    ],
)
def test_method_results(name: str, kind: type, expected: dict[str, object]) -> None:
    response = decode_private_frame(frame(name))
    assert isinstance(response, MethodResponse) and response.success is True
    result = decode_result(response, kind)
    for field, value in expected.items():
        assert getattr(result, field) == value


def test_batch_results_in_both_forms() -> None:
    rows = decode_result(decode_private_frame(frame("batch_add_response.json")), list[BatchAddRow])
    assert [r.order_id for r in rows] == ["JQDNTT-MZEIZ-OZKUDD", "X67GEK-3VQWM-HPNQ89"]
    observed = decode_private_frame(frame("batch_cancel_response_observed.json"))
    assert isinstance(observed, MethodResponse) and observed.orders_cancelled == 2


def test_decode_result_of_a_missing_or_wrong_result_is_a_decode_error() -> None:
    observed = decode_private_frame(frame("batch_cancel_response_observed.json"))
    assert isinstance(observed, MethodResponse)
    with pytest.raises(DecodeError):
        decode_result(observed, CountResult)
    add = decode_private_frame(frame("add_order_response.json"))
    assert isinstance(add, MethodResponse)
    with pytest.raises(DecodeError):
        decode_result(add, list[BatchAddRow])


# --- the tracker: one lifecycle -----------------------------------------------------------


def test_documented_lifecycle_is_complete_at_every_step() -> None:
    tracker = OrderTracker()
    steps = [
        report("executions_pending_new.json"),
        report("executions_new.json"),
        report("executions_trade.json"),
        msgspec.structs.replace(
            report("executions_new.json"),
            exec_type="filled",
            order_status="filled",
            timestamp="2023-09-22T10:33:05.710000Z",
        ),
    ]
    updates = [tracker.apply(r, RECEIVED) for r in steps]
    assert [u.status for u in updates if u] == [
        OrderStatus.PENDING,
        OrderStatus.OPEN,
        OrderStatus.PARTIALLY_FILLED,  # the fill that completes the order...
        OrderStatus.FILLED,  # ...then the separate terminal report
    ]
    for update in updates:
        assert update is not None
        assert (update.symbol, update.side, update.order_type) == (
            "BTC/USD",
            Side.SELL,
            OrderType.LIMIT,
        )
        assert (update.price, update.size) == (D("26500.0"), D("0.005"))
    pending, _new, fill, filled = updates
    assert pending is not None and pending.remaining == D("0.005") and pending.filled == 0
    assert fill is not None
    assert (fill.last_fill_price, fill.last_fill_size, fill.fee, fill.fee_asset) == (
        D("26599.9"),
        D("0.005"),
        D("0.3458"),
        "USD",
    )
    assert (fill.filled, fill.avg_price, fill.remaining) == (D("0.005"), D("26599.9"), D("0"))
    assert filled is not None and filled.fee is None and filled.last_fill_size is None
    assert filled.remaining == 0 and filled.filled == D("0.005")
    assert pending.ts == 1695378785709950000
    assert tracker.open_orders() == []


def test_a_repeated_fill_is_reported_once() -> None:
    tracker = OrderTracker()
    tracker.apply(report("executions_pending_new.json"), RECEIVED)
    assert tracker.apply(report("executions_trade.json"), RECEIVED) is not None
    assert tracker.apply(report("executions_trade.json"), RECEIVED) is None


def test_amend_and_cancel_and_post_only_rejection() -> None:
    tracker = OrderTracker()
    pending = msgspec.structs.replace(
        report("executions_pending_new.json"), order_id="6LYQGW-FH922-U6JTUM", cl_ord_id="c1"
    )
    tracker.apply(pending, RECEIVED)
    amended = tracker.apply(report("executions_amended.json"), RECEIVED)
    assert amended is not None
    assert (amended.status, amended.price, amended.size) == (
        OrderStatus.OPEN,
        D("0.9600"),
        D("5.1"),
    )
    assert amended.client_id == "c1" and amended.remaining == D("5.1")
    assert tracker.get(client_id="c1") is tracker.get(order_id="6LYQGW-FH922-U6JTUM")
    canceled = msgspec.structs.replace(
        report("executions_canceled.json"), order_id=pending.order_id
    )
    update = tracker.apply(canceled, RECEIVED)
    assert update is not None
    assert (update.status, update.reason, update.remaining) == (
        OrderStatus.CANCELED,
        "User requested",
        0,
    )
    post_only = msgspec.structs.replace(
        pending, order_id="PO", cl_ord_id=None, exec_type="canceled", reason="Post only order"
    )
    rejected = tracker.apply(post_only, RECEIVED)
    assert rejected is not None and rejected.status is OrderStatus.REJECTED


def test_expired_and_partially_filled_amend() -> None:
    tracker = OrderTracker()
    pending = report("executions_pending_new.json")
    tracker.apply(pending, RECEIVED)
    half = msgspec.structs.replace(
        report("executions_trade.json"), last_qty=D("0.002"), cum_qty=D("0.002"), exec_id="E1"
    )
    assert tracker.apply(half, RECEIVED).remaining == D("0.003")  # type: ignore[union-attr]
    amend = ExecutionData(
        exec_type="amended",
        order_id=pending.order_id,
        timestamp=pending.timestamp,
        order_qty=D("0.004"),
    )
    update = tracker.apply(amend, RECEIVED)
    assert update is not None
    assert (update.status, update.size, update.remaining) == (
        OrderStatus.PARTIALLY_FILLED,
        D("0.004"),
        D("0.002"),
    )
    expired = ExecutionData(
        exec_type="expired", order_id=pending.order_id, timestamp=pending.timestamp
    )
    assert tracker.apply(expired, RECEIVED).status is OrderStatus.EXPIRED  # type: ignore[union-attr]


def test_a_report_for_an_order_of_unknown_symbol_waits() -> None:
    tracker = OrderTracker()
    assert tracker.apply(report("executions_new.json"), RECEIVED) is None
    assert tracker.get(order_id="OK4GJX-KSTLS-7DZZO5") is not None


def test_snapshot_baseline_then_reconnect_snapshot() -> None:
    tracker = OrderTracker()
    trades = executions("executions_snapshot_trades.json").data
    open_order = msgspec.structs.replace(
        report("executions_pending_new.json"), exec_type="new", order_status="new", cl_ord_id="mine"
    )
    first = tracker.apply_snapshot([open_order, *trades], RECEIVED, baseline=True)
    assert [u.status for u in first] == [OrderStatus.OPEN]  # history fills are not replayed
    assert tracker.get(client_id="mine") is not None
    # After a reconnect: the same open order (unchanged → nothing), one fill that happened
    # while disconnected, and a tracked order that vanished (closed meanwhile).
    tracker.apply(
        ExecutionData(
            exec_type="new",
            order_id="GONE",
            timestamp=open_order.timestamp,
            symbol="ETH/USD",
            side="buy",
            order_type="limit",
            order_qty=D("1"),
            limit_price=D("100"),
            order_status="new",
        ),
        RECEIVED,
    )
    fill = msgspec.structs.replace(
        report("executions_trade.json"),
        order_id=open_order.order_id,
        exec_id="NEW-FILL",
        last_qty=D("0.001"),
        cum_qty=D("0.001"),
    )
    again = tracker.apply_snapshot([open_order, *trades, fill], RECEIVED, baseline=False)
    assert [(u.order_id, u.status) for u in again] == [
        (open_order.order_id, OrderStatus.PARTIALLY_FILLED),
        ("GONE", OrderStatus.CANCELED),
    ]
    assert again[0].last_fill_size == D("0.001")


def test_fixture_trade_report_kept_as_json_numbers() -> None:
    # The tracker's Decimals come from the wire digits, never through a float.
    raw = json.loads(frame("executions_trade.json"))
    assert raw["data"][0]["cost"] == 132.9995
    assert report("executions_trade.json").cost == D("132.9995")
