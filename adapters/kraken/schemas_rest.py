"""Kraken Spot REST results (``/0/public/*``, ``/0/private/*``), field names verbatim.

Shapes as docs.kraken.com documents them. REST keeps Kraken's older names: assets are
codes (``XXBT``, ``ZUSD``; newer ones bare, ``SOL``) with an ``altname`` (``XBT``), pairs
are keyed by a code (``XXBTZUSD``) with an ``altname`` (``XBTUSD``) and a ``wsname``
(``XBT/USD``). Amounts are strings, decoded to ``Decimal`` straight from the bytes;
times are seconds (numbers, fractional for orders and fills), also decoded as
``Decimal`` so that no float rounds a nanosecond away.

Results keyed by pair also carry ``last`` (a cursor of another type), so those are read
in two steps: ``dict[str, msgspec.Raw]``, then the pair's entry.
"""

from __future__ import annotations

from decimal import Decimal

from tickwire.adapters.kraken.schemas import _Wire  # unknown fields ignored

__all__ = [
    "AssetInfo",
    "BalanceEx",
    "ClosedOrders",
    "DepthBook",
    "DepthRow",
    "OhlcRow",
    "OpenOrders",
    "OrderDescr",
    "OrderInfo",
    "PairInfo",
    "PublicTrade",
    "ServerTimeResult",
    "TradeInfo",
    "TradesHistory",
]


class ServerTimeResult(_Wire, frozen=True, gc=False):
    """``Time``: ``unixtime`` (whole seconds; also sent as RFC 1123 text)."""

    unixtime: int


class AssetInfo(_Wire, frozen=True, gc=False):
    """``Assets`` entry (keyed by asset code)."""

    altname: str  # XBT for XXBT


class PairInfo(_Wire, frozen=True, gc=False):
    """``AssetPairs`` entry (keyed by pair code, or by the name asked for)."""

    altname: str  # XBTUSD
    base: str  # asset code: XXBT
    quote: str  # ZUSD
    wsname: str | None = None  # XBT/USD; absent on some dark-pool pairs


class DepthRow(_Wire, frozen=True, gc=False, array_like=True):
    """``Depth`` level: ``[price, volume, timestamp]``."""

    price: Decimal
    volume: Decimal
    timestamp: int


class DepthBook(_Wire, frozen=True, gc=False):
    """``Depth`` entry: both sides, best first."""

    asks: list[DepthRow]
    bids: list[DepthRow]


class PublicTrade(_Wire, frozen=True, gc=False, array_like=True):
    """``Trades`` row: ``[price, volume, time, side, order type, misc, trade_id]``."""

    price: Decimal
    volume: Decimal
    time: Decimal  # seconds, fractional
    side: str  # b (buy) / s (sell): the taker's
    ordertype: str  # l (limit) / m (market)
    misc: str
    trade_id: int = 0  # added in 2023; older rows lack it


class OhlcRow(_Wire, frozen=True, gc=False, array_like=True):
    """``OHLC`` row: ``[time, open, high, low, close, vwap, volume, count]``."""

    time: int  # the bucket's start, seconds
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    vwap: Decimal
    volume: Decimal  # then the trade count, not read


class BalanceEx(_Wire, frozen=True, gc=False):
    """``BalanceEx`` entry (keyed by asset code)."""

    balance: Decimal
    hold_trade: Decimal = Decimal(0)  # held by open orders


class OrderDescr(_Wire, frozen=True, gc=False):
    """An order's ``descr``."""

    pair: str  # the pair's altname (XBTUSD)
    type: str  # buy / sell
    ordertype: str  # limit, market, stop-loss, ...
    price: Decimal = Decimal(0)  # the limit price (0 for market)


class OrderInfo(_Wire, frozen=True, gc=False):
    """An ``OpenOrders`` / ``ClosedOrders`` / ``QueryOrders`` entry (keyed by txid)."""

    status: str  # pending, open, closed, canceled, expired
    opentm: Decimal
    descr: OrderDescr
    vol: Decimal
    vol_exec: Decimal
    fee: Decimal = Decimal(0)
    price: Decimal = Decimal(0)  # average fill price
    cl_ord_id: str | None = None
    closetm: Decimal | None = None
    reason: str | None = None


class OpenOrders(_Wire, frozen=True, gc=False):
    """``OpenOrders``: ``{open: {txid: order}}``."""

    open: dict[str, OrderInfo]


class ClosedOrders(_Wire, frozen=True, gc=False):
    """``ClosedOrders``: ``{closed: {txid: order}, count}`` (newest first, 50 a page)."""

    closed: dict[str, OrderInfo]


class TradeInfo(_Wire, frozen=True, gc=False):
    """A ``TradesHistory`` entry (keyed by trade txid)."""

    ordertxid: str
    pair: str  # the pair's code (XXBTZUSD)
    time: Decimal
    type: str  # buy / sell
    price: Decimal
    vol: Decimal
    fee: Decimal = Decimal(0)


class TradesHistory(_Wire, frozen=True, gc=False):
    """``TradesHistory``: ``{trades: {txid: trade}, count}`` (newest first, 50 a page)."""

    trades: dict[str, TradeInfo]
    count: int = 0
