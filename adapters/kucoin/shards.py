"""KuCoin connections: shards of at most ``topics_per_connection`` topics each.

A :class:`Shard` is one *logical* connection: the topics it holds and the one flusher
that subscribes them. Usually it has one socket (``primary``); while its token is being
renewed it briefly has two, each a :class:`~tickwire.adapters.kucoin.sockets.Socket`
(with its own :class:`~tickwire.core.session.Session` and rate limiter)::

    subscribe() ─► Shard.reserve(topic) ─► queue ─► flusher ─► session.send(builder)
                                                   (builder takes ≤100 queued topics of
                                                    one prefix when the rate slot opens)
    ack ─► the topics' futures resolve ─► the callers of subscribe() return

Renewal is make-before-break: a new socket subscribes every topic of the shard; its data
is *held* while the old socket keeps delivering; a ping barrier on the old socket makes
sure the old has delivered everything up to the new socket's start; then the sockets
swap, the held frames are replayed through the client's dedup, and the old one closes.

:class:`Shards` places topics on shards (a full set opens another) and is what the
client and :mod:`.native` subscribe through. The shards reach the client only through
:class:`ShardHooks`: narrow callbacks, never the client object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from tickwire.adapters.kucoin.rest import BulletToken
from tickwire.adapters.kucoin.schemas import Message
from tickwire.adapters.kucoin.sockets import Socket
from tickwire.adapters.kucoin.subscriptions import (
    SYMBOLS_PER_MESSAGE,
    Topic,
    batch_key,
    topic_batches,
)
from tickwire.core.context import AdapterContext
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    Disconnected,
    ExchangeError,
    RateLimited,
    RequestTimeout,
    SubscriptionError,
    TickwireError,
)
from tickwire.core.native import FrameTaps
from tickwire.core.ratelimit import Quota

__all__ = ["Shard", "ShardHooks", "Shards"]

Held = list[tuple[Message, int]]


@dataclass(frozen=True, slots=True)
class ShardHooks:
    """What the shards need of their client: a token, and where frames and news go."""

    bullet: Callable[[], Awaitable[BulletToken]]
    """A fresh ``bullet-public`` token (every connect)."""
    dispatch: Callable[[Message, int], None]
    """Deliver one data push of a primary socket."""
    replay: Callable[[Held], None]
    """Deliver what a renewed socket received while it was being swapped in."""
    up: Callable[[Shard], None]
    """A shard's primary socket is up and subscribed."""
    down: Callable[[Shard], None]
    """A shard's primary socket is gone."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    # A rejected future whose caller already gave up must not log "never retrieved".
    if not future.cancelled():
        future.exception()


class Shards:
    """Every shard of one client, and the placement of topics on them."""

    def __init__(
        self,
        context: AdapterContext,
        hooks: ShardHooks,
        quota: Quota,
        *,
        per_connection: int,
        renew_after: float,
    ) -> None:
        self.context = context
        self.hooks = hooks
        self.quota = quota
        self.per_connection = per_connection
        self.renew_after = renew_after
        self.taps = FrameTaps()  # the native escape hatch replaces it with its own
        self.shards: list[Shard] = []
        self.placed: dict[Topic, Shard] = {}
        self.native: set[Topic] = set()  # raw topics subscribed through ``native``

    def open(self, *, run: bool = True) -> Shard:
        """A new shard, its socket connecting (``run=False``: the caller runs its session,
        as ``context.start`` does at connect)."""
        shard = Shard(self, len(self.shards), self.quota)
        self.shards.append(shard)
        shard.start(self.renew_after, run=run)
        return shard

    async def close(self) -> None:
        """Close every socket of every shard."""
        for shard in self.shards:
            await shard.close()

    def socket(self, index: int = 0) -> Socket:
        """The primary socket of shard ``index``."""
        return self.shards[index].primary

    def place(self, topic: Topic) -> Shard:
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

    def forget(self, topic: Topic) -> None:
        """``topic`` is no longer subscribed (refused)."""
        self.placed.pop(topic, None)
        self.native.discard(topic)

    async def subscribe(self, topics: Iterable[Topic]) -> tuple[list[Topic], BaseException | None]:
        """Subscribe ``topics``; the live ones and the first failure (or a timeout)."""
        futures = {topic: self.place(topic).reserve(topic) for topic in topics}
        failure = await self._settle(futures)
        live = [
            t for t, f in futures.items() if t in self.placed and f.done() and not f.exception()
        ]
        return live, failure

    async def _settle(self, futures: Mapping[Topic, asyncio.Future[None]]) -> BaseException | None:
        deadline = self.context.deadline("kucoin subscribe")
        _, pending = await asyncio.wait(futures.values(), timeout=deadline.remaining)
        failure: BaseException | None = None
        for future in futures.values():
            if future not in pending:
                failure = failure or future.exception()
        if failure is None and pending:
            failure = RequestTimeout(f"kucoin subscribe: no ack within {deadline.seconds:g}s")
        return failure

    async def unsubscribe(self, topics: Iterable[Topic]) -> None:
        """Unsubscribe ``topics`` (each on its shard); raises what the venue answers."""
        by_shard: dict[Shard, list[Topic]] = {}
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

    def of(self, shard: Shard) -> list[Topic]:
        """The topics placed on ``shard``."""
        return [topic for topic, owner in self.placed.items() if owner is shard]

    @property
    def topics(self) -> list[str]:
        """Every single-symbol topic string subscribed now, across shards."""
        return sorted(t.text for shard in self.shards for t in shard.topics)

    async def barrier(self) -> None:
        """Return once every frame each shard's venue sent before now was handled."""
        await asyncio.gather(*(shard.primary.barrier() for shard in self.shards))


class Shard:
    """One logical KuCoin connection: its topics, the subscribe queue and its sockets."""

    def __init__(self, owner: Shards, index: int, quota: Quota) -> None:
        self.owner = owner
        self.index = index
        self.quota = quota
        self.topics: set[Topic] = set()  # reserved: acked, queued or in flight
        self.waiting: dict[Topic, asyncio.Future[None]] = {}
        self.queue: dict[str, list[Topic]] = {}
        self.primary = Socket(self, quota)
        self.incoming: Socket | None = None  # the socket being swapped in
        self.held: Held = []
        self._wake = asyncio.Event()
        self.renewals = 0

    def start(self, renew_after: float, *, run: bool = True) -> None:
        """Open the socket and start the flusher and the token renewal, owned by the client."""
        spawn = self.owner.context.spawn
        if run:
            spawn(self.primary.session.run(), f"kucoin-shard-{self.index}")
        spawn(self._flush(), f"kucoin-flush-{self.index}")
        spawn(self._renew_every(renew_after), f"kucoin-renew-{self.index}")

    async def close(self) -> None:
        """Close every socket of the shard."""
        for socket in (self.primary, self.incoming):
            if socket is not None:
                await socket.session.close()

    # --- subscribing --------------------------------------------------------------------

    def reserve(self, topic: Topic, *, solo: bool = False) -> asyncio.Future[None]:
        """Take a slot for ``topic`` now (no await) and queue its subscribe."""
        self.topics.add(topic)
        future = self.waiting.get(topic)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)
            self.waiting[topic] = future
        self.queue.setdefault(topic.text if solo else batch_key(topic), []).append(topic)
        self._wake.set()
        return future

    def release(self, topic: Topic) -> None:
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

    def _build(self, socket: Socket) -> bytes | None:
        while self.queue:
            key = next(iter(self.queue))
            group = self.queue[key]
            batch = [t for t in group[:SYMBOLS_PER_MESSAGE] if t in self.topics]
            del group[:SYMBOLS_PER_MESSAGE]
            if not group:
                del self.queue[key]
            if batch:
                frame, future = socket.register("subscribe", batch)
                future.add_done_callback(partial(self._settled, socket, batch))
                return frame
        return None

    def _settled(self, socket: Socket, batch: list[Topic], future: asyncio.Future[Any]) -> None:
        exc = None if future.cancelled() else future.exception()
        if exc is None and not future.cancelled():
            socket.topics.update(batch)
            self.acked(batch, socket)
        elif isinstance(exc, SubscriptionError) and len(batch) > 1:
            # One unknown symbol fails the whole message: retry each alone, so that
            # the other callers' topics in this batch are not refused with it.
            for topic in batch:
                self.reserve(topic, solo=True)
        elif isinstance(exc, ExchangeError):
            self.refused(batch, exc)
        # Disconnected or timed out: the reconnect's restore subscribes them again.

    def acked(self, topics: Iterable[Topic], socket: Socket) -> None:
        """Topics are live: wake their callers."""
        if socket is not self.primary:
            return
        topics = list(topics)
        socket.watch(topics)
        for topic in topics:
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_result(None)

    def refused(self, topics: Iterable[Topic], error: Exception) -> None:
        """The venue refused topics: free their slots and fail their callers."""
        for topic in topics:
            self.release(topic)
            self.owner.forget(topic)
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_exception(error)
            else:
                self.owner.context.error(error, f"subscribe {topic.text}")

    async def restore(self, socket: Socket) -> None:
        """Subscribe every topic of the shard on a fresh socket (batched, paced)."""
        if socket is self.primary:
            self.queue.clear()  # covered by this restore
        topics = sorted(self.topics)
        batches = list(topic_batches(topics))
        outcomes = await socket.call("subscribe", topics)
        for batch, outcome in zip(batches, outcomes, strict=False):
            if outcome is None:
                self.acked(batch, socket)
            elif isinstance(outcome, ExchangeError) and not isinstance(outcome, RateLimited):
                self.refused(batch, outcome)
            else:
                raise Disconnected(f"restore of shard {self.index} failed: {outcome!r}")
        if socket is self.primary:
            self.owner.hooks.up(self)

    # --- token renewal --------------------------------------------------------------

    async def _renew_every(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except (TickwireError, OSError) as exc:
                self.owner.context.error(exc, f"renew shard {self.index}")

    async def renew(self) -> None:
        """Open a socket with a fresh token, move every topic onto it, close the old one."""
        new = Socket(self, self.quota)
        self.held = []
        self.incoming = new
        context = self.owner.context
        context.spawn(new.session.run(), f"kucoin-shard-{self.index}-renew")
        config = context.config
        budget = Deadline(config.connect_timeout + 2 * config.request_timeout, "kucoin renew")
        try:
            await budget.run(self._move_onto(new))
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

    async def _move_onto(self, new: Socket) -> None:
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
