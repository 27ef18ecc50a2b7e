"""examplex's order calls: the client's private side (a :class:`~tickwire.core.trader.Trader`).

Each call is one request on the client's socket (``request`` sends it and returns the
reply, or raises the mapped error); none is ever retried, so none is sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import time_ns
from typing import Any

import msgspec

from tickwire.core.errors import InvalidOrder
from tickwire.core.ids import new_client_id
from tickwire.core.trader import Trader
from tickwire.core.types import OrderAck, OrderRequest, OrderType, TimeInForce
from tickwire_examplex.adapter.parse import VENUE, to_native

__all__ = ["ExamplexTrader"]

Request = Callable[[Callable[[int], bytes], str, float | None], Awaitable[Any]]
_encode = msgspec.json.Encoder().encode


class ExamplexTrader(Trader):
    """Place, cancel and cancel-all (no amend, batches or dead man's switch: NotSupported)."""

    venue = VENUE

    def __init__(self, request: Request) -> None:
        self._request = request

    async def _call(self, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        result: dict[str, Any] = await self._request(
            lambda request_id: _encode({**body, "id": request_id}), body["op"], timeout
        )
        return result

    async def place_order(self, request: OrderRequest, *, timeout: float) -> OrderAck:
        """Place one order; a timeout or disconnect raises (look it up by ``client_id``)."""
        if request.time_in_force is not TimeInForce.GTC or request.post_only:
            raise InvalidOrder(VENUE, "invalid_order", "examplex takes GTC orders only")
        client_id = request.client_id or new_client_id()
        order = {"op": "place", "market": to_native(request.symbol), "side": request.side.value}
        order |= {"kind": request.type.value, "qty": str(request.size), "cid": client_id}
        if request.type is OrderType.LIMIT:
            order["price"] = str(request.price)
        result = await self._call(order, timeout)
        order_id, client_id = str(result["oid"]), result.get("cid", client_id)
        return OrderAck(
            venue=VENUE, symbol=request.symbol, order_id=order_id, client_id=client_id,
            ts=int(result["time"]),
        )  # fmt: skip

    async def cancel_order(
        self, symbol: str, *, order_id: str | None, client_id: str | None, timeout: float
    ) -> OrderAck:
        """Cancel one open order, by venue id or client id."""
        if (order_id is None) == (client_id is None):
            raise ValueError("give exactly one of order_id and client_id")
        cancel = {"op": "cancel", "market": to_native(symbol)}
        cancel |= {"oid": order_id} if order_id is not None else {"cid": client_id}
        result = await self._call(cancel, timeout)
        return OrderAck(
            venue=VENUE, symbol=symbol, order_id=str(result["oid"]), client_id=client_id,
            ts=time_ns(),
        )  # fmt: skip

    async def cancel_all(self, symbol: str | None, *, timeout: float) -> int:
        """Cancel every open order (of ``symbol``); returns how many."""
        body: dict[str, Any] = {"op": "cancel_all"}
        if symbol is not None:
            body["market"] = to_native(symbol)
        return int((await self._call(body, timeout))["count"])
