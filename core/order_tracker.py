"""Every order's state, merged from a venue's order reports into complete updates.

Venues report orders sparsely (Kraken's ``executions`` carry only what changed) or
without the running totals a strategy wants (average price, cumulative cost). An
adapter maps each wire report to an :class:`OrderReport` — core terms, ``None`` where
the report says nothing — and :class:`OrderTracker` merges it into the order's
:class:`OrderState`, so every :class:`~tickwire.core.types.OrderUpdate` it returns is
complete (symbol, side, type, price, size, filled, remaining, average price)::

    tracker = OrderTracker("myvenue")
    update = tracker.apply(to_report(wire, received), received)   # None: nothing new
    tracker.get(client_id="abc")                                  # by venue or client id

It also keeps what reconnects need: fills are remembered by id so a snapshot never
repeats one; after a reconnect, :meth:`OrderTracker.apply_snapshot` reports what changed
while disconnected, including orders that closed; terminal orders are forgotten oldest
first, so a client that runs for weeks stays bounded.

``remaining`` is ``size - filled`` while the order lives and 0 once it is terminal.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tickwire.core.types import OrderStatus, OrderType, OrderUpdate, Side

__all__ = ["KEEP_CLOSED", "KEEP_FILLS", "OrderReport", "OrderState", "OrderTracker"]

KEEP_CLOSED = 4096
"""Terminal orders remembered for late reports and client-id lookups."""
KEEP_FILLS = 8192
"""Fill ids remembered so a snapshot never repeats a fill."""

_ZERO = Decimal(0)
_LIVE = (OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class OrderReport:
    """One venue report on one order, in core terms; ``None`` where it says nothing.

    ``status`` is what the report announces (a fill announces ``PARTIALLY_FILLED``, even
    the one that completes the order); ``None`` when the event says nothing about it (an
    amend, a restatement): then ``order_status``, the order's status as the venue
    states it alongside, decides. ``filled``/``cum_cost`` are cumulative; a fill report
    without them adds its ``fill_size``/``fill_cost``. ``fill_id`` identifies a fill
    (deduplicated); ``fee`` is that fill's.
    """

    order_id: str
    ts: int
    status: OrderStatus | None = None
    order_status: OrderStatus | None = None
    client_id: str | None = None
    symbol: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    filled: Decimal | None = None
    cum_cost: Decimal | None = None
    avg_price: Decimal | None = None
    reason: str | None = None
    fill: bool = False
    fill_id: str | None = None
    fill_price: Decimal | None = None
    fill_size: Decimal | None = None
    fill_cost: Decimal | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None


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
    venue_status: OrderStatus | None = None  # the venue's last stated order status

    @property
    def is_open(self) -> bool:
        """True until the order reaches a terminal status."""
        return not self.status.is_terminal


class OrderTracker:
    """Per-order state merged from :class:`OrderReport` s; lookups by order or client id."""

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.orders: OrderedDict[str, OrderState] = OrderedDict()
        self.by_client_id: dict[str, str] = {}  # client id → order id
        self._fill_ids: OrderedDict[str, None] = OrderedDict()
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

    def apply(self, report: OrderReport, received: int) -> OrderUpdate | None:
        """Merge one report; the complete update, or None when there is nothing to say
        (a fill seen before, or an order whose symbol is still unknown)."""
        if report.fill and not self._first_fill(report):
            return None
        state = self._merge(report)
        status = report.status
        if status is None:
            status = _live(report.order_status or state.status, state)
        return self._update(state, status, report, received)

    def apply_snapshot(
        self, reports: Iterable[OrderReport], received: int, *, baseline: bool
    ) -> list[OrderUpdate]:
        """Merge a snapshot of open orders (fill reports among them are recent fills).

        Open orders come back as updates when new or changed. Fills are history: the
        ``baseline`` (first) snapshot only remembers them; a later one (after a
        reconnect) reports the fills not seen yet, which happened while disconnected.
        Orders tracked as open but absent from a later snapshot closed meanwhile: they
        are reported ``FILLED`` when the venue's last status or their fills say so, else
        ``CANCELED`` (a snapshot cannot tell a cancel from an expiry).
        """
        updates: list[OrderUpdate] = []
        listed: set[str] = set()
        for report in reports:
            if report.fill:
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
                    done = state.venue_status is OrderStatus.FILLED or (
                        state.size is not None and state.filled >= state.size
                    )
                    status = OrderStatus.FILLED if done else OrderStatus.CANCELED
                    updates.append(self._closed(state, status, received))
        return updates

    def _snapshot_order(self, report: OrderReport, received: int) -> OrderUpdate | None:
        before = self.orders.get(report.order_id)
        seen = None if before is None else (before.status, before.filled, before.price, before.size)
        state = self._merge(report)
        status = report.order_status or OrderStatus.OPEN
        if status is not OrderStatus.PENDING:  # a snapshot may list one not yet accepted
            status = _live(status, state)
        if seen == (status, state.filled, state.price, state.size):
            return None  # unchanged across the reconnect
        return self._update(state, status, report, received)

    def _first_fill(self, report: OrderReport) -> bool:
        """True the first time a fill is seen (always, without a ``fill_id``)."""
        key = report.fill_id
        if key is None:
            return True
        if key in self._fill_ids:
            return False
        self._fill_ids[key] = None
        if len(self._fill_ids) > KEEP_FILLS:
            self._fill_ids.popitem(last=False)
        return True

    def _merge_ids(self, report: OrderReport) -> None:
        if report.client_id:
            self.by_client_id[report.client_id] = report.order_id

    def _merge(self, r: OrderReport) -> OrderState:
        state = self.orders.get(r.order_id)
        if state is None:
            state = self.orders[r.order_id] = OrderState(r.order_id)
        self._merge_ids(r)
        if r.client_id:
            state.client_id = r.client_id
        for name in ("symbol", "side", "order_type", "price", "size"):
            value = getattr(r, name)
            if value is not None:
                setattr(state, name, value)
        if r.order_status is not None:
            state.venue_status = r.order_status
        if r.filled is not None:
            state.filled = r.filled
        elif r.fill and r.fill_size is not None:
            state.filled += r.fill_size  # a fill report without cumulative fields
        if r.cum_cost is not None:
            state.cum_cost = r.cum_cost
        elif r.fill and r.fill_cost is not None:
            state.cum_cost = (state.cum_cost or _ZERO) + r.fill_cost
        if r.avg_price is not None:
            state.avg_price = r.avg_price
        elif state.filled > 0 and state.cum_cost is not None:
            state.avg_price = state.cum_cost / state.filled
        return state

    def _update(
        self, state: OrderState, status: OrderStatus, r: OrderReport, received: int
    ) -> OrderUpdate | None:
        if state.symbol is None:
            return None
        state.status = status
        if status.is_terminal:
            self._retire(state)
        fill = r.fill
        return self._as_update(
            state,
            status,
            received,
            r.reason,
            ts=r.ts,
            last_fill_price=r.fill_price if fill else None,
            last_fill_size=r.fill_size if fill else None,
            fee=r.fee if fill else None,
            fee_asset=r.fee_asset if fill else None,
        )

    def _closed(self, state: OrderState, status: OrderStatus, received: int) -> OrderUpdate:
        state.status = status
        self._retire(state)
        reason = "closed while disconnected (reconciled from the snapshot)"
        return self._as_update(state, status, received, reason)

    def _as_update(
        self,
        state: OrderState,
        status: OrderStatus,
        received: int,
        reason: str | None = None,
        *,
        ts: int | None = None,
        **fill: Any,
    ) -> OrderUpdate:
        if status.is_terminal:
            remaining: Decimal | None = _ZERO
        else:
            remaining = None if state.size is None else max(state.size - state.filled, _ZERO)
        return OrderUpdate(
            venue=self.venue,
            symbol=state.symbol or "",
            order_id=state.order_id,
            client_id=state.client_id,
            side=state.side,
            order_type=state.order_type,
            status=status,
            price=state.price,
            size=state.size,
            filled=state.filled,
            remaining=remaining,
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
        while len(closed) > KEEP_CLOSED:
            order_id, _ = closed.popitem(last=False)
            oldest = self.orders.pop(order_id, None)
            if oldest is not None and oldest.client_id is not None:
                self.by_client_id.pop(oldest.client_id, None)


def _live(status: OrderStatus, state: OrderState) -> OrderStatus:
    """A live status as the fills have it (``PARTIALLY_FILLED`` once anything filled)."""
    if status in _LIVE:
        return OrderStatus.PARTIALLY_FILLED if state.filled > 0 else OrderStatus.OPEN
    return status
