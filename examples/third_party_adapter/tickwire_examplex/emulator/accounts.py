"""The emulator's paper accounts: balances, holds, and orders matched once when placed.

An order is checked (market, side, kind, increments, minimum, funds), accepted
(``open``), then matched against the book as it is at that moment, level by level;
the market itself is not moved. What is left of a limit order rests until canceled,
what is left of a market order is canceled. Every change becomes frames (dicts in the
wire spelling of PROTOCOL.md) for the server to send.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tickwire.exchanges.base.market import Level, SymbolSpec

__all__ = ["FEE_RATE", "Account", "Refused"]

FEE_RATE = Decimal("0.001")  # taker fee, in the quote asset
_AVG_PLACES = Decimal("1e-10")

Frame = dict[str, Any]


class Refused(Exception):
    """A request the venue refuses with ``code`` (see PROTOCOL.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Order:
    oid: str
    cid: str | None
    market: str
    spec: SymbolSpec
    side: str
    kind: str
    price: Decimal | None
    qty: Decimal
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled


@dataclass
class Account:
    """One API key's money and orders. ``clock`` stamps frames (ns)."""

    clock: Callable[[], int]
    totals: dict[str, Decimal] = field(default_factory=dict)
    locked: dict[str, Decimal] = field(default_factory=dict)
    open_orders: dict[str, _Order] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- requests -------------------------------------------------------------------

    def place(
        self, market: str, spec: SymbolSpec, request: dict[str, Any], book: tuple[list[Level], ...]
    ) -> tuple[Frame, list[Frame]]:
        """Check, accept and match one order: its result and the frames it causes."""
        order = self._checked(market, spec, request)
        bids, asks = book
        levels = asks if order.side == "buy" else bids
        self._hold_funds(order, levels)
        self.open_orders[order.oid] = order
        frames = [self._order_frame(order, "open")]
        touched = {spec.base, spec.quote}
        for price, size in levels:
            if not order.remaining or not self._crosses(order, price):
                break
            take = min(size, order.remaining)
            self._fill(order, price, take)
            state = "filled" if not order.remaining else "partial"
            frames.append(self._order_frame(order, state, fill=(price, take)))
        if not order.remaining or order.kind == "market":
            self._release(order)
            del self.open_orders[order.oid]
            if order.remaining:
                frames.append(self._order_frame(order, "canceled"))
        frames += [self.balance_frame(asset) for asset in sorted(touched)]
        result = {"oid": order.oid, "cid": order.cid, "time": self.clock()}
        return result, frames

    def cancel(self, request: dict[str, Any]) -> tuple[Frame, list[Frame]]:
        """Cancel one open order by ``oid`` or ``cid``."""
        oid, cid = request.get("oid"), request.get("cid")
        order = self.open_orders.get(oid) if oid is not None else None
        if order is None and cid is not None:
            order = next((o for o in self.open_orders.values() if o.cid == cid), None)
        if order is None:
            raise Refused("unknown_order", f"no open order {oid or cid}")
        return {"oid": order.oid}, self._cancel(order)

    def cancel_all(self, market: str | None) -> tuple[Frame, list[Frame]]:
        """Cancel every open order (of ``market``)."""
        chosen = [o for o in self.open_orders.values() if market in (None, o.market)]
        frames = [frame for order in chosen for frame in self._cancel(order)]
        return {"count": len(chosen)}, frames

    def balance_frame(self, asset: str) -> Frame:
        """The ``balance`` frame of one asset, as it is now."""
        total = self.totals.get(asset, Decimal(0))
        locked = self.locked.get(asset, Decimal(0))
        return {
            "t": "balance",
            "asset": asset,
            "total": str(total),
            "free": str(total - locked),
            "locked": str(locked),
            "time": self.clock(),
        }

    # --- internals ----------------------------------------------------------------------

    def _checked(self, market: str, spec: SymbolSpec, request: dict[str, Any]) -> _Order:
        side, kind, cid = request.get("side"), request.get("kind"), request.get("cid")
        if side not in ("buy", "sell") or kind not in ("limit", "market"):
            raise Refused("bad_request", "side must be buy/sell, kind limit/market")
        qty = _decimal(request.get("qty"), "qty")
        if qty <= 0 or qty % spec.lot or qty < spec.qty_min:
            raise Refused("invalid_order", f"qty {qty}: a multiple of {spec.lot}, ≥ {spec.qty_min}")
        price = None
        if kind == "limit":
            price = _decimal(request.get("price"), "price")
            if price <= 0 or price % spec.tick:
                raise Refused("invalid_order", f"price {price}: a positive multiple of {spec.tick}")
        if cid is not None and any(o.cid == cid for o in self.open_orders.values()):
            raise Refused("invalid_order", f"an open order already has cid {cid}")
        oid = f"EX{next(self._ids):08d}"
        return _Order(oid, cid, market, spec, side, kind, price, qty)

    def _hold_funds(self, order: _Order, levels: list[Level]) -> None:
        spec = order.spec
        if order.side == "sell":
            asset, need = spec.base, order.qty
        elif order.price is not None:
            asset, need = spec.quote, order.price * order.qty * (1 + FEE_RATE)
        else:  # a market buy: what walking the book would cost
            asset, need, left = spec.quote, Decimal(0), order.qty
            for price, size in levels:
                take = min(size, left)
                need, left = need + price * take * (1 + FEE_RATE), left - take
                if not left:
                    break
        free = self.totals.get(asset, Decimal(0)) - self.locked.get(asset, Decimal(0))
        if need > free:
            raise Refused("insufficient_funds", f"needs {need} {asset}, {free} free")
        if order.kind == "limit":
            self.locked[asset] = self.locked.get(asset, Decimal(0)) + need

    def _crosses(self, order: _Order, price: Decimal) -> bool:
        if order.price is None:
            return True
        return price <= order.price if order.side == "buy" else price >= order.price

    def _fill(self, order: _Order, price: Decimal, qty: Decimal) -> None:
        spec, quote_amount = order.spec, price * qty
        fee = quote_amount * FEE_RATE
        order.filled += qty
        order.notional += quote_amount
        order.fee += fee
        base, quote = spec.base, spec.quote
        if order.side == "buy":
            if order.price is not None:  # the hold was at the limit price
                self.locked[quote] -= order.price * qty * (1 + FEE_RATE)
            self._add(quote, -(quote_amount + fee))
            self._add(base, qty)
        else:
            if order.kind == "limit":
                self.locked[base] -= qty
            self._add(base, -qty)
            self._add(quote, quote_amount - fee)

    def _release(self, order: _Order) -> None:
        if order.kind != "limit" or not order.remaining:
            return
        spec = order.spec
        if order.side == "sell":
            self.locked[spec.base] -= order.remaining
        elif order.price is not None:
            self.locked[spec.quote] -= order.price * order.remaining * (1 + FEE_RATE)

    def _cancel(self, order: _Order) -> list[Frame]:
        self._release(order)
        del self.open_orders[order.oid]
        asset = order.spec.base if order.side == "sell" else order.spec.quote
        return [self._order_frame(order, "canceled"), self.balance_frame(asset)]

    def _add(self, asset: str, amount: Decimal) -> None:
        self.totals[asset] = self.totals.get(asset, Decimal(0)) + amount

    def _order_frame(
        self, order: _Order, state: str, fill: tuple[Decimal, Decimal] | None = None
    ) -> Frame:
        avg = (order.notional / order.filled).quantize(_AVG_PLACES) if order.filled else None
        return {
            "t": "order",
            "oid": order.oid,
            "cid": order.cid,
            "market": order.market,
            "side": order.side,
            "kind": order.kind,
            "state": state,
            "price": None if order.price is None else str(order.price),
            "qty": str(order.qty),
            "filled": str(order.filled),
            "avg": None if avg is None else str(avg),
            "fill_price": None if fill is None else str(fill[0]),
            "fill_qty": None if fill is None else str(fill[1]),
            "fee": str(order.fee),
            "fee_asset": order.spec.quote,
            "time": self.clock(),
        }


def _decimal(value: object, name: str) -> Decimal:
    if not isinstance(value, str):
        raise Refused("bad_request", f"{name} must be a decimal string")
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise Refused("bad_request", f"{name} {value!r} is not a number") from None
    if not number.is_finite():
        raise Refused("bad_request", f"{name} {value!r} is not a number")
    return number
