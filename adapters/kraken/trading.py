"""Kraken order methods over the auth socket, correlated by ``req_id``, never hanging.

:class:`KrakenTrader` is the client's :class:`~tickwire.core.trader.Trader`. Every call
waits at most its ``timeout`` (one :class:`~tickwire.core.deadline.Deadline`), refuses
what Kraken cannot express before sending, maps venue errors through
:mod:`tickwire.adapters.kraken.errors`, and never re-sends: an ``add_order`` or
``batch_add`` cut by a drop is reconciled by ``cl_ord_id`` (core's
:func:`~tickwire.core.reconcile.reconcile`). The methods, ``edit_order``'s limits and
exactly-once are in ``docs/venues/kraken.md`` (account and orders).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from time import time_ns
from typing import Any

from tickwire.adapters.kraken.errors import to_error
from tickwire.adapters.kraken.parse import VENUE, decode_result, timestamp_ns, to_native
from tickwire.adapters.kraken.private import KrakenPrivate
from tickwire.adapters.kraken.schemas import MethodResponse
from tickwire.adapters.kraken.schemas_private import (
    BatchAddRow,
    CancelAfterResult,
    CountResult,
    EchoedIdsResult,
    OrderIdResult,
)
from tickwire.core.account import Interrupted
from tickwire.core.deadline import Deadline
from tickwire.core.errors import DecodeError, InvalidOrder, RequestTimeout, TickwireError
from tickwire.core.reconcile import reconcile_each
from tickwire.core.trader import Trader, time_in_force
from tickwire.core.types import OrderAck, OrderRequest, OrderType, TimeInForce

__all__ = ["BATCH_ADD_MAX", "BATCH_CANCEL_MAX", "KrakenTrader"]

BATCH_ADD_MAX = 15  # batch_add takes 2-15 orders
BATCH_CANCEL_MAX = 50  # batch_cancel takes 2-50 ids
_FIELDS = {"price": "limit_price", "size": "order_qty"}  # an amend's or edit's changes
_TIME_IN_FORCE = {TimeInForce.GTC: "gtc", TimeInForce.IOC: "ioc"}


def order_params(request: OrderRequest, client_id: str) -> dict[str, Any]:
    """``add_order`` params for one request (without ``symbol`` and ``token``)."""
    # FOK does not exist on Kraken spot, and GTD needs an expiry OrderRequest lacks.
    tif = time_in_force(VENUE, _TIME_IN_FORCE, request, "time_in_force")
    params: dict[str, Any] = {
        "order_type": request.type.value,
        "side": request.side.value,
        "order_qty": request.size,
        "cl_ord_id": client_id,
    }
    if request.type is OrderType.LIMIT:
        params["limit_price"] = request.price
        params["time_in_force"] = tif
        if request.post_only:
            params["post_only"] = True
    elif request.time_in_force is TimeInForce.IOC:
        params["time_in_force"] = tif
    return params


class KrakenTrader(Trader):
    """The order methods over the auth socket (see the module docstring)."""

    venue = VENUE
    id_fields = ("order_id", "cl_ord_id")

    def __init__(self, private: KrakenPrivate) -> None:
        self._private = private

    def __repr__(self) -> str:
        return f"KrakenTrader({self._private!r})"

    # --- the request path ---------------------------------------------------------------

    async def _call(
        self, method: str, params: dict[str, Any], budget: Deadline | float
    ) -> MethodResponse:
        """One request's successful reply within ``budget`` (a Deadline, or seconds); a
        drop raises :class:`~tickwire.core.account.Interrupted` (sent or not: unknown)."""
        private = self._private
        deadline = budget if isinstance(budget, Deadline) else self.deadline(method, budget)
        reply: MethodResponse = await private.request(private.message(method, params), deadline)
        if reply.success is not True:
            raise to_error(reply.error or "refused without an error string")
        return reply

    async def _reconcile(self, exc: Interrupted, deadline: Deadline, client_id: str) -> OrderAck:
        """After a drop: the ack of ``client_id``'s order in the next connection's
        snapshot, or core's typed error."""
        state = await self._private.find_after_drop(exc, deadline, client_id)
        return self.ack(state.symbol or "", state.order_id, client_id)

    # --- single orders -----------------------------------------------------------------

    async def place_order(self, request: OrderRequest, *, timeout: float) -> OrderAck:
        """Place one order (``add_order``); never re-sent, reconciled after a drop."""
        [client_id] = self.client_ids([request])
        params = {**order_params(request, client_id), "symbol": to_native(request.symbol)}
        deadline = self.deadline("add_order", timeout)
        try:
            reply = await self._call("add_order", params, deadline)
        except Interrupted as exc:
            return await self._reconcile(exc, deadline, client_id)
        except RequestTimeout:
            state = self._private.tracker.get(client_id=client_id)  # the stream saw it?
            if state is None:
                raise
            return self.ack(request.symbol, state.order_id, client_id)
        result = decode_result(reply, OrderIdResult)
        return self.ack(request.symbol, result.order_id, client_id, _ts(reply))

    async def amend_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        price: Any = None,
        size: Any = None,
        timeout: float,
    ) -> OrderAck:
        """Change an open order's price and/or size in place (``amend_order``)."""
        ids = self.one_id(order_id, client_id)
        new = self.changes("amend_order", price, size)
        state = self._private.tracker.get(order_id, client_id)
        if "size" not in new and state is not None and state.size is not None:
            new["size"] = state.size  # Kraken documents order_qty as required
        params: dict[str, Any] = ids | {_FIELDS[name]: value for name, value in new.items()}
        reply = await self._call("amend_order", params, timeout)
        result = decode_result(reply, EchoedIdsResult)
        return self.known_ack(symbol, (result.order_id, result.cl_ord_id), ids, state, _ts(reply))

    async def edit_order(
        self, symbol: str, *, order_id: str, price: Any = None, size: Any = None, timeout: float
    ) -> OrderAck:
        """Cancel and replace ``order_id`` (``edit_order``, see the module); the ack names
        the new order, with no ``client_id``."""
        new = self.changes("edit_order", price, size)
        state = self._private.tracker.get(order_id)
        if state is not None and state.client_id is not None:
            raise InvalidOrder(
                VENUE,
                "cl_ord_id",
                f"kraken edit_order: order {order_id} has a cl_ord_id, which Kraken's edit_order "
                "does not support; use amend_order",
            )
        params: dict[str, Any] = {"order_id": order_id, "symbol": to_native(symbol)}
        params |= {_FIELDS[name]: value for name, value in new.items()}
        reply = await self._call("edit_order", params, timeout)
        result = decode_result(reply, OrderIdResult)
        return self.ack(symbol, result.order_id, None, _ts(reply))

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        timeout: float,
    ) -> OrderAck:
        """Cancel one open order by venue id or client id; unknown → UnknownOrder."""
        ids = self.one_id(order_id, client_id)
        params = {key: [value] for key, value in ids.items()}
        reply = await self._call("cancel_order", params, timeout)
        state = self._private.tracker.get(order_id, client_id)
        result = decode_result(reply, EchoedIdsResult)
        return self.known_ack(symbol, (result.order_id, result.cl_ord_id), ids, state, _ts(reply))

    async def cancel_all(self, symbol: str | None = None, *, timeout: float) -> int:
        """Cancel every open order; with ``symbol``, a batch of that symbol's open orders."""
        if symbol is not None:
            open_ids = [s.order_id for s in self._private.tracker.open_orders(symbol)]
            return await self.cancel_orders(symbol, open_ids, timeout=timeout)
        reply = await self._call("cancel_all", {}, timeout)
        return decode_result(reply, CountResult).count

    async def cancel_all_after(self, seconds: float, *, timeout: float) -> None:
        """Arm the dead man's switch: every order is cancelled ``seconds`` from now unless
        called again; ``0`` disarms it. Whole seconds, below 86400."""
        if not 0 <= seconds < 86400:
            raise ValueError(f"seconds must be in [0, 86400), got {seconds}")
        params = {"timeout": math.ceil(seconds)}
        reply = await self._call("cancel_all_orders_after", params, timeout)
        decode_result(reply, CancelAfterResult)

    # --- batches ------------------------------------------------------------------------

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float
    ) -> list[OrderAck]:
        """Place 1-15 orders of one symbol (``batch_add``); one ack per request, in order.

        A batch refused as a whole (validation) raises its error with nothing placed.
        When only some rows were refused by the engine, or lost with the socket,
        :class:`BatchRejected` carries the acks of the placed ones and each other
        one's error by client id.
        """
        if not requests:
            return []
        if len(requests) == 1:
            return [await self.place_order(requests[0], timeout=timeout)]
        symbols = {r.symbol for r in requests}
        if len(symbols) != 1:
            raise ValueError(f"a batch is for one symbol, got {sorted(symbols)}")
        if len(requests) > BATCH_ADD_MAX:
            raise ValueError(f"batch_add takes at most {BATCH_ADD_MAX} orders")
        symbol = requests[0].symbol
        client_ids = self.client_ids(requests)
        orders = [order_params(r, cid) for r, cid in zip(requests, client_ids, strict=True)]
        params = {"symbol": to_native(symbol), "orders": orders}
        deadline = self.deadline("batch_add", timeout)
        try:
            reply = await self._call("batch_add", params, deadline)
        except Interrupted as exc:
            resolve = partial(self._reconcile, exc, deadline)
            return self.settle(*await reconcile_each(resolve, client_ids, exc.cause))
        rows = decode_result(reply, list[BatchAddRow])
        if len(rows) != len(requests):
            raise DecodeError(f"{VENUE} batch_add: {len(rows)} rows for {len(requests)}")
        acks: list[OrderAck] = []
        failures: dict[str, TickwireError] = {}
        for cid, row in zip(client_ids, rows, strict=True):
            if row.error is not None or not row.order_id:
                failures[cid] = to_error(row.error or "row refused without an error")
            else:
                acks.append(self.ack(symbol, row.order_id, cid, _ts(reply)))
        return self.settle(acks, failures)

    async def cancel_orders(self, symbol: str, order_ids: Sequence[str], *, timeout: float) -> int:
        """Cancel orders by venue id (``batch_cancel``, 50 per request); returns how
        many the venue cancelled."""
        ids = list(dict.fromkeys(order_ids))
        deadline = self.deadline("batch_cancel", timeout)
        cancelled = 0
        for start in range(0, len(ids), BATCH_CANCEL_MAX):
            chunk = ids[start : start + BATCH_CANCEL_MAX]
            if len(chunk) == 1:  # batch_cancel wants at least two: cancel_order, unknown skipped
                cancelled += await self.cancel_each(symbol, chunk, deadline)
                continue
            reply = await self._call("batch_cancel", {"orders": chunk}, deadline)
            if reply.orders_cancelled is not None:  # the form observed live in 2024
                cancelled += reply.orders_cancelled
            else:  # the documented form
                cancelled += decode_result(reply, CountResult).count
        return cancelled


def _ts(response: MethodResponse) -> int:
    try:
        return timestamp_ns(response.time_out, time_ns())
    except DecodeError:
        return time_ns()
