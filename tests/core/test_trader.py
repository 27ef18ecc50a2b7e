"""core.trader's shared order-call helpers and core.checks' field tables."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tickwire.core.checks import Fields
from tickwire.core.errors import (
    BatchRejected,
    DecodeError,
    ExchangeError,
    InvalidOrder,
    NotSupported,
    TickwireError,
)
from tickwire.core.trader import Trader, order_deadline, positive
from tickwire.core.types import OrderRequest, Side


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
