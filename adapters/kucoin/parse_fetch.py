"""KuCoin's one-shot REST replies → :mod:`tickwire.core` types. Pure functions.

Normalized exactly as the pushes are: trades and candles go through the same
:func:`~tickwire.adapters.kucoin.parse.to_trade` / :func:`~.parse.to_candle`, balances
through :func:`~tickwire.adapters.kucoin.parse_private.to_balance`, book levels through
:func:`~.parse.valid_levels`; a value out of range is a
:class:`~tickwire.core.errors.DecodeError`, as on the socket.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tickwire.adapters.kucoin.parse import VENUE, to_candle, to_trade, to_unified, valid_levels
from tickwire.adapters.kucoin.parse_private import to_balance
from tickwire.adapters.kucoin.schemas import BalanceData, CandleData, Level2Snapshot, MatchData
from tickwire.adapters.kucoin.schemas_fetch import AccountRow, CandleRow, FillRow, HistoryTrade
from tickwire.adapters.kucoin.trade_schemas import OrderDetail
from tickwire.core.book import OrderBook
from tickwire.core.errors import DecodeError
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderStatus, OrderType, OrderUpdate, Side, Trade
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, ZERO

__all__ = [
    "SPOT_ACCOUNTS",
    "candle_from",
    "fill_from",
    "order_from",
    "to_balances",
    "to_book",
    "trade_from",
]

SPOT_ACCOUNTS = frozenset({"trade", "trade_hf"})
"""The accounts spot orders trade against: an HF user's funds are in ``trade_hf``, a
classic user's in ``trade``; both are summed per asset (``main`` and ``margin`` are not
tradable by spot orders, so they are left out)."""

_MS = 1_000_000  # ns per ms
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_ORDER_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}


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


def _check(detail: OrderDetail) -> None:
    try:
        if detail.price is not None and not ZERO <= detail.price < MAX_PRICE:
            raise DecodeError(f"kucoin: order price out of range: {detail.price}", repr(detail))
        for size in (detail.size, detail.deal_size, detail.remain_size, detail.cancelled_size):
            if size is not None and not ZERO <= size < MAX_SIZE:
                raise DecodeError(f"kucoin: order size out of range: {size}", repr(detail))
    except InvalidOperation:  # NaN
        raise DecodeError("kucoin: order value is NaN", repr(detail)) from None


def order_status(detail: OrderDetail) -> OrderStatus:
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
    _check(detail)
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
        status=order_status(detail),
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
    try:
        valid = ZERO < row.price < MAX_PRICE and ZERO < row.size < MAX_SIZE and row.fee >= ZERO
    except InvalidOperation:  # NaN
        valid = False
    if not valid:
        raise DecodeError("kucoin: fill price, size or fee out of range", repr(row))
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
