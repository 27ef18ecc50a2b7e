"""PositionTracker: exact positions, entries and P&L from order updates, restart-safe."""

from __future__ import annotations

from decimal import Decimal as D

from tickwire.core.positions import Fill, PositionTracker
from tickwire.core.types import OrderStatus, OrderUpdate, Side


def update(order: str, side: Side, filled: str, price: str, size: str, **more) -> OrderUpdate:
    status = more.pop("status", OrderStatus.PARTIALLY_FILLED)
    return OrderUpdate(
        venue="v", symbol="BTC/USD", order_id=order, side=side, status=status,
        filled=D(filled), last_fill_price=D(price), last_fill_size=D(size),
        fee=more.pop("fee", D("0.1")), fee_asset=more.pop("fee_asset", "USD"), ts=1, received=1,
        **more,
    )  # fmt: skip


def test_opening_adding_reducing_and_flipping() -> None:
    tracker = PositionTracker()
    tracker.book(update("a", Side.BUY, "1", "100", "1"))
    tracker.book(update("a", Side.BUY, "3", "104", "2"))  # adds: entry (100 + 208) / 3
    position = tracker["BTC/USD"]
    assert (position.size, position.entry) == (D(3), D(308) / D(3))
    tracker.book(update("b", Side.SELL, "2", "110", "2"))  # closes 2 of 3
    assert position.size == 1 and position.realized == 2 * (D(110) - D(308) / D(3))
    tracker.book(update("c", Side.SELL, "3", "90", "3"))  # closes 1, opens 2 short
    assert (position.size, position.entry) == (D(-2), D(90))
    assert position.unrealized(D(80)) == D(20)  # short 2 from 90, marked at 80
    assert position.fees == {"USD": D("0.4")} and position.fills == 4


def test_a_repeated_report_changes_nothing() -> None:
    tracker = PositionTracker()
    first = update("a", Side.BUY, "1", "100", "1")
    assert tracker.book(first) is not None
    assert tracker.book(first) is None  # the same report again, after a reconnect
    assert tracker.book(update("a", Side.BUY, "1", "100", "1", status=OrderStatus.FILLED)) is None
    assert tracker["BTC/USD"].size == 1


def test_missed_reports_are_booked_at_their_average_price() -> None:
    tracker = PositionTracker()
    tracker.book(update("a", Side.BUY, "1", "100", "1", avg_price=D(100)))
    # Two fills (1 @ 102, 2 @ 106) arrive as one report: last fill 2 @ 106, avg 104.
    fill = tracker.book(update("a", Side.BUY, "4", "106", "2", avg_price=D(104)))
    assert fill is not None and (fill.size, fill.price) == (D(3), D(416 - 100) / D(3))
    assert tracker["BTC/USD"].entry == D(104)


def test_seeded_history_then_live_updates_count_each_fill_once() -> None:
    history = [
        Fill(symbol="BTC/USD", order_id="a", side=Side.BUY, price=D(100), size=D(1), ts=1),
        Fill(symbol="BTC/USD", order_id="a", side=Side.BUY, price=D(102), size=D(1), ts=2),
    ]
    restarted = PositionTracker()
    restarted.seed(history)
    restarted.book(update("a", Side.BUY, "2", "102", "1"))  # already seeded: ignored
    restarted.book(update("a", Side.BUY, "3", "105", "1"))  # new
    position = restarted["BTC/USD"]
    assert (position.size, position.entry, position.fills) == (D(3), D(307) / D(3), 3)


def test_base_asset_fees_are_valued_at_the_mark() -> None:
    tracker = PositionTracker()
    tracker.book(update("a", Side.BUY, "1", "100", "1", fee=D("0.001"), fee_asset="BTC"))
    assert tracker["BTC/USD"].fees_in_quote(D(200)) == D("0.2")
    assert "ETH/USD" not in tracker
    assert tracker.position("ETH/USD").size == 0 and "ETH/USD" in tracker  # kept from now


def test_the_balance_changes_of_the_fills() -> None:
    tracker = PositionTracker()
    tracker.book(update("a", Side.BUY, "2", "100", "2", fee=D("0.2")))
    tracker.book(update("b", Side.SELL, "1", "110", "1", fee=D("0.001"), fee_asset="BTC"))
    position = tracker["BTC/USD"]
    assert position.cash == D(-200 + 110)
    assert position.base_change == D(1) - D("0.001")
    assert position.quote_change == D(-90) - D("0.2")


def test_on_event_is_a_callback_returning_nothing() -> None:
    # client.on_event awaits a callback's non-None result: the tracker's must be None.
    tracker = PositionTracker()
    assert tracker.on_event(update("a", Side.BUY, "1", "100", "1")) is None
    assert tracker["BTC/USD"].size == 1
