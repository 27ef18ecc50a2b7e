"""HF order entry over REST: place, place-sync, batch place, alter (reference §9).

Every route is signed and needs the Spot permission (:mod:`.privrest`). Placement is
synchronous inside the emulator: by the time ``{"orderId", "clientOid"}`` is answered, the
engine has matched the order and its pushes are queued (``received`` first).

Body rules (the venue's, as far as the reference states them; everything else is a
``400100`` naming the field):

* ``clientOid``: ≤ 40 chars of ``[A-Za-z0-9_-]``, never used before on this account
  (``126044``); the emulator makes one up when it is absent.
* ``symbol``, ``side`` (``buy``/``sell``), ``type`` (``limit``/``market``); a limit
  order needs ``price`` and ``size``; decimals as JSON strings (integers accepted).
  A market order needs ``size``: ``funds`` (market by quote amount) is not emulated.
* ``timeInForce`` ``GTC`` (default) / ``GTT`` (needs ``cancelAfter`` seconds > 0) /
  ``IOC`` / ``FOK``; ``postOnly`` is ignored with IOC/FOK and for market orders.
* ``size`` ≤ ``baseMaxSize``; ``remark``/``tags`` ≤ 20 chars; ``hidden``/``iceberg``
  are recorded (and shown by queries) but do not change matching.

``POST /api/v1/hf/orders/multi`` takes ``{"orderList": [...]}`` of at most 5 limit
orders and answers one ``{"orderId", "clientOid", "success": true}`` or
``{"success": false, "failMsg": ...}`` per order, in order. ``POST .../alter`` cancels
the order and places a new one with the same ``clientOid`` (``{"newOrderId",
"clientOid"}``), atomically: a refused successor leaves the old order as it was. A
``newSize`` at or below the filled size only completes the order (``newOrderId`` ``""``).
A post-only order that would take is accepted, then canceled (``received`` →
``canceled``), as the venue does.

Fault injection (:class:`InFlight`, the shared vocabulary of
:mod:`tickwire.exchanges.base.faults`): the next placement can be refused as rate-limited
(``429000``), delayed, its HTTP connection cut before the order is placed (``before``)
or after it was placed but before the answer (``after``), or held (placed, never
answered).
"""

from __future__ import annotations

import asyncio
import random
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.faults import (
    DELAY_ORDER,
    FAIL_ORDER_AFTER,
    FAIL_ORDER_BEFORE,
    HOLD_ORDER,
    RATE_LIMIT,
    FaultPlan,
)
from tickwire.exchanges.base.matching import PaperError, PaperOrder
from tickwire.exchanges.kucoin import orderframes
from tickwire.exchanges.kucoin.account import Account, OrderMeta
from tickwire.exchanges.kucoin.keys import SPOT
from tickwire.exchanges.kucoin.privrest import (
    Aborted,
    Call,
    Guard,
    RestError,
    paper_error,
    param_error,
)

__all__ = ["BATCH_LIMIT", "InFlight", "OrderRoutes", "PlaceArgs"]

BATCH_LIMIT = 5

_CLIENT_OID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_TIF = {"GTC": "gtc", "GTT": "gtd", "IOC": "ioc", "FOK": "fok"}


class InFlight:
    """How the order faults armed on the emulator's :class:`FaultPlan` bite a placement.

    Keyed by the request's path (``/api/v1/hf/orders``, ``.../sync``, ``.../multi``), as
    ``method`` in the shared vocabulary; ``released`` ends held requests when the venue
    stops.
    """

    def __init__(self, faults: FaultPlan, released: asyncio.Event) -> None:
        self.faults = faults
        self.released = released

    async def before(self, request: web.Request) -> None:
        """A rate-limit refusal, then a pending delay, then a ``before`` cut."""
        method = request.path
        if self.faults.take(RATE_LIMIT, "order"):
            raise RestError("429000", "Too Many Requests", 429)
        delay = self.faults.take_value(DELAY_ORDER, method)
        if delay:
            # The fault is the wait itself: the request is processed this much later.
            await asyncio.sleep(delay)
        if self.faults.take(FAIL_ORDER_BEFORE, method):
            _abort(request)

    async def after(self, request: web.Request) -> None:
        """An ``after`` cut, or a hold: the work is done, the answer never comes."""
        method = request.path
        if self.faults.take(FAIL_ORDER_AFTER, method):
            _abort(request)
        if self.faults.take(HOLD_ORDER, method):
            await self.released.wait()
            _abort(request)


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise Aborted


def _decimal(body: dict[str, Any], name: str, *, required: bool) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise param_error(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise param_error(f"{name} must be a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise param_error(f"{name} must be a decimal string") from None
    if not number.is_finite():
        raise param_error(f"{name} must be a decimal string")
    return number


def _text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isascii():
        raise param_error(f"{name} must be at most {limit} ASCII characters")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise param_error(f"{name} must be a boolean")
    return value


class PlaceArgs:
    """A validated placement: the engine's arguments plus the wire-only fields."""

    def __init__(self, body: dict[str, Any], account: Account, rng: random.Random) -> None:
        client_oid = body.get("clientOid")
        if client_oid is None:
            client_oid = f"{rng.getrandbits(128):032x}"
        if not isinstance(client_oid, str) or not _CLIENT_OID.fullmatch(client_oid):
            raise param_error("clientOid must be 1-40 characters of [A-Za-z0-9_-]")
        symbol = body.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise param_error("symbol is required")
        sym = account.symbols.get(symbol)
        if sym is None:
            raise RestError("900001", "symbol not exists")
        side, kind = body.get("side"), body.get("type", "limit")
        if side not in ("buy", "sell"):
            raise param_error("side must be buy or sell")
        if kind not in ("limit", "market"):
            raise param_error("type must be limit or market")
        tif = body.get("timeInForce", "GTC")
        if tif not in _TIF:
            raise param_error("timeInForce must be GTC, GTT, IOC or FOK")
        if kind == "market" and body.get("funds") not in (None, ""):
            raise param_error("funds (market order by quote amount) is not supported here")
        price = _decimal(body, "price", required=kind == "limit") if kind == "limit" else None
        size = _decimal(body, "size", required=True)
        assert size is not None
        if size > sym.base_max_size:
            raise param_error("Order size above the maximum requirement.")
        cancel_after = body.get("cancelAfter", -1)
        if tif == "GTT":
            if isinstance(cancel_after, bool) or not isinstance(cancel_after, int):
                raise param_error("cancelAfter must be an integer number of seconds")
            if cancel_after <= 0 or kind != "limit":
                raise param_error("GTT needs a limit order and cancelAfter > 0")
        post_only = _flag(body, "postOnly") and kind == "limit" and tif in ("GTC", "GTT")
        self.symbol = sym.spec.symbol
        self.side: str = side
        self.type: str = kind
        self.size = size
        self.price = price
        self.time_in_force = _TIF[tif] if kind == "limit" else "gtc"
        self.post_only = post_only
        self.cancel_after = cancel_after if tif == "GTT" else 0
        self.meta = OrderMeta(
            client_oid=client_oid,
            time_in_force=tif if kind == "limit" else "GTC",
            cancel_after=self.cancel_after,
            remark=_text(body, "remark", 20),
            tags=_text(body, "tags", 20),
            hidden=_flag(body, "hidden"),
            iceberg=_flag(body, "iceberg"),
        )

    def place(self, account: Account) -> PaperOrder:
        """Hand the order to the engine (``PaperError`` if it refuses it)."""
        if self.meta.client_oid in account.client_oids:
            raise PaperError("duplicate_client_id", "clientOid already used")
        engine = account.engine
        expire = None
        if self.time_in_force == "gtd":
            expire = engine.clock() + self.cancel_after * 1_000_000_000
        account.expect(self.meta)
        try:
            return engine.place(
                self.symbol,
                self.side,
                self.type,
                self.size,
                self.price,
                time_in_force=self.time_in_force,
                post_only=self.post_only,
                client_id=self.meta.client_oid,
                expire_at=expire,
            )
        finally:
            account.expect(None)


class OrderRoutes:
    """The placement endpoints of one emulator."""

    def __init__(self, guard: Guard, rng: random.Random, inflight: InFlight) -> None:
        self.guard = guard
        self.rng = rng
        self.inflight = inflight

    def add_routes(self, app: web.Application) -> None:
        """Mount the placement endpoints (before the ``{orderId}`` routes)."""
        wrap = self.guard.wrap
        r = app.router
        r.add_post("/api/v1/hf/orders", wrap(SPOT, self.place))
        r.add_post("/api/v1/hf/orders/sync", wrap(SPOT, self.place_sync))
        r.add_post("/api/v1/hf/orders/multi", wrap(SPOT, self.place_multi))
        r.add_post("/api/v1/hf/orders/alter", wrap(SPOT, self.alter))

    def _place(self, account: Account, body: dict[str, Any]) -> tuple[PaperOrder, str]:
        args = PlaceArgs(body, account, self.rng)
        try:
            order = args.place(account)
        except PaperError as exc:
            raise paper_error(exc) from None
        return order, args.meta.client_oid

    async def place(self, call: Call) -> dict[str, Any]:
        """``POST /api/v1/hf/orders`` → ``{"orderId", "clientOid"}``."""
        body = call.json()
        await self.inflight.before(call.request)
        order, client_oid = self._place(call.account, body)
        await self.inflight.after(call.request)
        return {"orderId": order.order_id, "clientOid": client_oid}

    async def place_sync(self, call: Call) -> dict[str, Any]:
        """``POST /api/v1/hf/orders/sync`` → the order's state after matching."""
        body = call.json()
        await self.inflight.before(call.request)
        order, _ = self._place(call.account, body)
        await self.inflight.after(call.request)
        rec = call.account.record(order.order_id)
        assert rec is not None
        return orderframes.place_sync_body(rec, order.snapshot(), order.updated)

    async def place_multi(self, call: Call) -> list[dict[str, Any]]:
        """``POST /api/v1/hf/orders/multi``: up to 5 limit orders, one result each."""
        orders = call.json().get("orderList")
        if not isinstance(orders, list) or not orders:
            raise param_error("orderList is required")
        if len(orders) > BATCH_LIMIT:
            raise param_error(f"orderList size must not exceed {BATCH_LIMIT}")
        await self.inflight.before(call.request)
        results: list[dict[str, Any]] = []
        for item in orders:
            try:
                if not isinstance(item, dict):
                    raise param_error("each order must be a JSON object")
                if item.get("type", "limit") != "limit":
                    raise param_error("batch orders must be limit orders")
                order, client_oid = self._place(call.account, item)
            except RestError as exc:
                results.append({"success": False, "failMsg": exc.msg})
            else:
                results.append(
                    {"orderId": order.order_id, "clientOid": client_oid, "success": True}
                )
        await self.inflight.after(call.request)
        return results

    async def alter(self, call: Call) -> dict[str, Any]:
        """``POST /api/v1/hf/orders/alter``: cancel, replace → ``{"newOrderId", "clientOid"}``."""
        body = call.json()
        account = call.account
        symbol = body.get("symbol")
        order_id, client_oid = body.get("orderId"), body.get("clientOid")
        if not isinstance(symbol, str) or not symbol:
            raise param_error("symbol is required")
        if (order_id is None) == (client_oid is None):
            raise param_error("give one of orderId, clientOid")
        new_price = _decimal(body, "newPrice", required=False)
        new_size = _decimal(body, "newSize", required=False)
        if new_price is None and new_size is None:
            raise param_error("give newPrice or newSize")
        rec = account.record(order_id) if isinstance(order_id, str) else None
        if isinstance(client_oid, str):
            rec = account.by_client(client_oid)
        snap = account.snapshot(rec) if rec is not None else None
        if rec is None or snap is None or rec.symbol != symbol or snap.state not in _OPEN:
            raise param_error("order_not_exist")
        size = new_size if new_size is not None else snap.size
        engine = account.engine
        try:
            if size <= snap.filled:
                # The venue: the order counts as complete; nothing new is placed.
                engine.amend(order_id=rec.order_id, size=size)
                return {"newOrderId": "", "clientOid": rec.client_oid}
            # Cancel and place the successor (same clientOid) in one step: a refused
            # successor leaves the old order untouched.
            account.expect(
                OrderMeta(
                    rec.client_oid,
                    rec.time_in_force,
                    rec.cancel_after,
                    rec.remark,
                    rec.tags,
                    rec.hidden,
                    rec.iceberg,
                )
            )
            order = engine.replace(
                order_id=rec.order_id,
                price=new_price,
                size=size - snap.filled,
                new_client_id=rec.client_oid,
            )
        except PaperError as exc:
            raise paper_error(exc) from None
        finally:
            account.expect(None)
        return {"newOrderId": order.order_id, "clientOid": rec.client_oid}


_OPEN = frozenset({"new", "open", "partially_filled"})
