"""Decode KuCoin push frames and normalize them into :mod:`tickwire.core` types.

Pure, synchronous functions on the per-message path. A routed market push is decoded
whole in one msgspec pass (:func:`decode_push`, a tagged union on ``subject``); anything
else takes the general path, the tagged union on ``type`` with ``data`` left raw::

    try:
        push = decode_push(frame)         # TickerPush, L2Push, MatchPush...
    except UNDECODABLE:
        msg = decode_frame(frame)         # Welcome, Ack, Pong, ErrorFrame, Message
        push = push_of(msg)               # a Message: decode_data, by subject
    event = to_ticker(push.data, symbol, received)   # or the book, to_trade...

Private pushes are decoded and normalized by :mod:`tickwire.adapters.kucoin.parse_private`.

Whatever does not fit the schemas or breaks the value rules of ``docs/concepts/events.md``
raises :class:`~tickwire.core.errors.DecodeError` (and nothing else), from the decoders and
from the ``to_*`` functions, which check each price and size with one chained comparison
where the event is built (ticker and book prices once per distinct text,
:func:`~tickwire.core.sync_book.price_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

import msgspec
from msgspec.structs import fields

from tickwire.adapters.kucoin.schemas import (
    CandleData,
    DepthData,
    MarketData,
    MarketPush,
    MatchData,
    Message,
    PushFrame,
    SymbolEntry,
    TickerData,
)
from tickwire.core.decoding import strict
from tickwire.core.errors import DecodeError
from tickwire.core.parsing import SIDES, decimals, joined_by, out_of_range, price_levels
from tickwire.core.sync_book import price_of
from tickwire.core.types import BookLevel, BookUpdate, Candle, Instrument, Ticker, Trade
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS, ZERO

__all__ = [
    "CANDLE_INTERVALS",
    "CANDLE_TYPES",
    "SIDES",
    "TICKER_ALL_TOPIC",
    "VENUE",
    "decode_data",
    "decode_frame",
    "decode_push",
    "push_of",
    "to_candle",
    "to_depth_update",
    "to_instrument",
    "to_native",
    "to_ticker",
    "to_trade",
    "to_unified",
    "valid_levels",
]

VENUE = "kucoin"
"""The venue name every normalized event carries."""

TICKER_ALL_TOPIC = "/market/ticker:all"
"""The one topic whose ``subject`` is a symbol rather than a message kind."""

CANDLE_TYPES: dict[int, str] = {
    60: "1min", 180: "3min", 300: "5min", 900: "15min", 1800: "30min",
    3600: "1hour", 7200: "2hour", 14400: "4hour", 21600: "6hour", 28800: "8hour", 43200: "12hour",
    86400: "1day", 604800: "1week",
}  # fmt: skip
"""Candle interval in seconds → KuCoin's candle type (the topic suffix, ``BTC-USDT_1hour``;
no ``1month``: ``docs/venues/kucoin.md``)."""

CANDLE_INTERVALS: dict[str, int] = {name: seconds for seconds, name in CANDLE_TYPES.items()}
"""KuCoin's candle type → interval in seconds (the inverse of :data:`CANDLE_TYPES`)."""

_MS = 1_000_000  # ns per ms
_S = 1_000_000_000  # ns per s

# Built once: msgspec compiles each type's decoding plan at construction. The general
# path's tables come from MarketPush itself (each push's subject tag and data type), so a
# push added to the union is routed there too. Keys are exact subjects;
# /market/ticker:all is the one topic routed otherwise (its subject is a symbol).
_frame_decoder: msgspec.json.Decoder[PushFrame] = msgspec.json.Decoder(PushFrame)
_PUSHES: dict[str, Any] = {push.__struct_config__.tag: push for push in get_args(MarketPush)}
_data_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    subject: msgspec.json.Decoder(next(f.type for f in fields(push) if f.name == "data"))
    for subject, push in _PUSHES.items()
}
_TICKER = "trade.ticker"
decode_push: Callable[[bytes], MarketPush] = msgspec.json.Decoder(MarketPush).decode
"""The hot path: a routed market push, decoded whole in one msgspec pass. Raises what
msgspec raises (:data:`~tickwire.core.decoding.UNDECODABLE`) for anything else, which
then takes :func:`decode_frame` (control frames, ``/market/ticker:all``, raw topics, bad
frames)."""


def valid_levels(rows: list[tuple[Decimal, Decimal]], what: str) -> list[BookLevel]:
    """``[price, size]`` rows as checked levels (core's ``price_levels``, naming KuCoin)."""
    return price_levels(rows, f"kucoin: {what}")


def decode_frame(frame: bytes | str) -> PushFrame:
    """One push-WebSocket frame as its wire Struct (one msgspec pass; a ``message``
    frame's ``data`` stays raw: pass the result to :func:`decode_data`). Anything else —
    garbage, non-object JSON, wrong types, missing fields, an unknown ``type`` — raises
    :class:`~tickwire.core.errors.DecodeError` and nothing else."""
    return strict(_frame_decoder, frame, "kucoin: not a push frame")


def decode_data(msg: Message) -> MarketData:
    """Decode a ``message`` frame's ``data`` with the Struct for its ``subject``.

    Routing is by exact subject, except ``/market/ticker:all`` (whose subject is the
    symbol), decoded as a ticker. An unknown subject or a ``data`` that does not fit
    raises :class:`~tickwire.core.errors.DecodeError`.
    """
    decoder = _data_decoders.get(msg.subject)
    if decoder is None:
        # Checked second: ticker:all is one topic among many, the dict hit is the rule.
        if msg.topic != TICKER_ALL_TOPIC:
            raise DecodeError(
                f"kucoin: unknown subject {msg.subject!r} on {msg.topic!r}", bytes(msg.data)
            )
        decoder = _data_decoders[_TICKER]
    data: MarketData = strict(decoder, msg.data, f"kucoin: bad {msg.subject!r} data")
    return data


def push_of(msg: Message) -> MarketPush:
    """A ``message`` frame that :func:`decode_push` refused, as the push it is, else
    :class:`~tickwire.core.errors.DecodeError` (:func:`decode_data`'s).

    On ``/market/ticker:all`` (whose subject is the symbol) the push names the symbol's
    own topic, ``/market/ticker:BTC-USDT``.
    """
    data = decode_data(msg)
    subject, topic = msg.subject, msg.topic
    if topic == TICKER_ALL_TOPIC:  # its subject is the symbol
        subject, topic = _TICKER, f"/market/ticker:{msg.subject}"
    push: MarketPush = _PUSHES[subject](type="message", topic=topic, data=data)
    return push


# KuCoin's BTC-USDT <-> tickwire's BTC/USDT, memoized and idempotent: the single point of truth.
to_unified, to_native = joined_by("-")


# --- message data → core ----------------------------------------------------------------


def to_ticker(data: TickerData, symbol: str, received: int) -> Ticker:
    """Normalize ``trade.ticker`` (or ticker:all) data for ``symbol`` (native or unified).

    ``ts`` is the last match time (ms → ns), else ``received``. KuCoin's ticker has no
    24 h volume (that is ``trade.snapshot``), so ``volume_24h`` is ``None``.
    """
    stamp = data.time
    if stamp is None:
        stamp = data.time_alias
    try:  # a price is checked once per distinct text; one chained comparison per size
        bid, ask, last = price_of(data.best_bid), price_of(data.best_ask), price_of(data.price)
        bid_size = Decimal(data.best_bid_size)
        ask_size = Decimal(data.best_ask_size)
        last_size = Decimal(data.size)
        valid = (
            bid
            and ask
            and last
            and ZERO <= bid_size < MAX_SIZE
            and ZERO <= ask_size < MAX_SIZE
            and ZERO <= last_size < MAX_SIZE
        )
    except (ValueError, InvalidOperation):  # not a number, NaN, a price out of range
        valid = False
    if not valid:
        out_of_range("kucoin: ticker price or size", data)
    return Ticker(
        venue=VENUE,
        symbol=to_unified(symbol),
        bid=bid,
        bid_size=bid_size,
        ask=ask,
        ask_size=ask_size,
        last=last,
        last_size=last_size,
        ts=received if stamp is None else stamp * _MS,
        received=received,
    )


def to_trade(data: MatchData, received: int) -> Trade:
    """Normalize ``trade.l3match``: ``side`` is the taker's, ``ts`` the match time (ns)."""
    stamp = data.time
    # int() alone would also take " 1", "1_0" and non-ASCII digits.
    ts = int(stamp) if stamp.isdigit() and stamp.isascii() else -1
    if not MIN_TS_NS <= ts <= MAX_TS_NS:
        raise DecodeError(f"kucoin: bad match time {stamp!r}", stamp)
    price, size = data.price, data.size
    try:
        valid = ZERO < price < MAX_PRICE and ZERO <= size < MAX_SIZE
    except InvalidOperation:
        valid = False
    if not valid:
        out_of_range("kucoin: trade price or size", data)
    return Trade(
        venue=VENUE,
        symbol=to_unified(data.symbol),
        trade_id=data.trade_id,
        price=price,
        size=size,
        side=SIDES[data.side],
        ts=ts,
        received=received,
    )


def to_candle(data: CandleData, interval_seconds: int, received: int) -> Candle:
    """Normalize a candle push. ``interval_seconds`` is the subscribed interval
    (:data:`CANDLE_INTERVALS` maps the topic's type to it); ``start`` is the bar's open
    time (s → ns) and ``ts`` the push time (ns).
    """
    start, open_, close, high, low, volume, _turnover = data.candles
    if not (start.isdigit() and start.isascii() and MIN_TS_NS <= int(start) * _S <= MAX_TS_NS):
        raise DecodeError(f"kucoin: bad candle start {start!r}", start)
    try:
        valid = (
            ZERO < open_ < MAX_PRICE
            and ZERO < high < MAX_PRICE
            and ZERO < low < MAX_PRICE
            and ZERO < close < MAX_PRICE
            and ZERO <= volume < MAX_SIZE
        )
    except InvalidOperation:
        valid = False
    if not valid:
        out_of_range("kucoin: candle price or volume", data)
    return Candle(
        venue=VENUE,
        symbol=to_unified(data.symbol),
        interval=interval_seconds,
        start=int(start) * _S,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
        ts=data.time,
        received=received,
    )


def to_depth_update(data: DepthData, symbol: str, received: int) -> BookUpdate:
    """Normalize a ``level2Depth5``/``level2Depth50`` push: a full replacement (snapshot).

    Levels keep KuCoin's order, which is best first on both sides. There is no sequence.
    """
    return BookUpdate(
        venue=VENUE,
        symbol=to_unified(symbol),
        bids=tuple(price_levels(data.bids, "kucoin: depth bid")),
        asks=tuple(price_levels(data.asks, "kucoin: depth ask")),
        snapshot=True,
        ts=data.timestamp * _MS,
        received=received,
    )


def to_instrument(entry: SymbolEntry) -> Instrument:
    """Normalize one ``/api/v2/symbols`` entry.

    Precisions come from the increments (``priceIncrement``, ``baseIncrement``);
    ``min_notional`` is ``minFunds``, else ``quoteMinSize``; ``tradable`` is
    ``enableTrading``.
    """
    return Instrument(
        venue=VENUE,
        symbol=to_unified(entry.symbol),
        native_symbol=entry.symbol,
        base=entry.base_currency,
        quote=entry.quote_currency,
        price_increment=entry.price_increment,
        size_increment=entry.base_increment,
        min_size=entry.base_min_size,
        price_precision=decimals(entry.price_increment, VENUE),
        size_precision=decimals(entry.base_increment, VENUE),
        min_notional=entry.min_funds if entry.min_funds is not None else entry.quote_min_size,
        tradable=entry.enable_trading,
    )
