"""The KuCoin :class:`~tickwire.core.trader.Trader`: HF order entry over signed REST
(``shared/reference/kucoin-ws.md`` §9) and its dead man's switch; each method's endpoint,
and how a placement is kept exactly once (reconciled by ``clientOid``), are in
``docs/venues/kucoin.md`` (account and orders). Every call returns or raises a typed
error within its ``timeout`` (one :class:`~tickwire.core.deadline.Deadline`,
reconciliation included); a cancel only *requests* cancellation (confirmed by the
order's ``canceled`` push) and is never retried.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec

from tickwire.adapters.kucoin.parse import VENUE, to_native, to_unified
from tickwire.adapters.kucoin.rest import ORDERS, SPOT, KucoinRest
from tickwire.adapters.kucoin.trade_schemas import (
    AlterData,
    CancelAllData,
    ClientOidData,
    DcpData,
    HfOrder,
    MultiOrderResult,
    OrderDetail,
    OrderIdData,
)
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    DecodeError,
    ExchangeError,
    InvalidOrder,
    TickwireError,
    UnknownOrder,
)
from tickwire.core.reconcile import lookup_until, maybe_sent, reconcile, reconcile_each
from tickwire.core.rest import decode, decode_or_none
from tickwire.core.trader import LOST, Trader, time_in_force
from tickwire.core.types import OrderAck, OrderRequest, OrderType, TimeInForce

__all__ = ["BATCH_SIZE", "DCP_RANGE", "KucoinTrader"]

BATCH_SIZE = 5
"""Orders per ``/multi`` call (KuCoin's limit); longer batches are sent in chunks."""
DUPLICATE_CLIENT_OID = "126044"
DCP_RANGE = (5, 86400)
"""Seconds KuCoin's disconnection protection accepts (``-1`` disarms it)."""

_CLIENT_OID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
_FIELDS = {"price": "newPrice", "size": "newSize"}  # an amend's changes


def _text(value: Decimal) -> str:
    # Plain notation: str() would give "1E+1" for some Decimals, which KuCoin refuses.
    return format(value, "f")


def _same_order(found: OrderDetail, body: HfOrder) -> bool:
    """Whether the order KuCoin holds under a client id is the one ``body`` describes."""
    price = None if body.price is None else Decimal(body.price)
    return (found.side, found.type) == (body.side, body.type) and (
        body.type == "market" or (found.price, found.size) == (price, Decimal(body.size or 0))
    )


class KucoinTrader(Trader):
    """The order methods of one account, over ``rest`` (signed with its credentials; its
    limiter's pools, :data:`~.rest.QUOTAS`, shared with the fetcher)."""

    venue = VENUE
    id_fields = ("orderId", "clientOid")
    cancel_at_once = 8  # HF has no batch cancel: cancel_orders sends one cancel each

    def __init__(self, rest: KucoinRest) -> None:
        self._rest = rest

    async def call(self, method: str, path: str, deadline: Deadline, **options: Any) -> msgspec.Raw:
        """One signed call within ``deadline`` (:class:`RequestTimeout` otherwise), its
        weight taken from the account's Spot pool first (lookups 2, the rest 1);
        ``options`` (``params``, ``body``) go to :meth:`~.rest.KucoinRest.call`."""
        signed = {"signed": True, "pool": SPOT, "weight": 2 if method == "GET" else 1}
        return await self.within(deadline, self._rest.call, method, path, **signed, **options)

    # --- placing ------------------------------------------------------------------------

    @staticmethod
    def order_body(request: OrderRequest, client_id: str) -> HfOrder:
        """The KuCoin body of ``request``; bad input raises ``InvalidOrder`` before sending."""
        if not _CLIENT_OID.fullmatch(client_id):
            raise InvalidOrder(VENUE, "clientOid", "client_id must be 1-40 of [A-Za-z0-9_-]")
        limit = request.type is OrderType.LIMIT
        why = "KuCoin's GTT needs a cancelAfter"  # GTD's nearest
        tif = time_in_force(VENUE, _TIF, request, "timeInForce", why)
        return HfOrder(
            client_oid=client_id,
            symbol=to_native(request.symbol),
            side=request.side.value,
            type=request.type.value,
            price=_text(request.price) if request.price is not None else None,
            size=_text(request.size),
            time_in_force=tif if limit else None,
            post_only=True if request.post_only and limit else None,
        )

    async def place_order(self, request: OrderRequest, *, timeout: float) -> OrderAck:
        """``POST /api/v1/hf/orders`` once; reconciled by client id if the reply is lost."""
        deadline = self.deadline("place_order", timeout)
        [client_id] = self.client_ids([request])
        body = self.order_body(request, client_id)
        try:
            raw = await self.call("POST", ORDERS, self.send_budget(deadline), body=body)
            data = decode(VENUE, raw, OrderIdData, f"POST {ORDERS}")
        except ExchangeError as exc:
            if str(exc.code) != DUPLICATE_CLIENT_OID:
                raise
            # Placed already, by an earlier attempt whose reply was lost: answer with that
            # order, if it is this one (a client id reused for another order stays refused).
            lookup = partial(self.lookup, body.symbol, client_id)
            found = await lookup_until(lookup, deadline, checks=2)
            if found is None or not _same_order(found, body):
                raise
            return self.ack(request.symbol, found.id, client_id)
        except LOST as exc:
            if not maybe_sent(exc):
                raise
            return await self.reconcile({client_id: body.symbol}, deadline, exc, client_id)
        return self.ack(request.symbol, data.order_id, data.client_oid or client_id)

    async def reconcile(
        self, symbols: dict[str, str], deadline: Deadline, cause: BaseException, client_id: str
    ) -> OrderAck:
        """What became of a placement whose reply was lost: its ack, or a typed error
        (:func:`tickwire.core.reconcile.reconcile`); ``symbols`` maps client ids to
        native symbols."""
        symbol = symbols[client_id]
        lookup = partial(self.lookup, symbol, client_id)
        found = await reconcile(
            lookup, deadline, cause, what=f"{VENUE}: order {client_id} on {symbol}"
        )
        return self.ack(to_unified(symbol), found.id, found.client_oid or client_id)

    async def lookup(
        self, symbol_native: str, client_id: str, deadline: Deadline
    ) -> OrderDetail | None:
        """``GET .../client-order/{clientOid}``: the order, or None when KuCoin has none."""
        try:
            detail = self._rest.order_detail
            return await self.within(deadline, detail, symbol_native, None, client_id)
        except UnknownOrder:
            return None

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float
    ) -> list[OrderAck]:
        """``POST /api/v1/hf/orders/multi`` in chunks of :data:`BATCH_SIZE` limit orders.

        Raises :class:`BatchRejected` (with the acks of the placed ones) when KuCoin
        refuses some; a chunk lost in flight is reconciled order by order.
        """
        deadline = self.deadline("place_orders", timeout)
        if any(request.type is not OrderType.LIMIT for request in requests):
            raise InvalidOrder(VENUE, "orderList", "a KuCoin batch takes limit orders only")
        ids = self.client_ids(requests)
        bodies = [self.order_body(r, cid) for r, cid in zip(requests, ids, strict=True)]
        acks: list[OrderAck] = []
        failures: dict[str, TickwireError] = {}
        send = self.send_budget(deadline)
        for start in range(0, len(bodies), BATCH_SIZE):
            chunk = bodies[start : start + BATCH_SIZE]
            try:
                raw = await self.call("POST", f"{ORDERS}/multi", send, body={"orderList": chunk})
                results = decode(VENUE, raw, list[MultiOrderResult], f"POST {ORDERS}/multi")
                if len(results) != len(chunk):
                    raise DecodeError(f"{VENUE}: {len(results)} results for {len(chunk)} orders")
            except LOST as exc:
                if not maybe_sent(exc):
                    raise
                symbols = {b.client_oid: b.symbol for b in chunk}
                resolve = partial(self.reconcile, symbols, deadline, exc)
                found, lost = await reconcile_each(resolve, symbols, exc)
                acks += found
                failures |= lost
                continue
            for body, result in zip(chunk, results, strict=True):
                if result.success and result.order_id:
                    cid = result.client_oid or body.client_oid
                    acks.append(self.ack(to_unified(body.symbol), result.order_id, cid))
                else:
                    reason = result.fail_msg or "refused"
                    failures[body.client_oid] = InvalidOrder(VENUE, "multi", reason)
        return self.settle(acks, failures)

    # --- amending -----------------------------------------------------------------------

    async def amend_order(
        self,
        symbol: str,
        *,
        order_id: str | None,
        client_id: str | None,
        price: Any,
        size: Any,
        timeout: float,
    ) -> OrderAck:
        """``POST /api/v1/hf/orders/alter``: cancel + new; the ack has the new order id."""
        body = {"symbol": to_native(symbol)} | self.one_id(order_id, client_id)
        new = self.changes("amend_order", price, size)
        body |= {_FIELDS[name]: _text(value) for name, value in new.items()}
        path = f"{ORDERS}/alter"
        raw = await self.call("POST", path, self.deadline("amend_order", timeout), body=body)
        data = decode(VENUE, raw, AlterData, f"POST {path}")
        return self.ack(symbol, data.new_order_id, data.client_oid or client_id)

    # --- canceling ------------------------------------------------------------------------

    async def cancel_order(
        self, symbol: str, *, order_id: str | None, client_id: str | None, timeout: float
    ) -> OrderAck:
        """Request the cancel of one order (confirmed by its ``canceled`` push).

        By ``client_id`` KuCoin's answer has no order id: the ack's ``order_id`` is "".
        """
        deadline = self.deadline("cancel_order", timeout)
        self.one_id(order_id, client_id)
        params = {"symbol": to_native(symbol)}
        if order_id is not None:
            raw = await self.call("DELETE", f"{ORDERS}/{order_id}", deadline, params=params)
            data = decode(VENUE, raw, OrderIdData, f"DELETE {ORDERS}/{{orderId}}")
            return self.ack(symbol, data.order_id, client_id)
        path = f"{ORDERS}/client-order/{client_id}"
        raw = await self.call("DELETE", path, deadline, params=params)
        done = decode(VENUE, raw, ClientOidData, f"DELETE {ORDERS}/client-order")
        return self.ack(symbol, "", done.client_oid)

    async def cancel_all(self, symbol: str | None, *, timeout: float) -> int:
        """Cancel every open order of ``symbol`` (or of every symbol).

        KuCoin answers without a count: the count is of the orders listed open just
        before the cancel (``/active``), so an order placed in between is canceled but
        not counted.
        """
        deadline = self.deadline("cancel_all", timeout)
        native = None if symbol is None else to_native(symbol)
        count = len(await self.within(deadline, self._rest.open_orders, native))
        if native is not None:
            await self.call("DELETE", ORDERS, deadline, params={"symbol": native})
            return count
        raw = await self.call("DELETE", f"{ORDERS}/cancelAll", deadline)
        result = decode(VENUE, raw, CancelAllData, f"DELETE {ORDERS}/cancelAll")
        if result.failed_symbols:
            failed = ", ".join(f"{f.symbol} ({f.error})" for f in result.failed_symbols)
            raise ExchangeError(VENUE, "cancelAll", f"not canceled on {failed}")
        return count

    async def dead_cancel_all(
        self, seconds: float, timeout: float, symbols: Sequence[str] = ()
    ) -> DcpData | None:
        """Arm (or re-arm) KuCoin's disconnection protection: every open order of
        ``symbols`` (all, if none) is canceled unless this is called again within
        ``seconds``. ``seconds <= 0`` disarms it (KuCoin's ``timeout: -1``); otherwise it
        is rounded up to whole seconds and must be within 5..86400. Returns KuCoin's
        ``currentTime``/``triggerTime`` (seconds), or None once disarmed.
        """
        if seconds <= 0:
            value = -1
        else:
            value = math.ceil(seconds)
            if not DCP_RANGE[0] <= value <= DCP_RANGE[1]:
                raise ValueError(f"KuCoin's dead man's switch takes 5..86400 s, got {seconds}")
        body: dict[str, Any] = {"timeout": value}
        if symbols:
            body["symbols"] = ",".join(to_native(s) for s in symbols)
        path = f"{ORDERS}/dead-cancel-all"
        deadline = self.deadline("cancel_all_after", timeout)
        raw = await self.call("POST", path, deadline, body=body)
        armed = decode_or_none(VENUE, raw, DcpData, f"POST {path}")
        return armed if armed is not None and armed.trigger_time is not None else None

    async def cancel_all_after(self, seconds: float, *, timeout: float) -> None:
        """Arm KuCoin's dead man's switch for ``seconds`` (5..86400); ``<= 0`` disarms."""
        await self.dead_cancel_all(seconds, timeout)
