"""core.trader's shared order-call helpers and core.checks' field tables."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import msgspec
import pytest

from tickwire.core.checks import Fields
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    BatchRejected,
    DecodeError,
    ExchangeError,
    InvalidOrder,
    NotSupported,
    TickwireError,
    UnknownOrder,
)
from tickwire.core.order_tracker import OrderState
from tickwire.core.trader import Trader, order_deadline, positive, time_in_force
from tickwire.core.types import OrderAck, OrderRequest, Side, TimeInForce


class Venue(Trader):
    """A venue that names its ids like KuCoin and records each dead-man refresh."""

    venue = "v"
    id_fields = ("orderId", "clientOid")

    def __init__(self) -> None:
        self.armed: list[tuple[float, float]] = []
        self.refreshed = asyncio.Event()
        self.fail = False

    async def cancel_all_after(self, seconds: float, *, timeout: float) -> None:
        self.armed.append((seconds, timeout))
        self.refreshed.set()
        if self.fail:
            raise ExchangeError("v", "busy", "try later")


def buy(client_id: str | None) -> OrderRequest:
    return OrderRequest(
        symbol="A/B", side=Side.BUY, size=Decimal(1), price=Decimal(2), client_id=client_id
    )


def test_positive_reads_floats_by_their_repr_and_refuses_the_rest() -> None:
    assert positive(0.1, "price") == Decimal("0.1") and positive("2.50", "size") == Decimal("2.50")
    for bad in (0, -1, "NaN", "Infinity", "x", None):
        with pytest.raises(ValueError, match="price"):
            positive(bad, "price")


def test_one_id_uses_the_venues_names_and_wants_exactly_one() -> None:
    venue = Venue()
    assert venue.one_id("o1", None) == {"orderId": "o1"}
    assert venue.one_id(None, "c1") == {"clientOid": "c1"}
    for ids in ((None, None), ("o1", "c1")):
        with pytest.raises(ValueError, match="exactly one"):
            venue.one_id(*ids)


def test_client_ids_are_fixed_before_sending_and_must_differ() -> None:
    venue = Venue()
    first, second = venue.client_ids([buy("mine"), buy(None)])
    assert first == "mine" and len(second) == 32 and second != first
    with pytest.raises(InvalidOrder, match="must differ") as caught:
        venue.client_ids([buy("x"), buy("x")])
    assert caught.value.code == "clientOid"


async def test_acks_deadlines_and_batches_carry_the_venue() -> None:
    venue = Venue()
    ack = venue.ack("A/B", "o1", "c1")
    assert (ack.venue, ack.order_id, ack.client_id) == ("v", "o1", "c1") and ack.ts > 0
    assert venue.ack("A/B", "o1", None, ts=5).ts == 5
    assert venue.deadline("place_order", 1.0).what == "v place_order"
    with pytest.raises(ValueError, match="positive"):
        order_deadline("v", "place_order", 0)
    assert venue.settle([ack], {}) == [ack]
    failure: dict[str, TickwireError] = {"c2": InvalidOrder("v", "x", "refused")}
    with pytest.raises(BatchRejected) as caught:
        venue.settle([ack], failure)
    assert caught.value.acks == [ack] and caught.value.failures == failure
    with pytest.raises(NotSupported, match="v: place_order is not supported"):
        await venue.place_order(buy(None), timeout=1.0)


async def test_keep_armed_refreshes_while_up_and_reports_a_failed_refresh() -> None:
    venue = Venue()
    venue.fail = True
    up, down = asyncio.Event(), asyncio.Event()
    up.set()
    reported: list[str] = []
    keeper = asyncio.create_task(
        venue.keep_armed(
            60.0, 0.01, up=up.wait, down=down.wait, report=lambda e, w: reported.append(w)
        )
    )
    await venue.refreshed.wait()
    up.clear()
    down.set()  # the connection is lost: no refresh until it is back
    keeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await keeper
    assert venue.armed[0] == (60.0, 0.01)  # each refresh within the period by default
    assert reported and reported[0] == "dead man's switch"


def test_a_field_table_checks_each_kind_and_names_the_field() -> None:
    class Row:
        price = Decimal(0)
        last = Decimal("NaN")
        size = Decimal(-1)
        fee = Decimal(-1)
        absent = None

    Fields(zero_prices=("price",), signed=("fee",), prices=("absent",)).check(Row(), "v: row")
    for fields, name in (
        (Fields(prices=("price",)), "price"),
        (Fields(zero_prices=("last",)), "last"),
        (Fields(sizes=("size",)), "size"),
        (Fields(signed=("last",)), "last"),
    ):
        with pytest.raises(DecodeError, match=f"v: row {name}"):
            fields.check(Row(), "v: row")


def test_changes_are_checked_and_at_least_one_is_given() -> None:
    assert Trader.changes("amend", 0.5, None) == {"price": Decimal("0.5")}
    assert Trader.changes("amend", None, "2") == {"size": Decimal(2)}
    with pytest.raises(ValueError, match="amend needs a new price or size"):
        Trader.changes("amend", None, None)
    with pytest.raises(ValueError, match="size"):
        Trader.changes("amend", 1, -2)


def test_time_in_force_spells_it_the_venues_way_or_refuses_before_sending() -> None:
    table = {TimeInForce.GTC: "GTC"}
    assert time_in_force("v", table, buy("c1"), "tif") == "GTC"
    fok = msgspec.structs.replace(buy("c1"), time_in_force=TimeInForce.FOK)
    with pytest.raises(InvalidOrder, match="time_in_force fok is not supported: why") as caught:
        time_in_force("v", table, fok, "tif", "why")
    assert caught.value.code == "tif"


def test_known_ack_takes_the_echoed_ids_then_the_given_then_the_tracked() -> None:
    venue = Venue()
    state = OrderState(order_id="o-tracked", client_id="c-tracked")
    ack = venue.known_ack("A/B", (None, None), {"orderId": "o1"}, state, ts=5)
    assert (ack.order_id, ack.client_id, ack.ts) == ("o1", "c-tracked", 5)
    ack = venue.known_ack("A/B", ("o-echo", "c-echo"), {"orderId": "o1"}, state)
    assert (ack.order_id, ack.client_id) == ("o-echo", "c-echo")
    ack = venue.known_ack("A/B", (None, None), {"clientOid": "c1"}, None)
    assert (ack.order_id, ack.client_id) == ("", "c1")


async def test_send_budget_keeps_part_of_the_deadline_to_reconcile() -> None:
    assert Trader.send_budget(Deadline(10, "x")).seconds == 8  # at most 2 s kept
    assert Trader.send_budget(Deadline(1, "x")).seconds == 0.5  # else half
    seen: list[float] = []

    async def call(value: int, *, timeout: float) -> int:
        seen.append(timeout)
        return value

    assert await Trader.within(Deadline(5, "x"), call, 7) == 7
    assert 0 < seen[0] <= 5


async def test_cancel_orders_cancels_one_by_one_where_the_venue_declares_it() -> None:
    with pytest.raises(NotSupported, match="v: cancel_orders is not supported"):
        await Venue().cancel_orders("A/B", ["o1"], timeout=1)

    class OneByOne(Venue):
        cancel_at_once = 2

        async def cancel_order(
            self, symbol: str, *, order_id: str | None, client_id: str | None, timeout: float
        ) -> OrderAck:
            if order_id == "gone":
                raise UnknownOrder("v", "unknown", "no such order")
            return self.ack(symbol, order_id or "", None)

    assert await OneByOne().cancel_orders("A/B", ["o1", "gone", "o2"], timeout=1) == 2
