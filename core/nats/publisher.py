"""The collector: one client's events, published to NATS JetStream.

::

    async with connect(config) as client:                  # a venue client
        async with Publisher(client, config.nats) as publisher:   # attach first...
            await client.subscribe("book", ["BTC/USD"])    # ...then subscribe
            await publisher.wait_closed()                  # runs until closed

or, for a config file, :func:`run_publisher` / ``tickwire publish --config FILE``.

What it does
------------
- **Every event** the client yields (market data, statuses, stream errors, account events
  when the client has credentials) goes to ``<prefix>.<venue>.<channel>.<symbol>``
  (:mod:`~tickwire.core.nats.subjects`) as msgspec JSON (:mod:`~tickwire.core.nats.codec`).
  The publisher is one more consumer of the client (policy ``block``: if it cannot keep
  up on CPU it holds the market-data sockets back rather than lose book deltas).
- **De-duplication.** Each message carries a ``Nats-Msg-Id`` (:func:`msg_id`) built from
  venue, channel, symbol and the event's own key (trade id, book sequence or time) plus a
  counter for repeated keys. A message whose acknowledgement was lost is sent again with
  the same id, and the server stores it once (within ``duplicate_window``). Behind a
  backlog, consecutive events of one subject share a message
  (:mod:`~tickwire.core.nats.outbox`); sending, acknowledgements and retries are
  :mod:`~tickwire.core.nats.sender`'s.
- **Stream.** Created if missing (subjects ``<prefix>.>``, file storage, ``max_age`` /
  ``max_bytes`` retention, ``replicas``), else checked and its retention updated.
- **Books for late joiners.** Per symbol the publisher keeps a mirror of the book built
  from exactly the book messages it enqueued, so a snapshot it takes is consistent with
  its position in the stream (:mod:`~tickwire.core.nats.mirror`). It publishes the
  venue's snapshots (every initial sync and every resync) as they come, and a snapshot
  of the mirror every ``snapshot_interval`` seconds. **The rule a consumer follows:**
  book messages of one symbol share one subject, in order; each carries
  ``Tw-Book-Seq``, one more than the previous book message of that symbol from this
  collector. Start at the latest snapshot (the stream
  sequence in ``Tw-Snap-Seq`` of the subject's last message), apply it, then apply every
  later delta whose ``Tw-Book-Seq`` is the previous one + 1. Any other delta is a gap:
  drop the book and wait for the next snapshot, which always restarts it.
- **Broker outages.** The venue connection stays up. Events wait in a bounded buffer
  (``buffer`` events) and are sent, in order, once the broker answers again; unacknowledged
  ones are re-sent under their ids. When the buffer is full new events are dropped and
  counted (:attr:`PublisherStats.dropped`); their book counters still advance, so readers
  see the gap, and snapshots of every book follow as soon as there is room. Losing and
  regaining the broker are log lines (``tickwire.nats``), and on recovery a
  ``StreamStatus`` (``connected``, or ``lagging`` when something was dropped) is
  published with the outage's length and drop count.

Ordering caveat: messages are pipelined. In a cluster, if the stream leader changes while
messages are in flight, a later message can be stored before an earlier one that is
re-sent; the reader's ``Tw-Book-Seq`` check turns that into a reported resync, never a
wrong book.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from time import monotonic, time_ns
from types import TracebackType
from typing import Any, Self

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from tickwire.core.config import ClientConfig, NatsConfig
from tickwire.core.errors import ConfigError
from tickwire.core.nats.broker import connect_broker, ensure_stream
from tickwire.core.nats.codec import MSG_ID, encode
from tickwire.core.nats.mirror import MirrorBooks
from tickwire.core.nats.outbox import Outgoing, event_key, msg_id
from tickwire.core.nats.sender import ACK_TIMEOUT, IN_FLIGHT, Sender
from tickwire.core.nats.subjects import channel_token, event_subject, symbol_token
from tickwire.core.protocol import StreamClient
from tickwire.core.types import (
    BookUpdate,
    Event,
    StreamState,
    StreamStatus,
)

__all__ = ["Publisher", "PublisherStats", "msg_id", "run_publisher"]

log = logging.getLogger("tickwire.nats")


class PublisherStats:
    """Counters of one publisher (read them any time; they only grow)."""

    __slots__ = (
        "dropped",
        "duplicates",
        "messages",
        "outages",
        "published",
        "received",
        "snapshots",
    )

    def __init__(self) -> None:
        self.received = 0
        """Events taken from the client."""
        self.published = 0
        """Events the stream acknowledged as new."""
        self.duplicates = 0
        """Events the stream acknowledged as duplicates (a re-send after a lost ack)."""
        self.messages = 0
        """Messages acknowledged (behind a backlog one message carries several events)."""
        self.dropped = 0
        """Events dropped because the buffer was full while the broker was away."""
        self.snapshots = 0
        """Book snapshots the publisher took of its mirror books."""
        self.outages = 0
        """Times the broker stopped answering."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"PublisherStats({fields})"


class Publisher:
    """Publishes every event of ``client`` to JetStream (see the module docstring).

    Enter it (``async with``, or :meth:`start`) after the client connected and before it
    subscribes, so that the venue's first book snapshots are published too.
    """

    def __init__(
        self,
        client: StreamClient,
        config: NatsConfig | None = None,
        *,
        ack_timeout: float = ACK_TIMEOUT,
    ) -> None:
        self.client = client
        self.config = config or NatsConfig()
        self.stats = PublisherStats()
        self._ack_timeout = ack_timeout
        self._pending: deque[Outgoing] = deque()
        self._limit = max(1, self.config.buffer)
        self._buffered = 0  # events in ``_pending`` (a message may hold several)
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._consumer: Any = None
        self._mirrors = MirrorBooks(self._depth)
        self._snap_seq: dict[str, int] = {}
        self._last_key: dict[tuple[str, str | None], tuple[str, int]] = {}
        self._dropping = False  # dropped since the buffer last had room
        self._dropped_in_outage = 0
        self._outage_since: float | None = None
        self._closed = asyncio.Event()
        self._sender = Sender(
            self._pending,
            self._snap_seq,
            ack_timeout=ack_timeout,
            on_acked=self._acked,
            on_failure=self._lost,
        )
        self._running: list[asyncio.Task[None]] = []

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the broker, create or check the stream, start publishing."""
        self._nc = await connect_broker(
            self.config,
            name=f"tickwire-publish-{self.client.venue}",
            on_disconnect=self._on_disconnect,
            on_reconnect=self._on_reconnect,
        )
        self._js = self._nc.jetstream(publish_async_max_pending=2 * IN_FLIGHT)
        try:
            await ensure_stream(self._js, self.config)
        except BaseException:
            await self._nc.close()  # or its reconnect tasks outlive the failed start
            raise
        self._sender.connected.set()
        self._consumer = self.client.events(policy="block")
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        self._running = [
            self._tasks.create_task(self._intake(), name="tickwire-nats-intake"),
            self._tasks.create_task(self._sender.run(self._js), name="tickwire-nats-send"),
            self._tasks.create_task(self._snapshots(), name="tickwire-nats-snapshots"),
            self._tasks.create_task(self._sender.watch(), name="tickwire-nats-acks"),
        ]

    async def close(self, *, flush_timeout: float = 5.0) -> None:
        """Stop taking events, send what is buffered (up to ``flush_timeout`` s), disconnect."""
        if self._tasks is None or self._closed.is_set():
            return
        self._closed.set()
        if self._consumer is not None:
            await self._consumer.aclose()
        try:
            await self.flush(flush_timeout)
        except TimeoutError:
            log.warning("nats: closing with %d events unsent", self._buffered)
        for task in self._running:
            task.cancel()
        try:
            await self._tasks.__aexit__(None, None, None)
        finally:
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()

    async def wait_closed(self) -> None:
        """Return once :meth:`close` was called."""
        await self._closed.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event taken so far is acknowledged by the stream."""
        async with asyncio.timeout(timeout):
            await self._sender.empty.wait()

    # --- intake: client events → buffer (synchronous per event) ---------------------

    async def _intake(self) -> None:
        take = self._take
        async for event in self._consumer:
            take(event)

    def _take(self, event: Event) -> None:
        self.stats.received += 1
        if type(event) is BookUpdate:
            self._take_book(event)
            return
        if type(event) is StreamStatus and event.state is StreamState.RESYNCING and event.symbol:
            self._mirrors.reset(event.symbol)
        self._enqueue(event, {MSG_ID: self._msg_id(event)})

    def _take_book(self, event: BookUpdate, *, snapshot_of_mirror: bool = False) -> None:
        book_headers = self._mirrors.record(event, snapshot_of_mirror=snapshot_of_mirror)
        self._enqueue(event, {MSG_ID: self._msg_id(event), **book_headers}, event.symbol)

    def _depth(self, symbol: str) -> int | None:
        try:
            return self.client.book(symbol).depth
        except Exception:  # a client without that book: keep every level
            return None

    def _msg_id(self, event: Event) -> str:
        key = event_key(event)
        slot = (channel_token(event), getattr(event, "symbol", None))
        last = self._last_key.get(slot)
        repeat = last[1] + 1 if last is not None and last[0] == key else 0
        self._last_key[slot] = (key, repeat)
        symbol = symbol_token(slot[1])
        return f"{event.venue}.{slot[0]}.{symbol}.{key}.{repeat}"

    def _enqueue(self, event: Event, headers: dict[str, str], book_of: str | None = None) -> None:
        pending = self._pending
        if self._buffered >= self._limit:
            self.stats.dropped += 1
            self._dropped_in_outage += 1
            if not self._dropping:
                self._dropping = True
                log.warning("nats: buffer full (%d events): dropping, counted", self._limit)
            return
        subject = event_subject(self.config.prefix, event)
        snapshot = book_of is not None and event.snapshot  # type: ignore[union-attr]
        payload = encode(event)
        self._buffered += 1
        # Behind a backlog, an event joins the last unsent message of its subject (one
        # message, several events): the per-message cost is paid once per batch.
        if pending and not snapshot and pending[-1].join(subject, payload, headers):
            pass
        else:
            pending.append(Outgoing(subject, payload, headers, book_of, snapshot))
        self._sender.wake()
        if self._dropping and self._buffered <= self._limit // 2:
            self._dropping = False
            self._snapshot_all()  # readers saw a gap: give every book a fresh start

    def _snapshot_all(self) -> None:
        for snapshot in self._mirrors.snapshots():
            self.stats.snapshots += 1
            self._take_book(snapshot, snapshot_of_mirror=True)

    async def _snapshots(self) -> None:
        interval = self.config.snapshot_interval
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)  # a period, not a wait for an event
            self._snapshot_all()

    # --- sending: buffer → JetStream, in order, acknowledged ------------------------

    async def _on_disconnect(self) -> None:
        self._sender.connected.clear()
        if not self._closed.is_set():
            self._lost("connection lost")

    async def _on_reconnect(self) -> None:
        self._sender.connected.set()

    def _acked(self, out: Outgoing, ack: Any) -> None:
        """One message is stored (or was already): count it, note a snapshot's place."""
        stats = self.stats
        self._buffered -= out.count
        stats.messages += 1
        if ack.duplicate:
            stats.duplicates += out.count
        else:
            stats.published += out.count
        if out.snapshot and out.book_of is not None:
            self._snap_seq[out.book_of] = ack.seq
        if self._outage_since is not None:
            self._recovered()

    def _lost(self, reason: str) -> None:
        if self._outage_since is None:
            self._outage_since = monotonic()
            self._dropped_in_outage = 0
            self.stats.outages += 1
            log.warning(
                "nats: broker not acknowledging (%s); buffering up to %d events",
                reason,
                self._limit,
            )

    def _recovered(self) -> None:
        assert self._outage_since is not None
        seconds = monotonic() - self._outage_since
        dropped = self._dropped_in_outage
        self._outage_since = None
        reason = f"broker: back after {seconds:.1f}s; {dropped} events dropped meanwhile"
        log.info("nats: %s", reason)
        state = StreamState.LAGGING if dropped else StreamState.CONNECTED
        status = StreamStatus(venue=self.client.venue, state=state, reason=reason, ts=time_ns())
        self._enqueue(status, {MSG_ID: self._msg_id(status)})


async def run_publisher(
    config: ClientConfig,
    *,
    nats: NatsConfig | None = None,
    registry: Any = None,
    started: Callable[[Publisher], None] | None = None,
) -> None:
    """Run a collector for ``config`` until cancelled: connect, attach, subscribe, publish.

    ``nats`` replaces ``config.nats``; what is collected is the config's
    ``[[subscriptions]]``. ``started(publisher)`` is called once every subscription is
    live (the caller can read :attr:`Publisher.stats` from then on). On cancellation the
    buffer is flushed (a few seconds at most) before the connections close.
    """
    from tickwire.core.connect import connect

    settings = nats or config.nats
    if settings is None:
        raise ConfigError("no [nats] table in the config, and no --nats URL")
    if not config.subscriptions:
        raise ConfigError("the config lists no [[subscriptions]]: nothing to publish")
    async with connect(config, registry=registry) as client:
        async with Publisher(client, settings) as publisher:
            for sub in config.subscriptions:
                await client.subscribe(sub.channel, sub.symbols, **sub.options)
            if started is not None:
                started(publisher)
            await publisher.wait_closed()
