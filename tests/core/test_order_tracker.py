"""core/order_tracker.py on its own: venue-neutral reports merged into complete updates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickwire.core import order_tracker
from tickwire.core.order_tracker import OrderReport, OrderTracker
from tickwire.core.types import OrderStatus, OrderType, Side

D = Decimal
T = 1_700_000_000_000_000_000
S = OrderStatus


def placed(order_id: str = "A", **fields: object) -> OrderReport:
    base: dict[str, object] = dict(
        order_id=order_id, ts=T, status=S.OPEN, client_id=f"c-{order_id}", symbol="BTC/USD",
        side=Side.BUY, order_type=OrderType.LIMIT, price=D("100"), size=D("2"),
    )  # fmt: skip
    return OrderReport(**{**base, **fields})  # type: ignore[arg-type]


def fill(
    order_id: str, fill_id: str | None, size: str, price: str, **fields: object
) -> OrderReport:
    return OrderReport(
        order_id=order_id, ts=T + 1, status=S.PARTIALLY_FILLED, fill=True, fill_id=fill_id,
        fill_size=D(size), fill_price=D(price), fill_cost=D(size) * D(price), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def test_sparse_fills_add_up_to_complete_updates() -> None:
    tracker = OrderTracker("v")
    opened = tracker.apply(placed(), T)
    assert opened is not None and (opened.venue, opened.remaining) == ("v", D("2"))
    first = tracker.apply(fill("A", "f1", "0.5", "100", fee=D("0.1"), fee_asset="USD"), T)
    second = tracker.apply(fill("A", "f2", "0.5", "102"), T)
    assert first is not None and second is not None
    assert (first.filled, first.remaining, first.fee, first.symbol) == (
        D("0.5"), D("1.5"), D("0.1"), "BTC/USD",
    )  # fmt: skip
    assert (second.filled, second.avg_price, second.last_fill_price) == (D("1"), D("101"), D("102"))
    assert second.ts == T + 1 and second.side is Side.BUY and second.price == D("100")
    done = tracker.apply(OrderReport(order_id="A", ts=T + 2, status=S.FILLED, filled=D("2")), T)
    assert done is not None and (done.status, done.remaining, done.fee) == (S.FILLED, 0, None)
    assert tracker.open_orders() == []


def test_a_fill_seen_twice_is_reported_once() -> None:
    tracker = OrderTracker("v")
    tracker.apply(placed(), T)
    assert tracker.apply(fill("A", "f1", "1", "100"), T) is not None
    assert tracker.apply(fill("A", "f1", "1", "100"), T) is None
    assert tracker.get("A").filled == D("1")  # type: ignore[union-attr]


def test_a_report_without_a_status_keeps_the_live_one_by_its_fills() -> None:
    tracker = OrderTracker("v")
    tracker.apply(placed(), T)
    amended = tracker.apply(OrderReport(order_id="A", ts=T, price=D("99")), T)
    assert amended is not None and (amended.status, amended.price) == (S.OPEN, D("99"))
    tracker.apply(fill("A", "f1", "1", "99"), T)
    again = tracker.apply(OrderReport(order_id="A", ts=T, size=D("3"), order_status=S.OPEN), T)
    assert again is not None and (again.status, again.remaining) == (S.PARTIALLY_FILLED, D("2"))
    gone = tracker.apply(OrderReport(order_id="A", ts=T, order_status=S.EXPIRED), T)
    assert gone is not None and gone.status is S.EXPIRED


def test_lookups_by_client_id_and_unknown_symbol_waits() -> None:
    tracker = OrderTracker("v")
    assert tracker.apply(OrderReport(order_id="B", ts=T, status=S.OPEN, client_id="x"), T) is None
    assert tracker.get(client_id="x") is tracker.get("B") is not None
    assert tracker.apply(OrderReport(order_id="B", ts=T, symbol="ETH/USD"), T) is not None
    assert [s.order_id for s in tracker.open_orders("ETH/USD")] == ["B"]
    assert [u.order_id for u in tracker.current(T)] == ["B"]


def test_a_later_snapshot_reports_what_happened_while_disconnected() -> None:
    tracker = OrderTracker("v")
    old_fill = fill("A", "f0", "0.5", "100")
    first = tracker.apply_snapshot([placed(), placed("B"), old_fill], T, baseline=True)
    assert [(u.order_id, u.status) for u in first] == [("A", S.OPEN), ("B", S.OPEN)]
    assert tracker.get("A").filled == 0  # type: ignore[union-attr]  # history, not replayed
    tracker.apply(placed("C"), T)
    tracker.apply(fill("C", "fc", "1", "100", order_status=S.FILLED), T)  # venue: filled
    new_fill = fill("A", "f1", "0.5", "100")
    again = tracker.apply_snapshot([placed(), old_fill, new_fill], T, baseline=False)
    assert [(u.order_id, u.status) for u in again] == [
        ("A", S.PARTIALLY_FILLED),  # the fill made while away; f0 is not repeated
        ("B", S.CANCELED),  # absent and unfilled: closed
        ("C", S.FILLED),  # absent, and the venue's last word was filled
    ]
    assert again[1].reason is not None and "disconnected" in again[1].reason


def test_terminal_orders_are_forgotten_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_tracker, "KEEP_CLOSED", 2)
    tracker = OrderTracker("v")
    for name in "ABC":
        tracker.apply(placed(name), T)
        tracker.apply(OrderReport(order_id=name, ts=T, status=S.CANCELED), T)
    assert tracker.get("A") is None and tracker.get(client_id="c-A") is None
    assert tracker.get("C") is not None and tracker.get(client_id="c-B") is not None


def test_a_snapshot_keeps_a_pending_order_pending_and_others_by_their_fills() -> None:
    tracker = OrderTracker("v")
    listed = [
        placed("P", status=None, order_status=S.PENDING),
        placed("F", status=None, order_status=S.OPEN, filled=D("1")),
    ]
    updates = tracker.apply_snapshot(listed, T, baseline=True)
    assert [u.status for u in updates] == [S.PENDING, S.PARTIALLY_FILLED]
