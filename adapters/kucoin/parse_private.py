"""Decode KuCoin's private pushes and normalize them into :mod:`tickwire.core` types.

Pure functions, like :mod:`tickwire.adapters.kucoin.parse` (whose symbol mapping they
share)::

    data = decode_private(msg)                   # orderChange or account.balance
    match data:
        case OrderChangeData():
            update = to_order_update(data, received, avg_price=..., fee=...)
        case BalanceData():
            balance = to_balance(data, received)

One lifecycle for every venue (:class:`~tickwire.core.types.OrderStatus`), from
``/spotMarket/tradeOrdersV2`` (reference §8.1):

==================  ==================  =================================================
KuCoin type         status              notes
==================  ==================  =================================================
``received``        pending             V2 only: the order reached the matching engine
``open``            open                resting in the book
``match``           partially_filled    every fill, the last one included; carries the
                                        fill (``last_fill_*``) and its fee
``update``          open / partially…   a size change (partial cancel, STP); ``size`` is
                                        the new size, ``reason`` says from what;
                                        with status ``done``: canceled
``filled``          filled              terminal
``canceled``        canceled            terminal (also the old order of an amend)
==================  ==================  =================================================

Anything that does not fit raises :class:`~tickwire.core.errors.DecodeError` only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tickwire.adapters.kucoin.parse import VENUE, to_unified
from tickwire.adapters.kucoin.schemas import BalanceData, Message, OrderChangeData
from tickwire.core.errors import DecodeError
from tickwire.core.types import Balance, OrderStatus, OrderType, OrderUpdate, Side

__all__ = ["decode_private", "order_status", "to_balance", "to_order_update"]

_MS = 1_000_000  # ns per ms
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_ORDER_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
_ORDER_STATUSES = {
    "received": OrderStatus.PENDING,
    "open": OrderStatus.OPEN,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
}
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
    try:
        data: OrderChangeData | BalanceData = decoder.decode(msg.data)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise DecodeError(f"kucoin: bad {msg.subject!r} data: {exc}", bytes(msg.data)) from exc
    return data


def order_status(data: OrderChangeData) -> OrderStatus:
    """The one lifecycle, from KuCoin's event ``type`` (and, for ``update``, the fills).

    ``received`` → pending, ``open`` → open, every ``match`` → partially filled (the
    terminal ``filled`` event follows the last one), ``filled`` → filled, ``canceled`` →
    canceled, ``update`` (a size change) → open, or partially filled once something filled;
    an ``update`` with status ``done`` (the rest canceled, e.g. by STP) → canceled.
    """
    kind = data.type
    if kind == "match":
        return OrderStatus.PARTIALLY_FILLED
    if kind == "update":
        if data.status == "done":
            return OrderStatus.CANCELED
        filled = data.filled_size
        return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.OPEN
    status = _ORDER_STATUSES.get(kind)
    if status is None:
        raise DecodeError(f"kucoin: unknown order event {kind!r}", kind)
    return status


def to_order_update(
    data: OrderChangeData,
    received: int,
    *,
    avg_price: Decimal | None = None,
    fee: Decimal | None = None,
) -> OrderUpdate:
    """Normalize one ``orderChange`` event.

    The push carries cumulative sizes but neither the average price nor (today) a fee:
    the caller, which sees every fill of the order, passes ``avg_price`` and the ``fee``
    of this event's fill (:class:`tickwire.adapters.kucoin.private.FillBook`). ``size``
    is the current size (``originSize`` on ``received``, which has neither ``size`` nor
    ``remainSize``: ``remaining`` is then ``size - filled``); fees are in the quote
    currency, as KuCoin charges spot fees.
    """
    symbol = to_unified(data.symbol)
    matched = data.type == "match"
    size = data.size if data.size is not None else data.origin_size
    filled = data.filled_size or Decimal(0)
    remaining = data.remain_size
    if remaining is None and size is not None:  # "received" says only what was submitted
        remaining = size - filled
    reason = None
    if data.type == "update" and data.old_size is not None:
        reason = f"size {data.old_size} -> {data.size}"
    return OrderUpdate(
        venue=VENUE,
        symbol=symbol,
        order_id=data.order_id,
        client_id=data.client_oid,
        side=_SIDES[data.side],
        order_type=_ORDER_TYPES.get(data.order_type),
        status=order_status(data),
        price=data.price,
        size=size,
        filled=filled,
        remaining=remaining,
        avg_price=avg_price,
        last_fill_price=data.match_price if matched else None,
        last_fill_size=data.match_size if matched else None,
        fee=fee,
        fee_asset=None if fee is None else symbol.partition("/")[2],
        reason=reason,
        ts=data.ts,
        received=received,
    )


def to_balance(data: BalanceData, received: int) -> Balance:
    """Normalize ``account.balance``: one currency's total, available and held amounts."""
    stamp = data.time
    if not (stamp.isdigit() and stamp.isascii()):
        raise DecodeError(f"kucoin: bad balance time {stamp!r}", stamp)
    return Balance(
        venue=VENUE,
        asset=data.currency,
        total=data.total,
        available=data.available,
        hold=data.hold,
        ts=int(stamp) * _MS,
        received=received,
    )
