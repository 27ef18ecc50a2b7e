"""Decode KuCoin's private pushes and normalize them into :mod:`tickwire.core` types.

Pure functions, like :mod:`tickwire.adapters.kucoin.parse` (whose symbol mapping they
share)::

    data = decode_private(msg)                   # orderChange or account.balance
    match data:
        case OrderChangeData():                  # core's tracker adds the average price
            update = tracker.apply(to_report(data, fee_rates), received)
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

from collections.abc import Mapping
from decimal import Decimal
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
from tickwire.core.checks import Fields
from tickwire.core.errors import DecodeError
from tickwire.core.order_tracker import OrderReport
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderStatus, OrderType, OrderUpdate, Side, Trade
from tickwire.core.validation import MAX_TS_NS, MIN_TS_NS, ZERO

__all__ = [
    "SPOT_ACCOUNTS",
    "candle_from",
    "decode_private",
    "fill_from",
    "order_from",
    "order_status",
    "to_balance",
    "to_balances",
    "to_book",
    "to_report",
    "trade_from",
]

_MS = 1_000_000  # ns per ms
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_ORDER_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
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
_DETAIL_VALUES = Fields(
    zero_prices=("price",),  # 0 on a market order
    sizes=("size", "deal_size", "remain_size", "cancelled_size"),
)
_FILL_VALUES = Fields(prices=("price",), sizes=("size", "fee"))
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
        side=_SIDES[data.side],
        order_type=_ORDER_TYPES.get(data.order_type),
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
    stamp = data.time
    ts = int(stamp) * _MS if stamp.isdigit() and stamp.isascii() else -1
    if not MIN_TS_NS <= ts <= MAX_TS_NS:
        raise DecodeError(f"kucoin: bad balance time {stamp!r}", stamp)
    _BALANCE_VALUES.check(data, "kucoin: balance")
    return Balance(venue=VENUE, asset=data.currency, total=data.total, available=data.available,
                   hold=data.hold, ts=ts, received=received)  # fmt: skip


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
    _DETAIL_VALUES.check(detail, "kucoin: order")
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
    _FILL_VALUES.check(row, "kucoin: fill")
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
