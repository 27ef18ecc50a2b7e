"""Kraken execution reports → complete :class:`~tickwire.core.types.OrderUpdate` events.

Kraken's ``executions`` reports are sparse (only what changed), so :class:`OrderTracker`
keeps every order's state and merges each report into it; every update it returns is
complete (symbol, side, type, price, size, filled, remaining, average price).

The one lifecycle tickwire shares with KuCoin:

================  ====================  ==================================================
``exec_type``     status                notes
================  ====================  ==================================================
``pending_new``   ``PENDING``           full order detail
``new``           ``OPEN``
``trade``         ``PARTIALLY_FILLED``  every fill, even the one that completes the order:
                                        ``last_fill_*``, that fill's ``fee``, cumulative
                                        ``filled`` and ``avg_price``
``filled``        ``FILLED``            the separate terminal report
``canceled``      ``CANCELED``          ``reason``; a post-only order refused for taking
                                        liquidity (``Post only order``) is ``REJECTED``
``expired``       ``EXPIRED``
``amended``,      ``OPEN`` or           new price/size; ``PARTIALLY_FILLED`` once filled
``restated``      ``PARTIALLY_FILLED``
================  ====================  ==================================================

``remaining`` is ``size - filled`` while the order lives and 0 once it is terminal.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tickwire.adapters.kraken.parse import VENUE, check_signed, timestamp_ns, to_unified
from tickwire.adapters.kraken.schemas_private import ExecutionData
from tickwire.core.types import OrderStatus, OrderType, OrderUpdate, Side
from tickwire.core.validation import check_price, check_size

__all__ = ["OrderState", "OrderTracker", "check_execution"]

_ZERO = Decimal(0)
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
_BY_EXEC_TYPE = {
    "pending_new": OrderStatus.PENDING,
    "new": OrderStatus.OPEN,
    "trade": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
# For reports whose exec_type says nothing about the status (snapshot entries of open
# orders, iceberg refills, status changes): Kraken's order_status, named alike but for
# the fills.
_BY_ORDER_STATUS = {
    ("partially_filled" if name == "trade" else name): status
    for name, status in _BY_EXEC_TYPE.items()
}
_REJECT_REASONS = frozenset({"Post only order"})
_KEEP_CLOSED = 4096  # terminal orders remembered for late reports and client-id lookups
_KEEP_EXEC_IDS = 8192  # fills remembered so a snapshot never repeats one


@dataclass(slots=True)
class OrderState:
    """What is known about one order, merged from every report so far."""

    order_id: str
    client_id: str | None = None
    symbol: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    filled: Decimal = _ZERO
    cum_cost: Decimal | None = None
    avg_price: Decimal | None = None
    status: OrderStatus = OrderStatus.PENDING
    venue_status: str | None = None  # Kraken's last order_status

    @property
    def is_open(self) -> bool:
        """True until the order reaches a terminal status."""
        return not self.status.is_terminal


class OrderTracker:
    """Per-order state merged from execution reports; lookups by order or client id."""

    def __init__(self) -> None:
        self.orders: OrderedDict[str, OrderState] = OrderedDict()
        self.by_client_id: dict[str, str] = {}  # cl_ord_id → order_id
        self._exec_ids: OrderedDict[str, None] = OrderedDict()
        self._retired: OrderedDict[str, None] = OrderedDict()  # terminal orders, oldest first

    def get(self, order_id: str | None = None, client_id: str | None = None) -> OrderState | None:
        """The state of an order, by venue id or client id."""
        if order_id is None and client_id is not None:
            order_id = self.by_client_id.get(client_id)
        return self.orders.get(order_id) if order_id is not None else None

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders not yet terminal (of ``symbol``, where given)."""
        return [
            s for s in self.orders.values() if s.is_open and (symbol is None or s.symbol == symbol)
        ]

    def current(self, received: int) -> list[OrderUpdate]:
        """Every open order as it stands now: the snapshot a new ``orders`` subscriber gets."""
        return [
            self._as_update(state, state.status, received)
            for state in self.open_orders()
            if state.symbol is not None
        ]

    # --- merging -------------------------------------------------------------------------

    def apply(self, report: ExecutionData, received: int) -> OrderUpdate | None:
        """Merge one update report; the complete update, or None when there is nothing to
        say (a fill seen before, or an order whose symbol is still unknown)."""
        if report.exec_type == "trade" and not self._first_fill(report):
            return None
        state = self._merge(report)
        status = _BY_EXEC_TYPE.get(report.exec_type)
        if status is None:  # amended, restated, iceberg_refill, status
            status = _BY_ORDER_STATUS.get(report.order_status or "", state.status)
            if status in (OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                status = OrderStatus.PARTIALLY_FILLED if state.filled > 0 else OrderStatus.OPEN
        elif status is OrderStatus.CANCELED and _reason(report) in _REJECT_REASONS:
            status = OrderStatus.REJECTED
        return self._update(state, status, report, received)

    def apply_snapshot(
        self, reports: list[ExecutionData], received: int, *, baseline: bool
    ) -> list[OrderUpdate]:
        """Merge an executions snapshot (open orders, then recent fills).

        Open orders come back as updates when new or changed. Fills are history: the
        ``baseline`` (first) snapshot only remembers them; a later one (after a
        reconnect) reports the fills not seen yet, which happened while disconnected.
        Orders tracked as open but absent from a later snapshot closed meanwhile: they
        are reported ``FILLED`` when Kraken's last status or their fills say so, else
        ``CANCELED`` (Kraken's snapshot cannot tell a cancel from an expiry).
        """
        updates: list[OrderUpdate] = []
        listed: set[str] = set()
        for report in reports:
            if report.exec_type == "trade":
                if baseline:
                    self._first_fill(report)
                    self._merge_ids(report)
                    continue
                update = self.apply(report, received)
            else:
                listed.add(report.order_id)
                update = self._snapshot_order(report, received)
            if update is not None:
                updates.append(update)
        if not baseline:
            for state in self.open_orders():
                if state.order_id not in listed and state.symbol is not None:
                    done = state.venue_status == "filled" or (
                        state.size is not None and state.filled >= state.size
                    )
                    status = OrderStatus.FILLED if done else OrderStatus.CANCELED
                    updates.append(self._closed(state, status, received))
        return updates

    def _snapshot_order(self, report: ExecutionData, received: int) -> OrderUpdate | None:
        before = self.orders.get(report.order_id)
        seen = None if before is None else (before.status, before.filled, before.price, before.size)
        state = self._merge(report)
        status = _BY_ORDER_STATUS.get(report.order_status or "", OrderStatus.OPEN)
        if status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
            status = OrderStatus.PARTIALLY_FILLED if state.filled > 0 else OrderStatus.OPEN
        if seen == (status, state.filled, state.price, state.size):
            return None  # unchanged across the reconnect
        return self._update(state, status, report, received)

    def _first_fill(self, report: ExecutionData) -> bool:
        """True the first time a fill is seen (by ``exec_id``, else ``trade_id``)."""
        key = report.exec_id or (f"{report.symbol}/{report.trade_id}" if report.trade_id else None)
        if key is None:
            return True
        if key in self._exec_ids:
            return False
        self._exec_ids[key] = None
        if len(self._exec_ids) > _KEEP_EXEC_IDS:
            self._exec_ids.popitem(last=False)
        return True

    def _merge_ids(self, report: ExecutionData) -> None:
        if report.cl_ord_id:
            self.by_client_id[report.cl_ord_id] = report.order_id

    def _merge(self, r: ExecutionData) -> OrderState:
        state = self.orders.get(r.order_id)
        if state is None:
            state = self.orders[r.order_id] = OrderState(r.order_id)
        self._merge_ids(r)
        if r.cl_ord_id:
            state.client_id = r.cl_ord_id
        if r.symbol is not None:
            state.symbol = to_unified(r.symbol)
        if r.side is not None:
            state.side = _SIDES.get(r.side)
        if r.order_type is not None:
            state.order_type = _TYPES.get(r.order_type)
        if r.order_status is not None:
            state.venue_status = r.order_status
        if r.limit_price:  # market orders may report 0: they have no price
            state.price = r.limit_price
        if r.order_qty is not None:
            state.size = r.order_qty
        if r.cum_qty is not None:
            state.filled = r.cum_qty
        elif r.exec_type == "trade" and r.last_qty is not None:
            state.filled += r.last_qty  # a fill report without cumulative fields
        if r.cum_cost is not None:
            state.cum_cost = r.cum_cost
        elif r.exec_type == "trade" and r.cost is not None:
            state.cum_cost = (state.cum_cost or _ZERO) + r.cost
        if r.avg_price:
            state.avg_price = r.avg_price
        elif state.filled > 0 and state.cum_cost is not None:
            state.avg_price = state.cum_cost / state.filled
        return state

    def _update(
        self, state: OrderState, status: OrderStatus, r: ExecutionData, received: int
    ) -> OrderUpdate | None:
        if state.symbol is None:
            return None
        fill = r.exec_type == "trade"
        fee = fee_asset = None
        if fill and r.fees:
            fee = sum((f.qty for f in r.fees), _ZERO)
            fee_asset = r.fees[0].asset
        state.status = status
        if status.is_terminal:
            self._retire(state)
        return self._as_update(
            state,
            status,
            received,
            _reason(r),
            ts=timestamp_ns(r.timestamp, received),
            last_fill_price=r.last_price if fill else None,
            last_fill_size=r.last_qty if fill else None,
            fee=fee,
            fee_asset=fee_asset,
        )

    def _closed(self, state: OrderState, status: OrderStatus, received: int) -> OrderUpdate:
        state.status = status
        self._retire(state)
        reason = "closed while disconnected (reconciled from the executions snapshot)"
        return self._as_update(state, status, received, reason)

    @staticmethod
    def _as_update(
        state: OrderState,
        status: OrderStatus,
        received: int,
        reason: str | None = None,
        *,
        ts: int | None = None,
        **fill: Any,
    ) -> OrderUpdate:
        return OrderUpdate(
            venue=VENUE,
            symbol=state.symbol or "",
            order_id=state.order_id,
            client_id=state.client_id,
            side=state.side,
            order_type=state.order_type,
            status=status,
            price=state.price,
            size=state.size,
            filled=state.filled,
            remaining=_remaining(state, status),
            avg_price=state.avg_price,
            reason=reason,
            ts=received if ts is None else ts,
            received=received,
            **fill,
        )

    def _retire(self, state: OrderState) -> None:
        # The oldest terminal orders are forgotten, so a long-lived client's memory stays
        # bounded while late reports and client-id lookups of recent ones still work.
        closed = self._retired
        closed[state.order_id] = None
        while len(closed) > _KEEP_CLOSED:
            order_id, _ = closed.popitem(last=False)
            oldest = self.orders.pop(order_id, None)
            if oldest is not None and oldest.client_id is not None:
                self.by_client_id.pop(oldest.client_id, None)


def _reason(r: ExecutionData) -> str | None:
    return r.reason or r.cancel_reason


def _remaining(state: OrderState, status: OrderStatus) -> Decimal | None:
    if status.is_terminal:
        return _ZERO
    if state.size is None:
        return None
    return max(state.size - state.filled, _ZERO)


_EXECUTION_PRICES = ("limit_price", "avg_price")  # 0 allowed: a market order reports 0
_EXECUTION_SIZES = (
    "order_qty",
    "cash_order_qty",
    "display_qty",
    "cum_qty",
    "cum_cost",
    "last_qty",
    "cost",
)


def check_execution(report: ExecutionData) -> None:
    """Raise :class:`~tickwire.core.errors.DecodeError` if an execution report breaks
    the value rules; call it on every report of a message before merging any.

    Quantities and costs must be finite and >= 0; ``limit_price`` and ``avg_price``
    finite and >= 0 (Kraken reports 0 for a market order's price and an unfilled
    order's average); a trade's ``last_price`` finite and > 0; fees finite (signed: a
    rebate is negative); ``timestamp`` valid. Executions are not a hot path: the
    helpers' per-field calls are fine here.
    """
    what = f"kraken: execution {report.order_id!r}"
    timestamp_ns(report.timestamp, 0)
    for name in _EXECUTION_PRICES:
        value = getattr(report, name)
        if value is not None and value:  # NaN is truthy, so it is checked
            check_price(value, f"{what} {name}")
    for name in _EXECUTION_SIZES:
        value = getattr(report, name)
        if value is not None:
            check_size(value, f"{what} {name}")
    if report.last_price is not None:
        check_price(report.last_price, f"{what} last_price")
    if report.fee_usd_equiv is not None:
        check_signed(report.fee_usd_equiv, f"{what} fee_usd_equiv")
    for fee in report.fees or ():
        check_signed(fee.qty, f"{what} fee {fee.asset!r}")
