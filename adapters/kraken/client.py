"""The Kraken Spot WebSocket v2 client: market data, books, account events, order methods.

Data flow, top to bottom::

    socket bytes ─► parse.decode_frame (one msgspec pass, Decimal prices)
                 ─► parse.to_* (pure wire → core types) / KrakenBook (CRC32 per message)
                 ─► EventStream (async iterator or callback)

The public socket first subscribes the ``instrument`` channel: its snapshot gives every
pair's precisions, which the book checksum needs, and :meth:`KrakenClient.instruments`.
After every reconnect the instrument channel and every user subscription are restored
(grouped by channel and options into as few requests as possible).

With credentials a second socket opens on ``ws_auth_url``
(:mod:`~tickwire.adapters.kraken.private`): ``orders`` and ``balances``, and the order
methods of :mod:`~tickwire.adapters.kraken.trading`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Hashable, Mapping, Sequence
from time import time_ns
from typing import Any, cast

import msgspec

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.books import KrakenBooks
from tickwire.adapters.kraken.native import PING_IDS_FROM, KrakenNative, RecentIds
from tickwire.adapters.kraken.private import KrakenPrivate
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
    group_requests,
    subscription_for,
    wire_params,
)
from tickwire.adapters.kraken.trading import KrakenTrading
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import (
    ConfigError,
    ConnectTimeout,
    DecodeError,
    RequestTimeout,
    SubscriptionError,
    TransportError,
)
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.session import Session
from tickwire.core.types import (
    Channel,
    Instrument,
    StreamError,
    StreamState,
    StreamStatus,
    Subscription,
)

__all__ = ["KrakenClient"]

PUBLIC_WS_URL = "wss://ws.kraken.com/v2"
PING_INTERVAL = 10.0  # Kraken drops idle sockets after about a minute

_encode = msgspec.json.Encoder().encode


class _AckResult(msgspec.Struct, frozen=True):
    symbol: str | None = None


_ack_result = msgspec.json.Decoder(_AckResult)


class KrakenClient(KrakenTrading, BaseClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for Kraken Spot (WebSocket v2).

    ``config.options``: ``dead_man_switch`` (seconds: keep ``cancel_all_after`` armed
    while the auth socket is healthy; needs credentials). Closing the client stops the
    refreshes without disarming, so the venue then cancels every order: disarm first
    with ``cancel_all_after(0)`` to leave orders resting.
    """

    venue = "kraken"

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._ws_url = config.ws_url or PUBLIC_WS_URL
        self._limiter = RateLimiter({"kraken:public": SUBSCRIBE_QUOTA})
        self._req_ids = itertools.count(1)
        self._pings = RecentIds()  # keepalive pings awaiting their pong
        # Pings are numbered apart from requests: a request's id must not depend on when
        # the keepalive fired (a replay issues the requests again, with the recorded ids).
        self._ping_ids = itertools.count(PING_IDS_FROM)
        self._instruments: dict[str, Instrument] = {}
        self._instruments_ready = asyncio.Event()
        self._bookkeeper = KrakenBooks(self)
        self._public: Session | None = None
        self._activity: dict[Hashable, int] = {}  # the public session's, for staleness
        self._native = KrakenNative(self)
        self._private: KrakenPrivate | None = None
        self._dead_man = _dead_man_seconds(config)

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        config = self.config
        self._public = Session(
            self,
            name="public",
            venue=self.venue,
            events=self._events,
            http=self.http,
            reconnect=config.reconnect,
            heartbeat=config.heartbeat,
            connect_timeout=config.connect_timeout,
            ping_interval=config.heartbeat.ping_interval or PING_INTERVAL,
            limiter=self._limiter,
            limit_keys=("kraken:public",),
            max_frame_size=config.max_frame_size,
        )
        self._activity = self._public.activity
        self._spawn(self._public.run(), name="kraken-public")
        try:
            async with asyncio.timeout(config.connect_timeout):
                await self._public.wait_ready()
        except TimeoutError:
            reason = self._public.last_reason
            raise ConnectTimeout(
                f"kraken: not connected within {config.connect_timeout:g}s ({reason})"
            ) from None
        if config.credentials is not None:
            self._private = KrakenPrivate(
                config,
                config.credentials,
                self._events,
                self._spawn,
                transport=self.rest_transport(),
            )
            await self._private.start(self.http)
            if self._dead_man is not None:
                self._spawn(self._keep_dead_man_switch(self._dead_man), "kraken-dead-man")

    async def _stop(self) -> None:
        if self._public is not None:
            await self._public.close()
        if self._private is not None:
            await self._private.close()

    def _private_side(self) -> KrakenPrivate:
        """The auth socket; order methods and account channels need credentials."""
        if self._private is None:
            if self.config.credentials is None:
                raise ConfigError("kraken: orders and balances need credentials")
            raise RuntimeError("the client is not connected")
        return self._private

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
        await self._request(session, "subscribe", {"channel": "instrument"}, [None])
        await self._instruments_ready.wait()
        for channel, options, symbols in group_requests(self._subscriptions):
            failures = await self._subscribe_wire(session, channel, options, symbols)
            for symbol, error in failures.items():
                self._subscriptions.discard(subscription_for(channel, symbol, options))
                self._push_error(error, f"resubscribe {channel} {symbol}")

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and push what it means; a bad frame becomes one StreamError."""
        if self._native.taps:
            self._native.tap(frame)
        try:
            message = parse.decode_frame(frame)
            kind = type(message)
            if kind is BookMessage:
                self._bookkeeper.on_book(message, received)  # type: ignore[arg-type]
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
                self._on_response(message)  # type: ignore[arg-type]
            elif kind is InstrumentMessage:
                self._on_instruments(message)  # type: ignore[arg-type]
            # status and heartbeat need nothing: every frame already counts as liveness.
        except DecodeError as exc:
            # Reported here, with the frame, rather than left to the session's guard:
            # the to_* functions raise before pushing, so a refused frame yields no event.
            self._push_error(exc, "decode", frame)

    def on_close(self, reason: str) -> None:
        """The socket dropped: every book is unusable until its new snapshot."""
        self._bookkeeper.reset()

    def ping_message(self) -> bytes:
        """Kraken's application ping (a request without params)."""
        req_id = next(self._ping_ids)
        self._pings.add(req_id)
        return _encode({"method": "ping", "req_id": req_id})

    async def on_stale(self, keys: list[Hashable]) -> None:
        """A subscribed channel went quiet: report it and renew the subscription."""
        for key in keys:
            channel_name, symbol = cast(tuple[str, str], key)
            channel = Channel(channel_name)
            self._events.push(
                StreamStatus(
                    venue=self.venue,
                    state=StreamState.STALE,
                    reason=f"no {channel} data for {symbol}; resubscribing",
                    channel=channel,
                    symbol=symbol,
                    ts=time_ns(),
                )
            )
            for subscription in [s for s in self._subscriptions if s.symbol == symbol]:
                if subscription.channel is channel:
                    await self._renew(subscription)

    # --- frames ----------------------------------------------------------------------

    def _on_response(self, response: MethodResponse) -> None:
        req_id = response.req_id
        if req_id is None:
            return  # we always send a req_id: this answers a raw native.send()
        symbol = response.symbol
        if symbol is None and response.result:
            try:
                symbol = _ack_result.decode(response.result).symbol
            except parse.DECODE_ERRORS as exc:
                raise DecodeError(f"kraken: {response.method} reply: bad result: {exc}") from exc
        pending = self.session.pending
        if pending.resolve((req_id, symbol), response) or pending.resolve((req_id, None), response):
            return
        if (response.method == "pong" and self._pings.take(req_id)) or req_id in self._native.sent:
            return  # a keepalive pong; a raw request's reply (its caller reads the tap)
        # Nothing waits for it: a reply to a request we never sent, or one that timed out
        # (its caller already has RequestTimeout). Dropping it would hide the venue saying
        # something; a late subscribe ack may mean a subscription we do not track.
        raise DecodeError(
            f"kraken: {response.method} reply to req_id {req_id} matches no pending request"
        )

    def _on_instruments(self, message: InstrumentMessage) -> None:
        for instrument in parse.to_instruments(message):
            self._instruments[instrument.symbol] = instrument
            self._bookkeeper.set_precisions(instrument)
        self._instruments_ready.set()

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
        await self.until_ready(self.session)
        if channel is Channel.BOOK:
            for symbol in fresh:
                self._add_book(symbol, int(normalized["depth"]))
        failures = await self._subscribe_wire(self.session, channel, normalized, fresh)
        for symbol in fresh:
            if symbol not in failures:
                self._subscriptions.add(subscription_for(channel, symbol, normalized))
                self._watch(channel, symbol)
            elif channel is Channel.BOOK:
                self._bookkeeper.remove(symbol)
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
        await self.until_ready(self.session)
        for target in targets:
            self._subscriptions.discard(target)
            self.session.unwatch((channel.value, target.symbol))
        names = [t.symbol for t in targets if t.symbol is not None]
        params = wire_params(channel, dict(targets[0].options), names)
        await self._request(self.session, "unsubscribe", params, names)
        if channel is Channel.BOOK:
            for name in names:
                self._bookkeeper.remove(name)

    async def _subscribe_wire(
        self, session: Session, channel: Channel, options: Mapping[str, Any], symbols: list[str]
    ) -> dict[str, SubscriptionError]:
        params = wire_params(channel, options, symbols)
        replies = await self._request(session, "subscribe", params, symbols)
        failures: dict[str, SubscriptionError] = {}
        for symbol, reply in zip(symbols, replies, strict=True):
            if reply.success is not True:
                error = reply.error or "refused"
                failures[symbol] = SubscriptionError(self.venue, error, error)
        return failures

    async def _request(
        self, session: Session, method: str, params: dict[str, Any], symbols: Sequence[str | None]
    ) -> list[MethodResponse]:
        """Send one request and await one reply per symbol (Kraken acks each symbol)."""
        req_id = next(self._req_ids)
        keys = [(req_id, symbol) for symbol in symbols]
        futures = [session.pending.register(key) for key in keys]
        message = _encode({"method": method, "params": params, "req_id": req_id})
        try:
            await session.send(message)
            async with asyncio.timeout(self.config.request_timeout):
                return list(await asyncio.gather(*futures))
        except TimeoutError:
            timeout = self.config.request_timeout
            raise RequestTimeout(f"kraken {method}: no reply within {timeout:g}s") from None
        finally:
            for key in keys:
                session.pending.discard(key)

    # --- books -------------------------------------------------------------------------

    def _add_book(self, symbol: str, depth: int) -> None:
        self._bookkeeper.add(symbol, depth, self._instruments.get(symbol))

    async def _renew(self, subscription: Subscription) -> None:
        """Unsubscribe and subscribe again: Kraken's way to get a fresh snapshot."""
        channel = subscription.channel
        symbol = subscription.symbol or ""
        options = dict(subscription.options)
        params = wire_params(channel, options, [symbol])
        try:
            await self._request(self.session, "unsubscribe", params, [symbol])
            failures = await self._subscribe_wire(self.session, channel, options, [symbol])
        except (RequestTimeout, TransportError) as exc:
            self._push_error(exc, f"renew {channel} {symbol}")
            return  # the reconnect (if that was the cause) restores it anyway
        if symbol in failures:
            self._push_error(failures[symbol], f"renew {channel} {symbol}")

    def _watch(self, channel: Channel, symbol: str) -> None:
        threshold = self.config.heartbeat.stale_after.get(channel.value)
        if threshold is not None:
            self.session.watch((channel.value, symbol), threshold)

    def _push_error(self, exc: Exception, context: str, frame: bytes | str = b"") -> None:
        self._events.push(StreamError.from_exception(self.venue, exc, context, frame))

    # --- public surface -----------------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every pair's trading rules, from the instrument channel's snapshot."""
        await self._instruments_ready.wait()
        return dict(self._instruments)

    @property
    def native(self) -> KrakenNative:
        """Raw Kraken v2 access: send any message, await its raw replies, tap frames."""
        return self._native


def _dead_man_seconds(config: ClientConfig) -> float | None:
    """``options["dead_man_switch"]`` validated: positive seconds below a day, with keys."""
    value = config.options.get("dead_man_switch")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value < 86400:
        raise ConfigError(f"options.dead_man_switch must be seconds in [1, 86400), got {value!r}")
    if config.credentials is None:
        raise ConfigError("options.dead_man_switch needs credentials")
    return float(value)
