"""Kraken REST results → core types: pure functions, like :mod:`.parse` for the sockets.

REST spells assets and pairs the old way (``XXBT``, ``XBTUSD``, ``XXBTZUSD``);
:func:`names`, built from ``Assets`` and ``AssetPairs``, turns them into the
WebSocket v2 spelling every event uses (``BTC``, ``BTC/USD``). Times are seconds,
decoded as ``Decimal`` and turned into integer ns without a float in between.
"""

from __future__ import annotations

from decimal import Decimal

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.parse import VENUE
from tickwire.adapters.kraken.schemas_rest import AssetInfo, OhlcRow, OrderInfo, PairInfo, TradeInfo
from tickwire.core.errors import DecodeError
from tickwire.core.fetcher import NS, Names
from tickwire.core.positions import Fill
from tickwire.core.types import Candle, OrderStatus, OrderType, OrderUpdate, Side

__all__ = ["SIDES", "names", "ns", "to_candle", "to_fill", "to_order_update"]

_ALTNAMES = {"XBT": "BTC", "XDG": "DOGE"}  # Kraken's own names → everyone else's
SIDES = {**parse.SIDES, "b": Side.BUY, "s": Side.SELL}
"""Kraken's sides (orders: ``buy``/``sell``; public trades: ``b``/``s``)."""
_TERMINAL = {"canceled": OrderStatus.CANCELED, "expired": OrderStatus.EXPIRED}


def ns(seconds: Decimal | int) -> int:
    """Seconds (exact) → integer ns."""
    return int(seconds * NS)


def names(assets: dict[str, AssetInfo], pairs: dict[str, PairInfo]) -> Names:
    """The name tables from ``Assets`` and ``AssetPairs``: ``XXBT`` → ``BTC``; a pair's
    code, altname or wsname → ``BTC/USD``; ``BTC/USD`` → its altname (what requests
    send)."""
    codes = {code: _ALTNAMES.get(a.altname, a.altname) for code, a in assets.items()}
    table = {**_ALTNAMES, **codes}
    symbols: dict[str, str] = {}
    natives: dict[str, str] = {}
    for code, pair in pairs.items():
        symbol = f"{table.get(pair.base, pair.base)}/{table.get(pair.quote, pair.quote)}"
        symbols |= {alias: symbol for alias in (code, pair.altname, pair.wsname) if alias}
        natives.setdefault(symbol, pair.altname)
    return Names(table, symbols, natives)


def to_candle(symbol: str, interval: int, row: OhlcRow, received: int) -> Candle:
    """One ``OHLC`` row as a :class:`Candle` (``ts`` is its start: the row has no other)."""
    start = row.time * NS
    return Candle(
        venue=VENUE,
        symbol=symbol,
        interval=interval,
        start=start,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        ts=start,
        received=received,
    )


def to_order_update(names: Names, txid: str, info: OrderInfo, received: int) -> OrderUpdate:
    """One order entry as an :class:`OrderUpdate` (its latest state)."""
    status = _status(info)
    order_type = parse.ORDER_TYPES.get(info.descr.ordertype)
    filled = info.vol_exec
    return OrderUpdate(
        venue=VENUE,
        symbol=names.symbol(info.descr.pair),
        order_id=txid,
        client_id=info.cl_ord_id,
        side=SIDES.get(info.descr.type),
        order_type=order_type,
        status=status,
        price=info.descr.price if order_type is OrderType.LIMIT else None,
        size=info.vol,
        filled=filled,
        remaining=Decimal(0) if status.is_terminal else info.vol - filled,
        avg_price=info.price if filled else None,
        fee=info.fee,
        reason=info.reason,
        ts=ns(info.closetm if info.closetm is not None else info.opentm),
        received=received,
    )


def _status(info: OrderInfo) -> OrderStatus:
    if info.status == "pending":
        return OrderStatus.PENDING
    if info.status == "open":
        return OrderStatus.PARTIALLY_FILLED if info.vol_exec else OrderStatus.OPEN
    if info.status == "closed":  # closed: executed; what did not fill was cancelled
        return OrderStatus.FILLED if info.vol_exec >= info.vol else OrderStatus.CANCELED
    status = _TERMINAL.get(info.status)
    if status is None:
        raise DecodeError(f"kraken: unknown order status {info.status!r}")
    return status


def to_fill(names: Names, trade: TradeInfo) -> Fill:
    """One ``TradesHistory`` entry as a :class:`Fill`.

    Kraken charges fees in the quote unless the order asked otherwise and the entry does
    not say which, so ``fee_asset`` stays ``None`` (taken as the quote).
    """
    return Fill(
        symbol=names.symbol(trade.pair),
        order_id=trade.ordertxid,
        side=SIDES[trade.type],
        price=trade.price,
        size=trade.vol,
        fee=trade.fee,
        ts=ns(trade.time),
    )
