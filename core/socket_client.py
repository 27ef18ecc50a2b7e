"""A venue whose market data comes over one WebSocket: the whole :class:`StreamClient`
but the venue's wire format.

Many venues serve market data (and often the account) on one socket where each request
carries an id that its reply echoes. :class:`SocketClient` runs that socket on core's
machinery — a :class:`~tickwire.core.session.Session` (reconnects with backoff, heartbeat
watchdog, keepalive pings), the subscription set restored on every reconnect, silent
channels renewed, books kept by a :class:`~tickwire.core.bookkeeper.BookKeeper` (a gap is
reported, the subscription renewed for a fresh snapshot, the resync reported), requests
correlated by id — and asks the adapter only for what is the venue's own::

    class MyClient(SocketClient):
        venue = "myvenue"
        ws_url = "wss://stream.myvenue.example/ws"
        channels = frozenset({Channel.TICKER, Channel.TRADES, Channel.BOOK})

        def request_message(self, op, subscription, request_id):
            return encode({"op": op, "channel": subscription.channel, "id": request_id, ...})

        def on_frame(self, frame, received):
            ...  # decode; self.context.emit(event); self.reply(id, result or exception)

Optional: ``greets`` with :meth:`greeted` (or a :meth:`handshake` of its own),
:meth:`login_message` (with credentials), :meth:`ping_message`, :meth:`check_options`.
Books: a venue that numbers its book messages one by one hands each to
``self.keeper.apply_sequenced``; any other rule (ranges, checksums) stays in ``on_frame``,
applying to ``self.context.books[symbol]`` and calling ``self.keeper.in_sync(symbol)`` on
a snapshot, ``self.keeper.out_of_sync(symbol, why)`` on a gap.
``examples/third_party_adapter`` is a complete adapter built this way.

A larger venue overrides a few more (Kraken's adapter does all of them):
:attr:`channel_options` or :meth:`subscription_options` (options kept in the
subscription and restored with it),
``batched`` with :meth:`ask` (one request for many symbols, refused symbol by symbol),
:meth:`new_book` (a book of the venue's own kind), ``request_quota`` (the socket's pace),
and ``account_socket`` (the account channels on a second, authenticated socket: an
:class:`~tickwire.core.account.AccountSocket`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

from tickwire.core.book import OrderBook
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError, NotSupported, SubscriptionError, TickwireError
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.session import Session
from tickwire.core.socket_native import SocketNative
from tickwire.core.subscriptions import ChannelOptions, subscription_for
from tickwire.core.types import Channel, Instrument, StreamState, Subscription

__all__ = ["SocketClient"]


class SocketClient(BaseClient):
    """Base class of an adapter whose venue speaks over one WebSocket (see the module)."""

    ws_url: ClassVar[str] = ""
    """The venue's WebSocket URL; the config's ``ws_url`` overrides it."""
    channels: ClassVar[frozenset[Channel]] = frozenset()
    """The channels the venue has; others raise :class:`NotSupported`."""
    account_channels: ClassVar[frozenset[Channel]] = frozenset()
    """Those of ``channels`` that need credentials and take no symbols."""
    channel_options: ClassVar[Mapping[Channel, ChannelOptions]] = {}
    """The options of each channel listed here (defaults, allowed values), kept in its
    subscriptions; any other channel's go through :meth:`check_options`."""
    ping_interval: ClassVar[float | None] = None
    """Seconds between keepalive pings (the config's ``heartbeat.ping_interval`` wins)."""
    ping_frame: ClassVar[bytes | None] = None
    """A fixed keepalive ping frame (a venue whose ping varies overrides :meth:`ping_message`)."""
    greets: ClassVar[bool] = False
    """The venue greets every connection before taking requests (see :meth:`handshake`)."""
    batched: ClassVar[bool] = False
    """One request (un)subscribes many symbols of a channel with the same options: then
    :meth:`ask` gets them together."""
    request_quota: ClassVar[Quota | None] = None
    """The pace of everything sent on the socket, if the venue limits it."""
    socket_name: ClassVar[str] = "main"
    """The socket's name in logs, errors and recordings."""
    native_id: ClassVar[str | None] = None
    """The request id's field, for a venue that offers :attr:`native` (its ``on_frame``
    then feeds ``self._native``'s taps and settles raw replies: see that class)."""

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._session: Session | None = None
        self.keeper = BookKeeper(self.context, self._renew_book)
        """The client's books and their resync sequence."""
        self._book_subscriptions: dict[str, Subscription] = {}  # what renews each book
        self._activity: dict[Hashable, int] = {}  # the session's, for on_frame to write
        self._instruments: dict[str, Instrument] = {}
        self._instruments_known = asyncio.Event()
        self._greeted = asyncio.Event()
        self._native = SocketNative(lambda: self.session, self.venue, self.native_id or "id")

    # --- what the venue supplies -----------------------------------------------------

    def request_message(self, op: str, subscription: Subscription, request_id: int) -> bytes:
        """The frame asking to ``op`` (``"subscribe"``/``"unsubscribe"``) one subscription."""
        raise NotImplementedError

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame; emit its events, settle its request (:meth:`reply`)."""
        raise NotImplementedError

    async def handshake(self, session: Session) -> None:
        """Whatever the venue needs once a socket is open, before anything is sent.

        By default: when ``greets`` is set, wait for the venue's greeting (the adapter
        calls :meth:`greeted` when its frame arrives).
        """
        if self.greets:
            await self._greeted.wait()

    def greeted(self) -> None:
        """The venue's greeting arrived on the current socket."""
        self._greeted.set()

    def login_message(self, request_id: int) -> bytes | None:
        """The request that authenticates a new socket (with credentials), or None."""
        return None

    def ping_message(self) -> bytes | None:
        """The keepalive ping frame, or None when the venue needs none (by default
        :attr:`ping_frame`)."""
        return self.ping_frame

    def check_options(self, channel: Channel, options: Mapping[str, Any]) -> None:
        """Refuse options the venue does not know; by default a book takes ``depth``."""
        allowed = {"depth"} if channel is Channel.BOOK else set()
        if unknown := sorted(set(options) - allowed):
            raise ValueError(f"{self.venue} {channel} takes no option(s) {unknown}")
        depth = options.get("depth", 1)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth={depth!r} is not a positive number of levels")

    def subscription_options(self, channel: Channel, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options a subscription keeps (and is restored with), validated: a
        ValueError names a bad one. By default :attr:`channel_options`'s, else
        :meth:`check_options`, keeping none."""
        if channel in self.channel_options:
            return self.channel_options[channel].options(options)
        self.check_options(channel, options)
        return {}

    def new_book(self, subscription: Subscription) -> OrderBook:
        """The empty book a book subscription fills, made before its snapshot arrives."""
        return OrderBook(self.venue, subscription.symbol or "")

    async def ask(
        self, session: Session, op: str, subscriptions: list[Subscription]
    ) -> dict[Subscription, SubscriptionError]:
        """``op`` (``"subscribe"``/``"unsubscribe"``) ``subscriptions`` (one, unless
        ``batched``) on the venue: the error of each one it refused. By default one
        :meth:`request_message` each."""
        failures: dict[Subscription, SubscriptionError] = {}
        for subscription in subscriptions:
            request_id = session.next_id()
            message = self.request_message(op, subscription, request_id)
            what = f"{self.venue} {op} {subscription.channel}"
            try:
                await session.request(request_id, message, self.config.request_timeout, what)
            except SubscriptionError as exc:
                failures[subscription] = exc
        return failures

    def set_instruments(self, instruments: Iterable[Instrument]) -> None:
        """The venue listed its instruments (a welcome frame, a REST call)."""
        self._instruments.update((i.symbol, i) for i in instruments)
        self._instruments_known.set()

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every instrument's trading rules, once the venue has listed them."""
        await self._instruments_known.wait()
        return dict(self._instruments)

    # --- lifecycle -------------------------------------------------------------------

    async def _start(self) -> None:
        options: dict[str, Any] = {}
        if self.request_quota is not None:
            key = f"{self.venue}:{self.socket_name}"
            options = {"limiter": RateLimiter({key: self.request_quota}), "limit_keys": (key,)}
        interval = self.config.heartbeat.ping_interval or self.ping_interval
        session = self.context.session(
            self, name=self.socket_name, ping_interval=interval, **options
        )
        self._session, self._activity = session, session.activity
        await self.context.start(session)

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self.account_socket is not None:
            await self.account_socket.close()

    @property
    def native(self) -> SocketNative | None:
        """Raw messages, replies and frame taps (:class:`SocketNative`), with ``native_id``."""
        return None if self.native_id is None else self._native

    @property
    def session(self) -> Session:
        """The socket's session."""
        if self._session is None:
            raise RuntimeError("the client is not connected")
        return self._session

    # --- the session's handler ---------------------------------------------------------

    async def endpoint(self) -> str:
        """The URL to connect to."""
        return self.config.ws_url or self.ws_url

    async def on_open(self, session: Session) -> None:
        """Handshake, log in, restore every subscription (a refused one is reported)."""
        await self.handshake(session)
        if self.config.credentials is not None:
            request_id = session.next_id()
            if (login := self.login_message(request_id)) is not None:
                timeout = self.config.request_timeout
                await session.request(request_id, login, timeout, f"{self.venue} login")
        on_account = self.account_socket is not None  # restored by that socket
        restored = [s for s in self._subscriptions if not (on_account and s.symbol is None)]
        for batch in self._batches(restored):
            for subscription, exc in (await self.ask(session, "subscribe", batch)).items():
                self._forget(subscription)
                named = " ".join(filter(None, (subscription.channel, subscription.symbol)))
                self.context.error(exc, f"resubscribe {named}")  # "book BTC/USD", "orders"

    def on_close(self, reason: str) -> None:
        """The socket is gone: every book waits for the next socket's snapshot (and
        greeting)."""
        self._greeted.clear()
        for book in self._books.values():
            book.reset()
        self.keeper.reset()

    async def on_stale(self, keys: list[Hashable]) -> None:
        """A watched channel went quiet: report it and subscribe it again."""
        for key in keys:
            channel, symbol = cast(tuple[Channel, str], key)
            reason = f"no {channel} data for {symbol}; resubscribing"
            self.context.status(StreamState.STALE, reason, channel=channel, symbol=symbol)
            live = [s for s in self._subscriptions if s.channel == channel and s.symbol == symbol]
            for subscription in live:
                try:
                    await self._renew(subscription)
                except TickwireError as exc:  # a reconnect, if that is the cause, restores it
                    self.context.error(exc, f"renew {channel} {symbol}")

    # --- requests --------------------------------------------------------------------

    def reply(self, request_id: int, result: Any) -> None:
        """Settle request ``request_id``: its result, or the exception it raises."""
        pending = self.session.pending
        if isinstance(result, BaseException):
            pending.reject(request_id, result)
        else:
            pending.resolve(request_id, result)

    async def request(
        self, build: Callable[[int], bytes], what: str, timeout: float | None = None
    ) -> Any:
        """Send ``build(request_id)`` and return its reply (a refusal raises).

        Waits for the socket first when it is reconnecting; never sent twice.
        """
        session = self.session
        deadline = self.context.deadline(f"{self.venue} {what}", timeout)
        await self.context.wait_ready(session, deadline)
        request_id = session.next_id()
        message = build(request_id)
        return await session.request(request_id, message, deadline.check(), deadline.what)

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe ``channel`` for ``symbols`` (none for account channels); await acks.

        A symbol the venue refuses raises its :class:`SubscriptionError` (the others
        stay subscribed).
        """
        channel, symbols = self._checked(channel, symbols)
        if channel not in self.channels:
            raise NotSupported(f"{self.venue} has no {channel} channel")
        if channel in self.account_channels:
            if symbols or options:
                raise ValueError(f"{self.venue} {channel} takes no symbols or options")
            if self.config.credentials is None:
                raise ConfigError(f"{self.venue}: the {channel} channel needs credentials")
            if self.account_socket is not None:
                await self.account_socket.subscribe(channel)
                self._subscriptions.add(Subscription(channel))
                return
            wanted = [Subscription(channel)]
        else:
            kept = self.subscription_options(channel, options)
            wanted = [subscription_for(channel, symbol, kept) for symbol in dict.fromkeys(symbols)]
        wanted = [s for s in wanted if s not in self._subscriptions]
        if not wanted:
            return
        session = self.session
        await self.context.wait_ready(session)
        for batch in self._batches(wanted):
            await self._subscribe(session, batch)

    async def _subscribe(self, session: Session, batch: list[Subscription]) -> None:
        books = [s for s in batch if s.channel is Channel.BOOK and s.symbol is not None]
        for subscription in books:  # before the ack: the snapshot may follow it at once
            self.keeper.add(subscription.symbol or "", self.new_book(subscription))
            self._book_subscriptions[subscription.symbol or ""] = subscription
        try:
            failures = await self.ask(session, "subscribe", batch)
        except BaseException:
            for subscription in books:
                self._forget(subscription)
            raise
        stale_after = self.config.heartbeat.stale_after
        for subscription in batch:
            channel, symbol = subscription.channel, subscription.symbol
            if subscription in failures:
                self._forget(subscription)
                continue
            self._subscriptions.add(subscription)
            if symbol is not None and (seconds := stale_after.get(channel.value)) is not None:
                session.watch((channel, symbol), seconds)
        if failures:
            raise next(iter(failures.values()))

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Undo :meth:`subscribe` (with the options the symbols were subscribed with)."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        account = channel in self.account_channels
        targets = [
            s
            for s in self._subscriptions
            if s.channel is channel and (account or s.symbol in symbols)
        ]
        if not targets:
            return
        if account and self.account_socket is not None:
            self._subscriptions.discard(Subscription(channel))
            return await self.account_socket.unsubscribe(channel)
        session = self.session
        await self.context.wait_ready(session)
        for subscription in targets:
            self._subscriptions.discard(subscription)
            session.unwatch((channel, subscription.symbol))
        try:
            for batch in self._batches(targets):
                if failures := await self.ask(session, "unsubscribe", batch):
                    raise next(iter(failures.values()))
        finally:  # after the ack: what was sent before it still finds its book
            for subscription in targets:
                self._forget(subscription)

    def _batches(self, subscriptions: Iterable[Subscription]) -> list[list[Subscription]]:
        """As few requests as the venue allows: one per subscription, or (``batched``)
        one per channel and options."""
        if not self.batched:
            return [[s] for s in sorted(subscriptions)]
        groups: dict[tuple[Channel, tuple[tuple[str, Any], ...]], list[Subscription]]
        groups = defaultdict(list)
        for subscription in sorted(subscriptions):
            groups[subscription.channel, subscription.options].append(subscription)
        return list(groups.values())

    def _forget(self, subscription: Subscription) -> None:
        """Drop a subscription and, for a book, the book."""
        self._subscriptions.discard(subscription)
        symbol = subscription.symbol
        if subscription.channel is Channel.BOOK and symbol is not None:
            self.keeper.remove(symbol)
            self._book_subscriptions.pop(symbol, None)

    async def _renew(self, subscription: Subscription) -> None:
        """Unsubscribe and subscribe again: a fresh snapshot, a woken channel; a refusal
        raises its :class:`SubscriptionError`."""
        session = self.session
        await self.ask(session, "unsubscribe", [subscription])
        if failures := await self.ask(session, "subscribe", [subscription]):
            raise failures[subscription]

    async def _renew_book(self, symbol: str) -> bool:
        """The keeper's recovery: renew the book; its snapshot arrives later."""
        if (subscription := self._book_subscriptions.get(symbol)) is not None:
            await self._renew(subscription)
        return False
