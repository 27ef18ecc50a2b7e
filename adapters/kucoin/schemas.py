"""KuCoin Spot ("Classic") wire messages, as msgspec Structs with the venue's field names.

This module only *describes* the venue (``shared/reference/kucoin-ws.md``; conventions:
:mod:`tickwire.core.decoding`); decoding and normalization live in
:mod:`tickwire.adapters.kucoin.parse`.

Push frames (§4) form one tagged union on ``type``, :data:`PushFrame`. A ``message``
frame keeps its ``data`` as :class:`msgspec.Raw`: its shape depends on ``subject``, so it
is decoded in a second pass with the Struct for that subject (``*Data`` below). The hot
path skips that: :data:`MarketPush` is a tagged union on ``subject``, one pass per push.
KuCoin's prices and sizes are JSON strings, decoded into ``Decimal`` except on the two
busiest streams (:class:`TickerData`, :data:`L2Row`), where they stay text until the
event is built; times are left as the venue sends them (int ms, int ns, or ns in a
string) and turned into ns by ``parse``; rows of arrays are tuples.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from tickwire.core.decoding import Wire
from tickwire.core.validation import Sequence, TimestampMs, TimestampNs

__all__ = [
    "Ack",
    "BalanceData",
    "BulletData",
    "CandleAddPush",
    "CandleData",
    "CandlePush",
    "DepthData",
    "DepthPush",
    "Envelope",
    "ErrorFrame",
    "InstanceServer",
    "L2Changes",
    "L2Push",
    "L2Row",
    "L2UpdateData",
    "Level2Snapshot",
    "MarketData",
    "MarketPush",
    "MatchData",
    "MatchPush",
    "Message",
    "OrderChangeData",
    "Pong",
    "PriceSize",
    "PushFrame",
    "SymbolEntry",
    "TickerData",
    "TickerPush",
    "Welcome",
]


class _Frame(Wire, frozen=True, gc=False, tag_field="type"):
    """Base of push frames: the subclass's ``tag`` is the ``type`` value."""


# --- push frames (§4) -------------------------------------------------------------------


class Welcome(_Frame, frozen=True, gc=False, tag="welcome"):
    """Sent once after the handshake; the socket is usable only after it. (Its ``id``,
    the connectId the client put in the URL, is not read.)"""


class Pong(_Frame, frozen=True, gc=False, tag="pong"):
    """The reply to an application-level ping."""

    id: str  # echoes the ping's id


class Ack(_Frame, frozen=True, gc=False, tag="ack"):
    """A subscribe/unsubscribe succeeded (sent only when the request had ``response``)."""

    id: str  # the request's id, always echoed as a string


class ErrorFrame(_Frame, frozen=True, gc=False, tag="error"):
    """A refused request, or a connection-level error (then ``id`` is the connectId)."""

    code: int  # HTTP-like: 401 token, 404 topic, 415 type, 509 rate/subscription caps
    data: str  # human-readable reason
    id: str | None = None  # absent on "token is expired"


class Message(_Frame, frozen=True, gc=False, tag="message", rename="camel"):
    """A data push. ``data`` is raw JSON, decoded by ``parse.decode_data`` per subject."""

    topic: str  # "/market/level2:BTC-USDT": always a single symbol, even if subscribed in bulk
    subject: str  # "trade.l2update"...; on /market/ticker:all it is the symbol itself
    data: msgspec.Raw


PushFrame = Welcome | Pong | Ack | ErrorFrame | Message
"""Every frame the push WebSocket sends that this adapter understands, keyed on ``type``."""


# --- market data: ``Message.data`` per subject (§6) -----------------------------------------

PriceSize = tuple[Decimal, Decimal]
"""``[price, size]``: one level of a snapshot."""

L2Row = tuple[str, str, str | int]
"""``[price, size, sequence]`` of a level2 increment (the sequence a string, or an int as
in the docs' worked example). Price ``0``: a sequence-only row; size ``0``: the level is
gone. Price and size stay text: the book (:mod:`tickwire.core.sync_book`) parses each
distinct price once, where a ``Decimal`` decoded and hashed per row would cost more
than everything else an increment does."""


class TickerData(Wire, frozen=True, gc=False, rename="camel"):
    """``trade.ticker`` (and ``/market/ticker:all``): best bid/ask plus the last trade,
    as text (``parse.to_ticker`` parses each distinct price once)."""

    sequence: str  # the symbol's engine sequence, as a string
    price: str  # last trade price
    size: str  # last trade size
    best_ask: str
    best_ask_size: str
    best_bid: str
    best_bid_size: str
    time: TimestampMs | None = None  # time of the last match
    # The docs-new example spells it "Time"; live data never does. Accepted all the same,
    # since an absent optional field costs nothing to decode.
    time_alias: TimestampMs | None = msgspec.field(default=None, name="Time")


class DepthData(Wire, frozen=True, gc=False):
    """``level2`` (``level2Depth5``/``level2Depth50``): a full top-N replacement.

    ``asks`` ascend and ``bids`` descend (best first). No sequence: nothing to sync.
    """

    asks: list[PriceSize]
    bids: list[PriceSize]
    timestamp: TimestampMs


class L2Changes(Wire, frozen=True, gc=False):
    """``changes`` of a level2 increment; a price appears at most once per message."""

    asks: list[L2Row]
    bids: list[L2Row]


class L2UpdateData(Wire, frozen=True, gc=False, rename="camel"):
    """``trade.l2update``: full-depth increments, synced against a REST snapshot (§7).

    ``sequence_start..sequence_end`` is the span of engine sequence numbers this message
    covers; the rows' own sequences are *not* contiguous (collapsed updates skip numbers).
    """

    changes: L2Changes
    sequence_start: Sequence
    sequence_end: Sequence
    symbol: str
    time: TimestampMs


class MatchData(Wire, frozen=True, gc=False, rename="camel"):
    """``trade.l3match``: one public trade."""

    price: Decimal
    size: Decimal
    side: Literal["buy", "sell"]  # the taker's side
    sequence: str
    symbol: str
    time: str  # ns since the epoch, as a decimal string
    trade_id: str  # numeric in current data, 24 hex digits in older recordings


class CandleData(Wire, frozen=True, gc=False):
    """``trade.candles.update`` / ``trade.candles.add``: the running (or a new) bar."""

    symbol: str
    # [start (s, string), open, close, high, low, volume (base), turnover (quote)];
    # note the order: close comes before high and low.
    candles: tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]
    time: TimestampNs  # the docs say "us"; the values have 19 digits


MarketData = TickerData | DepthData | L2UpdateData | MatchData | CandleData
"""Every ``Message.data`` shape ``parse.decode_data`` returns (the routed subjects; others,
such as ``level1`` or ``trade.snapshot`` on a raw native topic, are the caller's to read)."""


# --- market pushes in one pass: a tagged union on ``subject`` --------------------------------


class _Push(Wire, frozen=True, gc=False, tag_field="subject"):
    """A ``message`` frame of a routed subject, decoded whole in one pass: ``subject`` is
    the tag that picks ``data``'s Struct (the hot path; anything else takes
    :data:`PushFrame` and ``parse.decode_data``)."""

    type: Literal["message"]
    topic: str


class TickerPush(_Push, frozen=True, gc=False, tag="trade.ticker"):
    """``/market/ticker:SYMBOL`` (or ``/market/ticker:all``, routed by ``parse``)."""

    data: TickerData


class L2Push(_Push, frozen=True, gc=False, tag="trade.l2update"):
    """``/market/level2:SYMBOL``."""

    data: L2UpdateData


class MatchPush(_Push, frozen=True, gc=False, tag="trade.l3match"):
    """``/market/match:SYMBOL``."""

    data: MatchData


class DepthPush(_Push, frozen=True, gc=False, tag="level2"):
    """``/spotMarket/level2Depth5:SYMBOL`` and ``…Depth50``."""

    data: DepthData


class CandlePush(_Push, frozen=True, gc=False, tag="trade.candles.update"):
    """``/market/candles:SYMBOL_TYPE``: the running bar."""

    data: CandleData


class CandleAddPush(CandlePush, frozen=True, gc=False, tag="trade.candles.add"):
    """``/market/candles:SYMBOL_TYPE``: a new bar."""


MarketPush = TickerPush | L2Push | MatchPush | DepthPush | CandlePush | CandleAddPush
"""Every market push the client routes, keyed on ``subject``."""


# --- private data: ``Message.data`` of the private topics (§8) ---------------------------


class OrderChangeData(Wire, frozen=True, gc=False, rename="camel"):
    """``orderChange`` on ``/spotMarket/tradeOrdersV2`` (and V1): one event of one order.

    ``type`` is the event (``received``, ``open``, ``match``, ``update``, ``filled``,
    ``canceled``), ``status`` the order's state after it (``new``, ``open``, ``match``,
    ``done``). Sizes are cumulative; ``match*`` fields come with ``type == "match"`` only.
    """

    symbol: str
    side: Literal["buy", "sell"]
    order_type: str  # "limit" / "market"
    order_id: str
    type: str
    status: str
    ts: TimestampNs  # matching-engine time of this event
    client_oid: str | None = None
    price: Decimal | None = None  # absent on market orders
    size: Decimal | None = None  # the current size (after an update)
    origin_size: Decimal | None = None  # the size submitted (V2)
    filled_size: Decimal | None = None
    remain_size: Decimal | None = None
    canceled_size: Decimal | None = None
    match_price: Decimal | None = None
    match_size: Decimal | None = None
    trade_id: str | None = None
    liquidity: str | None = None  # "maker"/"taker"; says taker on hidden liquidity
    fee_type: str | None = None  # "makerFee"/"takerFee": what the fill is charged as
    fee: Decimal | None = None  # not in KuCoin's schema today; used if it ever comes
    old_size: Decimal | None = None  # "update" only


class BalanceData(Wire, frozen=True, gc=False, rename="camel"):
    """``account.balance`` on ``/account/balance``: one currency after one change."""

    currency: str
    total: Decimal
    available: Decimal
    hold: Decimal
    time: str  # ms, as a decimal string


# --- REST (§3, §7, §11, §12) ------------------------------------------------------------


class Envelope(Wire, frozen=True, gc=False):
    """Every REST body: ``code`` ``"200000"`` is success; ``data`` is decoded per endpoint."""

    code: str | int  # a 6-digit string; tolerated as an int
    data: msgspec.Raw = msgspec.Raw()  # absent on most errors
    msg: str | None = None  # the reason, on errors


class InstanceServer(Wire, frozen=True, gc=False, rename="camel"):
    """One push server of a bullet response."""

    endpoint: str  # "wss://ws-api-spot.kucoin.com/": always use the returned value
    ping_interval: int  # ms: send a ping this often
    ping_timeout: int  # ms: the link is dead if no pong within this


class BulletData(Wire, frozen=True, gc=False, rename="camel"):
    """``data`` of ``POST /api/v1/bullet-public`` (and ``-private``)."""

    token: str  # opaque; valid for one connection within 24 h
    instance_servers: list[InstanceServer]


class Level2Snapshot(Wire, frozen=True, gc=False):
    """``data`` of the REST order book (``level2_20``/``level2_100``/full v3).

    ``bids`` descend and ``asks`` ascend. ``sequence`` is a *string* here, while the
    level2 increments carry ints.
    """

    sequence: str
    time: TimestampMs
    bids: list[PriceSize]
    asks: list[PriceSize]


class SymbolEntry(Wire, frozen=True, gc=False, rename="camel"):
    """One entry of ``GET /api/v2/symbols``: a symbol's trading rules (numbers as strings)."""

    symbol: str  # the stable code, "BTC-USDT"
    base_currency: str
    quote_currency: str
    base_min_size: Decimal
    quote_min_size: Decimal
    base_increment: Decimal  # size step
    price_increment: Decimal  # tick size
    enable_trading: bool
    min_funds: Decimal | None = None  # minimum order value, quote units
