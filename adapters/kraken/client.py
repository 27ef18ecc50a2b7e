"""The Kraken Spot WebSocket v2 client: market data, books, account events, order methods.

Data flow, top to bottom::

    socket bytes ─► parse.decode_frame (one msgspec pass, Decimal prices)
                 ─► parse.to_* (pure wire → core types) / KrakenBook (CRC32 per message)
                 ─► the client's consumers (context.emit)

The public socket first subscribes the ``instrument`` channel: its snapshot gives every
pair's precisions, which the book checksum needs, and :meth:`KrakenClient.instruments`.
After every reconnect the instrument channel and every user subscription are restored
(grouped by channel and options into as few requests as possible).

Books: a mismatched checksum, or a refused book message (Kraken applied it, so the local
book may now differ), puts a book out of sync; core's
:class:`~tickwire.core.bookkeeper.BookKeeper` runs the resync, whose recovery here is to
renew the subscription (the fresh snapshot arrives later and verifies in ``_on_book``).

With credentials a second socket opens on ``ws_auth_url``
(:mod:`~tickwire.adapters.kraken.private`): ``orders`` and ``balances``; the order
methods go to the :class:`~tickwire.adapters.kraken.trading.KrakenTrader` built on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, cast

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.book import KrakenBook
from tickwire.adapters.kraken.fetch import KrakenFetcher
from tickwire.adapters.kraken.native import KrakenNative
from tickwire.adapters.kraken.private import PING, PING_INTERVAL, KrakenPrivate
from tickwire.adapters.kraken.rest import REST_URL, KrakenRest
from tickwire.adapters.kraken.schemas import (
    BookMessage,
    InstrumentMessage,
    MethodResponse,
    OhlcMessage,
    TickerMessage,
    TradeMessage,
)
from tickwire.adapters.kraken.subscriptions import (
    CHANNELS,
    SUBSCRIBE_QUOTA,
    ack_symbol,
    ask,
    group_requests,
    request,
    subscription_for,
)
from tickwire.adapters.kraken.trading import KrakenTrader
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.dead_man import dead_man_option
from tickwire.core.errors import (
    BookOutOfSync,
    DecodeError,
    RequestTimeout,
    SubscriptionError,
    TransportError,
)
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.session import Session
from tickwire.core.types import Channel, Instrument, OrderAck, StreamState, Subscription

__all__ = ["KrakenClient"]

PUBLIC_WS_URL = "wss://ws.kraken.com/v2"


class KrakenClient(BaseClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for Kraken Spot (WebSocket v2).

    ``config.options``: ``dead_man_switch`` (seconds: keep ``cancel_all_after`` armed
    while the auth socket is healthy; needs credentials). Closing the client stops the
    refreshes without disarming, so the venue then cancels every order: disarm first
    with ``cancel_all_after(0)`` to leave orders resting.
    """

    venue = "kraken"
    supports_orders = True

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._ws_url = config.ws_url or PUBLIC_WS_URL
        self._limiter = RateLimiter({"kraken:public": SUBSCRIBE_QUOTA})
        self._instruments: dict[str, Instrument] = {}
        self._instruments_ready = asyncio.Event()
        self._activity: dict[Hashable, int] = {}  # the public session's, for staleness
        self._keeper = BookKeeper(self.context, self._recover_book)
        # The keeper's dict (context.books, what client.book() reads), typed as what it
        # holds: every book it is given is a KrakenBook.
        self._kraken_books = cast(dict[str, KrakenBook], self._keeper.books)
        self._public: Session | None = None
        self._native = KrakenNative(lambda: self.session)
        self._private: KrakenPrivate | None = None
        # Kraken's cancel_all_orders_after takes a timeout below a day.
        self._dead_man = dead_man_option(config, low=1, high=86399, share=4)
        rest_url, transport = config.rest_url or REST_URL, self.context.rest_transport
        calls = KrakenRest(
            rest_url, config.credentials, timeout=config.request_timeout, transport=transport
        )
        self._fetcher = self._rest_fetcher = KrakenFetcher(calls)  # the fetch_* calls

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        config = self.config
        self._public = self.context.session(
            self,
            name="public",
            ping_interval=config.heartbeat.ping_interval or PING_INTERVAL,
            limiter=self._limiter,
            limit_keys=("kraken:public",),
        )
        self._public.activity = self._activity
        await self.context.start(self._public)
        if config.credentials is not None:
            self._private = private = KrakenPrivate(self.context, self._rest_fetcher.calls)
            await private.start()
            self._trader = trader = KrakenTrader(self.context, private)
            if self._dead_man is not None:  # re-armed only while the auth socket is up
                up, down = private.healthy.wait, private.unhealthy.wait
                keeper = trader.keep_armed(*self._dead_man, up=up, down=down, report=private.report)
                self._spawn(keeper, "kraken-dead-man")

    async def _stop(self) -> None:
        if self._public is not None:
            await self._public.close()
        if self._private is not None:
            await self._private.close()
        await self._rest_fetcher.aclose()

    @property
    def session(self) -> Session:
        """The public socket's session."""
        if self._public is None:
            raise RuntimeError("the client is not connected")
        return self._public

    # --- SessionHandler ---------------------------------------------------------------

    async def endpoint(self) -> str:
        """The public WebSocket URL (no token needed)."""
        return self._ws_url

    async def on_open(self, session: Session) -> None:
        """Subscribe instruments (for precisions), then restore every subscription."""
        self._instruments_ready.clear()
        timeout = self.config.request_timeout
        await request(session, "subscribe", {"channel": "instrument"}, [None], timeout)
        await self._instruments_ready.wait()
        for channel, options, symbols in group_requests(self._subscriptions):
            failures = await ask(session, "subscribe", channel, options, symbols, timeout)
            for symbol, error in failures.items():
                self._subscriptions.discard(subscription_for(channel, symbol, options))
                self.context.error(error, f"resubscribe {channel} {symbol}")

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and push what it means; a bad frame becomes one StreamError."""
        if self._native.taps:
            self._native.tap(frame)
        try:
            try:
                message: object = parse.decode_channel(frame)
            except parse.DECODE_ERRORS:
                message = parse.decode_frame(frame)  # a method response, or the DecodeError
            kind = type(message)
            if kind is BookMessage:
                self._on_book(message, received)  # type: ignore[arg-type]
            elif kind is TickerMessage:
                for ticker in parse.to_tickers(message, received):  # type: ignore[arg-type]
                    self._activity[("ticker", ticker.symbol)] = received
                    self._tickers[ticker.symbol] = ticker
                    self._events.push(ticker)
            elif kind is TradeMessage:
                for trade in parse.to_trades(message, received):  # type: ignore[arg-type]
                    self._trades[trade.symbol] = trade
                    self._events.push(trade)
            elif kind is OhlcMessage:
                for candle in parse.to_candles(message, received):  # type: ignore[arg-type]
                    self._events.push(candle)
            elif kind is MethodResponse:
                self._on_response(message, frame)  # type: ignore[arg-type]
            elif kind is InstrumentMessage:
                self._on_instruments(message)  # type: ignore[arg-type]
            # status and heartbeat need nothing: every frame already counts as liveness.
        except DecodeError as exc:
            # Reported here, with the frame, rather than left to the session's guard:
            # the to_* functions raise before pushing, so a refused frame yields no event.
            self.context.error(exc, "decode", frame)

    def on_close(self, reason: str) -> None:
        """The socket dropped: every book is unusable until its new snapshot."""
        for kraken_book in self._kraken_books.values():
            kraken_book.reset()
        self._keeper.reset()

    def ping_message(self) -> bytes:
        """Kraken's application ping (a request without params)."""
        return PING

    async def on_stale(self, keys: list[Hashable]) -> None:
        """A subscribed channel went quiet: report it and renew the subscription."""
        for key in keys:
            channel_name, symbol = cast(tuple[str, str], key)
            channel = Channel(channel_name)
            reason = f"no {channel} data for {symbol}; resubscribing"
            self.context.status(StreamState.STALE, reason, channel=channel, symbol=symbol)
            live = [s for s in self._subscriptions if s.channel is channel and s.symbol == symbol]
            for subscription in live:
                try:
                    await self._renew(channel, symbol, dict(subscription.options))
                except (RequestTimeout, TransportError, SubscriptionError) as exc:
                    # A reconnect (if that was the cause) restores it anyway.
                    self.context.error(exc, f"renew {channel} {symbol}")

    # --- frames ----------------------------------------------------------------------

    def _on_response(self, response: MethodResponse, frame: bytes) -> None:
        req_id = response.req_id
        if req_id is None:
            return  # a keepalive's pong, or the reply to a raw message without an id
        symbol = ack_symbol(response)
        pending = self.session.pending
        if pending.resolve((req_id, symbol), response) or pending.resolve((req_id, None), response):
            return
        if req_id in self._native.sent:
            pending.resolve(("native", req_id), frame)  # the raw request's (if it waits)
            return
        # Reported, not dropped: a late subscribe ack may mean a subscription we do not track.
        raise parse.unmatched(response)

    def _on_instruments(self, message: InstrumentMessage) -> None:
        for instrument in parse.to_instruments(message):
            self._instruments[instrument.symbol] = instrument
            if (kraken_book := self._kraken_books.get(instrument.symbol)) is not None:
                kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)
        self._instruments_ready.set()

    def _on_book(self, message: BookMessage, received: int) -> None:
        """Apply one book message, verify it, and push the update (or go out of sync)."""
        data = message.data[0]
        symbol = data.symbol
        kraken_book = self._kraken_books.get(symbol)
        if kraken_book is None:
            return  # a late frame of an unsubscribed book
        self._activity[("book", symbol)] = received
        snapshot = message.type == "snapshot"
        try:
            update = kraken_book.apply(data, snapshot, received)
        except BookOutOfSync as exc:
            # A failed *snapshot* was the one a renewal asked for: nothing else is
            # coming, so the keeper renews again (after its backoff).
            self._keeper.out_of_sync(symbol, exc.reason, retry=snapshot)
            return
        except DecodeError as exc:
            # The book is untouched, but Kraken applied what we refused, so our levels
            # may now be wrong, and the checksum (top 10 levels only) would not catch a
            # change deeper in a larger book: resync now. An unsynced book is already
            # waiting for a snapshot, unless the refused message was that snapshot.
            if snapshot or kraken_book.synced:
                kraken_book.reset()
                reason = f"refused a book message ({exc})"
                self._keeper.out_of_sync(symbol, reason, retry=snapshot)
            raise  # reported by on_frame as a StreamError, with the frame
        if update is None:
            return  # an update between a mismatch and the fresh snapshot
        self._events.push(update)
        if snapshot:
            self._keeper.in_sync(symbol)

    # --- subscriptions -----------------------------------------------------------------

    async def subscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Subscribe a channel for symbols; raises SubscriptionError for refused symbols."""
        channel, symbols = self._checked(channel, symbols)
        if channel not in CHANNELS:  # orders, balances: channel-wide, on the auth socket
            if symbols or options:
                raise ValueError(f"{channel} takes no symbols or options")
            await self._private_side().subscribe(channel)
            self._subscriptions.add(Subscription(channel))
            return
        normalized = CHANNELS[channel].options(options)
        live = self._subscriptions
        fresh = [s for s in symbols if subscription_for(channel, s, normalized) not in live]
        if not fresh:
            return
        await self.context.wait_ready(self.session)
        if channel is Channel.BOOK:
            for symbol in fresh:
                self._add_book(symbol, int(normalized["depth"]))
        timeout, threshold = self.config.request_timeout, self.config.heartbeat.stale_after
        failures = await ask(self.session, "subscribe", channel, normalized, fresh, timeout)
        for symbol in fresh:
            if symbol not in failures:
                self._subscriptions.add(subscription_for(channel, symbol, normalized))
                if (seconds := threshold.get(channel.value)) is not None:
                    self.session.watch((channel.value, symbol), seconds)
            elif channel is Channel.BOOK:
                self._keeper.remove(symbol)
        if failures:
            raise next(iter(failures.values()))

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Unsubscribe symbols, with the options they were subscribed with."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        if channel not in CHANNELS:
            if Subscription(channel) in self._subscriptions:
                self._subscriptions.discard(Subscription(channel))
                await self._private_side().unsubscribe(channel)
            return
        live = {s.symbol: s for s in self._subscriptions if s.channel is channel}
        targets = [live[s] for s in symbols if s in live]
        if not targets:
            return
        await self.context.wait_ready(self.session)
        for target in targets:
            self._subscriptions.discard(target)
            self.session.unwatch((channel.value, target.symbol))
        names = [t.symbol for t in targets if t.symbol is not None]
        timeout = self.config.request_timeout
        options = dict(targets[0].options)
        await ask(self.session, "unsubscribe", channel, options, names, timeout)
        if channel is Channel.BOOK:
            for name in names:
                self._keeper.remove(name)

    def _private_side(self) -> KrakenPrivate:
        """The auth socket; account channels need credentials (else ConfigError)."""
        self._active_trader()  # the same error as an order method without one
        assert self._private is not None  # built with the trader
        return self._private

    # --- books -------------------------------------------------------------------------

    def _add_book(self, symbol: str, depth: int) -> None:
        """Create a symbol's book before subscribing it (its snapshot follows the ack)."""
        instrument = self._instruments.get(symbol)
        if instrument is None:  # precisions set when the instrument channel lists it
            self._keeper.add(symbol, KrakenBook(symbol, depth))
        else:
            self._keeper.add(symbol, KrakenBook.for_instrument(instrument, depth))

    async def _recover_book(self, symbol: str) -> bool:
        """The keeper's recovery: renew the subscription; its snapshot comes later (then
        :meth:`_on_book` verifies it and tells the keeper)."""
        if (kraken_book := self._kraken_books.get(symbol)) is not None:
            depth = kraken_book.depth or 10  # always set here
            await self._renew(Channel.BOOK, symbol, {"depth": depth})
        return False

    async def _renew(self, channel: Channel, symbol: str, options: dict[str, Any]) -> None:
        """Unsubscribe and subscribe again: Kraken's way to get a fresh snapshot; a
        refusal raises its SubscriptionError."""
        symbols, timeout = [symbol], self.config.request_timeout
        await ask(self.session, "unsubscribe", channel, options, symbols, timeout)
        failures = await ask(self.session, "subscribe", channel, options, symbols, timeout)
        if symbol in failures:
            raise failures[symbol]

    # --- public surface -----------------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every pair's trading rules, from the instrument channel's snapshot."""
        await self._instruments_ready.wait()
        return dict(self._instruments)

    async def edit_order(
        self,
        symbol: str,
        *,
        order_id: str,
        price: Any = None,
        size: Any = None,
        timeout: float | None = None,
    ) -> OrderAck:
        """Kraken's ``edit_order``: cancel and replace, a new order id (not for orders with
        a ``cl_ord_id``, so not for tickwire's own: see :mod:`.trading`; use amend_order)."""
        trader = self._active_trader()
        assert isinstance(trader, KrakenTrader)
        budget = self.config.request_timeout if timeout is None else timeout
        return await trader.edit_order(
            symbol, order_id=order_id, price=price, size=size, timeout=budget
        )

    @property
    def native(self) -> KrakenNative:
        """Raw Kraken v2 access: send any message, await its raw replies, tap frames."""
        return self._native
