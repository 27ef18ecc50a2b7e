"""Kraken's ``edit_order``: cancel and replace, as a new order with a new id.

::

    ack = await client.edit_order("BTC/USD", order_id="OABCDE-...", price=Decimal("61000"))
    ack.order_id            # the NEW order's id; the old order is cancelled

Kraken documents ``edit_order`` (WebSocket v2) as the legacy way to change an order: the
original is cancelled and a new one created (a new ``order_id``, queue priority lost,
executions stay with the original). Among its documented caveats: "cl_ord_id is not
supported": an order carrying a client order id cannot be edited, and ``edit_order``
has no ``cl_ord_id`` parameter to name one. Since tickwire places every order with a
``cl_ord_id`` (the request's ``client_id`` or a generated one), ``edit_order`` applies
to orders placed elsewhere without one (the web UI, another REST client);
:meth:`~tickwire.core.client.BaseClient.amend_order` (Kraken's ``amend_order``, in
place, ids kept) is the call for tickwire's own orders. An order the client's tracker
knows to carry a ``cl_ord_id`` is refused with
:class:`~tickwire.core.errors.InvalidOrder` before anything is sent; one it does not
know is refused by the venue, mapped to the same error.
"""

from __future__ import annotations

from time import time_ns
from typing import Any

from tickwire.adapters.kraken.parse import VENUE, decode_result, timestamp_ns, to_native
from tickwire.adapters.kraken.schemas_private import EditOrderResult
from tickwire.adapters.kraken.trading import KrakenTrader, positive_decimal
from tickwire.core.errors import DecodeError, InvalidOrder
from tickwire.core.types import OrderAck

__all__ = ["edit_order"]


async def edit_order(
    trader: KrakenTrader,
    symbol: str,
    *,
    order_id: str,
    price: Any = None,
    size: Any = None,
    timeout: float,
) -> OrderAck:
    """Cancel and replace ``order_id`` with a new price and/or size (see the module);
    the ack names the new order (``client_id`` is ``None``: the new order has none)."""
    if price is None and size is None:
        raise ValueError("edit_order needs a new price or size")
    # trading.py (KrakenTrader) is at its size limit and being reworked: this call uses
    # its request path and tracker from here; it belongs there as a method later.
    state = trader._private.tracker.get(order_id)
    if state is not None and state.client_id is not None:
        raise InvalidOrder(
            VENUE,
            "cl_ord_id",
            f"kraken edit_order: order {order_id} has a cl_ord_id, which Kraken's edit_order "
            "does not support; use amend_order",
        )
    params: dict[str, Any] = {"order_id": order_id, "symbol": to_native(symbol)}
    if size is not None:
        params["order_qty"] = positive_decimal(size, "size")
    if price is not None:
        params["limit_price"] = positive_decimal(price, "price")
    reply = await trader._call("edit_order", params, timeout)
    result = decode_result(reply, EditOrderResult)
    try:
        ts = timestamp_ns(reply.time_out, time_ns())
    except DecodeError:
        ts = time_ns()
    return OrderAck(venue=VENUE, symbol=symbol, order_id=result.order_id, client_id=None, ts=ts)
