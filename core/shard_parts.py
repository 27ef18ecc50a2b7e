"""The venue-facing parts of :mod:`tickwire.core.shards`: what a topic must offer
(:class:`PoolTopic`), how topics share messages (:class:`Batching`), the base of a shard's
socket (:class:`ShardSocket`, and :class:`RoutedSocket` for pushes that name their topic,
routed by :class:`Routes`) and raw access to a pool (:class:`ShardsNative`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import msgspec

from tickwire.core.decoding import UNDECODABLE
from tickwire.core.errors import DecodeError
from tickwire.core.native import FrameTaps
from tickwire.core.session import Session
from tickwire.core.types import Channel, StreamState

if TYPE_CHECKING:
    from tickwire.core.shards import Shard, Shards

__all__ = ["Batching", "PoolTopic", "RoutedSocket", "Routes", "ShardSocket", "ShardsNative"]


class PoolTopic(Hashable, Protocol):
    """What the pool needs of a topic: hashable, orderable, and its wire text."""

    @property
    def text(self) -> str:
        """The topic as data frames name it (its staleness and solo-queue key)."""
        ...

    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound="PoolTopic")


@dataclass(frozen=True, slots=True)
class Batching(Generic[T]):
    """How topics share subscribe messages: at most ``size`` of one ``key`` each."""

    size: int
    key: Callable[[T], str]

    def batches(self, topics: Iterable[T]) -> Iterator[list[T]]:
        """Group topics into subscribe messages, sorted, one key and ``size`` at most each."""
        groups: dict[str, list[T]] = {}
        for topic in sorted(topics):
            groups.setdefault(self.key(topic), []).append(topic)
        for group in groups.values():
            for start in range(0, len(group), self.size):
                yield group[start : start + self.size]


class ShardSocket(Generic[T]):
    """One socket of a shard. The venue's subclass creates ``session`` (as its handler),
    builds messages (:meth:`message`, :meth:`ping`), calls :meth:`restore` from
    ``on_open`` (``on_close`` calls :meth:`lost`), and routes data by
    ``self is shard.primary`` / ``self is shard.incoming`` (then into ``shard.held``)."""

    session: Session
    ping_frame: bytes | None = None
    """A fixed keepalive ping frame (a venue whose ping varies overrides :meth:`ping_message`)."""

    def __init__(self, shard: Shard[T]) -> None:
        """Every socket serves one shard."""
        self.shard = shard
        self.context = shard.owner.context
        self.topics: set[T] = set()  # acked on this socket

    def message(self, kind: str, topics: list[T]) -> tuple[Hashable, bytes]:
        """The venue's ``kind`` (``subscribe``/``unsubscribe``) message for one batch, and
        the key its reply resolves under."""
        raise NotImplementedError

    def ping(self) -> tuple[Hashable, bytes]:
        """A request the venue answers after everything it sent before (and its key)."""
        raise NotImplementedError

    def ping_message(self) -> bytes | None:
        """The keepalive ping (None: the transport's alone); by default :attr:`ping_frame`."""
        return self.ping_frame

    def describe(self, topic: T) -> tuple[Channel | None, str | None]:
        """The channel a topic feeds and its unified symbol (``None``: a raw topic)."""
        return None, None

    def watch(self, topics: Iterable[T]) -> None:
        """Watch each live topic whose channel has a staleness threshold in the config's
        ``heartbeat.stale_after`` (restarts its clock)."""
        thresholds = self.context.config.heartbeat.stale_after
        for topic in topics:
            channel, _ = self.describe(topic)
            limit = thresholds.get(channel.value) if channel is not None else None
            if limit is not None:
                self.session.watch(topic.text, limit)

    async def on_stale(self, keys: list[Hashable]) -> None:
        """Report each topic silent past its channel's threshold ``STALE``, then subscribe
        it again (the session's watchdog calls this)."""
        by_text = {topic.text: topic for topic in self.shard.topics}
        for key in keys:
            topic = by_text.get(str(key))
            if topic is None:
                continue  # unsubscribed meanwhile
            channel, symbol = self.describe(topic)
            reason = f"no data on {topic.text}; resubscribing"
            self.context.status(StreamState.STALE, reason, channel=channel, symbol=symbol)
            await self.call("unsubscribe", [topic])
            (outcome,) = await self.call("subscribe", [topic])
            if outcome is None:
                self.watch([topic])
            else:
                self.context.error(outcome, f"renew stale {topic.text}")

    async def restore(self) -> None:
        """Subscribe the shard's topics on this fresh socket (call it from ``on_open``)."""
        await self.shard.restore(self)

    def on_close(self, reason: str) -> None:
        """Forget what this socket held; books of the primary await a resync."""
        self.lost()

    def lost(self) -> None:
        """This socket is gone (what ``on_close`` does)."""
        self.topics.clear()
        if self is self.shard.primary:
            self.shard.owner.hooks.down(self.shard)

    async def barrier(self) -> None:
        """Return once everything the venue sent this socket before now was handled."""
        key, frame = self.ping()
        timeout = self.context.config.request_timeout
        await self.session.request(key, frame, timeout, f"{self.context.venue} ping")

    def register(self, kind: str, topics: list[T]) -> tuple[bytes, asyncio.Future[Any]]:
        """A ``kind`` message for ``topics`` and the future its reply settles (for a
        sender that builds the frame when its rate slot opens)."""
        key, frame = self.message(kind, topics)
        future = self.session.pending.register(key)
        future.add_done_callback(lambda _: self.session.pending.discard(key))
        return frame, future

    async def call(self, kind: str, topics: Iterable[T]) -> list[BaseException | None]:
        """(Un)subscribe ``topics`` in batches; one outcome per batch, in order."""
        batches = self.shard.owner.batching.batches(topics)
        calls = (self._call(kind, batch) for batch in batches)
        return list(await asyncio.gather(*calls, return_exceptions=True))

    async def _call(self, kind: str, batch: list[T]) -> None:
        key, frame = self.message(kind, batch)
        timeout = self.context.config.request_timeout
        await self.session.request(key, frame, timeout, f"{self.context.venue} {kind}")
        if kind == "subscribe":
            self.topics.update(batch)
        else:
            self.topics.difference_update(batch)


@dataclass(frozen=True, slots=True)
class Routes:
    """Where a :class:`RoutedSocket`'s data pushes go (the client's handlers, never the
    client)."""

    table: Mapping[type, tuple[tuple[str, ...], Callable[[Any, int], None]]]
    """Push type → (the topic prefixes it may come on, its handler)."""
    deliver: Callable[[Any, int, bytes], None]
    """Route a push whose topic the table does not take (a raw topic's, a stray)."""
    failed: Callable[[Exception, Any, bytes], None]
    """Report a push its handler refused (the stream goes on)."""


class RoutedSocket(ShardSocket[T]):
    """A shard socket whose data pushes name their topic (``push.topic``). ``decode``
    turns a frame into a push in one pass or raises one of
    :data:`~tickwire.core.decoding.UNDECODABLE`; :meth:`other` takes such a frame. The
    primary socket hands each push to its handler in ``routes`` (inline: the hot path),
    a socket being swapped in holds it (``shard.held``)."""

    def __init__(self, shard: Shard[T], routes: Routes, decode: Callable[[bytes], Any]) -> None:
        super().__init__(shard)
        # The hot path's callees, looked up once.
        self._taps = shard.owner.taps
        self._decode = decode
        self._routes = routes.table
        self._deliver = routes.deliver
        self._failed = routes.failed

    def other(self, frame: bytes, received: int) -> Any | None:
        """A frame ``decode`` refused (a control frame, a push it does not know, a bad
        frame): the push to route, or None once handled."""
        raise NotImplementedError

    def on_frame(self, frame: bytes, received: int) -> None:
        """Data goes to its handler (or is held, on a socket being swapped in)."""
        if self._taps.taps:
            self._taps.tap(frame)
        try:
            push = self._decode(frame)  # the hot path: one pass
        except UNDECODABLE:
            push = self.other(frame, received)
        if push is None:
            return
        shard = self.shard
        if self is shard.primary:
            topic = push.topic
            activity = self.session.activity
            if topic in activity:
                activity[topic] = received
            prefixes, handler = self._routes[type(push)]
            if topic.startswith(prefixes):  # the client's deliver, inline: the hot path
                try:
                    handler(push, received)
                except (DecodeError, ValueError, ArithmeticError) as exc:
                    self._failed(exc, push, frame)
            else:
                self._deliver(push, received, frame)
        elif self is shard.incoming:
            shard.held.append((push, received))
        # else: a replaced socket's last pushes, which its successor delivers too


class ShardsNative(FrameTaps, Generic[T]):
    """Raw access to a pool: raw topics (placed, acked and restored like any), raw
    messages on a shard's socket, raw frames (every socket hands its frames to these
    taps). ``parse`` turns a raw topic string into the venue's topics."""

    def __init__(self, shards: Shards[T], parse: Callable[[str], list[T]]) -> None:
        super().__init__()
        self._shards = shards
        self._parse = parse
        shards.taps = self

    @property
    def topics(self) -> list[str]:
        """Every topic's text subscribed now, across shards."""
        return self._shards.topics

    async def subscribe_topic(self, topic: str) -> None:
        """Subscribe a raw topic string; acked, sharded, restored after reconnects."""
        topics = self._parse(topic)
        self._shards.native.update(topics)
        _, failure = await self._shards.subscribe(topics)
        if failure is not None:
            raise failure

    async def unsubscribe_topic(self, topic: str) -> None:
        """Unsubscribe a raw topic string."""
        await self._shards.unsubscribe(self._parse(topic))

    async def send(self, message: Mapping[str, Any], *, shard: int = 0) -> None:
        """Send one raw message as is on a shard's socket."""
        await self._shards.socket(shard).session.send(msgspec.json.encode(message))

    async def request(
        self, message: Mapping[str, Any], *, shard: int = 0, timeout: float = 10.0
    ) -> Any:
        """Send ``message`` (an ``id`` is added if missing); return the reply to that id
        decoded from JSON (the socket resolves replies with their raw frame), or raise
        the error the venue answered."""
        session = self._shards.socket(shard).session
        msg_id = str(message.get("id") or f"n{session.next_id()}")
        frame = msgspec.json.encode({**message, "id": msg_id})
        reply = await session.request(msg_id, frame, timeout, f"{session.venue} native request")
        return msgspec.json.decode(reply)

    async def barrier(self) -> None:
        """Return once every frame each shard's venue sent before now was handled."""
        await self._shards.barrier()
