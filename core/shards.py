"""Topics over several connections of one venue: per-connection caps, coalesced subscribes,
restore on reconnect, make-before-break renewal.

Many venues cap what one connection may carry (KuCoin: 300 topics and 100 messages per
10 s per socket; Binance: 1,024 streams and 5 messages per second) and end connections
after a while (KuCoin's token, Binance's 24 h). :class:`Shards` is that machinery written
once. A :class:`Shard` is one *logical* connection: the topics it holds and the one
flusher that subscribes them. Usually it has one socket (``primary``); while it is being
renewed it briefly has two, each a :class:`ShardSocket` with its own
:class:`~tickwire.core.session.Session` (and rate limiter)::

    subscribe() ─► Shards.place(topic) ─► Shard.reserve ─► queue ─► flusher ─► session.send(builder)
                                          (the builder takes ≤ batch-size queued topics of
                                           one batch key when the rate slot opens)
    ack ─► the topics' futures resolve ─► the callers of subscribe() return

Renewal is make-before-break: a new socket subscribes every topic of the shard; its data
is *held* while the old socket keeps delivering; a ping barrier on the old socket makes
sure the old has delivered everything up to the new socket's start; then the sockets
swap, the held frames go to ``hooks.replay`` (the venue drops what it saw already), and
the old one closes.

The venue supplies its socket (a :class:`ShardSocket` subclass that is also the
session's :class:`~tickwire.core.handlers.SessionHandler`: it builds the (un)subscribe
and ping messages and routes frames), its :class:`Batching` rule, and :class:`PoolHooks`
(those parts live in :mod:`tickwire.core.shard_parts`; all are exported here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from tickwire.core.context import AdapterContext
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    DecodeError,
    Disconnected,
    ExchangeError,
    RateLimited,
    RequestTimeout,
    SubscriptionError,
    TickwireError,
)
from tickwire.core.native import FrameTaps
from tickwire.core.shard_parts import (
    Batching,
    PoolTopic,
    RoutedSocket,
    Routes,
    ShardsNative,
    ShardSocket,
)

__all__ = [
    "Batching",
    "Held",
    "PoolHooks",
    "PoolTopic",
    "RoutedSocket",
    "Routes",
    "Shard",
    "ShardSocket",
    "Shards",
    "ShardsNative",
]

T = TypeVar("T", bound=PoolTopic)

Held = list[tuple[Any, int]]
"""Data a socket being swapped in received meanwhile: (message, received) pairs."""


@dataclass(frozen=True, slots=True)
class PoolHooks:
    """Where the pool's news goes (the client's handlers, never the client)."""

    replay: Callable[[Held], None]
    """Deliver what a renewed socket received while it was being swapped in."""
    up: Callable[[Shard[Any]], None]
    """A shard's primary socket is up and subscribed."""
    down: Callable[[Shard[Any]], None]
    """A shard's primary socket is gone."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    # A rejected future whose caller already gave up must not log "never retrieved".
    if not future.cancelled():
        future.exception()


class Shards(Generic[T]):
    """Every shard of one client, and the placement of topics on them (a full set opens
    another). ``socket`` makes a shard's socket; ``renew_after`` is the renewal period."""

    def __init__(
        self,
        context: AdapterContext,
        socket: Callable[[Shard[T]], ShardSocket[T]],
        batching: Batching[T],
        hooks: PoolHooks,
        *,
        per_connection: int,
        renew_after: float,
    ) -> None:
        self.context = context
        self.new_socket = socket
        self.batching = batching
        self.hooks = hooks
        self.per_connection = per_connection
        self.renew_after = renew_after
        self.taps = FrameTaps()  # the native escape hatch replaces it with its own
        self.shards: list[Shard[T]] = []
        self.placed: dict[T, Shard[T]] = {}
        self.native: set[T] = set()  # raw topics subscribed through the native hatch

    def open(self, *, run: bool = True) -> Shard[T]:
        """A new shard, its socket connecting (``run=False``: the caller runs its session,
        as ``context.start`` does at connect)."""
        shard = Shard(self, len(self.shards))
        self.shards.append(shard)
        shard.start(self.renew_after, run=run)
        return shard

    async def close(self) -> None:
        """Close every socket of every shard."""
        for shard in self.shards:
            await shard.close()

    def socket(self, index: int = 0) -> ShardSocket[T]:
        """The primary socket of shard ``index``."""
        return self.shards[index].primary

    def place(self, topic: T) -> Shard[T]:
        """The shard that holds ``topic``, or will (a full set opens another)."""
        # Synchronous on purpose: the slot is taken before any await, so concurrent
        # subscribe calls can never overfill a shard.
        shard = self.placed.get(topic)
        if shard is not None:
            return shard
        for shard in self.shards:
            if len(shard.topics) < self.per_connection:
                break
        else:
            shard = self.open()
        self.placed[topic] = shard
        return shard

    def forget(self, topic: T) -> None:
        """``topic`` is no longer subscribed (refused)."""
        self.placed.pop(topic, None)
        self.native.discard(topic)

    async def subscribe(self, topics: Iterable[T]) -> tuple[list[T], BaseException | None]:
        """Subscribe ``topics``; the live ones and the first failure (or a timeout)."""
        futures = {topic: self.place(topic).reserve(topic) for topic in topics}
        failure = await self._settle(futures)
        live = [
            t for t, f in futures.items() if t in self.placed and f.done() and not f.exception()
        ]
        return live, failure

    async def _settle(self, futures: Mapping[T, asyncio.Future[None]]) -> BaseException | None:
        deadline = self.context.deadline(f"{self.context.venue} subscribe")
        _, pending = await asyncio.wait(futures.values(), timeout=deadline.remaining)
        failure: BaseException | None = None
        for future in futures.values():
            if future not in pending:
                failure = failure or future.exception()
        if failure is None and pending:
            failure = RequestTimeout(f"{deadline.what}: no ack within {deadline.seconds:g}s")
        return failure

    async def unsubscribe(self, topics: Iterable[T]) -> None:
        """Unsubscribe ``topics`` (each on its shard); raises what the venue answers."""
        by_shard: dict[Shard[T], list[T]] = {}
        for topic in topics:
            self.native.discard(topic)
            shard = self.placed.pop(topic, None)
            if shard is not None:
                shard.release(topic)
                by_shard.setdefault(shard, []).append(topic)
        for shard, group in by_shard.items():
            for outcome in await shard.primary.call("unsubscribe", group):
                if isinstance(outcome, TickwireError) and not isinstance(outcome, RequestTimeout):
                    raise outcome

    def unrouted(self, topic: str, frame: bytes | str) -> None:
        """A push no subscription routes: a stray, reported (unless a raw topic
        subscribed natively, whose taps saw the frame)."""
        if all(t.text != topic for t in self.native):
            error = DecodeError(f"{self.context.venue}: no subscription routes this topic: {topic}")
            self.context.error(error, "decode", frame)

    def of(self, shard: Shard[T]) -> list[T]:
        """The topics placed on ``shard``."""
        return [topic for topic, owner in self.placed.items() if owner is shard]

    @property
    def topics(self) -> list[str]:
        """Every topic's text subscribed now, across shards."""
        return sorted(t.text for shard in self.shards for t in shard.topics)

    async def barrier(self) -> None:
        """Return once every frame each shard's venue sent before now was handled."""
        await asyncio.gather(*(shard.primary.barrier() for shard in self.shards))


class Shard(Generic[T]):
    """One logical connection: its topics, the subscribe queue and its sockets."""

    def __init__(self, owner: Shards[T], index: int) -> None:
        self.owner = owner
        self.index = index
        self.topics: set[T] = set()  # reserved: acked, queued or in flight
        self.waiting: dict[T, asyncio.Future[None]] = {}
        self.queue: dict[str, list[T]] = {}
        self.primary = owner.new_socket(self)
        self.incoming: ShardSocket[T] | None = None  # the socket being swapped in
        self.held: Held = []
        self._wake = asyncio.Event()
        self.renewals = 0

    def _name(self, what: str) -> str:
        return f"{self.owner.context.venue}-{what}-{self.index}"

    def start(self, renew_after: float, *, run: bool = True) -> None:
        """Open the socket and start the flusher and the renewal, owned by the client."""
        spawn = self.owner.context.spawn
        if run:
            spawn(self.primary.session.run(), self._name("shard"))
        spawn(self._flush(), self._name("flush"))
        spawn(self._renew_every(renew_after), self._name("renew"))

    async def close(self) -> None:
        """Close every socket of the shard."""
        for socket in (self.primary, self.incoming):
            if socket is not None:
                await socket.session.close()

    # --- subscribing --------------------------------------------------------------------

    def reserve(self, topic: T, *, solo: bool = False) -> asyncio.Future[None]:
        """Take a slot for ``topic`` now (no await) and queue its subscribe."""
        self.topics.add(topic)
        future = self.waiting.get(topic)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)
            self.waiting[topic] = future
        key = topic.text if solo else self.owner.batching.key(topic)
        self.queue.setdefault(key, []).append(topic)
        self._wake.set()
        return future

    def release(self, topic: T) -> None:
        """Free ``topic``'s slot (refused or unsubscribed)."""
        self.topics.discard(topic)
        self.primary.session.unwatch(topic.text)

    async def _flush(self) -> None:
        """The shard's one sender of subscribes: whatever is queued when the slot opens."""
        while True:
            await self._wake.wait()
            if not self.queue:
                self._wake.clear()
                continue
            socket = self.primary
            await socket.session.wait_ready()
            try:
                await socket.session.send(partial(self._build, socket))
            except Disconnected:
                continue  # the reconnect subscribes the whole shard, the queue included

    def _build(self, socket: ShardSocket[T]) -> bytes | None:
        size = self.owner.batching.size
        while self.queue:
            key = next(iter(self.queue))
            group = self.queue[key]
            batch = [t for t in group[:size] if t in self.topics]
            del group[:size]
            if not group:
                del self.queue[key]
            if batch:
                frame, future = socket.register("subscribe", batch)
                future.add_done_callback(partial(self._settled, socket, batch))
                return frame
        return None

    def _settled(self, socket: ShardSocket[T], batch: list[T], future: asyncio.Future[Any]) -> None:
        exc = None if future.cancelled() else future.exception()
        if exc is None and not future.cancelled():
            socket.topics.update(batch)
            self.acked(batch, socket)
        elif isinstance(exc, ExchangeError) and not self._alone(batch, exc):
            self.refused(batch, exc)
        # Disconnected or timed out: the reconnect's restore subscribes them again.

    def _alone(self, batch: list[T], error: ExchangeError) -> bool:
        """One unknown symbol fails the whole message: queue each topic alone, so that the
        other topics of the batch are not refused with it (True if it did)."""
        if not isinstance(error, SubscriptionError) or len(batch) == 1:
            return False
        for topic in batch:
            self.reserve(topic, solo=True)
        return True

    def acked(self, topics: Iterable[T], socket: ShardSocket[T]) -> None:
        """Topics are live: wake their callers."""
        if socket is not self.primary:
            return
        topics = list(topics)
        socket.watch(topics)
        for topic in topics:
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_result(None)

    def refused(self, topics: Iterable[T], error: Exception) -> None:
        """The venue refused topics: free their slots and fail their callers."""
        for topic in topics:
            self.release(topic)
            self.owner.forget(topic)
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_exception(error)
            else:
                self.owner.context.error(error, f"subscribe {topic.text}")

    async def restore(self, socket: ShardSocket[T]) -> None:
        """Subscribe every topic of the shard on a fresh socket (batched, paced)."""
        if socket is self.primary:
            self.queue.clear()  # covered by this restore
        topics = sorted(self.topics)
        batches = list(self.owner.batching.batches(topics))
        outcomes = await socket.call("subscribe", topics)
        for batch, outcome in zip(batches, outcomes, strict=False):
            if outcome is None:
                self.acked(batch, socket)
            elif isinstance(outcome, ExchangeError) and not isinstance(outcome, RateLimited):
                if not self._alone(batch, outcome):
                    self.refused(batch, outcome)
            else:
                raise Disconnected(f"restore of shard {self.index} failed: {outcome!r}")
        if socket is self.primary:
            self.owner.hooks.up(self)

    # --- renewal ----------------------------------------------------------------------

    async def _renew_every(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except (TickwireError, OSError) as exc:
                self.owner.context.error(exc, f"renew shard {self.index}")

    async def renew(self) -> None:
        """Open a fresh socket, move every topic onto it, close the old one."""
        new = self.owner.new_socket(self)
        self.held = []
        self.incoming = new
        context = self.owner.context
        context.spawn(new.session.run(), f"{self._name('shard')}-renew")
        config = context.config
        budget = config.connect_timeout + 2 * config.request_timeout
        try:
            await Deadline(budget, f"{context.venue} renew").run(self._move_onto(new))
        except BaseException:
            self.incoming = None
            self.held = []
            await new.session.close()
            raise
        old, self.primary, self.incoming = self.primary, new, None
        held, self.held = self.held, []
        self.acked(list(new.topics), new)
        self.owner.hooks.replay(held)
        self.renewals += 1
        await old.session.close()

    async def _move_onto(self, new: ShardSocket[T]) -> None:
        await new.session.wait_ready()
        while True:
            extra = new.topics - self.topics
            if extra:
                await new.call("unsubscribe", extra)
            missing = self.topics - new.topics
            if missing:
                await new.call("subscribe", missing)
                continue
            # The old socket has now delivered everything sent before the new one's
            # subscriptions: the held frames continue it without a gap.
            await self.primary.barrier()
            if not self.topics - new.topics:
                return
