"""The KuCoin Spot client: sharded public market data, synced books, native access, and
(with credentials) the private socket and order methods of :mod:`.account`.

Data flow, top to bottom::

    socket bytes ─► parse.decode_frame (tagged union on "type"; data stays raw)
                 ─► _dispatch: exact dict lookup on the topic prefix → one handler
                 ─► parse.to_* (pure wire → core types) / books (sequence sync, :mod:`.books`)
                 ─► EventStream (async iterator or callback)

Topics live on shards (:mod:`.shards`): each holds at most ``topics_per_connection``;
a full set of shards opens another. Every shard renews its token make-before-break every
``renew_after`` seconds; the per-symbol ``sequence`` of tickers and trades, the book's own
sequence, and the time of depth and candle pushes drop what the swap would duplicate.

A ticker or trade ``sequence`` is the stream's baseline only if it is possible: within
:data:`~tickwire.adapters.kucoin.book.MAX_SEQUENCE_JUMP` ahead of the last one (a
sequence up to that far behind is a duplicate, dropped). Anything else (``10**30``, a
jump of ``10**15``, a negative number) is a ``StreamError`` and changes nothing, so one
absurd frame cannot mute a stream; after
:data:`~tickwire.adapters.kucoin.book.REJECTS_BEFORE_RESYNC` of them in a row the venue's
numbering has moved, and the stream follows it. Frames the client cannot place (a topic
nobody subscribed, a book that does not exist, an unknown candle type) are
``StreamError`` events too, never dropped without a trace.

``config.options``: ``topics_per_connection`` (default 300), ``renew_after`` (seconds,
default 12 h, well before KuCoin's 24 h token limit), ``msg_limit``/``msg_window`` (the
per-socket message quota, default 100 per 10 s); for the account side ``private``,
``dead_man_switch`` and ``fee_rates`` (:mod:`.account`, :mod:`.private`).

Full-depth books (``depth="full"``) sync ``/market/level2`` against a REST snapshot: the
full signed ``/api/v3`` book when credentials are configured, else the public top 100
(then levels below the top 100 are only those the increments touched).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tickwire.adapters.kucoin import parse
from tickwire.adapters.kucoin.account import PRIVATE_CHANNELS, KucoinAccount
from tickwire.adapters.kucoin.book import MAX_SEQUENCE_JUMP, REJECTS_BEFORE_RESYNC
from tickwire.adapters.kucoin.books import LEVEL2, BookSync
from tickwire.adapters.kucoin.native import KucoinNative
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.schemas import (
    CandleData,
    DepthData,
    L2UpdateData,
    MatchData,
    Message,
    TickerData,
)
from tickwire.adapters.kucoin.shards import Shard, Socket
from tickwire.adapters.kucoin.subscriptions import (
    CHANNELS,
    MESSAGES_PER_CONNECTION,
    TOPICS_PER_CONNECTION,
    Topic,
    subscription_for,
    topic_for,
)
from tickwire.core.config import ClientConfig
from tickwire.core.errors import (
    BookOutOfSync,
    ConnectTimeout,
    DecodeError,
    RequestTimeout,
    SubscriptionError,
    TickwireError,
)
from tickwire.core.ratelimit import Quota
from tickwire.core.types import Channel, Instrument, StreamState

__all__ = ["KucoinClient"]

REST_URL = "https://api.kucoin.com"
RENEW_AFTER = 12 * 3600.0


class KucoinClient(KucoinAccount):
    """A :class:`~tickwire.core.protocol.StreamClient` for KuCoin Spot (Classic API).

    See the module docstring for ``config.options``.
    """

    venue = "kucoin"

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        self._init_account()
        options = config.options
        self.topics_per_connection = int(
            options.get("topics_per_connection", TOPICS_PER_CONNECTION)
        )
        self.renew_after = float(options.get("renew_after", RENEW_AFTER))
        self._quota = Quota(
            int(options.get("msg_limit", MESSAGES_PER_CONNECTION.limit)),
            float(options.get("msg_window", MESSAGES_PER_CONNECTION.window)),
        )
        self._shards: list[Shard] = []
        self._topic_shard: dict[Topic, Shard] = {}
        self._native_topics: set[Topic] = set()
        self._sync = BookSync(self)
        self._kbooks = self._sync.kbooks  # the hot path reads them directly
        self._dbooks = self._sync.dbooks
        self._last_seq: dict[str, int] = {}  # "tNATIVE"/"mNATIVE" → sequence
        self._seq_rejects: dict[str, int] = {}  # key → impossible sequences in a row
        self._last_ts: dict[str, int] = {}  # depth/candle topic → push time
        self._replaying = False
        self._instruments: dict[str, Instrument] | None = None
        self._native = KucoinNative(self)
        self._routes: dict[str, Callable[[Message, int], None]] = {
            "/market/ticker": self._on_ticker,
            "/market/match": self._on_match,
            "/market/level2": self._on_level2,
            "/spotMarket/level2Depth5": self._on_depth,
            "/spotMarket/level2Depth50": self._on_depth,
            "/market/candles": self._on_candle,
        }

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        self._rest = KucoinRest(
            self.config.rest_url or REST_URL,
            timeout=self.config.request_timeout,
            transport=self.rest_transport(),
        )
        shard = self._open_shard()
        timeout = self.config.connect_timeout
        try:
            async with asyncio.timeout(timeout):
                await shard.primary.session.wait_ready()
        except TimeoutError:
            reason = shard.primary.session.last_reason
            raise ConnectTimeout(f"kucoin: not connected within {timeout:g}s ({reason})") from None
        await self._start_account()

    async def _stop(self) -> None:
        await self._stop_account()
        for shard in self._shards:
            await shard.close()
        if self._rest is not None:
            await self._rest.aclose()

    @property
    def shards(self) -> list[Shard]:
        """The logical connections, oldest first."""
        return list(self._shards)

    def _open_shard(self) -> Shard:
        shard = Shard(self, len(self._shards), self._quota)
        self._shards.append(shard)
        shard.start(self.renew_after)
        return shard

    def _shard_for(self, topic: Topic) -> Shard:
        # Synchronous on purpose: the slot is taken before any await, so concurrent
        # subscribe calls can never overfill a shard.
        shard = self._topic_shard.get(topic)
        if shard is not None:
            return shard
        for shard in self._shards:
            if len(shard.topics) < self.topics_per_connection:
                break
        else:
            shard = self._open_shard()
        self._topic_shard[topic] = shard
        return shard

    # --- the hot path ------------------------------------------------------------------

    def _dispatch(self, message: Message, received: int) -> None:
        handler = self._routes.get(message.topic.partition(":")[0])
        if handler is None:
            if all(topic.text != message.topic for topic in self._native_topics):
                self._stray(message, "no subscription routes this topic")
            return  # a raw topic subscribed natively: its taps saw the frame
        try:
            handler(message, received)
        except DecodeError as exc:
            self._push_error(exc, "decode", exc.frame)
        except (ValueError, ArithmeticError) as exc:
            # Fields that decode as strings but are not numbers (a garbled sequence):
            # a bad frame must surface, never end the stream.
            error = DecodeError(f"kucoin: bad value on {message.topic}: {exc}", bytes(message.data))
            self._push_error(error, "decode", error.frame)

    def _stray(self, message: Message, why: str) -> None:
        error = DecodeError(f"kucoin: {why}: {message.topic}", bytes(message.data))
        self._push_error(error, "decode")

    def _fresh(self, key: str, sequence: int) -> bool:
        """True for the next sequence of ``key``'s stream, False for one delivered already
        (a renewal's overlap); raises DecodeError for an impossible one (module docstring)."""
        last = self._last_seq.get(key)
        if last is not None and last < sequence <= last + MAX_SEQUENCE_JUMP:
            self._last_seq[key] = sequence
            if self._seq_rejects:
                self._seq_rejects.pop(key, None)
            return True
        if last is None and 0 <= sequence < 2**63:
            self._last_seq[key] = sequence
            return True
        if last is not None and last - MAX_SEQUENCE_JUMP <= sequence <= last:
            return False
        rejects = self._seq_rejects.get(key, 0) + 1
        if rejects < REJECTS_BEFORE_RESYNC or not 0 <= sequence < 2**63:
            self._seq_rejects[key] = rejects
            raise DecodeError(f"kucoin: impossible sequence {sequence} after {last} ({key})")
        del self._seq_rejects[key]  # the venue's numbering moved: follow it
        self._last_seq[key] = sequence
        return True

    def _on_ticker(self, message: Message, received: int) -> None:
        data: TickerData = parse.decode_data(message)  # type: ignore[assignment]
        native = parse.message_symbol(message)
        # Normalized (so validated) first: a refused frame must not become the baseline.
        ticker = parse.to_ticker(data, native, received)
        if self._fresh("t" + native, int(data.sequence)):
            self._tickers[ticker.symbol] = ticker
            self._events.push(ticker)

    def _on_match(self, message: Message, received: int) -> None:
        data: MatchData = parse.decode_data(message)  # type: ignore[assignment]
        trade = parse.to_trade(data, received)
        if self._fresh("m" + data.symbol, int(data.sequence)):
            self._trades[trade.symbol] = trade
            self._events.push(trade)

    def _on_level2(self, message: Message, received: int) -> None:
        data: L2UpdateData = parse.decode_data(message)  # type: ignore[assignment]
        kbook = self._kbooks.get(data.symbol)
        if kbook is None:
            self._stray(message, "no book for this increment")
            return
        try:
            update = kbook.apply(data, received)
        except BookOutOfSync as exc:
            self._sync.resync(data.symbol, exc.reason)
            return
        if update is not None:
            self._events.push(update)

    def _on_depth(self, message: Message, received: int) -> None:
        dbook = self._dbooks.get(message.topic)
        if dbook is None:
            self._stray(message, "no book for this push")
            return
        data: DepthData = parse.decode_data(message)  # type: ignore[assignment]
        if self._replaying and data.timestamp <= self._last_ts.get(message.topic, 0):
            return
        try:
            event = dbook.apply(data, received)
        except BookOutOfSync as exc:
            self._push_error(exc, f"depth book {message.topic}")
            return
        self._last_ts[message.topic] = data.timestamp  # only a push that was applied
        self._events.push(event)

    def _on_candle(self, message: Message, received: int) -> None:
        data: CandleData = parse.decode_data(message)  # type: ignore[assignment]
        if self._replaying and data.time <= self._last_ts.get(message.topic, 0):
            return
        interval = parse.CANDLE_INTERVALS.get(message.topic.rpartition("_")[2])
        if interval is None:
            self._stray(message, "unknown candle type")
            return
        candle = parse.to_candle(data, interval, received)
        self._last_ts[message.topic] = data.time  # only a candle that was valid
        self._events.push(candle)

    def _replay(self, held: list[tuple[Message, int]]) -> None:
        """Deliver what a renewed socket received while it was being swapped in."""
        self._replaying = True
        try:
            for message, received in held:
                self._dispatch(message, received)
        finally:
            self._replaying = False

    # --- shard events ------------------------------------------------------------------

    def _on_shard_down(self, shard: Shard) -> None:
        for topic, owner in self._topic_shard.items():
            if owner is shard and topic.prefix == LEVEL2:
                kbook = self._kbooks.get(topic.native)
                if kbook is not None and kbook.synced:
                    kbook.reset()
                    self._sync.status(StreamState.RESYNCING, kbook.symbol, "socket lost")

    def _on_shard_up(self, shard: Shard) -> None:
        for topic, owner in list(self._topic_shard.items()):
            if owner is shard and topic.prefix == LEVEL2:
                kbook = self._kbooks.get(topic.native)
                if kbook is not None and not kbook.synced:
                    self._sync.start(topic.native, resync=True)

    def _forget_topic(self, topic: Topic) -> None:
        self._topic_shard.pop(topic, None)
        self._native_topics.discard(topic)

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
            raise SubscriptionError(self.venue, channel, f"{channel} is not offered")
        normalized = CHANNELS[channel].options(options)
        wanted = {}
        for symbol in symbols:
            subscription = subscription_for(channel, symbol, normalized)
            if subscription not in self._subscriptions:
                wanted[topic_for(channel, parse.to_native(symbol), normalized)] = subscription
        if not wanted:
            return
        for topic, subscription in wanted.items():
            if channel is Channel.BOOK:
                self._sync.add(topic, subscription.symbol or "")
        futures = {topic: self._shard_for(topic).reserve(topic) for topic in wanted}
        failure = await self._settle(futures)
        live = [t for t in wanted if t in self._topic_shard and futures[t].done()]
        self._subscriptions.update(wanted[t] for t in live)
        syncs = [self._sync.start(t.native, resync=False) for t in live if t.prefix == LEVEL2]
        if syncs:
            await asyncio.gather(*syncs)
        if failure is not None:
            raise failure

    async def _settle(self, futures: Mapping[Topic, asyncio.Future[None]]) -> BaseException | None:
        """Await the acks of ``futures``; the first failure (or a timeout), if any."""
        timeout = self.config.request_timeout
        _, pending = await asyncio.wait(futures.values(), timeout=timeout)
        failure: BaseException | None = None
        for topic, future in futures.items():
            error = None if future in pending else future.exception()
            if future in pending or error is not None:
                self._sync.drop(topic)
                failure = failure or error
        if failure is None and pending:
            failure = RequestTimeout(f"kucoin subscribe: no ack within {timeout:g}s")
        return failure

    async def unsubscribe(
        self, channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        """Unsubscribe symbols (with the options they were subscribed with)."""
        channel, symbols = self._checked(channel, symbols, subscribing=False)
        if channel in PRIVATE_CHANNELS:
            return await self._unsubscribe_private(channel)
        targets = [s for s in self._subscriptions if s.channel is channel and s.symbol in symbols]
        topics = []
        for subscription in targets:
            self._subscriptions.discard(subscription)
            topic = topic_for(
                channel, parse.to_native(subscription.symbol or ""), dict(subscription.options)
            )
            topics.append(topic)
        try:
            await self._unsubscribe_topics(topics)
        finally:
            # After the ack: pushes sent before it still find their book, and any later
            # one is a stray, reported.
            for topic in topics:
                self._sync.drop(topic)

    async def _unsubscribe_topics(self, topics: Sequence[Topic]) -> None:
        by_shard: dict[Shard, list[Topic]] = {}
        for topic in topics:
            shard = self._topic_shard.pop(topic, None)
            if shard is not None:
                shard.release(topic)
                by_shard.setdefault(shard, []).append(topic)
        for shard, group in by_shard.items():
            for outcome in await shard.primary.call("unsubscribe", group):
                if isinstance(outcome, TickwireError):
                    raise outcome

    # --- public surface -----------------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every symbol's trading rules, from ``/api/v2/symbols`` (fetched once)."""
        if self._instruments is None:
            self._instruments = {i.symbol: i for i in await self.rest.symbols()}
        return dict(self._instruments)

    @property
    def native(self) -> KucoinNative:
        """Raw KuCoin access: raw topics, raw messages and replies, frame taps."""
        return self._native

    def _socket(self, shard: int = 0) -> Socket:
        return self._shards[shard].primary
