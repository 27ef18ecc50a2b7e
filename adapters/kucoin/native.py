"""Raw KuCoin access, for what tickwire does not normalize.

::

    await client.native.subscribe_topic("/market/snapshot:BTC-USDT")   # acked, restored
    remove = client.native.add_tap(lambda frame: print(frame))          # every raw frame
    reply = await client.native.request({"type": "ping"})               # {"type": "pong"...}
"""

from __future__ import annotations

from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.shards import Shards, ShardsNative

__all__ = ["KucoinNative", "parse_topic"]


def parse_topic(text: str) -> list[Topic]:
    """``/market/ticker:A,B`` → one :class:`Topic` per symbol (candles keep their type)."""
    prefix, sep, args = text.partition(":")
    if not sep or not args:
        raise ValueError(f"not a KuCoin topic: {text!r}")
    topics = []
    for arg in args.split(","):
        native, _, kind = arg.partition("_")
        topics.append(Topic(prefix, native, f"_{kind}" if kind else ""))
    return topics


class KucoinNative(ShardsNative[Topic]):
    """Raw topics on the client's shards, raw messages, raw frames."""

    def __init__(self, shards: Shards[Topic]) -> None:
        super().__init__(shards, parse_topic)
