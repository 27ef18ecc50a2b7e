"""Kraken Spot WebSocket v2 wire messages, as msgspec Structs with the venue's field names.

This module only *describes* the venue (conventions: :mod:`tickwire.core.decoding`);
normalization lives in :mod:`tickwire.adapters.kraken.parse`. Two kinds of server message
exist (``shared/reference/kraken-ws-v2.md`` §2): channel messages carry ``channel``, on
which :data:`ChannelMessage` is a tagged union; method responses (acks, pong, errors)
carry ``method``: :class:`MethodResponse`. Kraken writes prices and quantities as JSON
numbers with full instrument precision, which msgspec decodes into ``Decimal`` from their
digits; timestamps stay RFC 3339 text for :func:`~tickwire.core.timestamps.rfc3339_to_ns`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from tickwire.core.decoding import Wire
from tickwire.core.validation import Sequence

__all__ = [
    "BookData",
    "BookMessage",
    "ChannelMessage",
    "Checksum",
    "Count",
    "HeartbeatMessage",
    "InstrumentData",
    "InstrumentMessage",
    "MessageType",
    "MethodResponse",
    "Minutes",
    "OhlcData",
    "OhlcMessage",
    "PairData",
    "Precision",
    "PriceLevel",
    "StatusMessage",
    "TickerData",
    "TickerMessage",
    "TradeData",
    "TradeMessage",
]

MessageType = Literal["snapshot", "update"]
"""A channel message's ``type``: a full picture, or only what changed."""

# Integer ranges are checked by msgspec while decoding (C speed, no pass of our own): a
# 400-digit trade id or a negative checksum fails the frame like a wrong type does.
Count = Sequence
"""A non-negative integer within a signed 64-bit integer (ids, counts, sequences)."""
Checksum = Annotated[int, msgspec.Meta(ge=0, lt=2**32)]
"""A CRC32, unsigned 32-bit."""
Precision = Annotated[int, msgspec.Meta(ge=0, le=30)]
"""Decimal places; the checksum formats every value with this many."""
Minutes = Annotated[int, msgspec.Meta(ge=1, le=60 * 24 * 366)]
"""A candle interval in minutes (Kraken's longest is 21600, 15 days)."""


_Wire = Wire  # the name schemas_private and schemas_rest derive from


class _Channel(_Wire, frozen=True, gc=False, tag_field="channel"):
    """Base of channel messages: the subclass's ``tag`` is the ``channel`` value."""


# --- status / heartbeat (no subscription needed) -----------------------------------------


class StatusMessage(_Channel, frozen=True, gc=False, tag="status"):
    """``{"channel": "status", ...}``: the engine state, on connect and on change. Nothing
    of it is read (every frame counts as liveness), so nothing of it is decoded."""


class HeartbeatMessage(_Channel, frozen=True, gc=False, tag="heartbeat"):
    """``{"channel": "heartbeat"}``: ~1/s of silence once something is subscribed."""


# --- ticker (level 1) ------------------------------------------------------------------


class TickerData(_Wire, frozen=True, gc=False):
    """One symbol's level-1 state (what tickwire's ``Ticker`` carries)."""

    symbol: str  # "BTC/USD"
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal  # last trade price
    volume: Decimal  # 24 h, base units
    timestamp: str | None = None  # absent in 2024 recordings


class TickerMessage(_Channel, frozen=True, gc=False, tag="ticker"):
    """``{"channel": "ticker", ...}``: one entry per message in practice."""

    type: MessageType
    data: list[TickerData]


# --- book (level 2) --------------------------------------------------------------------


class PriceLevel(_Wire, frozen=True, gc=False):
    """``{"price": ..., "qty": ...}``; ``qty`` 0 in an update deletes the level."""

    price: Decimal
    qty: Decimal


class BookData(_Wire, frozen=True, gc=False):
    """One symbol's book snapshot or changes (bids best first, asks best first)."""

    symbol: str
    bids: list[PriceLevel]
    asks: list[PriceLevel]
    checksum: Checksum  # CRC32 of the top 10 levels per side, after applying this
    timestamp: str | None = None  # may be absent on snapshots in older traffic


class BookMessage(_Channel, frozen=True, gc=False, tag="book"):
    """``{"channel": "book", ...}``: ``data`` has exactly one entry."""

    type: MessageType
    data: Annotated[list[BookData], msgspec.Meta(min_length=1, max_length=1)]


# --- trade -----------------------------------------------------------------------------


class TradeData(_Wire, frozen=True, gc=False):
    """One public trade."""

    symbol: str
    side: Literal["buy", "sell"]  # the taker's side
    price: Decimal
    qty: Decimal
    trade_id: Count  # increasing per pair
    timestamp: str


class TradeMessage(_Channel, frozen=True, gc=False, tag="trade"):
    """``{"channel": "trade", ...}``: several prints may be batched in one update."""

    type: MessageType
    data: list[TradeData]


# --- ohlc ------------------------------------------------------------------------------


class OhlcData(_Wire, frozen=True, gc=False):
    """One candle; updates re-send the running candle on every trade."""

    symbol: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base units
    interval_begin: str  # candle start, 9 fraction digits
    interval: Minutes


class OhlcMessage(_Channel, frozen=True, gc=False, tag="ohlc"):
    """``{"channel": "ohlc", ...}``; the top-level ``timestamp`` is the send time."""

    type: MessageType
    data: list[OhlcData]
    timestamp: str | None = None


# --- instrument ------------------------------------------------------------------------


class PairData(_Wire, frozen=True, gc=False):
    """One pair's trading rules. ``*_precision`` are decimal places."""

    symbol: str  # "BTC/USD"
    base: str
    quote: str
    status: str  # online, cancel_only, post_only, limit_only, reduce_only, maintenance, ...
    price_precision: Precision
    price_increment: Decimal  # tick size
    qty_precision: Precision
    qty_increment: Decimal  # lot step
    qty_min: Decimal  # minimum order size, base units
    cost_min: Decimal | None = None  # minimum order value, quote units


class InstrumentData(_Wire, frozen=True, gc=False):
    """``data`` of an instrument message (its ``assets`` are not read); an update lists
    only changed pairs."""

    pairs: list[PairData]


class InstrumentMessage(_Channel, frozen=True, gc=False, tag="instrument"):
    """``{"channel": "instrument", ...}``: the authoritative list of pairs."""

    type: MessageType
    data: InstrumentData


ChannelMessage = (
    StatusMessage
    | HeartbeatMessage
    | TickerMessage
    | BookMessage
    | TradeMessage
    | OhlcMessage
    | InstrumentMessage
)
"""Every channel message of the public socket, keyed on ``channel`` (the auth socket's
are :data:`~tickwire.adapters.kraken.schemas_private.PrivateMessage`)."""


# --- method responses ------------------------------------------------------------------


class MethodResponse(_Wire, frozen=True, gc=False):
    """The reply to a request: subscribe/unsubscribe acks, ``pong``, trading acks, errors.

    ``result`` is kept as raw JSON (empty when absent) because its shape depends on
    ``method``: the caller decodes it with the Struct it expects, e.g.
    ``msgspec.json.decode(resp.result, type=...)``. Check ``if resp.result:`` first.
    """

    method: str  # "subscribe", "pong", "add_order"...; a failed unsubscribe says "subscribe"
    success: bool | None = None  # absent on pong; treat anything but True as failure
    error: str | None = None  # one string (REST uses a list); set when success is false
    req_id: int | None = None  # echoed only when the request carried one
    result: msgspec.Raw = msgspec.Raw()  # an object, or a list for batch_add
    symbol: str | None = None  # per-symbol subscription failures
    time_out: str | None = None  # RFC3339 µs: response sent
    orders_cancelled: int | None = None  # batch_cancel as observed live (no result)
