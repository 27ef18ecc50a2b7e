"""The KuCoin Spot client: sharded public market data, synced books, native access, and
(with credentials) the private socket (:mod:`.private`) and the order methods of its
:class:`~tickwire.core.trader.Trader` (:mod:`.trading`). What it offers, its
``config.options`` and its limits are documented in ``docs/venues/kucoin.md``.

Data flow, top to bottom::

    socket bytes ─► parse.decode_push (one pass, a tagged union on "subject"; the rest
                    through parse.decode_frame, see :mod:`.parse`)
                 ─► _deliver: exact dict lookup on the push's type → one handler, once the
                    topic is one that type comes on
                 ─► parse.to_* (pure wire → core types) / books (sequence sync, :mod:`.books`)
                 ─► EventStream (async iterator or callback)

Topics live on core's shards (:mod:`tickwire.core.shards`); tickers and trades pass core's
:class:`~tickwire.core.sequences.SequenceFilter`, and depth and candle pushes their time,
so a token renewal's overlap is delivered once. Parts get the client's
:class:`~tickwire.core.context.AdapterContext` and narrow hooks
(:class:`~tickwire.core.shards.PoolHooks`), never the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from tickwire.adapters.kucoin import parse
from tickwire.adapters.kucoin.books import KucoinBooks
from tickwire.adapters.kucoin.fetch import KucoinFetcher
from tickwire.adapters.kucoin.private import PRIVATE_CHANNELS, PrivateSocket
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.schemas import (
    CandleAddPush,
    CandlePush,
    DepthPush,
    L2Push,
    MarketPush,
    MatchPush,
    TickerPush,
)
from tickwire.adapters.kucoin.sockets import Socket
from tickwire.adapters.kucoin.subscriptions import (
    CHANNELS,
    DEPTH_PREFIXES,
    LEVEL2,
    MESSAGES_PER_CONNECTION,
    PREFIXES,
    SYMBOLS_PER_MESSAGE,
    TOPICS_PER_CONNECTION,
    Topic,
    batch_key,
    parse_topic,
    subscription_for,
    topic_for,
)
from tickwire.adapters.kucoin.trading import DCP_RANGE, KucoinTrader
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.dead_man import dead_man_option
from tickwire.core.errors import BookOutOfSync, ConfigError, DecodeError, NotSupported
from tickwire.core.ratelimit import Quota
from tickwire.core.sequences import SequenceFilter
from tickwire.core.shards import Batching, PoolHooks, Shard, Shards, ShardsNative
from tickwire.core.sync_book import SequencedBook
from tickwire.core.types import Channel, Instrument, Subscription

__all__ = ["KucoinClient"]

REST_URL = "https://api.kucoin.com"
RENEW_AFTER = 12 * 3600.0
_MS = 1_000_000  # ns per ms


class KucoinClient(BaseClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for KuCoin Spot (Classic API).

    Its ``config.options`` are tabled in ``docs/venues/kucoin.md``.
    """

    venue = "kucoin"
    supports_orders = True

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        options = config.options
        context = self.context
        # One limiter for the account's REST pools, in the REST client: fetches and order
        # calls spend from it.
        self._rest = KucoinRest(
            config.rest_url or REST_URL,
            timeout=config.request_timeout,
            credentials=config.credentials,
            transport=context.rest_transport,  # called at connect: a replay swaps it
        )
        self._fetcher = KucoinFetcher(self._rest)
        # push type → (the topic prefixes it may come on, its handler)
        self._routes: dict[type, tuple[tuple[str, ...], Callable[[Any, int], None]]] = {
            TickerPush: ((PREFIXES[Channel.TICKER] + ":",), self._on_ticker),
            MatchPush: ((PREFIXES[Channel.TRADES] + ":",), self._on_match),
            L2Push: ((LEVEL2 + ":",), self._on_level2),
            DepthPush: (DEPTH_PREFIXES, self._on_depth),
            CandlePush: ((PREFIXES[Channel.CANDLES] + ":",), self._on_candle),
            CandleAddPush: ((PREFIXES[Channel.CANDLES] + ":",), self._on_candle),
        }
        quota = Quota(
            int(options.get("msg_limit", MESSAGES_PER_CONNECTION.limit)),
            float(options.get("msg_window", MESSAGES_PER_CONNECTION.window)),
        )
        socket = partial(
            Socket,
            quota=quota,
            bullet=self._rest.bullet_public,
            routes=self._routes,
            deliver=self._deliver,
            failed=self._failed,
        )
        self._book_sync = books = KucoinBooks(context, self._rest)
        hooks = PoolHooks(replay=self._replay, up=books.up, down=books.down)
        self._shards: Shards[Topic] = Shards(
            context,
            socket,
            Batching(SYMBOLS_PER_MESSAGE, batch_key),
            hooks,
            per_connection=int(options.get("topics_per_connection", TOPICS_PER_CONNECTION)),
            renew_after=float(options.get("renew_after", RENEW_AFTER)),
        )
        self._kbooks = self._book_sync.kbooks  # the hot path reads them directly
        self._dbooks = self._book_sync.dbooks
        self._private: PrivateSocket | None = None
        self._sequences = SequenceFilter(parse.VENUE)  # ticker and match topic → sequence
        self._last_ts: dict[str, int] = {}  # depth/candle topic → push time
        self._replaying = False
        self._instruments: dict[str, Instrument] | None = None
        self._native = ShardsNative(self._shards, parse_topic)

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        config = self.config
        shard = self._shards.open(run=False)
        await self.context.start(shard.primary.session)  # ConnectTimeout if it is not up
        if config.credentials is None:
            return
        # KuCoin refuses a signature more than 5 s off its clock: sign with its time.
        await self._rest.measure_clock(timeout=config.request_timeout)
        self._trader = trader = KucoinTrader(self._rest)
        if not config.options.get("private", True):
            return
        self._private = private = PrivateSocket(self.context, self._rest)
        await self.context.start(private.session)  # AuthError: the keys are wrong
        dead_man = dead_man_option(config, low=DCP_RANGE[0], high=DCP_RANGE[1], share=3)
        private.arm_while_healthy(trader, dead_man, timeout=config.request_timeout)

    async def _stop(self) -> None:
        if self._private is not None:
            await self._private.session.close()
        await self._shards.close()

    @property
    def shards(self) -> list[Shard[Topic]]:
        """The logical connections, oldest first."""
        return list(self._shards.shards)

    @property
    def private(self) -> PrivateSocket | None:
        """The private socket, when credentials are configured."""
        return self._private

    # --- the hot path ------------------------------------------------------------------

    def _deliver(self, push: MarketPush, received: int, frame: bytes = b"") -> None:
        """Route one push by its type, once its topic is one that type may come on (the
        sockets do the same inline; this serves held pushes and the rest)."""
        prefixes, handler = self._routes[type(push)]
        try:
            if push.topic.startswith(prefixes):
                handler(push, received)
            elif all(topic.text != push.topic for topic in self._shards.native):
                self._stray(push, "no subscription routes this topic", frame)
            # else: a raw topic subscribed natively: its taps saw the frame
        except (DecodeError, ValueError, ArithmeticError) as exc:
            self._failed(exc, push, frame)

    def _failed(self, exc: Exception, push: MarketPush, frame: bytes) -> None:
        """Report a push that a handler refused; the stream goes on."""
        if not isinstance(exc, DecodeError):
            # Fields that decode as strings but are not numbers (a garbled sequence):
            # a bad frame must surface, never end the stream.
            exc = DecodeError(f"kucoin: bad value on {push.topic}: {exc}", frame or repr(push))
        self.context.error(exc, "decode", exc.frame)

    def _stray(self, push: MarketPush, why: str, frame: bytes = b"") -> None:
        error = DecodeError(f"kucoin: {why}: {push.topic}", frame or repr(push))
        self.context.error(error, "decode")

    def _on_ticker(self, push: TickerPush, received: int) -> None:
        # Normalized (so validated) first: a refused frame must not become the baseline.
        ticker = parse.to_ticker(push.data, push.topic.rpartition(":")[2], received)
        if self._sequences.fresh(push.topic, int(push.data.sequence)):
            self._tickers[ticker.symbol] = ticker
            self._events.push(ticker)

    def _on_match(self, push: MatchPush, received: int) -> None:
        trade = parse.to_trade(push.data, received)
        if self._sequences.fresh(push.topic, int(push.data.sequence)):
            self._trades[trade.symbol] = trade
            self._events.push(trade)

    def _on_level2(self, push: L2Push, received: int) -> None:
        data = push.data
        kbook = self._kbooks.get(data.symbol)
        if kbook is None:
            return self._stray(push, "no book for this increment")
        try:  # the core rule itself: kbook.apply's checks hold (looked up by symbol)
            start, end, ts = data.sequence_start, data.sequence_end, data.time * _MS
            update = SequencedBook.apply(kbook, start, end, data, ts, received)
        except BookOutOfSync as exc:
            return self._book_sync.keeper.out_of_sync(kbook.symbol, exc.reason)
        if update is not None:
            self._events.push(update)

    def _on_depth(self, push: DepthPush, received: int) -> None:
        dbook = self._dbooks.get(push.topic)
        if dbook is None:
            return self._stray(push, "no book for this push")
        data = push.data
        if self._replaying and data.timestamp <= self._last_ts.get(push.topic, 0):
            return None
        try:
            event = dbook.apply(data, received)
        except BookOutOfSync as exc:
            return self.context.error(exc, f"depth book {push.topic}")
        self._last_ts[push.topic] = data.timestamp  # only a push that was applied
        self._events.push(event)

    def _on_candle(self, push: CandlePush, received: int) -> None:
        data = push.data
        if self._replaying and data.time <= self._last_ts.get(push.topic, 0):
            return None
        interval = parse.CANDLE_INTERVALS.get(push.topic.rpartition("_")[2])
        if interval is None:
            return self._stray(push, "unknown candle type")
        candle = parse.to_candle(data, interval, received)
        self._last_ts[push.topic] = data.time  # only a candle that was valid
        self._events.push(candle)

    def _replay(self, held: list[tuple[MarketPush, int]]) -> None:
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

        Raises SubscriptionError for an unknown symbol, RateLimited when KuCoin refused
        the message (not retried: the caller decides), RequestTimeout without an ack.
        """
        channel, symbols = self._checked(channel, symbols)
        if channel in PRIVATE_CHANNELS:
            return await self._subscribe_private(channel)  # account-wide: no symbols
        if channel not in CHANNELS:
            raise NotSupported(f"kucoin: the {channel} channel is not offered")
        normalized = CHANNELS[channel].options(options)
        wanted = {}
        for symbol in symbols:
            subscription = subscription_for(channel, symbol, normalized)
            if subscription not in self._subscriptions:
                wanted[topic_for(channel, parse.to_native(symbol), normalized)] = subscription
        if not wanted:
            return
        if channel is Channel.BOOK:
            for topic, subscription in wanted.items():
                self._book_sync.add(topic, subscription.symbol or "")
        live, failure = await self._shards.subscribe(wanted)
        for topic in wanted.keys() - set(live):
            self._book_sync.drop(topic)
        self._subscriptions.update(wanted[t] for t in live)
        keeper = self._book_sync.keeper
        syncs = [keeper.sync(self._kbooks[t.native].symbol) for t in live if t.prefix == LEVEL2]
        if syncs:
            await asyncio.gather(*syncs)
        if failure is not None:
            raise failure

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Unsubscribe symbols (with the options they were subscribed with)."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        if channel in PRIVATE_CHANNELS:
            self._subscriptions.discard(Subscription(channel))
            if self._private is not None:
                await self._private.unsubscribe(channel)
            return
        targets = [s for s in self._subscriptions if s.channel is channel and s.symbol in symbols]
        topics = []
        for subscription in targets:
            self._subscriptions.discard(subscription)
            native = parse.to_native(subscription.symbol or "")
            topics.append(topic_for(channel, native, dict(subscription.options)))
        try:
            await self._shards.unsubscribe(topics)
        finally:
            # After the ack: pushes sent before it still find their book, and any later
            # one is a stray, reported.
            for topic in topics:
                self._book_sync.drop(topic)

    async def _subscribe_private(self, channel: Channel) -> None:
        private = self._private
        if private is None:
            if self.config.credentials is not None and self._tasks is not None:
                raise ConfigError(f"kucoin: {channel} needs the private socket (options private)")
            raise ConfigError(f"kucoin: the {channel} channel needs credentials (private socket)")
        await private.subscribe(channel)
        self._subscriptions.add(Subscription(channel))

    # --- public surface -----------------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every symbol's trading rules, from ``/api/v2/symbols`` (fetched once)."""
        if self._instruments is None:
            self._instruments = {i.symbol: i for i in await self._rest.symbols()}
        return dict(self._instruments)

    @property
    def native(self) -> ShardsNative[Topic]:
        """Raw KuCoin access: raw topics, raw messages and replies, frame taps::

        await client.native.subscribe_topic("/market/snapshot:BTC-USDT")  # acked, restored
        remove = client.native.add_tap(lambda frame: print(frame))  # every raw frame
        reply = await client.native.request({"type": "ping"})  # {"type": "pong"...}
        """
        return self._native
