"""examplex account frames (after login): order changes and balances, and their parsing."""

from __future__ import annotations

from decimal import Decimal

from tickwire.core.types import Balance, OrderStatus, OrderType, OrderUpdate, Side
from tickwire_examplex.adapter.parse import VENUE, to_unified
from tickwire_examplex.adapter.schemas import Frame

_STATES = {
    "open": OrderStatus.OPEN,
    "partial": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}


class Order(Frame, frozen=True, tag="order"):
    """A change to one of the account's orders."""

    oid: str
    market: str
    side: str
    kind: str
    state: str  # open | partial | filled | canceled | rejected
    qty: Decimal
    filled: Decimal
    time: int
    cid: str | None = None
    price: Decimal | None = None
    avg: Decimal | None = None
    fill_price: Decimal | None = None
    fill_qty: Decimal | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None


class AccountBalance(Frame, frozen=True, tag="balance"):
    """One asset's balance."""

    asset: str
    total: Decimal
    free: Decimal
    locked: Decimal
    time: int


def to_order(msg: Order, received: int) -> OrderUpdate:
    """An order frame, on tickwire's one order lifecycle."""
    return OrderUpdate(
        venue=VENUE, symbol=to_unified(msg.market), order_id=msg.oid, client_id=msg.cid,
        side=Side(msg.side), order_type=OrderType(msg.kind), status=_STATES[msg.state],
        price=msg.price, size=msg.qty, filled=msg.filled, remaining=msg.qty - msg.filled,
        avg_price=msg.avg, last_fill_price=msg.fill_price, last_fill_size=msg.fill_qty,
        fee=msg.fee, fee_asset=msg.fee_asset, ts=msg.time, received=received,
    )  # fmt: skip


def to_balance(msg: AccountBalance, received: int) -> Balance:
    """A balance frame."""
    return Balance(
        venue=VENUE, asset=msg.asset, total=msg.total, available=msg.free, hold=msg.locked,
        ts=msg.time, received=received,
    )  # fmt: skip
