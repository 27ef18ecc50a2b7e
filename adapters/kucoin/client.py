"""The KuCoin Spot client: sharded public market data, synced books, native access, and
(with credentials) the private socket (:mod:`.private`) and the order methods of its
:class:`~tickwire.core.trader.Trader` (:mod:`.trading`). What it offers, its
``config.options`` and its limits are documented in ``docs/venues/kucoin.md``.

Core's :class:`~tickwire.core.sharded_client.ShardedClient` runs the subscriptions, the
shards and the routing; what is KuCoin's is here: its channels and topics, the push
handlers (``_routes``: push type → topic prefixes → handler, called inline by the
sockets, :mod:`.sockets`), and the books (:mod:`.books`)::

    socket bytes ─► parse.decode_push (one pass; the rest via parse.decode_frame)
                 ─► _routes[type(push)] → _on_* ─► parse.to_* / books ─► events

Tickers and trades pass core's :class:`~tickwire.core.sequences.SequenceFilter`, depth
and candle pushes their time, so a token renewal's overlap is delivered once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

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
    topic_for,
)
from tickwire.adapters.kucoin.trading import DCP_RANGE, KucoinTrader
from tickwire.core.config import ClientConfig
from tickwire.core.dead_man import dead_man_option
from tickwire.core.errors import BookOutOfSync
from tickwire.core.ratelimit import Quota
from tickwire.core.sharded_client import ShardedClient
from tickwire.core.shards import Batching
from tickwire.core.sync_book import SequencedBook
from tickwire.core.types import Channel, Instrument

__all__ = ["KucoinClient"]

REST_URL = "https://api.kucoin.com"
RENEW_AFTER = 12 * 3600.0
_MS = 1_000_000  # ns per ms
_apply = SequencedBook.apply  # the core rule itself, a module global: read faster than the class's


class KucoinClient(ShardedClient[Topic]):
    """A :class:`~tickwire.core.protocol.StreamClient` for KuCoin Spot (Classic API).

    Its ``config.options`` are tabled in ``docs/venues/kucoin.md``.
    """

    venue = "kucoin"
    supports_orders = True
    channel_options = CHANNELS
    account_channels = PRIVATE_CHANNELS

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
        self._routes.update(
            {
                TickerPush: ((PREFIXES[Channel.TICKER] + ":",), self._on_ticker),
                MatchPush: ((PREFIXES[Channel.TRADES] + ":",), self._on_match),
                L2Push: ((LEVEL2 + ":",), self._on_level2),
                DepthPush: (DEPTH_PREFIXES, self._on_depth),
                CandlePush: ((PREFIXES[Channel.CANDLES] + ":",), self._on_candle),
                CandleAddPush: ((PREFIXES[Channel.CANDLES] + ":",), self._on_candle),
            }
        )
        quota = Quota(
            int(options.get("msg_limit", MESSAGES_PER_CONNECTION.limit)),
            float(options.get("msg_window", MESSAGES_PER_CONNECTION.window)),
        )
        self._book_sync = books = KucoinBooks(context, self._rest)
        # The sockets may take a fresh level2 increment in C (sockets.py) where it would
        # reach _on_level2 below: not for a subclass that replaced it.
        standard = type(self)._on_level2 is KucoinClient._on_level2
        level2 = (books.kbooks, self._events) if standard else None
        socket = partial(
            Socket, quota=quota, bullet=self._rest.bullet_public, routes=self.routes, level2=level2
        )
        self._pool(
            socket,
            Batching(SYMBOLS_PER_MESSAGE, batch_key),
            books,
            topic_for=topic_for,
            parse=parse_topic,
            per_connection=int(options.get("topics_per_connection", TOPICS_PER_CONNECTION)),
            renew_after=float(options.get("renew_after", RENEW_AFTER)),
        )
        self._kbooks = books.kbooks  # the hot path reads them directly
        self._dbooks = books.dbooks
        self._private: PrivateSocket | None = None
        self._instruments: dict[str, Instrument] | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def _start(self) -> None:
        await super()._start()
        config = self.config
        if config.credentials is None:
            return
        # KuCoin refuses a signature more than 5 s off its clock: sign with its time.
        await self._rest.measure_clock(timeout=config.request_timeout)
        self._trader = trader = KucoinTrader(self._rest)
        if not config.options.get("private", True):
            return
        self._private = private = PrivateSocket(self.context, self._rest)
        dead_man = dead_man_option(config, low=DCP_RANGE[0], high=DCP_RANGE[1], share=3)
        await self._start_account(private, trader, dead_man, timeout=config.request_timeout)

    @property
    def private(self) -> PrivateSocket | None:
        """The private socket, when credentials are configured."""
        return self._private

    # --- the hot path ------------------------------------------------------------------

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
        try:
            kbook = self._kbooks[data.symbol]  # indexed, not .get(): no method call
        except KeyError:
            return self._stray(push, "no book for this increment")
        changes = data.changes  # its rows as decoded: no rows() call when fresh
        try:  # the core rule itself: kbook.apply's checks hold (looked up by symbol)
            update = _apply(
                kbook, data.sequence_start, data.sequence_end, data, data.time * _MS,
                received, changes.bids, changes.asks,
            )  # fmt: skip
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

    # --- public surface -----------------------------------------------------------

    async def instruments(self) -> Mapping[str, Instrument]:
        """Every symbol's trading rules, from ``/api/v2/symbols`` (fetched once)."""
        if self._instruments is None:
            self._instruments = {i.symbol: i for i in await self._rest.symbols()}
        return dict(self._instruments)
