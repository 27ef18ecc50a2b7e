"""Decode Kraken v2 frames and normalize them into :mod:`tickwire.core` types.

Pure, synchronous functions on the per-message path::

    msg = decode_frame(frame)                   # one msgspec pass for channel messages
    match msg:
        case TickerMessage():
            events = to_tickers(msg, received)
        case MethodResponse(method="pong"):
            ...

Everything the venue could send that does not fit the schemas raises
:class:`~tickwire.core.errors.DecodeError` — from :func:`decode_frame`, and from the
``to_*`` functions for values the schema cannot check (a malformed timestamp).
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from tickwire.adapters.kraken.private_schemas import BalancesMessage, PrivateMessage
from tickwire.adapters.kraken.schemas import (
    ChannelMessage,
    InstrumentMessage,
    MethodResponse,
    OhlcMessage,
    TickerMessage,
    TradeMessage,
    rfc3339_to_ns,
)
from tickwire.core.errors import DecodeError
from tickwire.core.types import Balance, Candle, Instrument, Side, Ticker, Trade

__all__ = [
    "VENUE",
    "decode_frame",
    "decode_private_frame",
    "decode_result",
    "timestamp_ns",
    "to_balances",
    "to_candles",
    "to_instruments",
    "to_native",
    "to_tickers",
    "to_trades",
    "to_unified",
]

VENUE = "kraken"
"""The venue name every normalized event carries."""

# Built once: msgspec compiles the union's decoding plan at construction.
_channel_decoder: msgspec.json.Decoder[ChannelMessage] = msgspec.json.Decoder(ChannelMessage)
_response_decoder = msgspec.json.Decoder(MethodResponse)
_private_decoder: msgspec.json.Decoder[PrivateMessage] = msgspec.json.Decoder(PrivateMessage)

T = TypeVar("T")

_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
_TRADABLE_STATUS = "online"


def decode_frame(frame: bytes | str) -> ChannelMessage | MethodResponse:
    """Decode one WebSocket frame into its wire Struct.

    Channel messages (the hot path) take one pass of the tagged-union decoder. A frame
    that is not a channel message — no ``channel``, or one that is not ours, as on a
    failed private subscribe — is decoded as a :class:`MethodResponse`, which requires
    ``method``. Anything else (garbage, non-object JSON, wrong types, missing fields,
    an unknown channel, Cloudflare's plain text) raises
    :class:`~tickwire.core.errors.DecodeError` and nothing else.
    """
    try:
        return _channel_decoder.decode(frame)
    except (msgspec.DecodeError, RecursionError) as channel_exc:
        # RecursionError: absurdly nested JSON inside a loosely typed field.
        try:
            return _response_decoder.decode(frame)
        except (msgspec.DecodeError, RecursionError) as response_exc:
            raise DecodeError(
                f"kraken: neither a channel message ({channel_exc}) "
                f"nor a method response ({response_exc})",
                frame,
            ) from channel_exc


def decode_private_frame(frame: bytes | str) -> PrivateMessage | MethodResponse:
    """Decode one frame of the auth socket: ``executions``, ``balances``, ``status``,
    ``heartbeat``, or a method response. Anything else raises
    :class:`~tickwire.core.errors.DecodeError` and nothing else.

    Kept apart from :func:`decode_frame`: private channels never arrive on the public
    socket, and the public decoder stays as small as the hot path wants it.
    """
    try:
        return _private_decoder.decode(frame)
    except (msgspec.DecodeError, RecursionError) as channel_exc:
        try:
            return _response_decoder.decode(frame)
        except (msgspec.DecodeError, RecursionError) as response_exc:
            raise DecodeError(
                f"kraken: neither a private channel message ({channel_exc}) "
                f"nor a method response ({response_exc})",
                frame,
            ) from channel_exc


def decode_result(response: MethodResponse, kind: type[T]) -> T:
    """A successful response's ``result`` as ``kind`` (a Struct, or ``list[Struct]``).

    Raises :class:`~tickwire.core.errors.DecodeError` when ``result`` is absent or has
    another shape.
    """
    if not response.result:
        raise DecodeError(f"kraken: {response.method}: no result")
    try:
        return msgspec.json.decode(response.result, type=kind)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise DecodeError(f"kraken: {response.method}: {exc}", bytes(response.result)) from exc


# --- symbols ---------------------------------------------------------------------------


def to_unified(symbol: str) -> str:
    """Kraken's symbol → tickwire's ``BASE/QUOTE``. v2 already spells ``BTC/USD``."""
    return symbol


def to_native(symbol: str) -> str:
    """tickwire's ``BASE/QUOTE`` → Kraken's symbol (the inverse of :func:`to_unified`)."""
    return symbol


# --- timestamps ------------------------------------------------------------------------


def timestamp_ns(text: str | None, default: int) -> int:
    """An optional wire timestamp as ns, or ``default`` when absent.

    Raises :class:`~tickwire.core.errors.DecodeError` when the text is not RFC3339,
    so every decoding failure has one exception type.
    """
    if text is None:
        return default
    try:
        return rfc3339_to_ns(text)
    except ValueError as exc:
        raise DecodeError(f"kraken: bad timestamp: {exc}", text) from exc


# --- channel messages → core -----------------------------------------------------------


# The channels below are hot: plain loops, because on Python 3.11 a list comprehension
# pays for a function frame of its own (measurably, at this scale).


def to_tickers(msg: TickerMessage, received: int) -> list[Ticker]:
    """Normalize a ticker message. ``ts`` is the entry's ``timestamp``, else ``received``.

    Kraken's ticker has no last-trade size, so ``last_size`` is ``None``.
    """
    tickers = []
    try:
        for entry in msg.data:
            stamp = entry.timestamp
            tickers.append(
                Ticker(
                    venue=VENUE,
                    symbol=to_unified(entry.symbol),
                    bid=entry.bid,
                    bid_size=entry.bid_qty,
                    ask=entry.ask,
                    ask_size=entry.ask_qty,
                    last=entry.last,
                    volume_24h=entry.volume,
                    ts=received if stamp is None else rfc3339_to_ns(stamp),
                    received=received,
                )
            )
    except ValueError as exc:  # only rfc3339_to_ns raises it (inlined: hot path)
        raise DecodeError(f"kraken: bad ticker timestamp: {exc}") from exc
    return tickers


def to_trades(msg: TradeMessage, received: int) -> list[Trade]:
    """Normalize a trade message, one :class:`Trade` per print, in wire order."""
    sides = _SIDES
    trades = []
    try:
        for entry in msg.data:
            trades.append(
                Trade(
                    venue=VENUE,
                    symbol=to_unified(entry.symbol),
                    trade_id=str(entry.trade_id),
                    price=entry.price,
                    size=entry.qty,
                    side=sides[entry.side],
                    ts=rfc3339_to_ns(entry.timestamp),
                    received=received,
                )
            )
    except ValueError as exc:  # only rfc3339_to_ns raises it
        raise DecodeError(f"kraken: bad trade timestamp: {exc}") from exc
    return trades


def to_candles(msg: OhlcMessage, received: int) -> list[Candle]:
    """Normalize an ohlc message.

    ``interval`` becomes seconds, ``start`` is ``interval_begin``; ``ts`` is the
    message's top-level ``timestamp`` (when Kraken sent it), else ``received`` — the
    per-candle ``timestamp`` is the deprecated candle *end*, not an event time.
    """
    ts = timestamp_ns(msg.timestamp, received)
    candles = []
    for entry in msg.data:
        candles.append(
            Candle(
                venue=VENUE,
                symbol=to_unified(entry.symbol),
                interval=entry.interval * 60,
                start=timestamp_ns(entry.interval_begin, received),
                open=entry.open,
                high=entry.high,
                low=entry.low,
                close=entry.close,
                volume=entry.volume,
                ts=ts,
                received=received,
            )
        )
    return candles


def to_instruments(msg: InstrumentMessage) -> list[Instrument]:
    """Normalize the pairs of an instrument message (an update lists only changed pairs).

    ``tradable`` is true only for status ``online``: in ``post_only``/``limit_only``
    some orders are refused, and a strategy should opt in to such markets knowingly.
    ``min_notional`` is ``cost_min`` (quote units).
    """
    return [
        Instrument(
            venue=VENUE,
            symbol=to_unified(pair.symbol),
            native_symbol=pair.symbol,
            base=pair.base,
            quote=pair.quote,
            price_increment=pair.price_increment,
            size_increment=pair.qty_increment,
            min_size=pair.qty_min,
            price_precision=pair.price_precision,
            size_precision=pair.qty_precision,
            min_notional=pair.cost_min,
            tradable=pair.status == _TRADABLE_STATUS,
        )
        for pair in msg.data.pairs
    ]


def to_balances(msg: BalancesMessage, received: int) -> list[Balance]:
    """Normalize a balances message: one :class:`Balance` per snapshot entry or ledger entry.

    ``total`` is Kraken's ``balance`` (the asset's total after the entry). Kraken reports
    neither what is held by open orders nor what is available, so those stay ``None``.
    A snapshot has no timestamp: its ``ts`` is ``received``.
    """
    return [
        Balance(
            venue=VENUE,
            asset=entry.asset,
            total=entry.balance,
            ts=timestamp_ns(entry.timestamp, received),
            received=received,
        )
        for entry in msg.data
    ]
