"""Pure request building for the Kraken order methods: params, argument checks, batch errors.

:func:`order_params` turns an :class:`~tickwire.core.types.OrderRequest` into
``add_order`` params (also the rows of ``batch_add``); what Kraken cannot express is
refused here, before anything is sent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tickwire.adapters.kraken.parse import VENUE
from tickwire.core.errors import InvalidOrder
from tickwire.core.types import OrderRequest, OrderType, TimeInForce

__all__ = [
    "BATCH_ADD_MAX",
    "BATCH_CANCEL_MAX",
    "one_id",
    "order_params",
    "positive_decimal",
]

BATCH_ADD_MAX = 15  # batch_add takes 2-15 orders
BATCH_CANCEL_MAX = 50  # batch_cancel takes 2-50 ids
_TIME_IN_FORCE = {TimeInForce.GTC: "gtc", TimeInForce.IOC: "ioc"}


def order_params(request: OrderRequest, client_id: str) -> dict[str, Any]:
    """``add_order`` params for one request (without ``symbol`` and ``token``)."""
    tif = _TIME_IN_FORCE.get(request.time_in_force)
    if tif is None:
        # FOK does not exist on Kraken spot, and GTD needs an expiry OrderRequest lacks.
        raise InvalidOrder(
            VENUE, "time_in_force", f"time_in_force {request.time_in_force} is not supported"
        )
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


def positive_decimal(value: Any, name: str) -> Decimal:
    """A user-given price or size as an exact positive Decimal (floats via their repr)."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def one_id(order_id: str | None, client_id: str | None) -> dict[str, str]:
    """``{"order_id": ...}`` or ``{"cl_ord_id": ...}``: exactly one must be given."""
    if (order_id is None) == (client_id is None):
        raise ValueError("give exactly one of order_id and client_id")
    return {"order_id": order_id} if order_id is not None else {"cl_ord_id": client_id or ""}
