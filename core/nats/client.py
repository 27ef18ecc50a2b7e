"""The read side: a :class:`~tickwire.core.protocol.StreamClient` fed by JetStream.

::

    from tickwire.core.nats import connect_nats

    async with connect_nats("nats://10.0.0.5:4222", venues=["kraken"]) as client:
        await client.subscribe("book", ["BTC/USD"])
        await client.subscribe("trades", ["BTC/USD"])
        async for event in client.events():        # the same typed events as a direct client
            ...
        client.book("BTC/USD")                     # a live OrderBook, snapshot + deltas

It is also the adapter named ``nats`` (``connect("nats", nats=NatsConfig(...))``, a config
file with ``venue = "nats"`` and a ``[nats]`` table, ``tickwire stream nats --ws-url
nats://HOST:PORT --symbol BTC/USD``: ``ws_url`` overrides ``[nats] url``).

- ``subscribe(channel, symbols)`` reads the subjects
  ``<prefix>.<venue>.<channel>.<symbol>`` of every configured venue (``venues``, or all),
  from now on; statuses and stream errors of those venues arrive from connect on.
- ``book(symbol)`` follows the collector's rule (:mod:`tickwire.core.nats.books`): it
  starts at the latest stored snapshot (with ``venues`` named; across every venue it
  waits for the next snapshot), applies the deltas after it, and on a gap in
  ``Tw-Book-Seq`` reports ``resyncing`` and waits for the next snapshot (``resynced``).
- **Durable** (``NatsConfig.durable``): each subscription is a durable consumer named
  ``<durable>-<venue>-<channel>-<symbol>``. Each delivered message is acknowledged once it
  is in the events queue (acknowledgement covers every earlier one); on the next start
  the consumer resumes right after the last acknowledged message, so a program that reads
  its events to the end (the queue ends after what it holds when the client closes) sees
  each message exactly once across restarts. A durable ``book`` subscription resumes
  its deltas too, but a restarted process holds no book: it starts again at the next
  snapshot (``snapshot_interval``), and delivers book events from there.
- A message that is not a valid event becomes a ``StreamError`` and the stream goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from time import time_ns
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from tickwire.core.book import OrderBook
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig, NatsConfig
from tickwire.core.errors import ConfigError, DecodeError, SubscriptionError
from tickwire.core.nats.books import RemoteBooks
from tickwire.core.nats.broker import connect_broker
from tickwire.core.nats.codec import SNAP_SEQ, decode
from tickwire.core.nats.subjects import ERROR, STATUS, filter_subject
from tickwire.core.types import (
    BookUpdate,
    Channel,
    StreamError,
    StreamState,
    StreamStatus,
    Subscription,
)

__all__ = ["NatsStreamClient", "connect_nats"]

log = logging.getLogger("tickwire.nats")

ACK_EVERY = 500  # a durable consumer acknowledges at least this often (and when idle)
IDLE_HEARTBEAT = 1.0  # seconds: how fast a dead push consumer is noticed and recreated


class NatsStreamClient(BaseClient):
    """Typed events and live books read from the broker (see the module docstring)."""

    venue = "nats"

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        settings = config.nats or NatsConfig()
        if config.ws_url:  # the one URL override every adapter has
            settings = _replace(settings, url=config.ws_url)
        self.settings = settings
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._remote = RemoteBooks(self._events, self._books)
        self._subs: list[Any] = []
        self._by_subscription: dict[Subscription, list[Any]] = {}
        self._unacked: dict[int, Msg] = {}  # per durable reader: the last message not acked
        self._stopping = False
        self._missing = False  # the stream was not there at connect

    # --- lifecycle -------------------------------------------------------------------

    async def _start(self) -> None:
        self._nc = await connect_broker(
            self.settings, name="tickwire-read", timeout=self.config.connect_timeout
        )
        self._js = self._nc.jetstream()
        try:
            await self._js.stream_info(self.settings.stream)
        except NotFoundError:
            self._missing = True  # reported by subscribe: a reader may start first
        else:
            await self._consume_health()
        self._events.push(
            StreamStatus(venue=self.venue, state=StreamState.CONNECTED, reason="nats", ts=time_ns())
        )

    async def _consume_health(self) -> None:
        """Statuses and stream errors of the venues read, from now on."""
        for venue in self._venues():
            for kind in (STATUS, ERROR):
                await self._consume(filter_subject(self.settings.prefix, venue, kind), kind, None)

    async def _stop(self) -> None:
        # The events queue is closed already: deliver nothing more, acknowledge exactly
        # what was delivered (the next start resumes right after it).
        self._stopping = True
        for msg in list(self._unacked.values()):
            try:
                await msg.ack()
            except Exception:  # the broker is gone: those messages come again next time
                pass
        self._unacked.clear()
        for sub in self._subs:
            try:
                await sub.unsubscribe()
            except Exception:  # the connection is already gone: nothing to undo
                pass
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.flush(timeout=2)  # the last acknowledgements
            except Exception:
                pass
            await self._nc.close()

    def _venues(self) -> list[str | None]:
        return list(self.settings.venues) or [None]

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Read ``channel`` for ``symbols`` from the broker, from now on (options ignored)."""
        chosen = self._channel(channel)
        if self._missing:
            assert self._js is not None
            try:
                await self._js.stream_info(self.settings.stream)
            except NotFoundError:
                raise ConfigError(
                    f"nats: stream {self.settings.stream!r} not found at {self.settings.url}: "
                    "is a collector (tickwire publish) running?"
                ) from None
            self._missing = False
            await self._consume_health()
        for symbol in _symbols(symbols):
            subscription = Subscription(chosen, symbol)
            if subscription in self._subscriptions:
                continue
            subs = []
            for venue in self._venues():
                subject = filter_subject(self.settings.prefix, venue, chosen.value, symbol)
                if chosen is Channel.BOOK and symbol is not None and venue is not None:
                    self._remote.track(venue, symbol)
                subs.append(await self._consume(subject, chosen.value, symbol))
            self._by_subscription[subscription] = subs
            self._subscriptions.add(subscription)

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Stop reading ``channel`` for ``symbols``: their consumers end now."""
        chosen = self._channel(channel)
        for symbol in _symbols(symbols):
            subscription = Subscription(chosen, symbol)
            self._subscriptions.discard(subscription)
            for sub in self._by_subscription.pop(subscription, []):
                self._subs.remove(sub)
                try:
                    await sub.unsubscribe()
                except Exception:  # the connection is gone: nothing left to stop
                    pass

    async def _start_sequence(self, subject: str) -> int | None:
        """Where a book reader starts: the latest snapshot, or None (the subject is empty)."""
        assert self._js is not None
        try:
            last = await self._js.get_last_msg(self.settings.stream, subject)
        except NotFoundError:
            return None
        headers = last.headers or {}
        if SNAP_SEQ in headers:
            return int(headers[SNAP_SEQ])
        return last.seq

    async def _consume(self, subject: str, channel: str, symbol: str | None) -> Any:
        """A push consumer on ``subject``, its messages handed to a :meth:`_reader` callback."""
        js = self._js
        assert js is not None
        durable = self.settings.durable
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        if channel == Channel.BOOK.value and "*" not in subject:
            start = await self._start_sequence(subject)
            if start is None:
                config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
            else:
                config = ConsumerConfig(
                    deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
                )
        on_message, holder = self._reader(acking=durable is not None)
        if durable is None:
            sub = await js.subscribe(
                subject,
                cb=on_message,
                stream=self.settings.stream,
                config=config,
                ordered_consumer=True,
                idle_heartbeat=IDLE_HEARTBEAT,
            )
        else:
            name = _consumer_name(durable, subject, self.settings.prefix)
            config.ack_policy = AckPolicy.ALL
            config.max_ack_pending = 20 * ACK_EVERY
            config.filter_subject = subject
            config.flow_control = True
            config.idle_heartbeat = IDLE_HEARTBEAT
            try:
                info = await js.consumer_info(self.settings.stream, name)
            except NotFoundError:
                info = None
            if info is not None:
                # Resume right after the last acknowledged message: recreate the consumer
                # there, so nothing delivered-but-unacknowledged comes back out of order.
                floor = info.ack_floor.stream_seq if info.ack_floor else 0
                await js.delete_consumer(self.settings.stream, name)
                config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
                config.opt_start_seq = max(floor, info.config.opt_start_seq or 0, 0) + 1
                if floor == 0 and info.config.opt_start_seq:
                    config.opt_start_seq = info.config.opt_start_seq
            sub = await js.subscribe(
                subject,
                cb=on_message,
                durable=name,
                stream=self.settings.stream,
                config=config,
                manual_ack=True,
            )
        holder.append(sub)
        self._subs.append(sub)
        return sub

    # --- delivery ----------------------------------------------------------------------

    def _reader(self, acking: bool) -> tuple[Callable[[Msg], Awaitable[None]], list[Any]]:
        """The callback nats-py calls with each message of one subscription, in order.

        A callback, not ``async for sub.messages``: nats-py's iterator makes a task per
        message, which cost a loop turn of latency and most of the reader's CPU. Returns
        the callback and a one-item list to put its subscription in once it exists.
        """
        hub = self._events
        deliver = self._deliver
        unacked = self._unacked
        holder: list[Any] = []
        key = id(holder)
        count = 0
        last_seq = 0

        async def on_message(msg: Msg) -> None:
            nonlocal count, last_seq
            if self._stopping:
                return
            if acking:
                seq = msg.metadata.sequence.stream
                if seq <= last_seq:
                    return  # a redelivery of something already delivered
                last_seq = seq
            try:
                deliver(msg)
            except Exception as exc:  # nats-py would only log it: make it an event
                hub.push(StreamError.from_exception(self.venue, exc, f"nats {msg.subject}"))
            if acking:
                count += 1
                if count >= ACK_EVERY or not holder or holder[0].pending_msgs == 0:
                    unacked.pop(key, None)
                    await msg.ack()  # AckAll: covers every earlier message
                    count = 0
                else:
                    unacked[key] = msg
            if hub.full:
                await hub.drained()

        return on_message, holder

    def _deliver(self, msg: Msg) -> None:
        data = msg.data
        # One event, or several of one subject, one per line (JSON never holds a raw
        # newline): see tickwire.core.nats.outbox.
        lines = data.split(b"\n") if b"\n" in data else (data,)
        for offset, line in enumerate(lines):
            try:
                event = decode(line)
            except DecodeError as exc:
                self._events.push(
                    StreamError.from_exception(self.venue, exc, f"nats {msg.subject}")
                )
                continue
            if type(event) is BookUpdate:
                self._remote.apply(event, msg.headers or {}, offset, msg.subject, line)
                continue
            if type(event) is StreamStatus and event.state is StreamState.RESYNCING:
                self._remote.venue_resyncs(event.venue, event.symbol)
            self._events.push(event)

    def book(self, symbol: str) -> OrderBook:
        """The live book of ``symbol`` (``"venue:SYMBOL"`` picks one venue among several)."""
        venue, _, name = symbol.rpartition(":")
        if venue:
            found = self._remote.get(venue, name)
            if found is None:
                raise SubscriptionError(self.venue, "book", f"no book subscription for {symbol}")
            return found
        return super().book(symbol)


def _symbols(symbols: Sequence[str]) -> list[str | None]:
    """The symbols of a subscribe call; none at all is one account-wide subscription."""
    if isinstance(symbols, str):
        raise ValueError("symbols is a list, not a single string")
    return [*symbols] or [None]


def _replace(settings: NatsConfig, **changes: Any) -> NatsConfig:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


def _consumer_name(durable: str, subject: str, prefix: str) -> str:
    """``<durable>-<venue>-<channel>-<symbol>``, legal as a consumer name."""
    tail = subject[len(prefix) + 1 :].replace("*", "all").replace(".", "-")
    return f"{durable}-{tail}"


def connect_nats(
    url: str | None = None,
    *,
    venues: Sequence[str] = (),
    durable: str | None = None,
    nats: NatsConfig | None = None,
    **overrides: Any,
) -> NatsStreamClient:
    """The read-side client for the broker at ``url`` (``async with`` opens it).

    ``venues`` narrows what it reads (default: every venue); ``durable`` names a durable
    consumer; ``nats`` gives the whole ``[nats]`` table (``url``/``venues``/``durable``
    replace its fields). Other keywords are :class:`ClientConfig` fields (``queue=``...).
    """
    settings = nats or NatsConfig()
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = url
    if venues:
        changes["venues"] = tuple(venues)
    if durable is not None:
        changes["durable"] = durable
    if changes:
        settings = _replace(settings, **changes)
    return NatsStreamClient(ClientConfig(venue="nats", nats=settings, **overrides))
