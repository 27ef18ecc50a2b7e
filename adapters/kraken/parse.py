"""Decode Kraken v2 frames and normalize them into :mod:`tickwire.core` types: pure,
synchronous functions on the per-message path (:func:`decode_frame`, then
:func:`to_tickers` and the other ``to_*``).

Whatever breaks the schemas or the value rules of ``docs/concepts/events.md`` raises
:class:`~tickwire.core.errors.DecodeError` and nothing else. The hot ``to_*`` check each
value with one chained comparison as they read it; only a failure asks core's
:func:`~tickwire.core.parsing.refusal` which field and why.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from tickwire.adapters.kraken.schemas import (
    ChannelMessage,
    InstrumentMessage,
    MethodResponse,
    OhlcData,
    OhlcMessage,
    TickerMessage,
    TradeMessage,
)
from tickwire.adapters.kraken.schemas_private import BalancesMessage, PrivateMessage
from tickwire.adapters.kraken.schemas_rest import OhlcRow
from tickwire.core.checks import Fields
from tickwire.core.decoding import UNDECODABLE, either
from tickwire.core.errors import DecodeError
from tickwire.core.parsing import ORDER_TYPES, SIDES, refusal, unchanged
from tickwire.core.timestamps import parse_timestamp, rfc3339_to_ns
from tickwire.core.types import Balance, Candle, Instrument, Ticker, Trade
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS, ZERO

__all__ = [
    "ORDER_TYPES",
    "SIDES",
    "VENUE",
    "decode_channel",
    "decode_frame",
    "decode_private_frame",
    "decode_result",
    "timestamp_ns",
    "to_balances",
    "to_candle",
    "to_candles",
    "to_instruments",
    "to_native",
    "to_tickers",
    "to_trades",
    "to_unified",
    "unmatched",
]

VENUE = "kraken"
"""The venue name every normalized event carries."""

# Built once: msgspec compiles the union's decoding plan at construction.
_channel_decoder: msgspec.json.Decoder[ChannelMessage] = msgspec.json.Decoder(ChannelMessage)
_response_decoder = msgspec.json.Decoder(MethodResponse)
_private_decoder: msgspec.json.Decoder[PrivateMessage] = msgspec.json.Decoder(PrivateMessage)

decode_channel = _channel_decoder.decode
"""The socket reader's first try: a channel message, or a msgspec error
(:data:`~tickwire.core.decoding.UNDECODABLE`) for anything else, which
:func:`decode_frame` then sorts out. One call less per frame."""

T = TypeVar("T")

_TRADABLE_STATUS = "online"

decode_frame = either(
    _channel_decoder, "a channel message", _response_decoder, "a method response", VENUE
)
"""Decode one WebSocket frame into its wire Struct: a channel message (one pass of the
tagged-union decoder), else a :class:`MethodResponse` (which requires ``method``).
Anything else (garbage, wrong types, an unknown channel, Cloudflare's plain text)
raises :class:`~tickwire.core.errors.DecodeError` and nothing else."""

decode_private_frame = either(
    _private_decoder, "a private channel message", _response_decoder, "a method response", VENUE
)
"""Decode one frame of the auth socket: ``executions``, ``balances``, ``status``,
``heartbeat``, or a method response; anything else raises
:class:`~tickwire.core.errors.DecodeError`. Apart from :func:`decode_frame`: private
channels never arrive on the public socket, whose decoder stays as small as it can."""


def decode_result(response: MethodResponse, kind: type[T]) -> T:
    """A successful response's ``result`` as ``kind`` (a Struct, or ``list[Struct]``).

    Raises :class:`~tickwire.core.errors.DecodeError` when ``result`` is absent or has
    another shape.
    """
    if not response.result:
        raise DecodeError(f"kraken: {response.method}: no result")
    try:  # msgspec.json.decode: building a Decoder per reply would cost 1.5 us more
        return msgspec.json.decode(response.result, type=kind)
    except UNDECODABLE as exc:
        raise DecodeError(f"kraken: {response.method}: {exc}", bytes(response.result)) from exc


def unmatched(response: MethodResponse) -> DecodeError:
    """The error for a reply nothing waits for (never sent, or its caller timed out)."""
    return DecodeError(
        f"kraken: {response.method} reply to req_id {response.req_id} matches no pending request"
    )


to_unified = to_native = unchanged
"""Kraken's symbol ↔ tickwire's ``BASE/QUOTE``, both ways: v2 already spells ``BTC/USD``."""


def timestamp_ns(text: str | None, default: int) -> int:
    """An optional wire timestamp as ns, or ``default`` (core's ``parse_timestamp``)."""
    return parse_timestamp(text, default, VENUE)  # not a partial: a keyword costs more


_TICKER = Fields(prices=("bid", "ask", "last"), sizes=("bid_qty", "ask_qty", "volume"))
_TRADE = Fields(prices=("price",), sizes=("qty",))
_CANDLE = Fields(prices=("open", "high", "low", "close"), sizes=("volume",))
_PAIR = Fields(prices=("price_increment", "qty_increment"), sizes=("qty_min", "cost_min"))
_BALANCE = Fields(signed=("balance", "amount"), sizes=("fee",))


# --- channel messages → core -----------------------------------------------------------


# The channels below are hot: plain loops, because on Python 3.11 a list comprehension
# pays for a function frame of its own (measurably, at this scale).


def to_tickers(msg: TickerMessage, received: int) -> list[Ticker]:
    """Normalize a ticker message (``ts``: the entry's ``timestamp``, else ``received``;
    no ``last_size``: Kraken has none); a bad timestamp, price or size raises DecodeError."""
    tickers = []
    entry = None
    try:
        for entry in msg.data:
            stamp = entry.timestamp
            if stamp is None:
                ts = received  # local time: no venue value to check
            else:
                ts = rfc3339_to_ns(stamp)
                if not MIN_TS_NS <= ts <= MAX_TS_NS:
                    raise refusal(_TICKER, entry, "kraken: ticker", ts)
            bid, ask, last = entry.bid, entry.ask, entry.last
            bid_qty, ask_qty, volume = entry.bid_qty, entry.ask_qty, entry.volume
            # One chained comparison per value: no helper call on the hot path.
            if not (
                ZERO < bid < MAX_PRICE
                and ZERO < ask < MAX_PRICE
                and ZERO < last < MAX_PRICE
                and ZERO <= bid_qty < MAX_SIZE
                and ZERO <= ask_qty < MAX_SIZE
                and ZERO <= volume < MAX_SIZE
            ):
                raise refusal(_TICKER, entry, "kraken: ticker", ts)
            tickers.append(
                Ticker(
                    venue=VENUE,
                    symbol=entry.symbol,  # v2 spells it BASE/QUOTE (to_unified: identity)
                    bid=bid,
                    bid_size=bid_qty,
                    ask=ask,
                    ask_size=ask_qty,
                    last=last,
                    volume_24h=volume,
                    ts=ts,
                    received=received,
                )
            )
    except ValueError as exc:  # only rfc3339_to_ns raises it (inlined: hot path)
        raise DecodeError(f"kraken: bad ticker timestamp: {exc}") from exc
    except ArithmeticError:  # a NaN: Decimal refuses to order it (InvalidOperation)
        raise refusal(_TICKER, entry, "kraken: ticker") from None
    return tickers


def to_trades(msg: TradeMessage, received: int) -> list[Trade]:
    """Normalize a trade message, one :class:`Trade` per print, in wire order; a bad
    timestamp, price or size raises :class:`~tickwire.core.errors.DecodeError`."""
    sides = SIDES
    trades = []
    entry = None
    try:
        for entry in msg.data:
            price, qty = entry.price, entry.qty
            ts = rfc3339_to_ns(entry.timestamp)
            if not (
                ZERO < price < MAX_PRICE and ZERO <= qty < MAX_SIZE and MIN_TS_NS <= ts <= MAX_TS_NS
            ):
                raise refusal(_TRADE, entry, "kraken: trade", ts)
            trades.append(
                Trade(
                    venue=VENUE,
                    symbol=entry.symbol,  # v2 spells it BASE/QUOTE (to_unified: identity)
                    trade_id=str(entry.trade_id),
                    price=price,
                    size=qty,
                    side=sides[entry.side],
                    ts=ts,
                    received=received,
                )
            )
    except ValueError as exc:  # only rfc3339_to_ns raises it
        raise DecodeError(f"kraken: bad trade timestamp: {exc}") from exc
    except ArithmeticError:  # a NaN
        raise refusal(_TRADE, entry, "kraken: trade") from None
    return trades


def to_candles(msg: OhlcMessage, received: int) -> list[Candle]:
    """Normalize an ohlc message.

    ``interval`` becomes seconds, ``start`` is ``interval_begin``; ``ts`` is the
    message's top-level ``timestamp`` (when Kraken sent it), else ``received`` — the
    per-candle ``timestamp`` is the deprecated candle *end*, not an event time. A bad
    timestamp, price or volume raises :class:`~tickwire.core.errors.DecodeError`.
    """
    ts = timestamp_ns(msg.timestamp, received)
    candles = []
    for entry in msg.data:
        start = timestamp_ns(entry.interval_begin, received)
        try:
            valid = (
                ZERO < entry.open < MAX_PRICE
                and ZERO < entry.high < MAX_PRICE
                and ZERO < entry.low < MAX_PRICE
                and ZERO < entry.close < MAX_PRICE
                and ZERO <= entry.volume < MAX_SIZE
            )
        except ArithmeticError:  # a NaN
            valid = False
        if not valid:
            raise refusal(_CANDLE, entry, "kraken: ohlc")
        # v2 spells symbols BASE/QUOTE: no to_unified call (the identity) per candle.
        candles.append(to_candle(entry.symbol, entry.interval * 60, start, entry, ts, received))
    return candles


def to_candle(
    symbol: str, interval: int, start: int, bar: OhlcData | OhlcRow, ts: int, received: int
) -> Candle:
    """One socket or REST bar (its open, high, low, close, volume) as a :class:`Candle`."""
    return Candle(
        venue=VENUE,
        symbol=symbol,
        interval=interval,
        start=start,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
        ts=ts,
        received=received,
    )


def to_instruments(msg: InstrumentMessage) -> list[Instrument]:
    """Normalize the pairs of an instrument message (an update lists only changed pairs;
    ``tradable``, ``min_notional``: ``docs/venues/kraken.md``). An increment that is not
    positive and finite, or a bad minimum, raises :class:`~tickwire.core.errors.DecodeError`.
    """
    instruments = []
    for pair in msg.data.pairs:
        _PAIR.check(pair, f"kraken: instrument {pair.symbol!r}")
        instruments.append(
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
        )
    return instruments


def to_balances(msg: BalancesMessage, received: int) -> list[Balance]:
    """Normalize a balances message: one :class:`Balance` per snapshot entry or ledger entry.

    ``total`` is Kraken's ``balance`` (the asset's total after the entry). Kraken reports
    neither what is held by open orders nor what is available, so those stay ``None``.
    A snapshot has no timestamp: its ``ts`` is ``received``.

    Every entry is checked before any is returned (a refused message yields nothing);
    ``balance`` and ``amount`` are signed (a margin settlement can leave a negative total).
    """
    balances = []
    for entry in msg.data:
        _BALANCE.check(entry, f"kraken: balances {entry.asset!r}")
        balances.append(
            Balance(
                venue=VENUE,
                asset=entry.asset,
                total=entry.balance,
                ts=timestamp_ns(entry.timestamp, received),
                received=received,
            )
        )
    return balances
