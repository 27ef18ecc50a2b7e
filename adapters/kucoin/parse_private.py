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

The one-shot REST replies (:mod:`.fetch`) are normalized here too, exactly as the pushes
are: trades and candles through :func:`~.parse.to_trade` / :func:`~.parse.to_candle`,
balances through :func:`to_balance`, book levels through :func:`~.parse.valid_levels`.

Anything that does not fit raises :class:`~tickwire.core.errors.DecodeError` only, a
value out of the rules of :mod:`tickwire.core.validation` included (a price ``<= 0``, a
negative or infinite size, a time outside 2000..2100).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tickwire.adapters.kucoin.parse import (
    UNDECODABLE,
    VENUE,
    to_candle,
    to_trade,
    to_unified,
    valid_levels,
)
from tickwire.adapters.kucoin.schemas import (
    BalanceData,
    CandleData,
    Level2Snapshot,
    MatchData,
    Message,
    OrderChangeData,
)
from tickwire.adapters.kucoin.trade_schemas import (
    AccountRow,
    CandleRow,
    FillRow,
    HistoryTrade,
    OrderDetail,
)
from tickwire.core.book import OrderBook
from tickwire.core.errors import DecodeError
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderStatus, OrderType, OrderUpdate, Side, Trade
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS, ZERO

__all__ = [
    "SPOT_ACCOUNTS",
    "candle_from",
    "check_order",
    "decode_private",
    "fill_from",
    "order_from",
    "order_status",
    "to_balance",
    "to_balances",
    "to_book",
    "to_order_update",
    "trade_from",
]

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
    except UNDECODABLE as exc:
        raise DecodeError(f"kucoin: bad {msg.subject!r} data: {exc!r}", bytes(msg.data)) from exc
    return data


def order_status(data: OrderChangeData) -> OrderStatus:
    """The one lifecycle, from KuCoin's event ``type`` (the module docstring's table)."""
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
    check_order(data)
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


def check_order(data: OrderChangeData) -> None:
    """Raise :class:`~tickwire.core.errors.DecodeError` unless every price present is
    ``> 0`` and every size ``>= 0`` (finite, within the rules)."""
    prices = (data.price, data.match_price)
    sizes = (data.size, data.origin_size, data.filled_size, data.remain_size,
             data.canceled_size, data.match_size)  # fmt: skip
    _check_values("order", prices, sizes, data)


def _check_values(
    what: str, prices: tuple[Decimal | None, ...], sizes: tuple[Decimal | None, ...], data: object
) -> None:
    try:
        for price in prices:
            if price is not None and not ZERO < price < MAX_PRICE:
                raise DecodeError(f"kucoin: {what} price out of range: {price}", repr(data))
        for size in sizes:
            if size is not None and not ZERO <= size < MAX_SIZE:
                raise DecodeError(f"kucoin: {what} amount out of range: {size}", repr(data))
    except InvalidOperation:  # NaN
        raise DecodeError(f"kucoin: {what} value is NaN", repr(data)) from None


def to_balance(data: BalanceData, received: int) -> Balance:
    """Normalize ``account.balance``: one currency's total, available and held amounts."""
    stamp = data.time
    ts = int(stamp) * _MS if stamp.isdigit() and stamp.isascii() else -1
    if not MIN_TS_NS <= ts <= MAX_TS_NS:
        raise DecodeError(f"kucoin: bad balance time {stamp!r}", stamp)
    total, available, hold = data.total, data.available, data.hold
    _check_values("balance", (), (total, available, hold), data)
    return Balance(venue=VENUE, asset=data.currency, total=total, available=available,
                   hold=hold, ts=ts, received=received)  # fmt: skip


# --- the one-shot REST replies (:mod:`.fetch`) ----------------------------------------

SPOT_ACCOUNTS = frozenset({"trade", "trade_hf"})
"""The accounts spot orders trade against: an HF user's funds are in ``trade_hf``, a
classic user's in ``trade``; both are summed per asset (``main`` and ``margin`` are not
tradable by spot orders, so they are left out)."""


def to_balances(rows: list[AccountRow], received: int) -> dict[str, Balance]:
    """``/api/v1/accounts`` rows → one :class:`Balance` per asset (spot accounts summed).

    The reply carries no time: ``ts`` is when it arrived (ms precision, as the pushes).
    """
    sums: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for row in rows:
        if row.type not in SPOT_ACCOUNTS:
            continue
        total, available, hold = sums.get(row.currency, (ZERO, ZERO, ZERO))
        sums[row.currency] = (total + row.balance, available + row.available, hold + row.holds)
    stamp = str(received // _MS)
    return {
        asset: to_balance(
            BalanceData(currency=asset, total=t, available=a, hold=h, time=stamp), received
        )
        for asset, (t, a, h) in sorted(sums.items())
    }


def detail_status(detail: OrderDetail) -> OrderStatus:
    """The lifecycle state of a REST order: open (partially filled once something
    filled) while ``active``; once done, canceled if any of it was, else filled."""
    filled = detail.deal_size or ZERO
    if detail.active:
        return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.OPEN
    if detail.cancel_exist or (detail.cancelled_size or ZERO) > 0:
        return OrderStatus.CANCELED
    return OrderStatus.FILLED


def order_from(detail: OrderDetail, received: int) -> OrderUpdate:
    """An HF order (``/api/v1/hf/orders/...``) → :class:`OrderUpdate`.

    ``avg_price`` is ``dealFunds / dealSize``; ``fee`` the order's total, in
    ``feeCurrency``; ``ts`` the order's last change (ms → ns), else ``received``. A market
    order's ``price`` (``0`` on the venue) is ``None``.
    """
    _check_values(
        "order",
        (detail.price or None,),  # 0 on a market order
        (detail.size, detail.deal_size, detail.remain_size, detail.cancelled_size),
        detail,
    )
    filled = detail.deal_size or ZERO
    avg = None
    if filled and detail.deal_funds is not None:
        avg = detail.deal_funds / filled
    stamp = detail.last_updated_at or detail.created_at
    return OrderUpdate(
        venue=VENUE,
        symbol=to_unified(detail.symbol),
        order_id=detail.id,
        client_id=detail.client_oid or None,
        side=_SIDES.get(detail.side),
        order_type=_ORDER_TYPES.get(detail.type),
        status=detail_status(detail),
        price=detail.price or None,
        size=detail.size,
        filled=filled,
        remaining=detail.remain_size,
        avg_price=avg,
        fee=detail.fee,
        fee_asset=detail.fee_currency if detail.fee is not None else None,
        ts=stamp * _MS if stamp else received,
        received=received,
    )


def fill_from(row: FillRow) -> Fill:
    """One ``/api/v1/hf/fills`` row → core :class:`~tickwire.core.positions.Fill`."""
    _check_values("fill", (row.price,), (row.size, row.fee), row)
    if not row.size:
        raise DecodeError("kucoin: a fill of size 0", repr(row))
    return Fill(
        symbol=to_unified(row.symbol),
        order_id=row.order_id,
        side=_SIDES[row.side],
        price=row.price,
        size=row.size,
        fee=row.fee,
        fee_asset=row.fee_currency,
        ts=row.created_at * _MS,
    )


def trade_from(native: str, row: HistoryTrade, received: int) -> Trade:
    """One ``/market/histories`` row → :class:`Trade` (``trade_id``: its sequence)."""
    match = MatchData(
        maker_order_id="",
        taker_order_id="",
        price=row.price,
        size=row.size,
        side=row.side,
        sequence=row.sequence,
        symbol=native,
        time=str(row.time),
        trade_id=row.sequence,
    )
    return to_trade(match, received)


def candle_from(native: str, row: CandleRow, interval: int, received: int) -> Candle:
    """One ``/market/candles`` row → :class:`Candle`; ``ts`` is the bar's start (the
    reply has no other time)."""
    start = row[0]
    ts = int(start) * 1_000_000_000 if start.isdigit() and start.isascii() else received
    return to_candle(CandleData(symbol=native, candles=row, time=ts), interval, received)


def to_book(symbol: str, snapshot: Level2Snapshot, depth: int | None) -> OrderBook:
    """A REST book snapshot → a synced :class:`OrderBook` (top ``depth`` levels)."""
    text = snapshot.sequence
    if not (text.isdigit() and text.isascii()):
        raise DecodeError(f"kucoin: bad snapshot sequence {text!r}", text)
    book = OrderBook(VENUE, symbol, depth=depth)
    book.apply_snapshot(
        [(level.price, level.size) for level in valid_levels(snapshot.bids, "book bid")],
        [(level.price, level.size) for level in valid_levels(snapshot.asks, "book ask")],
        sequence=int(text),
        ts=snapshot.time * _MS,
    )
    return book
