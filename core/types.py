"""Normalized types shared by every venue.

Everything a strategy sees is one of these frozen msgspec Structs, whichever venue
produced it:

- money and sizes are :class:`decimal.Decimal`, decoded straight from the venue's bytes
  (never through a float);
- times are integer nanoseconds since the Unix epoch: ``ts`` is the venue's time,
  ``received`` the local time the frame was read;
- symbols are unified ``BASE/QUOTE`` strings (``"BTC/USDT"``), whatever the venue spells.

:data:`Event` is a tagged union (tag field ``"event"``), so a stream can be written to
JSON lines and read back with :func:`decode_event`::

    line = msgspec.json.encode(event)
    assert decode_event(line) == event
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from time import time_ns
from typing import Any

import msgspec

from tickwire.core.errors import FRAME_EXCERPT

__all__ = [
    "CHANNEL_OF",
    "Balance",
    "BookLevel",
    "BookUpdate",
    "Candle",
    "Channel",
    "Event",
    "Instrument",
    "OrderAck",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Side",
    "StreamError",
    "StreamState",
    "StreamStatus",
    "Subscription",
    "Ticker",
    "TimeInForce",
    "Trade",
    "decode_event",
    "encode_event",
]


class Side(StrEnum):
    """Order or taker side."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Order types every adapter supports."""

    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(StrEnum):
    """How long an order may rest. Not every venue has every value."""

    GTC = "gtc"  # good till canceled
    IOC = "ioc"  # immediate or cancel
    FOK = "fok"  # fill or kill
    GTD = "gtd"  # good till date


class OrderStatus(StrEnum):
    """One order lifecycle for every venue.

    ``pending → open → partially_filled → filled``, or ``canceled`` / ``rejected`` /
    ``expired``. The last four are terminal.
    """

    PENDING = "pending"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True when no further update will follow for the order."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class Channel(StrEnum):
    """The exchange-agnostic channels a :class:`~tickwire.core.StreamClient` offers."""

    TICKER = "ticker"
    TRADES = "trades"
    BOOK = "book"
    CANDLES = "candles"
    BALANCES = "balances"
    ORDERS = "orders"


class StreamState(StrEnum):
    """What a :class:`StreamStatus` reports."""

    CONNECTED = "connected"  # a socket is up (first time or after a reconnect)
    RECONNECTING = "reconnecting"  # a socket dropped; backoff before the next attempt
    RESUBSCRIBED = "resubscribed"  # every subscription was restored after a reconnect
    RESYNCING = "resyncing"  # a book lost integrity (gap, checksum); a fresh one is coming
    RESYNCED = "resynced"  # the book is whole again
    STALE = "stale"  # a channel went quiet past its staleness threshold
    LAGGING = "lagging"  # the consumer is slow; market data was dropped (see reason)
    CLOSED = "closed"  # the client was closed, or gave up


class Subscription(msgspec.Struct, frozen=True, order=True):
    """One live subscription: a channel for one symbol (or none, for account channels).

    ``options`` holds the channel's extras as sorted ``(name, value)`` pairs (book depth,
    candle interval), so equal subscriptions compare and hash equal.
    """

    channel: Channel
    symbol: str | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        """Return one option's value, or ``default``."""
        for key, value in self.options:
            if key == name:
                return value
        return default


# --- market data -----------------------------------------------------------------------
# gc=False: events hold no reference cycles, and skipping GC tracking makes the
# per-message allocation measurably cheaper.


class _Event(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag_field="event"):
    venue: str


class Ticker(_Event, frozen=True, kw_only=True, tag="ticker"):
    """Best bid/ask and last trade for one symbol. Unknown values are ``None``."""

    symbol: str
    bid: Decimal | None
    bid_size: Decimal | None
    ask: Decimal | None
    ask_size: Decimal | None
    last: Decimal | None = None
    last_size: Decimal | None = None
    volume_24h: Decimal | None = None  # in base units
    ts: int
    received: int


class Trade(_Event, frozen=True, kw_only=True, tag="trade"):
    """One public trade. ``side`` is the taker's side."""

    symbol: str
    trade_id: str
    price: Decimal
    size: Decimal
    side: Side
    ts: int
    received: int


class BookLevel(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One price level: ``[price, size]`` on the wire. Size 0 in a delta deletes it."""

    price: Decimal
    size: Decimal


class BookUpdate(_Event, frozen=True, kw_only=True, tag="book"):
    """An L2 book message after it was applied to the client's :class:`OrderBook`.

    A snapshot carries every level (best first); a delta carries only changed levels,
    where size 0 means the level is gone. ``sequence`` is the venue's sequence number
    after this message, where the venue has one.
    """

    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    snapshot: bool
    sequence: int | None = None
    ts: int
    received: int


class Candle(_Event, frozen=True, kw_only=True, tag="candle"):
    """An OHLCV bar. Venues re-send the running bar on every trade."""

    symbol: str
    interval: int  # seconds
    start: int  # ns, bar open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base units
    ts: int
    received: int


# --- account -------------------------------------------------------------------------


class Balance(_Event, frozen=True, kw_only=True, tag="balance"):
    """One asset's balance. ``available``/``hold`` are ``None`` where the venue omits them."""

    asset: str
    total: Decimal
    available: Decimal | None = None
    hold: Decimal | None = None
    ts: int
    received: int


class OrderUpdate(_Event, frozen=True, kw_only=True, tag="order"):
    """A change to one of the account's orders, normalized to one lifecycle."""

    symbol: str
    order_id: str
    client_id: str | None = None
    side: Side | None = None
    order_type: OrderType | None = None
    status: OrderStatus
    price: Decimal | None = None
    size: Decimal | None = None
    filled: Decimal = Decimal(0)
    remaining: Decimal | None = None
    avg_price: Decimal | None = None
    last_fill_price: Decimal | None = None
    last_fill_size: Decimal | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None
    reason: str | None = None
    ts: int
    received: int


# --- stream health -------------------------------------------------------------------


class StreamStatus(_Event, frozen=True, kw_only=True, tag="status"):
    """A connection or integrity event: reconnects, resyncs, staleness, lag, close.

    ``channel``/``symbol`` narrow it to one subscription where that applies (a book
    resync names its symbol); ``attempt`` counts reconnect attempts.
    """

    state: StreamState
    reason: str = ""
    channel: Channel | None = None
    symbol: str | None = None
    attempt: int = 0
    ts: int


class StreamError(_Event, frozen=True, kw_only=True, tag="error"):
    """A frame the client could not use. The stream goes on with the next frame.

    ``error`` names the exception class (``"DecodeError"``), ``frame`` holds the start
    of the offending frame for diagnosis.
    """

    error: str
    message: str
    frame: str = ""
    ts: int

    @classmethod
    def from_exception(
        cls, venue: str, exc: BaseException, context: str = "", frame: bytes | str = b""
    ) -> StreamError:
        """The event for ``exc`` raised while handling ``frame`` (kept to its first bytes).

        A :class:`~tickwire.core.errors.DecodeError` already holds its frame's excerpt,
        which is used when ``frame`` is empty.
        """
        if not frame:
            frame = getattr(exc, "frame", "") or ""
        excerpt = frame[:FRAME_EXCERPT]
        text = excerpt.decode("utf-8", "replace") if isinstance(excerpt, bytes) else excerpt
        message = str(exc)[:FRAME_EXCERPT] or type(exc).__name__
        return cls(
            venue=venue,
            error=type(exc).__name__,
            message=f"{context}: {message}" if context else message,
            frame=text,
            ts=time_ns(),
        )


Event = Ticker | Trade | BookUpdate | Candle | Balance | OrderUpdate | StreamStatus | StreamError
"""Everything :meth:`StreamClient.events` yields."""

CHANNEL_OF: dict[type, Channel] = {
    Ticker: Channel.TICKER,
    Trade: Channel.TRADES,
    BookUpdate: Channel.BOOK,
    Candle: Channel.CANDLES,
    Balance: Channel.BALANCES,
    OrderUpdate: Channel.ORDERS,
}
"""The channel each kind of event arrives on (statuses and errors belong to none)."""

_event_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_event_encoder = msgspec.json.Encoder()


def encode_event(event: Event) -> bytes:
    """Encode an event as one JSON line (without the newline)."""
    return _event_encoder.encode(event)


def decode_event(line: bytes | str) -> Event:
    """Decode a line written by :func:`encode_event` back into its event."""
    return _event_decoder.decode(line)


# --- requests and results ------------------------------------------------------------


class OrderRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A new order. ``client_id`` is generated by the client when left ``None``."""

    symbol: str
    side: Side
    size: Decimal
    type: OrderType = OrderType.LIMIT
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    client_id: str | None = None

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ValueError(f"order size must be positive, got {self.size}")
        if self.type is OrderType.LIMIT and self.price is None:
            raise ValueError("a limit order needs a price")
        if self.type is OrderType.MARKET and self.price is not None:
            raise ValueError("a market order takes no price")


class OrderAck(msgspec.Struct, frozen=True, kw_only=True):
    """The venue accepted a request for an order. Its fate arrives as :class:`OrderUpdate`."""

    venue: str
    symbol: str
    order_id: str
    client_id: str | None = None
    ts: int


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """Trading rules for one symbol.

    ``price_precision``/``size_precision`` are decimal places; increments are the
    smallest steps; ``native_symbol`` is the venue's own spelling.
    """

    venue: str
    symbol: str
    native_symbol: str
    base: str
    quote: str
    price_increment: Decimal
    size_increment: Decimal
    min_size: Decimal
    price_precision: int
    size_precision: int
    min_notional: Decimal | None = None
    tradable: bool = True
