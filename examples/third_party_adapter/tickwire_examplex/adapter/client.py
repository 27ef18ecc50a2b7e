"""``ExamplexClient``: the examplex venue as a tickwire :class:`StreamClient`.

Built from tickwire's parts: :class:`~tickwire.core.client.BaseClient` (lifecycle, tasks,
the event queue, books) and one :class:`~tickwire.core.session.Session` (the supervised
socket: reconnect with backoff, heartbeat watchdog, request correlation). This class
supplies only what is examplex's own, top to bottom: the handshake, frame dispatch, the
book's sequence rule, subscriptions, and the order methods.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Hashable, Mapping, Sequence
from time import time_ns
from typing import Any, cast

import msgspec

from tickwire.core.book import OrderBook
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import (
    ConfigError,
    ConnectTimeout,
    DecodeError,
    InvalidOrder,
    SubscriptionError,
    TickwireError,
)
from tickwire.core.ids import new_client_id
from tickwire.core.session import Session
from tickwire.core.types import (
    Channel,
    Instrument,
    OrderAck,
    OrderRequest,
    OrderType,
    StreamError,
    StreamState,
    StreamStatus,
    Subscription,
    TimeInForce,
)
from tickwire_examplex.adapter import parse, schemas
from tickwire_examplex.adapter.auth import sign

__all__ = ["CHANNELS", "ExamplexClient"]

WS_URL = "wss://ws.examplex.invalid/ws"  # the made-up venue's address: override it
PING_INTERVAL = 5.0
CHANNELS = frozenset(
    {Channel.TICKER, Channel.TRADES, Channel.BOOK, Channel.ORDERS, Channel.BALANCES}
)
ACCOUNT_CHANNELS = frozenset({Channel.ORDERS, Channel.BALANCES})

_encode = msgspec.json.Encoder().encode


class ExamplexClient(BaseClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for examplex.

    Channels: ``ticker``, ``trades``, ``book`` (whole, sequence-checked books) and, with
    credentials, ``orders`` and ``balances``. Order methods: ``place_order``,
    ``cancel_order``, ``cancel_all`` (limit and market, good-till-canceled only).
    """

    venue = "examplex"

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._ws_url = config.ws_url or WS_URL
        self._ids = itertools.count(1)
        self._instruments: dict[str, Instrument] = {}
        self._hello = asyncio.Event()
        self._resyncing: set[str] = set()
        self._session: Session | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        config = self.config
        self._session = Session(
            self,
            name="main",
            venue=self.venue,
            events=self._events,
            http=self.http,
            reconnect=config.reconnect,
            heartbeat=config.heartbeat,
            connect_timeout=config.connect_timeout,
            ping_interval=config.heartbeat.ping_interval or PING_INTERVAL,
            max_frame_size=config.max_frame_size,
        )
        self._spawn(self._session.run(), name="examplex-main")
        try:
            async with asyncio.timeout(config.connect_timeout):
                await self._session.wait_ready()
        except TimeoutError:
            reason = self._session.last_reason
            raise ConnectTimeout(f"examplex: not connected ({reason})") from None

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> Session:
        """The one socket's session."""
        if self._session is None:
            raise RuntimeError("the client is not connected")
        return self._session

    # --- SessionHandler: what examplex does on its socket ------------------------------

    async def endpoint(self) -> str:
        """The WebSocket URL (no token needed)."""
        return self._ws_url

    async def on_open(self, session: Session) -> None:
        """Wait for the hello, log in (with credentials), restore every subscription."""
        await self._hello.wait()
        if self.config.credentials is not None:
            nonce = time_ns() // 1_000_000
            key = self.config.credentials.api_key
            sig = sign(self.config.credentials, nonce)
            await self._call(session, {"op": "login", "key": key, "nonce": nonce, "sig": sig})
        for subscription in sorted(self._subscriptions):
            try:
                await self._call(session, self._request("subscribe", subscription))
            except SubscriptionError as exc:
                self._subscriptions.discard(subscription)
                self._push_error(exc, f"resubscribe {subscription.channel}")

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and push what it means. Never raises."""
        try:
            msg = schemas.decoder.decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            error = DecodeError(f"examplex: {exc}", frame)
            self._push_error(error, "decode", error.frame)
            return
        kind = type(msg)
        if kind is schemas.Book:
            self._on_book(msg, received)  # type: ignore[arg-type]
        elif kind is schemas.Ticker:
            ticker = parse.to_ticker(msg, received)  # type: ignore[arg-type]
            self.session.activity[(Channel.TICKER, ticker.symbol)] = received
            self._tickers[ticker.symbol] = ticker  # for ticker() and snapshot()
            self._events.push(ticker)
        elif kind is schemas.Trade:
            trade = parse.to_trade(msg, received)  # type: ignore[arg-type]
            self._trades[trade.symbol] = trade
            self._events.push(trade)
        elif kind is schemas.Order:
            self._events.push(parse.to_order(msg, received))  # type: ignore[arg-type]
        elif kind is schemas.Balance:
            self._events.push(parse.to_balance(msg, received))  # type: ignore[arg-type]
        elif kind is schemas.Ok or kind is schemas.Err:
            self.session.pending.resolve(msg.id, msg)  # type: ignore[union-attr]
        elif kind is schemas.Hello:
            for market in msg.markets:  # type: ignore[union-attr]
                instrument = parse.to_instrument(market)
                self._instruments[instrument.symbol] = instrument
            self._hello.set()
        # a pong needs nothing: every frame already counts as liveness.

    def on_close(self, reason: str) -> None:
        """The socket is gone: every book waits for the snapshot of the next socket."""
        self._hello.clear()
        for book in self._books.values():
            book.reset()
        self._resyncing.clear()

    def ping_message(self) -> bytes:
        """The keepalive ping (its pong is not awaited)."""
        return _encode({"op": "ping", "id": next(self._ids)})

    async def on_stale(self, keys: list[Hashable]) -> None:
        """A watched channel went quiet: subscribe it again."""
        for key in keys:
            channel, symbol = cast(tuple[Channel, str], key)
            self._status(StreamState.STALE, f"no {channel} data", channel, symbol)
            await self._renew(Subscription(channel, symbol))

    # --- books: whole books, one sequence number per message --------------------------

    def _on_book(self, msg: schemas.Book, received: int) -> None:
        symbol = parse.to_unified(msg.market)
        book = self._books.get(symbol)
        if book is None:
            return  # a late frame of a book just unsubscribed
        self.session.activity[(Channel.BOOK, symbol)] = received
        if msg.kind == "snapshot":
            book.apply_snapshot(msg.bids, msg.asks, sequence=msg.seq, ts=msg.time)
            self._events.push(parse.to_book(msg, received))
            if symbol in self._resyncing:
                self._resyncing.discard(symbol)
                self._status(StreamState.RESYNCED, "fresh snapshot", Channel.BOOK, symbol)
            return
        if book.sequence is None:
            return  # waiting for the snapshot after a gap or a reconnect
        if msg.seq != book.sequence + 1:
            reason = f"sequence gap: expected {book.sequence + 1}, got {msg.seq}"
            book.reset()
            self._resyncing.add(symbol)
            self._status(StreamState.RESYNCING, reason, Channel.BOOK, symbol)
            self._spawn(self._renew(Subscription(Channel.BOOK, symbol)), f"examplex-{symbol}")
            return
        book.apply_delta(msg.bids, msg.asks, sequence=msg.seq, ts=msg.time)
        self._events.push(parse.to_book(msg, received))

    async def _renew(self, subscription: Subscription) -> None:
        """Unsubscribe and subscribe again: the protocol's way to a fresh snapshot."""
        try:
            await self._call(self.session, self._request("unsubscribe", subscription))
            await self._call(self.session, self._request("subscribe", subscription))
        except TickwireError as exc:
            # A reconnect (if that was the cause) restores the subscription anyway.
            self._push_error(exc, f"renew {subscription.channel} {subscription.symbol}")

    # --- subscriptions ---------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe ``channel`` for ``symbols`` (none for orders/balances); await each ack.

        examplex books are always whole; ``depth`` is accepted (so programs written for
        other venues run unchanged) and means "read the top ``depth`` levels".
        """
        channel, symbols = self._checked(channel, symbols)
        parse.check_options(channel, options)
        if channel not in CHANNELS:
            raise SubscriptionError(self.venue, channel, f"examplex has no {channel} channel")
        if channel in ACCOUNT_CHANNELS:
            if self.config.credentials is None:
                raise ConfigError(f"examplex: the {channel} channel needs credentials")
            wanted = [Subscription(channel)]
        else:
            wanted = [Subscription(channel, symbol) for symbol in dict.fromkeys(symbols)]
        for subscription in wanted:
            if subscription in self._subscriptions:
                continue
            symbol = subscription.symbol
            if channel is Channel.BOOK and symbol is not None:
                self._books[symbol] = OrderBook(self.venue, symbol)  # before its snapshot
            try:
                await self._call(self.session, self._request("subscribe", subscription))
            except BaseException:
                if channel is Channel.BOOK and symbol is not None:
                    self._books.pop(symbol, None)
                raise
            self._subscriptions.add(subscription)
            threshold = self.config.heartbeat.stale_after.get(channel.value)
            if threshold is not None and symbol is not None:
                self.session.watch((channel, symbol), threshold)

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Undo :meth:`subscribe`."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        names: Sequence[str | None] = symbols if channel not in ACCOUNT_CHANNELS else [None]
        for symbol in names:
            subscription = Subscription(channel, symbol)
            if subscription not in self._subscriptions:
                continue
            self._subscriptions.discard(subscription)
            self.session.unwatch((channel, symbol))
            await self._call(self.session, self._request("unsubscribe", subscription))
            if channel is Channel.BOOK and symbol is not None:
                self._books.pop(symbol, None)

    @staticmethod
    def _request(op: str, subscription: Subscription) -> dict[str, Any]:
        request: dict[str, Any] = {"op": op, "channel": subscription.channel.value}
        if subscription.symbol is not None:
            request["market"] = parse.to_native(subscription.symbol)
        return request

    async def _call(
        self,
        session: Session,
        request: dict[str, Any],
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send a request and await its reply; a refusal raises the mapped core error."""
        request_id = next(self._ids)
        message = _encode({**request, "id": request_id})
        what = f"examplex {request['op']}"
        wait = self.config.request_timeout if timeout is None else timeout
        reply = await session.request(request_id, message, wait, what)
        if isinstance(reply, schemas.Err):
            raise parse.error_for(reply)
        result: dict[str, Any] = reply.result
        return result

    # --- orders --------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        """Place one order; the ack carries the venue's order id and the client id.

        Never retried: a timeout or disconnect raises, and the caller may look the
        order up by its ``client_id``.
        """
        self._need_credentials()
        if request.time_in_force is not TimeInForce.GTC or request.post_only:
            raise InvalidOrder(self.venue, "invalid_order", "examplex takes GTC orders only")
        client_id = request.client_id or new_client_id()
        order: dict[str, Any] = {
            "op": "place",
            "market": parse.to_native(request.symbol),
            "side": request.side.value,
            "kind": request.type.value,
            "qty": str(request.size),
            "cid": client_id,
        }
        if request.type is OrderType.LIMIT:
            order["price"] = str(request.price)
        result = await self._call(self.session, order, timeout)
        return OrderAck(
            venue=self.venue,
            symbol=request.symbol,
            order_id=str(result["oid"]),
            client_id=result.get("cid", client_id),
            ts=int(result["time"]),
        )

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Cancel one open order, by venue id or client id."""
        self._need_credentials()
        if (order_id is None) == (client_id is None):
            raise ValueError("give exactly one of order_id and client_id")
        request: dict[str, Any] = {"op": "cancel", "market": parse.to_native(symbol)}
        request.update({"oid": order_id} if order_id is not None else {"cid": client_id})
        result = await self._call(self.session, request, timeout)
        return OrderAck(
            venue=self.venue,
            symbol=symbol,
            order_id=str(result["oid"]),
            client_id=client_id,
            ts=time_ns(),
        )

    async def cancel_all(self, symbol: str | None = None, *, timeout: float = 10.0) -> int:
        """Cancel every open order (of ``symbol``); returns how many."""
        self._need_credentials()
        request: dict[str, Any] = {"op": "cancel_all"}
        if symbol is not None:
            request["market"] = parse.to_native(symbol)
        result = await self._call(self.session, request, timeout)
        return int(result["count"])

    def _need_credentials(self) -> None:
        if self.config.credentials is None:
            raise ConfigError("examplex: order methods need credentials")

    # --- the rest of the contract -----------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every market's trading rules, from the connection's hello."""
        await self._hello.wait()
        return dict(self._instruments)

    def _status(self, state: StreamState, reason: str, channel: Channel, symbol: str) -> None:
        self._events.push(
            StreamStatus(
                venue=self.venue,
                state=state,
                reason=reason,
                channel=channel,
                symbol=symbol,
                ts=time_ns(),
            )
        )

    def _push_error(self, exc: Exception, context: str, frame: str = "") -> None:
        self._events.push(
            StreamError(
                venue=self.venue,
                error=type(exc).__name__,
                message=f"{context}: {exc}",
                frame=frame,
                ts=time_ns(),
            )
        )
