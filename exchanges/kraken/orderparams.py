"""Parsing and checking of Kraken order-method params, with Kraken's error strings.

Reference §8 and §9. Requests are decoded with JSON floats as :class:`~decimal.Decimal`
(exact), so a number field arrives as ``int`` or ``Decimal``; anything else is a type
error in Kraken's words (``"Limit_price field must be a number_float"``). Refusals are
raised as :class:`Refuse` carrying the venue string; :func:`engine_error` maps the
paper engine's refusals the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tickwire.exchanges.base.paper import PaperError

__all__ = [
    "INVALID_ARGUMENTS",
    "INVALID_ORDER",
    "OrderArgs",
    "Refuse",
    "boolean",
    "engine_error",
    "integer",
    "number",
    "parse_order",
    "rfc3339_ns",
    "string",
]

INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
INVALID_ORDER = "EOrder:Invalid order"
UNKNOWN_PAIR = "EQuery:Unknown asset pair"

# add_order fields the emulator honours, accepts and ignores, or refuses as unsupported.
_ORDER_FIELDS = frozenset(
    {"order_type", "side", "order_qty", "symbol", "limit_price", "limit_price_type",
     "time_in_force", "expire_time", "post_only", "cl_ord_id", "order_userref", "validate"}
)  # fmt: skip
_IGNORED = frozenset(
    {"deadline", "stp_type", "sender_sub_id", "fee_preference", "no_mpp", "reduce_only", "margin"}
)
_UNSUPPORTED = frozenset(
    {"triggers", "conditional", "display_qty", "cash_order_qty", "effective_time", "leverage"}
)
_KRAKEN_TYPES = frozenset(
    {"iceberg", "stop-loss", "stop-loss-limit", "take-profit", "take-profit-limit",
     "trailing-stop", "trailing-stop-limit", "settle-position"}
)  # fmt: skip
# cl_ord_id: a long UUID, a 32-hex short UUID, or free printable ASCII up to 18 chars.
_CL_ORD_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}|[\x21-\x7e]{1,18}"
)


class Refuse(Exception):
    """A request Kraken refuses; ``str(exc)`` is the ``error`` text of the response."""


@dataclass(frozen=True, slots=True)
class OrderArgs:
    """One parsed ``add_order`` (or ``batch_add`` entry)."""

    symbol: str
    side: str
    type: str
    size: Decimal
    price: Decimal | None
    time_in_force: str
    post_only: bool
    cl_ord_id: str | None
    userref: int
    expire_at: int | None
    validate: bool

    def echo(self) -> dict[str, Any]:
        """What a reply echoes: the ``cl_ord_id`` or the ``order_userref`` given."""
        if self.cl_ord_id is not None:
            return {"cl_ord_id": self.cl_ord_id}
        return {"order_userref": self.userref} if self.userref else {}


def _field_name(name: str) -> str:
    return name[:1].upper() + name[1:]


def number(params: Mapping[str, Any], name: str) -> Decimal | None:
    """A JSON number field as ``Decimal`` (``None`` when absent)."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Refuse(f"{_field_name(name)} field must be a number_float")
    return Decimal(value)


def integer(params: Mapping[str, Any], name: str) -> int | None:
    """A JSON integer field (``None`` when absent)."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refuse(f"{_field_name(name)} field must be a number_int")
    return value


def boolean(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A JSON boolean field."""
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise Refuse(f"{_field_name(name)} field must be a boolean")
    return value


def string(params: Mapping[str, Any], name: str) -> str | None:
    """A JSON string field (``None`` when absent)."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refuse(f"{_field_name(name)} field must be a string")
    return value


def rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 UTC time (``Refuse`` if malformed)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refuse(INVALID_ARGUMENTS) from None
    if when.tzinfo is None:
        raise Refuse(INVALID_ARGUMENTS)
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def parse_order(
    params: Mapping[str, Any], method: str, symbols: Mapping[str, object], symbol: str | None
) -> OrderArgs:
    """Check an order's fields (``symbol`` given for a ``batch_add`` entry).

    Raises :class:`Refuse` with Kraken's wording; never touches the engine.
    """
    allowed = _ORDER_FIELDS | _IGNORED | _UNSUPPORTED | {"token"}
    if symbol is not None:
        allowed = allowed - {"symbol", "token", "validate"}
    for name in params:
        if name not in allowed:
            raise Refuse(f"Unsupported field: '{name}' for the given msg type: {method}")
        if name in _UNSUPPORTED:
            raise Refuse(f"{INVALID_ARGUMENTS}:{name} is not supported by the emulator")
    for flag in ("reduce_only", "margin"):
        if boolean(params, flag):
            raise Refuse(f"{INVALID_ARGUMENTS}:{flag} is not supported by the emulator")
    order_type = string(params, "order_type")
    if order_type in _KRAKEN_TYPES:
        raise Refuse(
            f"{INVALID_ARGUMENTS}:order_type {order_type} is not supported by the emulator"
        )
    if order_type not in ("limit", "market"):
        raise Refuse(f"{INVALID_ARGUMENTS}:order_type")
    side = string(params, "side")
    if side not in ("buy", "sell"):
        raise Refuse(f"{INVALID_ARGUMENTS}:side")
    size = number(params, "order_qty")
    if size is None:
        raise Refuse(f"{INVALID_ARGUMENTS}:order_qty")
    if symbol is None:
        symbol = string(params, "symbol")
        if symbol is None:
            raise Refuse(f"{INVALID_ARGUMENTS}:symbol")
    if symbol not in symbols:
        raise Refuse(UNKNOWN_PAIR)
    price = number(params, "limit_price")
    if (price is None) == (order_type == "limit"):
        raise Refuse(f"{INVALID_ARGUMENTS}:limit_price")
    if params.get("limit_price_type", "static") != "static":
        raise Refuse(f"{INVALID_ARGUMENTS}:limit_price_type")
    tif = params.get("time_in_force", "gtc")
    if tif not in ("gtc", "gtd", "ioc"):
        raise Refuse(f"{INVALID_ARGUMENTS}:time_in_force")
    expire_text = string(params, "expire_time")
    if (tif == "gtd") != (expire_text is not None):
        raise Refuse(f"{INVALID_ARGUMENTS}:expire_time")
    post_only = boolean(params, "post_only")
    if post_only and order_type != "limit":
        raise Refuse(f"{INVALID_ARGUMENTS}:post_only")
    cl_ord_id = string(params, "cl_ord_id")
    userref = integer(params, "order_userref")
    if cl_ord_id is not None and userref is not None:
        raise Refuse(f"{INVALID_ARGUMENTS}:cl_ord_id and order_userref are exclusive")
    if cl_ord_id is not None and not _CL_ORD_ID.fullmatch(cl_ord_id):
        raise Refuse(f"{INVALID_ARGUMENTS}:cl_ord_id")
    return OrderArgs(
        symbol=symbol,
        side=side,
        type=order_type,
        size=size,
        price=price,
        time_in_force=tif,
        post_only=post_only,
        cl_ord_id=cl_ord_id,
        userref=userref or 0,
        expire_at=None if expire_text is None else rfc3339_ns(expire_text),
        validate=boolean(params, "validate"),
    )


def engine_error(exc: PaperError) -> str:
    """Kraken's error string for a paper-engine refusal."""
    if exc.code == "insufficient_funds":
        return "EOrder:Insufficient funds"
    if exc.code == "unknown_order":
        return INVALID_ORDER
    if exc.code == "unknown_symbol":
        return UNKNOWN_PAIR
    if exc.code == "duplicate_client_id":
        return f"{INVALID_ARGUMENTS}:cl_ord_id already used by an open order"
    if exc.code == "post_only_would_take":
        return "EOrder:Post only order"
    return {
        "min_size": "EOrder:Order minimum not met",
        "min_cost": "EOrder:Cost minimum not met",
        "price": "EOrder:Invalid price",
        "tick": "EOrder:Invalid price",
        "size": f"{INVALID_ARGUMENTS}:order_qty",
    }.get(exc.detail or "", INVALID_ARGUMENTS)
