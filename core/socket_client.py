"""A venue on one WebSocket: the whole :class:`StreamClient` but the venue's wire format.

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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

from tickwire.core.book import OrderBook
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError, NotSupported, SubscriptionError, TickwireError
from tickwire.core.session import Session
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
    ping_interval: ClassVar[float | None] = None
    """Seconds between keepalive pings (the config's ``heartbeat.ping_interval`` wins)."""
    greets: ClassVar[bool] = False
    """The venue greets every connection before taking requests (see :meth:`handshake`)."""

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._session: Session | None = None
        self.keeper = BookKeeper(self.context, self._renew_book)
        """The client's books and their resync sequence."""
        self._instruments: dict[str, Instrument] = {}
        self._instruments_known = asyncio.Event()
        self._greeted = asyncio.Event()

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
        """The keepalive ping frame, or None when the venue needs none."""
        return None

    def check_options(self, channel: Channel, options: Mapping[str, Any]) -> None:
        """Refuse options the venue does not know; by default a book takes ``depth``."""
        allowed = {"depth"} if channel is Channel.BOOK else set()
        if unknown := sorted(set(options) - allowed):
            raise ValueError(f"{self.venue} {channel} takes no option(s) {unknown}")
        depth = options.get("depth", 1)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth={depth!r} is not a positive number of levels")

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
        interval = self.config.heartbeat.ping_interval or self.ping_interval
        self._session = self.context.session(self, name="main", ping_interval=interval)
        await self.context.start(self._session)

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()

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
        for subscription in sorted(self._subscriptions):
            try:
                await self._ask(session, "subscribe", subscription)
            except SubscriptionError as exc:
                self._subscriptions.discard(subscription)
                self.context.error(exc, f"resubscribe {subscription.channel}")

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
            self.context.status(
                StreamState.STALE, f"no {channel} data", channel=channel, symbol=symbol
            )
            try:
                await self._renew(Subscription(channel, symbol))
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

    async def _ask(self, session: Session, op: str, subscription: Subscription) -> Any:
        request_id = session.next_id()
        message = self.request_message(op, subscription, request_id)
        what = f"{self.venue} {op} {subscription.channel}"
        return await session.request(request_id, message, self.config.request_timeout, what)

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe ``channel`` for ``symbols`` (none for account channels); await acks."""
        channel, symbols = self._checked(channel, symbols)
        if channel not in self.channels:
            raise NotSupported(f"{self.venue} has no {channel} channel")
        self.check_options(channel, options)
        if channel in self.account_channels and self.config.credentials is None:
            raise ConfigError(f"{self.venue}: the {channel} channel needs credentials")
        session = self.session
        await self.context.wait_ready(session)
        for subscription in self._wanted(channel, symbols):
            if subscription in self._subscriptions:
                continue
            symbol = subscription.symbol
            if channel is Channel.BOOK and symbol is not None:
                self.keeper.add(symbol, OrderBook(self.venue, symbol))  # before its snapshot
            try:
                await self._ask(session, "subscribe", subscription)
            except BaseException:
                if channel is Channel.BOOK and symbol is not None:
                    self.keeper.remove(symbol)
                raise
            self._subscriptions.add(subscription)
            threshold = self.config.heartbeat.stale_after.get(channel.value)
            if threshold is not None and symbol is not None:
                session.watch((channel, symbol), threshold)

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Undo :meth:`subscribe`."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        for subscription in self._wanted(channel, symbols):
            if subscription not in self._subscriptions:
                continue
            self._subscriptions.discard(subscription)
            self.session.unwatch((channel, subscription.symbol))
            await self._ask(self.session, "unsubscribe", subscription)
            if channel is Channel.BOOK and subscription.symbol is not None:
                self.keeper.remove(subscription.symbol)

    def _wanted(self, channel: Channel, symbols: Sequence[str]) -> list[Subscription]:
        if channel in self.account_channels:
            return [Subscription(channel)]
        return [Subscription(channel, symbol) for symbol in dict.fromkeys(symbols)]

    async def _renew(self, subscription: Subscription) -> None:
        """Unsubscribe and subscribe again: a fresh snapshot, a woken channel."""
        await self._ask(self.session, "unsubscribe", subscription)
        await self._ask(self.session, "subscribe", subscription)

    async def _renew_book(self, symbol: str) -> bool:
        """The keeper's recovery: renew the book; its snapshot arrives later."""
        await self._renew(Subscription(Channel.BOOK, symbol))
        return False
