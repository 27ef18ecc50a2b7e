"""Kraken v2 subscription syntax: channel names, options, and request grouping.

Users speak tickwire's options (``depth`` for books, ``interval`` in seconds for
candles); subscriptions keep those normalized values, and only :func:`wire_params`
turns them into Kraken's parameters (``ohlc`` takes minutes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tickwire.core.ratelimit import Quota
from tickwire.core.subscriptions import ChannelOptions, subscription_for
from tickwire.core.types import Channel, Subscription

__all__ = [
    "CHANNELS",
    "OHLC_MINUTES",
    "SUBSCRIBE_QUOTA",
    "WIRE_NAMES",
    "group_requests",
    "subscription_for",
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


def group_requests(
    subscriptions: Iterable[Subscription],
) -> Iterator[tuple[Channel, dict[str, Any], list[str]]]:
    """Group subscriptions into as few subscribe requests as possible (same channel+options)."""
    groups: dict[tuple[Channel, tuple[tuple[str, Any], ...]], list[str]] = defaultdict(list)
    for subscription in sorted(subscriptions):
        if subscription.symbol is not None:
            groups[subscription.channel, subscription.options].append(subscription.symbol)
    for (channel, options), symbols in groups.items():
        yield channel, dict(options), symbols
