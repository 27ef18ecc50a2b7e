"""Kraken v2 subscription syntax: channel names, options, requests and their acks.

Users speak tickwire's options (``depth`` for books, ``interval`` in seconds for
candles); subscriptions keep those normalized values, and only :func:`wire_params`
turns them into Kraken's parameters (``ohlc`` takes minutes).

One ``subscribe``/``unsubscribe`` request names many symbols (core's
:class:`~tickwire.core.socket_client.SocketClient` groups them) and Kraken answers it with
one reply per symbol (``result.symbol``, ``success``, the request's ``req_id``): a
request waits on the session under one key ``(req_id, symbol)`` per symbol
(:func:`request`), and the client settles each reply under :func:`ack_symbol`'s key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from tickwire.adapters.kraken.schemas import MethodResponse
from tickwire.core.decoding import strict
from tickwire.core.ratelimit import Quota
from tickwire.core.session import Session
from tickwire.core.subscriptions import ChannelOptions
from tickwire.core.types import Channel

__all__ = [
    "CHANNELS",
    "OHLC_MINUTES",
    "SUBSCRIBE_QUOTA",
    "WIRE_NAMES",
    "ack_symbol",
    "request",
    "wire_params",
]

# Kraken does not publish its per-connection message rate ("Exceeded msg rate" when a
# burst is too large); this pace stays well clear of what clients observe in practice.
SUBSCRIBE_QUOTA = Quota(limit=20, window=1.0)

BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_MINUTES = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
"""The candle intervals Kraken offers (``ohlc`` and ``OHLC``), in minutes."""


WIRE_NAMES: dict[Channel, str] = {
    Channel.TICKER: "ticker",
    Channel.TRADES: "trade",
    Channel.BOOK: "book",
    Channel.CANDLES: "ohlc",
}
"""Kraken's channel name for each public tickwire channel."""


def wire_params(channel: Channel, options: Mapping[str, Any], symbols: list[str]) -> dict[str, Any]:
    """Kraken's subscribe/unsubscribe ``params`` for normalized options."""
    params: dict[str, Any] = {"channel": WIRE_NAMES[channel], "symbol": symbols}
    if channel is Channel.CANDLES:
        params["interval"] = int(options["interval"]) // 60  # ohlc takes minutes
    else:
        params.update(options)
    return params


CHANNELS: dict[Channel, ChannelOptions] = {
    Channel.TICKER: ChannelOptions(),
    Channel.TRADES: ChannelOptions(),
    Channel.BOOK: ChannelOptions({"depth": 10}, {"depth": BOOK_DEPTHS}),
    Channel.CANDLES: ChannelOptions(
        {"interval": 60}, {"interval": tuple(m * 60 for m in OHLC_MINUTES)}
    ),
}
"""The public channels this adapter subscribes."""


_encode = msgspec.json.Encoder().encode


class _AckResult(msgspec.Struct, frozen=True):
    symbol: str | None = None


_ack_result = msgspec.json.Decoder(_AckResult)


def ack_symbol(response: MethodResponse) -> str | None:
    """The symbol a reply acknowledges (``None`` for a request without symbols)."""
    if response.symbol is not None or not response.result:
        return response.symbol
    return strict(_ack_result, response.result, f"kraken: {response.method} reply").symbol


async def request(
    session: Session,
    method: str,
    params: dict[str, Any],
    symbols: Sequence[str | None],
    timeout: float,
) -> list[MethodResponse]:
    """Send one request and await one reply per symbol (Kraken acks each symbol)."""
    req_id = session.next_id()
    message = _encode({"method": method, "params": params, "req_id": req_id})
    keys = [(req_id, symbol) for symbol in symbols]
    return await session.request_many(keys, message, timeout, f"kraken {method}")
