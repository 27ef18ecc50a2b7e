"""KuCoin topic syntax, batching and the per-connection limits.

A tickwire subscription (channel, unified symbol, options) becomes one KuCoin *topic*
(``/market/ticker:BTC-USDT``). "One symbol = one topic" for the venue's caps: at most
100 symbols in one subscribe message and, per connection, at most
:data:`TOPICS_PER_CONNECTION` topics and 100 upstream messages in any 10 seconds.
"""

from __future__ import annotations

import msgspec

from tickwire.adapters.kucoin.parse import CANDLE_TYPES, to_native
from tickwire.core.ratelimit import Quota
from tickwire.core.subscriptions import ChannelOptions
from tickwire.core.types import Channel, Subscription

__all__ = [
    "CHANNELS",
    "DEPTH_PREFIXES",
    "LEVEL2",
    "MESSAGES_PER_CONNECTION",
    "PREFIXES",
    "SYMBOLS_PER_MESSAGE",
    "TOPICS_PER_CONNECTION",
    "Topic",
    "batch_key",
    "channel_of",
    "parse_topic",
    "topic_for",
    "topic_string",
]

MESSAGES_PER_CONNECTION = Quota(limit=100, window=10.0)  # every upstream frame counts
SYMBOLS_PER_MESSAGE = 100
# Docs-new says 400 per connection, but production still answers "300 per session"
# on spot (reference §5, §15): 300 is the cap that is known to hold.
TOPICS_PER_CONNECTION = 300

BOOK_FULL = "full"  # level2 increments synced against a REST snapshot
# 5 and 50 are KuCoin's pushed top-N books; any other depth up to the public snapshot's
# 100 is the synced level2 book (read its top N), so a strategy written for another
# venue's depth (Kraken's 10, 25) runs unchanged.
BOOK_DEPTHS: tuple[int | str, ...] = (5, 50, BOOK_FULL, *range(1, 101))


class Topic(msgspec.Struct, frozen=True, order=True):
    """One KuCoin topic: ``prefix`` + ``:`` + one native symbol (+ ``_type`` for candles)."""

    prefix: str
    native: str
    suffix: str = ""

    @property
    def text(self) -> str:
        """The single-symbol topic string, as data frames carry it."""
        return f"{self.prefix}:{self.native}{self.suffix}"


CHANNELS: dict[Channel, ChannelOptions] = {
    Channel.TICKER: ChannelOptions(),
    Channel.TRADES: ChannelOptions(),
    Channel.BOOK: ChannelOptions({"depth": BOOK_FULL}, {"depth": BOOK_DEPTHS}),
    Channel.CANDLES: ChannelOptions({"interval": 60}, {"interval": tuple(CANDLE_TYPES)}),
}
"""The public channels this adapter subscribes, with their options."""


LEVEL2 = "/market/level2"
"""The synced book's topic prefix; 5 and 50 are pushed top-N books (:data:`DEPTH_PREFIXES`)."""
DEPTH_PREFIX = "/spotMarket/level2Depth"
DEPTH_PREFIXES = (f"{DEPTH_PREFIX}5:", f"{DEPTH_PREFIX}50:")
"""The topics of KuCoin's pushed top-N books, up to the symbol."""
PREFIXES: dict[Channel, str] = {
    Channel.TICKER: "/market/ticker",
    Channel.TRADES: "/market/match",
    Channel.BOOK: LEVEL2,
    Channel.CANDLES: "/market/candles",
}
"""The topic prefix of each channel (the synced book's, for ``book``)."""
_CHANNEL_OF_PREFIX = {
    **{prefix: channel for channel, prefix in PREFIXES.items()},
    **{prefix.removesuffix(":"): Channel.BOOK for prefix in DEPTH_PREFIXES},
}


def topic_for(subscription: Subscription) -> Topic:
    """The KuCoin topic that carries one public subscription."""
    channel, native = subscription.channel, to_native(subscription.symbol or "")
    if channel is Channel.CANDLES:
        kind = CANDLE_TYPES[int(subscription.option("interval"))]
        return Topic(PREFIXES[channel], native, f"_{kind}")
    if channel is Channel.BOOK and (depth := subscription.option("depth")) in (5, 50):
        return Topic(f"{DEPTH_PREFIX}{depth}", native)
    return Topic(PREFIXES[channel], native)


def channel_of(topic: Topic) -> Channel | None:
    """The tickwire channel a topic feeds (None for a raw topic subscribed natively)."""
    return _CHANNEL_OF_PREFIX.get(topic.prefix)


def parse_topic(text: str) -> list[Topic]:
    """``/market/ticker:A,B`` → one :class:`Topic` per symbol (candles keep their type):
    what ``client.native.subscribe_topic`` subscribes."""
    prefix, sep, args = text.partition(":")
    if not sep or not args:
        raise ValueError(f"not a KuCoin topic: {text!r}")
    topics = []
    for arg in args.split(","):
        native, _, kind = arg.partition("_")
        topics.append(Topic(prefix, native, f"_{kind}" if kind else ""))
    return topics


def batch_key(topic: Topic) -> str:
    """Topics with the same key may share one subscribe message (candles never do)."""
    return topic.text if topic.suffix else topic.prefix


def topic_string(topics: list[Topic]) -> str:
    """``/market/ticker:A,B`` for topics of one batch."""
    first = topics[0]
    if first.suffix:
        return first.text
    return f"{first.prefix}:{','.join(t.native for t in topics)}"
