"""KuCoin connections: shards of at most ``topics_per_connection`` topics, one handler per socket.

A :class:`Shard` is one *logical* connection: the topics it holds and the one flusher
that subscribes them. Usually it has one socket (``primary``); while its token is being
renewed it briefly has two, each a :class:`Socket` (a :class:`~tickwire.core.session.
SessionHandler` with its own :class:`~tickwire.core.session.Session` and rate limiter)::

    subscribe() ─► Shard.reserve(topic) ─► queue ─► flusher ─► session.send(builder)
                                                   (builder takes ≤100 queued topics of
                                                    one prefix when the rate slot opens)
    ack ─► the topics' futures resolve ─► the callers of subscribe() return

Renewal is make-before-break: a new socket subscribes every topic of the shard; its data
is *held* while the old socket keeps delivering; a ping barrier on the old socket makes
sure the old has delivered everything up to the new socket's start; then the sockets
swap, the held frames are replayed through the client's dedup, and the old one closes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from functools import partial
from time import time_ns
from typing import TYPE_CHECKING, Any

import msgspec

from tickwire.adapters.kucoin import liveness
from tickwire.adapters.kucoin.liveness import ReplyIds
from tickwire.adapters.kucoin.parse import VENUE, decode_frame
from tickwire.adapters.kucoin.schemas import Ack, ErrorFrame, Message, Pong, Welcome
from tickwire.adapters.kucoin.subscriptions import (
    SYMBOLS_PER_MESSAGE,
    Topic,
    batch_key,
    topic_batches,
    topic_string,
)
from tickwire.core.errors import (
    AuthError,
    DecodeError,
    Disconnected,
    ExchangeError,
    RateLimited,
    SubscriptionError,
)
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.session import Session

if TYPE_CHECKING:
    from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["Shard", "Socket", "map_error"]

_encode = msgspec.json.Encoder().encode
_LIMIT_KEY = "kucoin:conn"
_connect_ids = itertools.count(1)

ERRORS: dict[int, type[ExchangeError]] = {
    509: RateLimited,  # message rate, or a subscription cap
    404: SubscriptionError,  # unknown topic or symbol
    401: AuthError,  # token expired or invalid
    403: AuthError,
}
"""An error frame's ``code`` → the core error it raises."""


def map_error(code: int, text: str) -> ExchangeError:
    """The core error for a KuCoin error frame."""
    return ERRORS.get(code, ExchangeError)(VENUE, code, text)


def _retrieve(future: asyncio.Future[Any]) -> None:
    # A rejected future whose caller already gave up must not log "never retrieved".
    if not future.cancelled():
        future.exception()


class Socket:
    """One socket of a shard: the :class:`SessionHandler` of its own :class:`Session`."""

    def __init__(self, shard: Shard, quota: Quota) -> None:
        self.shard = shard
        self.client = client = shard.client
        config = client.config
        self.topics: set[Topic] = set()  # acked on this socket
        self.welcome = asyncio.Event()
        self.connect_id = ""
        self._ids = itertools.count(1)
        self._ping_ids = itertools.count(1)
        self.expected = ReplyIds()  # pings and native requests: replies nobody awaits
        self.session = Session(
            self,
            name=f"shard-{shard.index}",
            venue=VENUE,
            events=client._events,
            http=client.http,
            reconnect=config.reconnect,
            heartbeat=config.heartbeat,
            connect_timeout=config.connect_timeout,
            limiter=RateLimiter({_LIMIT_KEY: quota}),  # one per socket: KuCoin counts per socket
            limit_keys=(_LIMIT_KEY,),
            max_frame_size=config.max_frame_size,
        )

    def next_id(self) -> str:
        """A request id unique on this socket."""
        return str(next(self._ids))

    # --- SessionHandler -------------------------------------------------------------

    async def endpoint(self) -> str:
        """A fresh bullet token every time (never cached: it expires), and its ping period."""
        token = await self.client.rest.bullet_public()
        heartbeat = self.client.config.heartbeat
        self.session.ping_interval = ping = heartbeat.ping_interval or token.ping_interval
        # KuCoin sends no heartbeat: a quiet socket shows life only by answering pings.
        self.session.idle_timeout = max(heartbeat.idle_timeout, ping + token.ping_timeout)
        self.welcome.clear()
        self.connect_id = f"{time_ns()}{next(_connect_ids)}"
        return token.url(self.connect_id)

    async def on_open(self, session: Session) -> None:
        """Await ``welcome`` (the socket is unusable before), then subscribe the shard."""
        await self.welcome.wait()
        await self.shard.restore(self)

    def on_frame(self, frame: bytes, received: int) -> None:
        """Data goes to the client (or is held, on a socket being swapped in). Never raises."""
        client = self.client
        if client.native.taps:
            client.native.tap(frame)
        try:
            message = decode_frame(frame)
        except DecodeError as exc:
            client._push_error(exc, "decode", exc.frame)
            return
        kind = type(message)
        if kind is Message:
            shard = self.shard
            if self is shard.primary:
                activity = self.session.activity
                if message.topic in activity:  # type: ignore[union-attr]
                    activity[message.topic] = received  # type: ignore[union-attr]
                client._dispatch(message, received)  # type: ignore[arg-type]
            elif self is shard.incoming:
                shard.held.append((message, received))  # type: ignore[arg-type]
            # else: a replaced socket's last pushes, which its successor delivers too
        elif kind is Ack or kind is Pong:
            msg_id = message.id or ""  # an Ack or a Pong: always a string
            if not self.session.pending.resolve(msg_id, message) and not self.expected.pop(msg_id):
                error = DecodeError(f"kucoin: reply to an unknown request id {msg_id!r}", frame)
                client._push_error(error, f"shard {self.shard.index}")
        elif kind is Welcome:
            self.welcome.set()
        elif kind is ErrorFrame:
            self._on_error(message)  # type: ignore[arg-type]

    def _on_error(self, frame: ErrorFrame) -> None:
        error = map_error(frame.code, frame.data)
        if frame.id is not None and self.session.pending.reject(frame.id, error):
            return
        self.client._push_error(error, f"shard {self.shard.index}")
        if frame.id is None or frame.id == self.connect_id:
            # About the connection itself (an expired token): this socket is done for.
            self.session.drop(f"error {frame.code}: {frame.data}")

    def on_close(self, reason: str) -> None:
        """Forget what this socket held; books of the primary await a resync."""
        self.topics.clear()
        self.expected.clear()
        if self is self.shard.primary:
            self.client._on_shard_down(self.shard)

    def ping_message(self) -> bytes:
        """KuCoin's application ping (it counts against the message rate, like all)."""
        # Pings are numbered apart from requests, so a request's id does not depend on
        # when the keepalive fired (a replay issues the requests with the recorded ids).
        return _encode({"id": self.expected.add(f"ping{next(self._ping_ids)}"), "type": "ping"})

    async def on_stale(self, keys: list[Any]) -> None:
        """Topics silent past their channel's threshold: report and renew them."""
        await liveness.renew_stale(self, keys)

    # --- requests ---------------------------------------------------------------------

    async def barrier(self) -> None:
        """Return once everything the venue sent this socket before now was handled."""
        msg_id = self.next_id()
        message = _encode({"id": msg_id, "type": "ping"})
        timeout = self.client.config.request_timeout
        await self.session.request(msg_id, message, timeout, "kucoin ping")

    def register(self, kind: str, topics: list[Topic]) -> tuple[bytes, asyncio.Future[Any]]:
        """A (un)subscribe frame for ``topics`` and the future its ack settles."""
        msg_id = self.next_id()
        future = self.session.pending.register(msg_id)
        future.add_done_callback(lambda _: self.session.pending.discard(msg_id))
        body: dict[str, Any] = {"id": msg_id, "type": kind, "topic": topic_string(topics)}
        body |= {"privateChannel": False, "response": True}
        return _encode(body), future

    async def call(self, kind: str, topics: Iterable[Topic]) -> list[BaseException | None]:
        """(Un)subscribe ``topics`` in batches; one outcome per batch, in order."""
        batches = list(topic_batches(topics))
        futures: list[asyncio.Future[Any]] = []
        for batch in batches:
            frame, future = self.register(kind, batch)
            futures.append(future)
            try:
                await self.session.send(frame)
            except BaseException as exc:
                future.set_exception(Disconnected(str(exc)))
                break
        timeout = self.client.config.request_timeout
        if futures:
            await asyncio.wait(futures, timeout=timeout)
        outcomes: list[BaseException | None] = []
        for batch, future in zip(batches, futures, strict=False):
            outcome: BaseException | None = TimeoutError()
            if future.done() and not future.cancelled():
                outcome = future.exception()
            else:
                future.cancel()
            if outcome is None and kind == "subscribe":
                self.topics.update(batch)
            elif outcome is None:
                self.topics.difference_update(batch)
            outcomes.append(outcome)
        return outcomes


class Shard:
    """One logical KuCoin connection: its topics, the subscribe queue and its sockets."""

    def __init__(self, client: KucoinClient, index: int, quota: Quota) -> None:
        self.client = client
        self.index = index
        self.quota = quota
        self.topics: set[Topic] = set()  # reserved: acked, queued or in flight
        self.waiting: dict[Topic, asyncio.Future[None]] = {}
        self.queue: dict[str, list[Topic]] = {}
        self.primary = Socket(self, quota)
        self.incoming: Socket | None = None  # the socket being swapped in
        self.held: list[tuple[Message, int]] = []
        self._wake = asyncio.Event()
        self.renewals = 0

    def start(self, renew_after: float) -> None:
        """Open the socket and start the flusher and the token renewal, owned by the client."""
        spawn = self.client._spawn
        spawn(self.primary.session.run(), name=f"kucoin-shard-{self.index}")
        spawn(self._flush(), name=f"kucoin-flush-{self.index}")
        spawn(self._renew_every(renew_after), name=f"kucoin-renew-{self.index}")

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
        liveness.watch(socket, topics)
        for topic in topics:
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_result(None)

    def refused(self, topics: Iterable[Topic], error: Exception) -> None:
        """The venue refused topics: free their slots and fail their callers."""
        for topic in topics:
            self.release(topic)
            self.client._forget_topic(topic)
            future = self.waiting.pop(topic, None)
            if future is not None and not future.done():
                future.set_exception(error)
            else:
                self.client._push_error(error, f"subscribe {topic.text}")

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
            self.client._on_shard_up(self)

    # --- token renewal --------------------------------------------------------------

    async def _renew_every(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except (ExchangeError, Disconnected, TimeoutError, OSError) as exc:
                self.client._push_error(exc, f"renew shard {self.index}")

    async def renew(self) -> None:
        """Open a socket with a fresh token, move every topic onto it, close the old one."""
        new = Socket(self, self.quota)
        self.held = []
        self.incoming = new
        self.client._spawn(new.session.run(), name=f"kucoin-shard-{self.index}-renew")
        config = self.client.config
        try:
            async with asyncio.timeout(config.connect_timeout + 2 * config.request_timeout):
                await new.session.wait_ready()
                while True:
                    extra = new.topics - self.topics
                    if extra:
                        await new.call("unsubscribe", extra)
                    missing = self.topics - new.topics
                    if missing:
                        await new.call("subscribe", missing)
                        continue
                    # The old socket has now delivered everything sent before the new
                    # one's subscriptions: the held frames continue it without a gap.
                    await self.primary.barrier()
                    if not self.topics - new.topics:
                        break
        except BaseException:
            self.incoming = None
            self.held = []
            await new.session.close()
            raise
        old, self.primary, self.incoming = self.primary, new, None
        held, self.held = self.held, []
        self.acked(list(new.topics), new)
        self.client._replay(held)
        self.renewals += 1
        await old.session.close()
