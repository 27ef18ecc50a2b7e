"""Raw KuCoin access, for what tickwire does not normalize.

::

    await client.native.subscribe_topic("/market/snapshot:BTC-USDT")   # acked, restored
    remove = client.native.add_tap(lambda frame: print(frame))          # every raw frame
    reply = await client.native.request({"type": "ping"})               # {"type": "pong"...}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.native import FrameTaps
from tickwire.core.shards import Shards

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


class KucoinNative(FrameTaps):
    """Raw topics on the client's shards, raw messages, raw frames."""

    def __init__(self, shards: Shards[Topic]) -> None:
        super().__init__()
        self._shards = shards
        shards.taps = self  # every socket hands its frames to these taps

    @property
    def topics(self) -> list[str]:
        """Every single-symbol topic string subscribed now, across shards."""
        return self._shards.topics

    async def subscribe_topic(self, topic: str) -> None:
        """Subscribe a raw topic string; acked, sharded, restored after reconnects."""
        topics = parse_topic(topic)
        self._shards.native.update(topics)
        _, failure = await self._shards.subscribe(topics)
        if failure is not None:
            raise failure

    async def unsubscribe_topic(self, topic: str) -> None:
        """Unsubscribe a raw topic string."""
        await self._shards.unsubscribe(parse_topic(topic))

    async def send(self, message: Mapping[str, Any], *, shard: int = 0) -> None:
        """Send one raw message as is on a shard's socket."""
        await self._shards.socket(shard).session.send(msgspec.json.encode(message))

    async def request(
        self, message: Mapping[str, Any], *, shard: int = 0, timeout: float = 10.0
    ) -> Any:
        """Send ``message`` (an ``id`` is added if missing); return the raw reply to that id
        (decoded JSON), or raise the error KuCoin answered."""
        session = self._shards.socket(shard).session
        msg_id = str(message.get("id") or f"n{session.next_id()}")
        frame = msgspec.json.encode({**message, "id": msg_id})
        reply = await session.request(msg_id, frame, timeout, "kucoin native request")
        return msgspec.json.decode(reply)

    async def barrier(self) -> None:
        """Return once every frame each shard's venue sent before now was handled."""
        await self._shards.barrier()
