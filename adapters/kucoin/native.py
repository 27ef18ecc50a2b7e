"""Raw KuCoin access, for what tickwire does not normalize.

::

    await client.native.subscribe_topic("/market/snapshot:BTC-USDT")   # acked, restored
    remove = client.native.add_tap(lambda frame: print(frame))          # every raw frame
    reply = await client.native.request({"type": "ping"})               # {"type": "pong"...}
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.errors import RequestTimeout
from tickwire.core.native import FrameTaps

if TYPE_CHECKING:
    from tickwire.adapters.kucoin.client import KucoinClient

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

    def __init__(self, client: KucoinClient) -> None:
        super().__init__()
        self._client = client

    @property
    def topics(self) -> list[str]:
        """Every single-symbol topic string subscribed now, across shards."""
        return sorted(t.text for shard in self._client.shards for t in shard.topics)

    async def subscribe_topic(self, topic: str) -> None:
        """Subscribe a raw topic string; acked, sharded, restored after reconnects."""
        client = self._client
        futures = {}
        for item in parse_topic(topic):
            client._native_topics.add(item)
            futures[item] = client._shard_for(item).reserve(item)
        failure = await client._settle(futures)
        if failure is not None:
            raise failure

    async def unsubscribe_topic(self, topic: str) -> None:
        """Unsubscribe a raw topic string."""
        await self._client._unsubscribe_topics(parse_topic(topic))

    async def send(self, message: Mapping[str, Any], *, shard: int = 0) -> None:
        """Send one raw message as is on a shard's socket."""
        await self._client._socket(shard).session.send(msgspec.json.encode(message))

    async def request(
        self, message: Mapping[str, Any], *, shard: int = 0, timeout: float = 10.0
    ) -> Any:
        """Send ``message`` (an ``id`` is added if missing); return the raw reply to that id."""
        socket = self._client._socket(shard)
        msg_id = str(message.get("id") or f"n{socket.next_id()}")
        message = {**message, "id": msg_id}
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def match(frame: bytes) -> None:
            try:
                decoded = msgspec.json.decode(frame)
            except msgspec.DecodeError:
                return
            if isinstance(decoded, dict) and decoded.get("id") == msg_id and not reply.done():
                reply.set_result(decoded)

        remove = self.add_tap(match)
        socket.expected.add(msg_id)  # its ack or pong is this tap's, not an unknown reply
        try:
            await self.send(message, shard=shard)
            async with asyncio.timeout(timeout):
                return await reply
        except TimeoutError:
            raise RequestTimeout(f"kucoin native request: no reply within {timeout:g}s") from None
        finally:
            remove()

    async def barrier(self) -> None:
        """Return once every frame each shard's venue sent before now was handled."""
        await asyncio.gather(*(shard.primary.barrier() for shard in self._client.shards))
