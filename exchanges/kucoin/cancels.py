"""HF cancels and order queries (reference §9), on the calling key's account.

Spot permission:

* ``DELETE /api/v1/hf/orders/{orderId}?symbol=`` → ``{"orderId"}``;
  ``DELETE .../client-order/{clientOid}?symbol=`` → ``{"clientOid"}``
* ``DELETE .../sync/{orderId}?symbol=`` and ``.../sync/client-order/{clientOid}?symbol=``
  → the final sizes and ``status``
* ``DELETE .../cancel/{orderId}?symbol=&cancelSize=`` → ``{"orderId", "cancelSize"}``
* ``DELETE /api/v1/hf/orders?symbol=`` → ``"success"``;
  ``DELETE .../cancelAll`` → ``{"succeedSymbols", "failedSymbols"}``

General permission:

* ``GET /api/v1/hf/orders/{orderId}?symbol=`` and ``.../client-order/{clientOid}?symbol=``
  → the order detail; ``GET .../active?symbol=`` → open orders' details, oldest first;
  ``GET .../active/symbols`` → ``{"symbols": [...]}``

Cancels are synchronous here: the ``canceled`` push is queued before the answer. An
unknown order, a closed one, or one of another ``symbol`` answers
``{"code": "400100", "msg": "order_not_exist_or_not_allow_to_cancel"}``; a query of an
unknown order answers ``400100 order_not_exist``. A partial cancel shrinks the order in
place (an ``update``/``open`` push with ``oldSize``); cancelling at least the remaining
size cancels the order.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.matching import PaperError
from tickwire.exchanges.kucoin import orderframes
from tickwire.exchanges.kucoin.account import Account
from tickwire.exchanges.kucoin.frames import dec
from tickwire.exchanges.kucoin.keys import GENERAL, SPOT
from tickwire.exchanges.kucoin.orderframes import KcOrder
from tickwire.exchanges.kucoin.privrest import (
    NOT_EXIST_CANCEL,
    Call,
    Guard,
    RestError,
    paper_error,
    param_error,
)

__all__ = ["CancelRoutes"]

_OPEN = frozenset({"new", "open", "partially_filled"})


class CancelRoutes:
    """Cancel and query endpoints of one emulator."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def add_routes(self, app: web.Application) -> None:
        """Mount the endpoints; fixed paths before the ``{orderId}`` patterns."""
        w = self.guard.wrap
        r = app.router
        base = "/api/v1/hf/orders"
        r.add_delete(base, w(SPOT, self.cancel_symbol))
        r.add_delete(f"{base}/cancelAll", w(SPOT, self.cancel_everything))
        r.add_delete(f"{base}/sync/client-order/{{clientOid}}", w(SPOT, self.cancel_sync_client))
        r.add_delete(f"{base}/sync/{{orderId}}", w(SPOT, self.cancel_sync))
        r.add_delete(f"{base}/cancel/{{orderId}}", w(SPOT, self.cancel_partial))
        r.add_delete(f"{base}/client-order/{{clientOid}}", w(SPOT, self.cancel_client))
        r.add_delete(f"{base}/{{orderId}}", w(SPOT, self.cancel))
        r.add_get(f"{base}/active", w(GENERAL, self.active))
        r.add_get(f"{base}/active/symbols", w(GENERAL, self.active_symbols))
        r.add_get(f"{base}/client-order/{{clientOid}}", w(GENERAL, self.detail_client))
        r.add_get(f"{base}/{{orderId}}", w(GENERAL, self.detail))

    # -- lookups ---------------------------------------------------------------------

    def _find(self, call: Call, *, by_client: bool, cancel: bool) -> KcOrder:
        symbol = call.query("symbol")
        if by_client:
            rec = call.account.by_client(call.path("clientOid"))
        else:
            rec = call.account.record(call.path("orderId"))
        if rec is None or rec.symbol != symbol:
            raise param_error(NOT_EXIST_CANCEL if cancel else "order_not_exist")
        return rec

    def _cancel(self, call: Call, *, by_client: bool) -> KcOrder:
        rec = self._find(call, by_client=by_client, cancel=True)
        try:
            call.account.engine.cancel(order_id=rec.order_id)
        except PaperError as exc:
            raise paper_error(exc, cancel=True) from None
        return rec

    # -- cancels ---------------------------------------------------------------------

    async def cancel(self, call: Call) -> dict[str, Any]:
        """Cancel by order id."""
        return {"orderId": self._cancel(call, by_client=False).order_id}

    async def cancel_client(self, call: Call) -> dict[str, Any]:
        """Cancel by client order id."""
        return {"clientOid": self._cancel(call, by_client=True).client_oid}

    async def cancel_sync(self, call: Call) -> dict[str, Any]:
        """Cancel by order id and answer the final sizes."""
        rec = self._cancel(call, by_client=False)
        return orderframes.cancel_sync_body(rec, call.account.snapshot(rec), by_client=False)

    async def cancel_sync_client(self, call: Call) -> dict[str, Any]:
        """Cancel by client order id and answer the final sizes."""
        rec = self._cancel(call, by_client=True)
        return orderframes.cancel_sync_body(rec, call.account.snapshot(rec), by_client=True)

    async def cancel_partial(self, call: Call) -> dict[str, Any]:
        """Cancel ``cancelSize`` of an open order, keeping the rest on the book."""
        rec = self._find(call, by_client=False, cancel=True)
        try:
            size = Decimal(call.query("cancelSize"))
        except InvalidOperation:
            raise param_error("cancelSize must be a decimal string") from None
        if not size.is_finite() or size <= 0:
            raise param_error("cancelSize must be positive")
        snap = call.account.snapshot(rec)
        if snap.state not in _OPEN:
            raise param_error(NOT_EXIST_CANCEL)
        engine = call.account.engine
        try:
            if size >= snap.size - snap.filled:
                engine.cancel(order_id=rec.order_id)
            else:
                engine.amend(order_id=rec.order_id, size=snap.size - size)
        except PaperError as exc:
            raise paper_error(exc, cancel=True) from None
        return {"orderId": rec.order_id, "cancelSize": dec(min(size, snap.size - snap.filled))}

    async def cancel_symbol(self, call: Call) -> str:
        """Cancel every open order of ``symbol``."""
        name = call.query("symbol")
        if name not in call.account.symbols:
            raise RestError("900001", "symbol not exists")
        call.account.engine.cancel_all(call.account.spec_symbol(name))
        return "success"

    async def cancel_everything(self, call: Call) -> dict[str, Any]:
        """Cancel every open order, reporting the symbols that had some."""
        account = call.account
        symbols = sorted({account.name(o.symbol) for o in account.engine.open_orders()})
        account.engine.cancel_all()
        return {"succeedSymbols": symbols, "failedSymbols": []}

    # -- queries ---------------------------------------------------------------------

    @staticmethod
    def _detail(account: Account, rec: KcOrder) -> dict[str, Any]:
        return orderframes.order_detail(rec, account.snapshot(rec))

    async def detail(self, call: Call) -> dict[str, Any]:
        """One order by id, open or closed."""
        return self._detail(call.account, self._find(call, by_client=False, cancel=False))

    async def detail_client(self, call: Call) -> dict[str, Any]:
        """The latest order carrying a client order id, open or closed."""
        return self._detail(call.account, self._find(call, by_client=True, cancel=False))

    async def active(self, call: Call) -> list[dict[str, Any]]:
        """Open orders of ``symbol``, oldest first."""
        name = call.query("symbol")
        if name not in call.account.symbols:
            raise RestError("900001", "symbol not exists")
        out = []
        for order in call.account.engine.open_orders(call.account.spec_symbol(name)):
            rec = call.account.record(order.order_id)
            assert rec is not None
            out.append(orderframes.order_detail(rec, order.snapshot()))
        return out

    async def active_symbols(self, call: Call) -> dict[str, Any]:
        """The symbols that have open orders."""
        names = {call.account.name(o.symbol) for o in call.account.engine.open_orders()}
        return {"symbols": sorted(names)}
