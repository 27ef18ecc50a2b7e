"""Kraken REST order fields: ``AddOrder`` form → :class:`OrderArgs`, orders and trades →
the ``OpenOrders``/``QueryOrders``/``TradesHistory`` entries.

REST spells orders differently from WebSocket v2: ``type`` is the side, ``ordertype``
the type, ``volume``/``price`` are decimal strings, ``oflags`` a comma list (``post``;
``fcib``/``fciq``/``nompp`` accepted and ignored), ``timeinforce`` upper case
(``GTC``/``IOC``/``GTD`` with ``expiretm``), ``userref`` an integer, ``cl_ord_id`` the
client id. Refusals carry the venue's strings (:class:`~.orderparams.Refuse`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from tickwire.exchanges.base.paper import Fill, PaperOrder
from tickwire.exchanges.kraken.orderparams import INVALID_ARGUMENTS, OrderArgs, Refuse
from tickwire.exchanges.kraken.restnames import UNKNOWN_PAIR, PairName, RestNames, decimal_text

__all__ = ["STATUS", "add_order_args", "describe", "order_info", "trade_info"]

STATUS = {
    "new": "pending",
    "open": "open",
    "partially_filled": "open",
    "filled": "closed",
    "canceled": "canceled",
    "expired": "expired",
    "rejected": "canceled",
}
"""Paper engine state → Kraken REST order ``status``."""

_FIELDS = frozenset(
    {"nonce", "pair", "type", "ordertype", "volume", "price", "oflags", "timeinforce",
     "expiretm", "userref", "cl_ord_id", "validate", "starttm", "deadline", "trading_agreement"}
)  # fmt: skip
_IGNORED_FLAGS = frozenset({"fcib", "fciq", "nompp"})


def _decimal(form: Mapping[str, str], name: str) -> Decimal | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Refuse(f"{INVALID_ARGUMENTS}:{name}") from None
    if not number.is_finite():
        raise Refuse(f"{INVALID_ARGUMENTS}:{name}")
    return number


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1")


def add_order_args(form: Mapping[str, str], names: RestNames) -> OrderArgs:
    """The order an ``AddOrder`` form asks for (:class:`Refuse` with Kraken's words)."""
    for field in form:
        if field not in _FIELDS:
            raise Refuse(f"{INVALID_ARGUMENTS}:{field} is not supported by the emulator")
    pair = names.pair(form.get("pair", ""))
    if pair is None:
        raise Refuse(UNKNOWN_PAIR)
    side, order_type = form.get("type"), form.get("ordertype")
    if side not in ("buy", "sell"):
        raise Refuse(f"{INVALID_ARGUMENTS}:type")
    if order_type not in ("limit", "market"):
        raise Refuse(f"{INVALID_ARGUMENTS}:ordertype")
    size = _decimal(form, "volume")
    if size is None:
        raise Refuse(f"{INVALID_ARGUMENTS}:volume")
    price = _decimal(form, "price")
    if (price is None) == (order_type == "limit"):
        raise Refuse(f"{INVALID_ARGUMENTS}:price")
    flags = {f for f in form.get("oflags", "").split(",") if f}
    if flags - _IGNORED_FLAGS - {"post"}:
        raise Refuse(f"{INVALID_ARGUMENTS}:oflags")
    post_only = "post" in flags
    if post_only and order_type != "limit":
        raise Refuse(f"{INVALID_ARGUMENTS}:oflags")
    tif = form.get("timeinforce", "GTC").upper()
    if tif not in ("GTC", "IOC", "GTD"):
        raise Refuse(f"{INVALID_ARGUMENTS}:timeinforce")
    expire = form.get("expiretm")
    expire_at = None
    if tif == "GTD":
        if not expire or not expire.lstrip("+").isdigit():
            raise Refuse(f"{INVALID_ARGUMENTS}:expiretm")
        expire_at = int(expire.lstrip("+")) * 1_000_000_000
    userref = form.get("userref")
    if userref is not None and not userref.lstrip("-").isdigit():
        raise Refuse(f"{INVALID_ARGUMENTS}:userref")
    cl_ord_id = form.get("cl_ord_id") or None
    if cl_ord_id is not None and userref is not None:
        raise Refuse(f"{INVALID_ARGUMENTS}:cl_ord_id and userref are exclusive")
    return OrderArgs(
        symbol=pair.symbol,
        side=side,
        type=order_type,
        size=size,
        price=price,
        time_in_force=tif.lower(),
        post_only=post_only,
        cl_ord_id=cl_ord_id,
        userref=int(userref or 0),
        expire_at=expire_at,
        validate=_truthy(form.get("validate")),
    )


def describe(
    name: PairName, side: str, order_type: str, size: Decimal, price: Decimal | None
) -> str:
    """The ``descr.order`` text: ``buy 0.50000000 XBTUSD @ limit 60000.0``."""
    qty = decimal_text(size, name.pair.spec.qty_precision)
    if price is None:
        return f"{side} {qty} {name.altname} @ market"
    return (
        f"{side} {qty} {name.altname} @ limit {decimal_text(price, name.pair.spec.price_precision)}"
    )


def _seconds(ns: int) -> float:
    return round(ns / 1e9, 4)


def order_info(order: PaperOrder, name: PairName, userref: int) -> dict[str, Any]:
    """One ``OpenOrders``/``ClosedOrders``/``QueryOrders`` entry (closed: ``closetm``)."""
    spec = name.pair.spec
    price_text = "0" if order.price is None else decimal_text(order.price, spec.price_precision)
    avg = order.cost / order.filled if order.filled else Decimal(0)
    status = STATUS[order.state]
    info: dict[str, Any] = {
        "refid": None,
        "userref": userref,
        "status": status,
        "opentm": _seconds(order.created),
        "starttm": 0,
        "expiretm": 0 if order.expire_at is None else order.expire_at // 1_000_000_000,
        "descr": {
            "pair": name.altname,
            "type": order.side,
            "ordertype": order.type,
            "price": price_text,
            "price2": "0",
            "leverage": "none",
            "order": describe(name, order.side, order.type, order.size, order.price),
            "close": "",
        },
        "vol": decimal_text(order.size, spec.qty_precision),
        "vol_exec": decimal_text(order.filled, spec.qty_precision),
        "cost": decimal_text(order.cost, name.pair.cost_precision),
        "fee": decimal_text(order.fee, name.pair.cost_precision),
        "price": decimal_text(avg, spec.price_precision),
        "stopprice": "0",
        "limitprice": "0",
        "misc": "",
        "oflags": "post,fciq" if order.post_only else "fciq",
    }
    if order.client_id is not None:
        info["cl_ord_id"] = order.client_id
    if status in ("closed", "canceled", "expired"):
        info["closetm"] = _seconds(order.updated)
        info["reason"] = "User requested" if status == "canceled" else None
    return info


def trade_info(
    fill: Fill, order: PaperOrder | None, name: PairName, trade_id: int
) -> dict[str, Any]:
    """One ``TradesHistory`` entry."""
    spec = name.pair.spec
    return {
        "ordertxid": fill.order_id,
        "postxid": "",
        "pair": name.code,
        "time": _seconds(fill.ts),
        "type": fill.side,
        "ordertype": "limit" if order is None else order.type,
        "price": decimal_text(fill.price, spec.price_precision),
        "cost": decimal_text(fill.cost, name.pair.cost_precision),
        "fee": decimal_text(fill.fee, name.pair.cost_precision),
        "vol": decimal_text(fill.size, spec.qty_precision),
        "margin": "0",
        "leverage": "0",
        "misc": "",
        "trade_id": trade_id,
        "maker": fill.liquidity == "maker",
    }
