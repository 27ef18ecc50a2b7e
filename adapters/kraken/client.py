"""The Kraken Spot WebSocket v2 client: market data, books, account events, order methods.

Core's :class:`~tickwire.core.socket_client.SocketClient` runs the public socket, its
subscriptions and the books' resync; what is Kraken's own is here: the ``instrument``
channel subscribed first on every connection (the pairs' precisions, which the book
checksum needs), one request for many symbols (acked symbol by symbol), and
:class:`~tickwire.adapters.kraken.book.KrakenBook`, verified after every message. The auth
socket is :mod:`.private`, the order methods :mod:`.trading`; see ``docs/venues/kraken.md``.
"""

from __future__ import annotations

from typing import Any, cast

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.book import EXTENSION, KrakenBook, fast_feed
from tickwire.adapters.kraken.fetch import KrakenFetcher
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
    request,
    wire_params,
)
from tickwire.adapters.kraken.trading import KrakenTrader
from tickwire.core.book import OrderBook
from tickwire.core.config import ClientConfig
from tickwire.core.dead_man import dead_man_option
from tickwire.core.decoding import UNDECODABLE
from tickwire.core.errors import BookOutOfSync, DecodeError, SubscriptionError
from tickwire.core.session import Session
from tickwire.core.socket_client import SocketClient
from tickwire.core.subscriptions import ACCOUNT_CHANNELS
from tickwire.core.types import OrderAck, Subscription

__all__ = ["KrakenClient"]

PUBLIC_WS_URL = "wss://ws.kraken.com/v2"

_BOOK_UPDATE = b'{"channel":"book","type":"update"'  # how Kraken starts a book update
_TICKER_UPDATE = b'{"channel":"ticker","type":"update"'  # and a ticker update

fast_ticker: Any = EXTENSION.ticker if EXTENSION is not None else None
"""The C path of a ticker update (``_kbook.ticker``; ``_kbook.pyi`` documents it), or
``None`` where the extension is not in use: the Python path then takes every frame."""


class KrakenClient(SocketClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for Kraken Spot (WebSocket v2).

    ``config.options``: ``dead_man_switch`` (seconds; see ``docs/venues/kraken.md``, which
    says why to disarm it with ``cancel_all_after(0)`` before closing).
    """

    venue = "kraken"
    supports_orders = True
    ws_url = PUBLIC_WS_URL
    channels = frozenset(CHANNELS) | ACCOUNT_CHANNELS
    channel_options = CHANNELS  # depth, interval: validated, defaults filled in
    account_channels = ACCOUNT_CHANNELS  # on the auth socket
    ping_interval = PING_INTERVAL
    ping_frame = PING  # Kraken's application ping (a request without params)
    batched = True
    request_quota = SUBSCRIBE_QUOTA
    socket_name = "public"
    native_id = "req_id"  # client.native: raw messages and replies, frame taps

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        # The keeper's dict (context.books, what client.book() reads), typed as what it
        # holds: every book it is given is a KrakenBook.
        self._kraken_books = cast(dict[str, KrakenBook], self.keeper.books)
        # Kraken's cancel_all_orders_after takes a timeout below a day.
        self._dead_man = dead_man_option(config, low=1, high=86399, share=4)
        rest_url, transport = config.rest_url or REST_URL, self.context.rest_transport
        credentials, timeout = config.credentials, config.request_timeout
        calls = KrakenRest(rest_url, credentials=credentials, timeout=timeout, transport=transport)
        self._rest = calls  # the fetch_* calls' and the auth socket's token calls'
        self._fetcher = KrakenFetcher(calls)

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        await super()._start()
        if self.config.credentials is not None:
            private = KrakenPrivate(self.context, self._rest)
            await self._start_account(private, KrakenTrader(private), self._dead_man)

    # --- what SocketClient asks of the venue --------------------------------------------

    async def handshake(self, session: Session) -> None:
        """Subscribe instruments and wait for their snapshot (the books' precisions)."""
        self._instruments_known.clear()
        timeout = self.config.request_timeout
        await request(session, "subscribe", {"channel": "instrument"}, [None], timeout)
        await self._instruments_known.wait()

    def new_book(self, subscription: Subscription) -> OrderBook:
        """A :class:`KrakenBook` at the subscribed depth, with the pair's precisions
        (else set when the instrument channel lists the pair)."""
        symbol, depth = subscription.symbol or "", int(subscription.option("depth"))
        instrument = self._instruments.get(symbol)
        if instrument is None:
            return KrakenBook(symbol, depth)
        return KrakenBook.for_instrument(instrument, depth)

    async def ask(
        self, session: Session, op: str, subscriptions: list[Subscription]
    ) -> dict[Subscription, SubscriptionError]:
        """One request for them all (one channel, the same options), acked per symbol."""
        first, symbols = subscriptions[0], [s.symbol or "" for s in subscriptions]
        params = wire_params(first.channel, dict(first.options), symbols)
        replies = await request(session, op, params, symbols, self.config.request_timeout)
        refused = zip(subscriptions, replies, strict=True)
        errors = {s: reply.error or "refused" for s, reply in refused if reply.success is not True}
        return {s: SubscriptionError(self.venue, e, e) for s, e in errors.items()}

    # --- frames ----------------------------------------------------------------------

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and push what it means; a bad frame becomes one StreamError."""
        if self._native.taps:
            self._native.tap(frame)
        if fast_feed is not None and frame.startswith(_BOOK_UPDATE):
            # The C path (book.py): a book update applied, verified and pushed in one
            # call, or NotImplemented (nothing touched) for the Python path below. The
            # prefix test (Kraken's own key order) spares every other frame the call.
            try:
                if fast_feed(self._kraken_books, frame, received, self._events.push,
                             self._activity) is None:  # fmt: skip
                    return
            except BookOutOfSync as exc:  # the book was reset: as _on_book does
                self.keeper.out_of_sync(exc.symbol, exc.reason, retry=False)
                return
        try:
            # The C path (ticker.c): a ticker update checked, normalized, cached and pushed
            # in one call, or NotImplemented (nothing touched) for the Python path below.
            # Inside the try: what push raises is handled as on the Python path.
            if fast_ticker is not None and frame.startswith(_TICKER_UPDATE):
                if fast_ticker(frame, received, self._events.push, self._activity,
                               self._tickers) is None:  # fmt: skip
                    return
            try:
                message: object = parse.decode_channel(frame)
            except UNDECODABLE:
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

    def _on_response(self, response: MethodResponse, frame: bytes) -> None:
        req_id = response.req_id
        if req_id is None:
            return  # a keepalive's pong, or the reply to a raw message without an id
        symbol = ack_symbol(response)
        pending = self.session.pending
        if pending.resolve((req_id, symbol), response) or pending.resolve((req_id, None), response):
            return
        if self._native.settle(req_id, frame):
            return  # the raw request's (if it waits)
        # Reported, not dropped: a late subscribe ack may mean a subscription we do not track.
        raise parse.unmatched(response)

    def _on_instruments(self, message: InstrumentMessage) -> None:
        instruments = parse.to_instruments(message)
        for instrument in instruments:
            if (kraken_book := self._kraken_books.get(instrument.symbol)) is not None:
                kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)
        self.set_instruments(instruments)

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
            self.keeper.out_of_sync(symbol, exc.reason, retry=snapshot)
            return
        except DecodeError as exc:
            # The book is untouched, but Kraken applied what we refused, so our levels
            # may now be wrong, and the checksum (top 10 levels only) would not catch a
            # change deeper in a larger book: resync now. An unsynced book is already
            # waiting for a snapshot, unless the refused message was that snapshot.
            if snapshot or kraken_book.synced:
                kraken_book.reset()
                reason = f"refused a book message ({exc})"
                self.keeper.out_of_sync(symbol, reason, retry=snapshot)
            raise  # reported by on_frame as a StreamError, with the frame
        if update is None:
            return  # an update between a mismatch and the fresh snapshot
        self._events.push(update)
        if snapshot:
            self.keeper.in_sync(symbol)

    # --- public surface -----------------------------------------------------------

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
