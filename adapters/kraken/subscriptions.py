"""Kraken v2 subscription syntax: channel names, options, and request grouping.

Users speak tickwire's options (``depth`` for books, ``interval`` in seconds for
candles); subscriptions keep those normalized values, and only :meth:`ChannelSpec.wire`
turns them into Kraken's parameters (``ohlc`` takes minutes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import msgspec

from tickwire.core.ratelimit import Quota
from tickwire.core.types import Channel, Subscription

__all__ = ["CHANNELS", "SUBSCRIBE_QUOTA", "ChannelSpec", "group_requests", "subscription_for"]

# Kraken does not publish its per-connection message rate ("Exceeded msg rate" when a
# burst is too large); this pace stays well clear of what clients observe in practice.
SUBSCRIBE_QUOTA = Quota(limit=20, window=1.0)

BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_MINUTES = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


class ChannelSpec(msgspec.Struct, frozen=True):
    """How one tickwire channel maps onto a Kraken channel."""

    wire_name: str
    defaults: dict[str, Any] = {}
    allowed: dict[str, tuple[Any, ...]] = {}

    def options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Validate user options and fill in defaults; raises ValueError naming the option."""
        unknown = set(given) - set(self.defaults)
        if unknown:
            names = ", ".join(sorted(self.defaults)) or "none"
            raise ValueError(f"unknown option(s) {sorted(unknown)}; {self.wire_name} takes {names}")
        merged = {**self.defaults, **given}
        for name, value in merged.items():
            if value not in self.allowed.get(name, (value,)):
                raise ValueError(f"{name}={value!r} is not one of {self.allowed[name]}")
        return merged

    def wire(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Kraken's parameters for normalized options."""
        if self.wire_name == "ohlc":
            return {"interval": int(options["interval"]) // 60}
        return dict(options)


CHANNELS: dict[Channel, ChannelSpec] = {
    Channel.TICKER: ChannelSpec("ticker"),
    Channel.TRADES: ChannelSpec("trade"),
    Channel.BOOK: ChannelSpec("book", {"depth": 10}, {"depth": BOOK_DEPTHS}),
    Channel.CANDLES: ChannelSpec(
        "ohlc", {"interval": 60}, {"interval": tuple(m * 60 for m in OHLC_MINUTES)}
    ),
}
"""The public channels this adapter subscribes."""


def subscription_for(channel: Channel, symbol: str, options: Mapping[str, Any]) -> Subscription:
    """The :class:`Subscription` for one symbol with normalized options."""
    return Subscription(channel, symbol, tuple(sorted(options.items())))


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
