"""A venue whose public topics spread over several sockets: the whole
:class:`~tickwire.core.protocol.StreamClient` but the venue's topics, sockets and books.

:class:`ShardedClient` runs the subscription flow on core's
:class:`~tickwire.core.shards.Shards` (topics placed on shards, acked, restored; a book
made before its subscribe, dropped if refused, synced once acked; account channels on an
:class:`~tickwire.core.account.AccountSocket`) and the delivery of data pushes: each
shard's :class:`~tickwire.core.shard_parts.RoutedSocket` hands a push to the handler
``_routes`` names for its type, once its topic is one that type comes on. The venue
supplies only its facts::

    class MyClient(ShardedClient[MyTopic]):
        channel_options = {Channel.TICKER: ChannelOptions(), Channel.BOOK: ...}
        account_channels = frozenset({Channel.ORDERS})  # on self.account_socket

        def __init__(self, config):
            super().__init__(config)
            self._routes.update({TickerPush: (("/ticker:",), self._on_ticker)})
            socket = partial(MySocket, routes=self.routes)  # a RoutedSocket
            self._pool(socket, Batching(100, key), books, topic_for=topic_for,
                       parse=parse_topic, per_connection=300, renew_after=12 * 3600)

A renewal's overlap (held pushes, :meth:`_replay`) is delivered once: numbered streams
pass ``_sequences`` (a :class:`~tickwire.core.sequences.SequenceFilter`), the others
compare their time with ``_last_ts`` (by topic) while ``_replaying``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError, DecodeError, NotSupported
from tickwire.core.sequences import SequenceFilter
from tickwire.core.shards import (
    Batching,
    Held,
    PoolHooks,
    PoolTopic,
    Routes,
    Shard,
    Shards,
    ShardsNative,
    ShardSocket,
)
from tickwire.core.subscriptions import ChannelOptions, subscription_for
from tickwire.core.types import Channel, Subscription

__all__ = ["ShardedClient", "TopicBooks"]

T = TypeVar("T", bound=PoolTopic)
T_contra = TypeVar("T_contra", contravariant=True)


class TopicBooks(Protocol[T_contra]):
    """The books of a :class:`ShardedClient`, by the topic that feeds each."""

    def add(self, topic: T_contra, symbol: str) -> None:
        """Make the book of a book topic (before its subscribe: buffering starts)."""

    def drop(self, topic: T_contra) -> None:
        """Forget the book of a topic (unsubscribed or refused; a no-op for others)."""

    async def sync(self, topics: Sequence[T_contra]) -> None:
        """Bring the books of these acked topics in sync (a no-op for books that need none)."""

    def up(self, shard: Shard[Any]) -> None:
        """A shard's socket is subscribed again: resync its books."""

    def down(self, shard: Shard[Any]) -> None:
        """A shard's socket is gone: its books wait."""


class ShardedClient(BaseClient, Generic[T]):
    """Base class of an adapter whose public topics live on shards (see the module)."""

    channel_options: ClassVar[Mapping[Channel, ChannelOptions]] = {}
    """The public channels the venue offers, with their options."""
    account_channels: ClassVar[frozenset[Channel]] = frozenset()
    """The channels of :attr:`account_socket` (credentials, no symbols)."""

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        # push type → (the topic prefixes it may come on, its handler): the venue's
        self._routes: dict[type, tuple[tuple[str, ...], Callable[[Any, int], None]]] = {}
        self.routes = Routes(self._routes, self._deliver, self._failed)
        """What each shard's :class:`~tickwire.core.shard_parts.RoutedSocket` routes by."""
        self._sequences = SequenceFilter(self.venue)  # numbered stream key → sequence
        self._last_ts: dict[str, int] = {}  # topic → the time of its last delivered push
        self._replaying = False  # while held pushes are delivered (:meth:`_replay`)

    def _pool(
        self,
        socket: Callable[[Shard[T]], ShardSocket[T]],
        batching: Batching[T],
        books: TopicBooks[T],
        *,
        topic_for: Callable[[Subscription], T],
        parse: Callable[[str], list[T]],
        per_connection: int,
        renew_after: float,
    ) -> None:
        """Set up the shards (from ``__init__``): ``socket`` makes one, ``topic_for`` is
        the venue's topic of one public subscription, ``parse`` turns a raw topic string
        into topics (for :attr:`native`)."""
        self._topic_books = books
        self._topic_for = topic_for
        hooks = PoolHooks(replay=self._replay, up=books.up, down=books.down)
        self._shards = Shards(
            self.context,
            socket,
            batching,
            hooks,
            per_connection=per_connection,
            renew_after=renew_after,
        )
        self._native = ShardsNative(self._shards, parse)

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        shard = self._shards.open(run=False)
        await self.context.start(shard.primary.session)  # ConnectTimeout if it is not up

    async def _stop(self) -> None:
        if self.account_socket is not None:
            await self.account_socket.close()
        await self._shards.close()

    @property
    def shards(self) -> list[Shard[T]]:
        """The logical connections, oldest first."""
        return list(self._shards.shards)

    @property
    def native(self) -> ShardsNative[T]:
        """Raw access (:class:`~tickwire.core.shard_parts.ShardsNative`); on KuCoin::

        await client.native.subscribe_topic("/market/snapshot:BTC-USDT")  # acked, restored
        remove = client.native.add_tap(lambda frame: print(frame))  # every raw frame
        reply = await client.native.request({"type": "ping"})  # {"type": "pong"...}
        """
        return self._native

    # --- delivery ----------------------------------------------------------------------

    def _deliver(self, push: Any, received: int, frame: bytes = b"") -> None:
        """Route one push by its type, once its topic is one that type may come on (the
        sockets do the same inline; this serves held pushes and the rest)."""
        prefixes, handler = self._routes[type(push)]
        try:
            if push.topic.startswith(prefixes):
                handler(push, received)
            else:
                self._shards.unrouted(push.topic, frame or repr(push))
        except (DecodeError, ValueError, ArithmeticError) as exc:
            self._failed(exc, push, frame)

    def _failed(self, exc: Exception, push: Any, frame: bytes) -> None:
        """Report a push that a handler refused; the stream goes on."""
        if not isinstance(exc, DecodeError):
            # Fields that decode as strings but are not numbers (a garbled sequence):
            # a bad frame must surface, never end the stream.
            exc = DecodeError(
                f"{self.venue}: bad value on {push.topic}: {exc}", frame or repr(push)
            )
        self.context.error(exc, "decode", exc.frame)

    def _stray(self, push: Any, why: str, frame: bytes = b"") -> None:
        """Report a push no state takes (``why``: no book for it, an unknown type)."""
        error = DecodeError(f"{self.venue}: {why}: {push.topic}", frame or repr(push))
        self.context.error(error, "decode")

    def _replay(self, held: Held) -> None:
        """Deliver what a renewed socket received while it was being swapped in."""
        self._replaying = True
        try:
            for push, received in held:
                self._deliver(push, received)
        finally:
            self._replaying = False

    # --- subscriptions -----------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe a channel for symbols; returns once acked (and books synced).

        Raises SubscriptionError for an unknown symbol (the others stay subscribed),
        RateLimited when the venue refused the message (not retried: the caller
        decides), RequestTimeout without an ack.
        """
        channel, symbols = self._checked(channel, symbols)
        if channel in self.account_channels:
            return await self._subscribe_account(channel)
        if channel not in self.channel_options:
            raise NotSupported(f"{self.venue}: the {channel} channel is not offered")
        kept = self.channel_options[channel].options(options)
        wanted: dict[T, Subscription] = {}
        for symbol in symbols:
            subscription = subscription_for(channel, symbol, kept)
            if subscription not in self._subscriptions:
                wanted[self._topic_for(subscription)] = subscription
        if not wanted:
            return
        books = self._topic_books if channel is Channel.BOOK else None
        if books is not None:  # before the subscribe: its first pushes buffer
            for topic, subscription in wanted.items():
                books.add(topic, subscription.symbol or "")
        live, failure = await self._shards.subscribe(wanted)
        if books is not None:
            for topic in wanted.keys() - set(live):
                books.drop(topic)
        self._subscriptions.update(wanted[t] for t in live)
        if books is not None and live:
            await books.sync(live)
        if failure is not None:
            raise failure

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Unsubscribe symbols (with the options they were subscribed with)."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        if channel in self.account_channels:
            self._subscriptions.discard(Subscription(channel))
            if self.account_socket is not None:
                await self.account_socket.unsubscribe(channel)
            return
        targets = [s for s in self._subscriptions if s.channel is channel and s.symbol in symbols]
        topics = []
        for subscription in targets:
            self._subscriptions.discard(subscription)
            topics.append(self._topic_for(subscription))
        try:
            await self._shards.unsubscribe(topics)
        finally:
            # After the ack: pushes sent before it still find their book, and any later
            # one is a stray, reported.
            for topic in topics:
                self._topic_books.drop(topic)

    async def _subscribe_account(self, channel: Channel) -> None:
        socket = self.account_socket
        if socket is None:
            if self.config.credentials is not None and self._tasks is not None:
                why = "needs the private socket, which the options turn off"
                raise ConfigError(f"{self.venue}: {channel} {why}")
            raise ConfigError(f"{self.venue}: the {channel} channel needs credentials")
        await socket.subscribe(channel)
        self._subscriptions.add(Subscription(channel))
