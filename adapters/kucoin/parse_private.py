"""Decode KuCoin's private pushes and normalize them into :mod:`tickwire.core` types.

Pure functions, like :mod:`tickwire.adapters.kucoin.parse` (whose symbol mapping they
share)::

    data = decode_private(msg)                   # orderChange or account.balance
    match data:
        case OrderChangeData():                  # core's tracker adds the average price
            update = tracker.apply(to_report(data, fee_rates), received)
        case BalanceData():
            balance = to_balance(data, received)

``/spotMarket/tradeOrdersV2`` events map onto core's one order lifecycle
(:class:`~tickwire.core.types.OrderStatus`) as tabled in ``docs/venues/kucoin.md``
(:func:`order_status`). Anything that does not fit raises
:class:`~tickwire.core.errors.DecodeError` only, a value out of the rules of
:mod:`tickwire.core.validation` included. The one-shot REST replies are normalized in
:mod:`.fetch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.adapters.kucoin.parse import SIDES, VENUE, to_unified
from tickwire.adapters.kucoin.schemas import (
    BalanceData,
    Message,
    OrderChangeData,
)
from tickwire.core.checks import Fields
from tickwire.core.decoding import digits, strict
from tickwire.core.errors import DecodeError
from tickwire.core.order_tracker import OrderReport
from tickwire.core.types import Balance, OrderStatus, OrderType
from tickwire.core.validation import MAX_TS_NS, MIN_TS_NS

__all__ = [
    "ORDER_TYPES",
    "decode_private",
    "order_status",
    "to_balance",
    "to_report",
]

_MS = 1_000_000  # ns per ms
ORDER_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
"""KuCoin's order types."""
_ORDER_EVENTS = {
    "received": OrderStatus.PENDING,
    "open": OrderStatus.OPEN,
    "match": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
}
_ORDER_VALUES = Fields(
    prices=("price", "match_price"),
    sizes=("size", "origin_size", "filled_size", "remain_size", "canceled_size", "match_size"),
)
_BALANCE_VALUES = Fields(sizes=("total", "available", "hold"))
_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    "orderChange": msgspec.json.Decoder(OrderChangeData),
    "account.balance": msgspec.json.Decoder(BalanceData),
}


def decode_private(msg: Message) -> OrderChangeData | BalanceData:
    """Decode a private push's ``data`` (``orderChange`` or ``account.balance``).

    Any other subject, or data that does not fit, raises
    :class:`~tickwire.core.errors.DecodeError`.
    """
    decoder = _decoders.get(msg.subject)
    if decoder is None:
        raise DecodeError(f"kucoin: unknown private subject {msg.subject!r}", bytes(msg.data))
    data: OrderChangeData | BalanceData = strict(
        decoder, msg.data, f"kucoin: bad {msg.subject!r} data"
    )
    return data


def order_status(data: OrderChangeData) -> OrderStatus:
    """The one lifecycle, from KuCoin's event ``type`` (the module docstring's table)."""
    if data.type == "update":
        if data.status == "done":
            return OrderStatus.CANCELED
        return OrderStatus.PARTIALLY_FILLED if data.filled_size else OrderStatus.OPEN
    status = _ORDER_EVENTS.get(data.type)
    if status is None:
        raise DecodeError(f"kucoin: unknown order event {data.type!r}", data.type)
    return status


def to_report(data: OrderChangeData, fee_rates: Mapping[str, Decimal]) -> OrderReport:
    """One ``orderChange`` in core terms, for core's
    :class:`~tickwire.core.order_tracker.OrderTracker`, which adds the average price.

    The push carries cumulative sizes but no fee (today): a fill's fee is computed as
    ``matchPrice * matchSize * rate`` in the quote currency (KuCoin charges spot fees
    there), ``rate`` the ``"maker"`` or ``"taker"`` one of ``fee_rates`` as ``feeType``
    (else ``liquidity``) says; a ``fee`` in the push is used as sent. ``size`` is the
    current size (``originSize`` on ``received``, which has no ``size``).
    """
    _ORDER_VALUES.check(data, "kucoin: order")
    symbol = to_unified(data.symbol)
    fill = data.type == "match"
    cost = fee = None
    if fill and data.match_price is not None and data.match_size is not None:
        cost = data.match_price * data.match_size
        maker = data.fee_type == "makerFee" if data.fee_type else data.liquidity == "maker"
        fee = data.fee if data.fee is not None else cost * fee_rates["maker" if maker else "taker"]
    reason = None
    if data.type == "update" and data.old_size is not None:
        reason = f"size {data.old_size} -> {data.size}"
    return OrderReport(
        order_id=data.order_id,
        ts=data.ts,
        status=order_status(data),
        client_id=data.client_oid,
        symbol=symbol,
        side=SIDES[data.side],
        order_type=ORDER_TYPES.get(data.order_type),
        price=data.price,
        size=data.size if data.size is not None else data.origin_size,
        filled=data.filled_size,
        reason=reason,
        fill=fill,
        fill_id=data.trade_id,
        fill_price=data.match_price,
        fill_size=data.match_size,
        fill_cost=cost,
        fee=fee,
        fee_asset=None if fee is None else symbol.partition("/")[2],
    )


def to_balance(data: BalanceData, received: int) -> Balance:
    """Normalize ``account.balance``: one currency's total, available and held amounts."""
    ts = digits(data.time, "kucoin: bad balance time") * _MS
    if not MIN_TS_NS <= ts <= MAX_TS_NS:
        raise DecodeError(f"kucoin: bad balance time {data.time!r}", data.time)
    _BALANCE_VALUES.check(data, "kucoin: balance")
    return Balance(venue=VENUE, asset=data.currency, total=data.total, available=data.available,
                   hold=data.hold, ts=ts, received=received)  # fmt: skip
