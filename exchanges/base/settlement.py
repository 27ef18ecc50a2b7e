"""The matching engine's records: orders, their holds, fills, and the event buffer.

:class:`Settlement` performs state changes the engine has already decided on (open an
order, fill it, close it) and records each one as an event, in the order it happens.
It checks nothing: admission rules live in :mod:`~tickwire.exchanges.base.admission`
and matching decisions in :mod:`~tickwire.exchanges.base.matching`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from tickwire.exchanges.base.ledger import Ledger
from tickwire.exchanges.base.marketdata import SymbolSpec
from tickwire.exchanges.base.paper import BalanceEvent, Fill, OrderEvent, PaperError, PaperOrder

__all__ = ["EngineEvent", "Listener", "Settlement"]

EngineEvent = OrderEvent | BalanceEvent
"""What a listener receives, in lists."""

Listener = Callable[[list[EngineEvent]], None]

ZERO = Decimal(0)
_CLOSING_KIND = {"filled": "filled", "canceled": "canceled", "expired": "expired"}


class Settlement:
    """Order records, per-order holds and the events of the operation in progress."""

    def __init__(
        self,
        balances: Mapping[str, Decimal],
        *,
        maker_fee: Decimal,
        taker_fee: Decimal,
        order_id: Callable[[int], str],
        trade_id: Callable[[int], str],
    ) -> None:
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.hold_rate = 1 + max(maker_fee, taker_fee)
        self._new_order_id = order_id
        self._new_trade_id = trade_id
        self._order_seq = 0
        self._trade_seq = 0
        self.out: list[EngineEvent] = []  # the operation's events so far
        self.ledger = Ledger(balances, self.out)
        self.orders: dict[str, PaperOrder] = {}  # every order ever accepted
        self.open: dict[str, PaperOrder] = {}  # insertion order = time priority
        self.client_open: dict[str, str] = {}  # client id -> open order id
        self.client_last: dict[str, str] = {}  # client id -> latest order id
        self.listeners: list[Listener] = []

    # -- lookups ----------------------------------------------------------------------

    def find_open(self, order_id: str | None, client_id: str | None) -> PaperOrder:
        """The open order with that id or client id; ``"unknown_order"`` otherwise."""
        if (order_id is None) == (client_id is None):
            raise PaperError(
                "invalid_order", "give exactly one of order_id, client_id", detail="param"
            )
        if order_id is None:
            order_id = self.client_open.get(client_id or "")
        order = self.open.get(order_id or "")
        if order is None:
            raise PaperError("unknown_order", "no open order with that id")
        return order

    def hold_for(self, side: str, price: Decimal, remaining: Decimal) -> Decimal:
        """What a resting limit order holds: quote with the fee margin, or base."""
        return price * remaining * self.hold_rate if side == "buy" else remaining

    # -- state changes ----------------------------------------------------------------

    def create(
        self,
        spec: SymbolSpec,
        side: str,
        type: str,
        size: Decimal,
        price: Decimal | None,
        *,
        time_in_force: str,
        post_only: bool,
        client_id: str | None,
        expire_at: int | None,
        hold: Decimal,
        ts: int,
    ) -> PaperOrder:
        """Register a new order, record ``new`` and hold its funds."""
        self._order_seq += 1
        order = PaperOrder(
            order_id=self._new_order_id(self._order_seq),
            client_id=client_id,
            symbol=spec.symbol,
            side=side,
            type=type,
            price=price,
            size=size,
            filled=ZERO,
            cost=ZERO,
            fee=ZERO,
            fee_asset=spec.quote,
            time_in_force=time_in_force,
            post_only=post_only,
            state="new",
            created=ts,
            updated=ts,
            expire_at=expire_at,
        )
        self.orders[order.order_id] = order
        self.open[order.order_id] = order
        if client_id is not None:
            self.client_open[client_id] = self.client_last[client_id] = order.order_id
        self.out.append(OrderEvent("new", order.snapshot()))
        self.set_hold(order, spec, hold, ts)
        return order

    def set_hold(self, order: PaperOrder, spec: SymbolSpec, target: Decimal, ts: int) -> None:
        """Make ``order`` hold exactly ``target`` (quote for a buy, base for a sell)."""
        asset = spec.quote if order.side == "buy" else spec.base
        self.ledger.set_hold(order.order_id, asset, target, ts)

    def fill(
        self,
        order: PaperOrder,
        spec: SymbolSpec,
        price: Decimal,
        qty: Decimal,
        liquidity: str,
        ts: int,
    ) -> None:
        """Execute ``qty`` of ``order`` at ``price``; record ``fill`` and settle it."""
        value = price * qty
        fee = value * (self.maker_fee if liquidity == "maker" else self.taker_fee)
        self._trade_seq += 1
        fill = Fill(
            trade_id=self._new_trade_id(self._trade_seq),
            order_id=order.order_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            size=qty,
            fee=fee,
            fee_asset=spec.quote,
            liquidity=liquidity,
            ts=ts,
        )
        order.filled += qty
        order.cost += value
        order.fee += fee
        order.updated = ts
        order.state = "partially_filled" if order.remaining else "filled"
        self.out.append(OrderEvent("fill", order.snapshot(), fill))
        self.ledger.settle(fill, spec.base, spec.quote)

    def rest(self, order: PaperOrder, spec: SymbolSpec, ts: int, *, placing: bool) -> None:
        """Close a market/IOC/FOK rest or a complete order; else leave it on the book.

        ``placing``: the order is new, so resting means recording ``open``.
        """
        if not order.remaining:
            self.close(order, spec, "filled", "", ts)
        elif order.type == "market":
            self.close(order, spec, "canceled", "market", ts)
        elif order.time_in_force in ("ioc", "fok"):
            self.close(order, spec, "canceled", order.time_in_force, ts)
        else:
            if placing:
                order.state = "partially_filled" if order.filled else "open"
                self.out.append(OrderEvent("open", order.snapshot()))
            assert order.price is not None
            self.set_hold(order, spec, self.hold_for(order.side, order.price, order.remaining), ts)

    def close(self, order: PaperOrder, spec: SymbolSpec, state: str, reason: str, ts: int) -> None:
        """End ``order`` (``filled``/``canceled``/``expired``) and release its hold."""
        order.state = state
        order.updated = ts
        del self.open[order.order_id]
        if order.client_id is not None:
            self.client_open.pop(order.client_id, None)
        self.out.append(OrderEvent(_CLOSING_KIND[state], order.snapshot(), reason=reason))
        self.set_hold(order, spec, ZERO, ts)

    def flush(self) -> None:
        """Hand the operation's events to every listener, as one list."""
        # The ledger appends to the same list object: copy and clear, never rebind.
        events = self.out[:]
        self.out.clear()
        if events:
            for listener in list(self.listeners):
                listener(events)
