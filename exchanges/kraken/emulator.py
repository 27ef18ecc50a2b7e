"""The Kraken Spot WebSocket v2 emulator: server, market feed, truth and fault hooks."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal

from aiohttp import web

from tickwire.core.config import Credentials
from tickwire.exchanges.base.faults import ANY, ChecksumHooks, FaultPlan, OrderFaultHooks
from tickwire.exchanges.base.keytable import KeyTable
from tickwire.exchanges.base.market import SymbolSpec, SyntheticMarket
from tickwire.exchanges.base.matching import MatchingEngine
from tickwire.exchanges.base.server import Connection, EmulatorServer
from tickwire.exchanges.kraken import frames
from tickwire.exchanges.kraken.accounts import Accounts, PrivateRouter
from tickwire.exchanges.kraken.app import KrakenSocket
from tickwire.exchanges.kraken.auth import ALL_PERMISSIONS, KrakenKey
from tickwire.exchanges.kraken.feed import Feed
from tickwire.exchanges.kraken.history import OHLC_KEPT, OhlcHistory
from tickwire.exchanges.kraken.instruments import KrakenPair, resolve_pairs
from tickwire.exchanges.kraken.private import PrivateDesk
from tickwire.exchanges.kraken.rest_private import PrivateRest
from tickwire.exchanges.kraken.rest_public import PublicRest
from tickwire.exchanges.kraken.restnames import RestNames

__all__ = ["DEFAULT_BALANCES", "TEST_KEY", "TEST_SECRET", "KeyInput", "KrakenEmulator"]

KeyInput = KrakenKey | str | tuple[str, Iterable[str]]
"""An API key's secret: a :class:`KrakenKey`, a base64 secret (every permission), or
``(secret, permissions)``."""

DEFAULT_BALANCES: dict[str, Decimal] = {
    "USD": Decimal("100000"),
    "BTC": Decimal("2"),
    "ETH": Decimal("30"),
    "SOL": Decimal("500"),
}
"""The paper account's starting totals when ``balances`` is not given."""

TEST_KEY = "tickwire-kraken-emulator-test-key"
TEST_SECRET = (
    "rxR1YSLhzsXBWhrXW4BqgCJgOk3c3rpPr+5Orugm7qHTZAuVuWRdZZVNgckPGhfPws0Y3zkROx3f6K3ldUsf2w=="
)
"""The test account every emulator has (:meth:`KrakenEmulator.credentials`), every
permission, its signatures verified exactly: not a secret, a fixed local key."""

#: During `step`/`burst`, frames queued for one client before the loop waits for its
#: writer to catch up (flow control, so a burst cannot trip the slow-consumer cut).
_HIGH_WATER = 20_000
_YIELD_EVERY = 256


class KrakenEmulator(OrderFaultHooks, ChecksumHooks, EmulatorServer):
    """A local Kraken Spot WebSocket v2 venue: market data, account, paper trading.

    ::

        async with KrakenEmulator(seed=1, interval=None) as ex:
            ws = await session.ws_connect(ex.ws_url)      # status arrives first
            ...                                           # subscribe book BTC/USD
            await ex.step(100)                            # 100 market events, published
            bids, asks = ex.book("BTC/USD", 10)           # the true book, best first

    ``seed`` fixes the synthetic market; ``symbols`` picks default pairs by name or
    takes :class:`SymbolSpec`/:class:`KrakenPair` objects (default: BTC/USD, ETH/USD,
    SOL/USD, ETH/BTC); ``interval`` is the seconds between automatic market steps
    (``None``: only :meth:`step`/:meth:`burst` move the market); ``heartbeat_interval``
    the silence after which a subscribed connection gets a heartbeat; ``port`` 0 binds
    an ephemeral port; ``clock`` (ns) stamps every message.

    Private side: ``api_keys`` maps API key → secret (see :data:`KeyInput`; ``None``
    accepts any signed-looking request with every permission). The test account
    (:data:`TEST_KEY`, :meth:`credentials`) is always there, verified exactly, unless
    ``api_keys`` gives :data:`TEST_KEY` a secret of its own. Each API key trades on its
    own paper account (:mod:`.accounts`), starting from ``balances`` (default
    :data:`DEFAULT_BALANCES`); :attr:`engine` is ``default_key``'s (default: the first
    of ``api_keys``, else :data:`TEST_KEY`), :meth:`account_engine` any key's. REST:
    the public market data and the signed private calls of :mod:`.rest_public` and
    :mod:`.rest_private` (``GetWebSocketsToken`` issues tokens valid ``token_ttl`` s);
    the auth socket serves ``executions``, ``balances`` and the order methods on the
    account of the token's key. ``batch_cancel_form`` is ``"documented"`` (``result:
    {count}``) or ``"observed"`` (top-level ``orders_cancelled``); ``dead_man_second``
    scales the dead man's switch (seconds per venue second).

    Fault hooks (the shared vocabulary, :mod:`tickwire.exchanges.base.faults`):
    :meth:`drop_all`, :meth:`stop_heartbeats`/:meth:`resume_heartbeats`,
    :meth:`corrupt_next_checksum`, :meth:`fail_next_order`, :meth:`delay_next_order`,
    :meth:`hold_next_order` (``method``: an order method such as ``"add_order"``),
    :meth:`expire_tokens`. Counters: :attr:`connections`, :attr:`connection_count`,
    :attr:`subscribe_requests`.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        symbols: Iterable[str | SymbolSpec | KrakenPair] | None = None,
        interval: float | None = 0.05,
        heartbeat_interval: float = 1.0,
        port: int = 0,
        clock: Callable[[], int] = time.time_ns,
        api_keys: Mapping[str, KeyInput] | None = None,
        balances: Mapping[str, Decimal] | None = None,
        token_ttl: int = 900,
        batch_cancel_form: str = "documented",
        dead_man_second: float = 1.0,
        default_key: str | None = None,
    ) -> None:
        super().__init__(port=port)
        self.seed = seed
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock
        pairs = resolve_pairs(symbols)
        self.pairs: dict[str, KrakenPair] = {p.symbol: p for p in pairs}
        self.market = SyntheticMarket([p.spec for p in pairs], seed, clock=clock)
        self.faults = FaultPlan()
        self.history = OhlcHistory(self.market, self.pairs, f"kraken-history-{seed}", clock)
        """Logged prints and the synthetic past REST ``OHLC`` answers from."""
        self.feed = Feed(self.market, self.pairs, self.faults, clock, self.history)
        # Connection ids come from their own generator so they never shift the market.
        self._ids = random.Random(f"kraken-connection-id/{seed}")
        self._sockets: dict[Connection, KrakenSocket] = {}
        self._silenced: list[Connection] = []
        if batch_cancel_form not in ("documented", "observed"):
            raise ValueError("batch_cancel_form is 'documented' or 'observed'")
        self.accounts = Accounts(
            self.market,
            self.pairs,
            api_keys=_table(api_keys),
            balances=DEFAULT_BALANCES if balances is None else balances,
            clock=clock,
            seed=seed,
            faults=self.faults,
            default=default_key or next(iter(api_keys or {}), TEST_KEY),
            token_ttl=token_ttl,
            batch_cancel_form=batch_cancel_form,
            dead_man_second=dead_man_second,
        )
        self.trading = PrivateRouter(self.accounts)
        names = RestNames(pairs)
        self.rest_public = PublicRest(self.market, names, clock, self.history)
        self.rest_private = PrivateRest(self.accounts, names, clock)
        self.subscribe_requests = 0
        """``subscribe`` requests received (valid or not) since start."""

    # -- addresses -------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """Public market-data WebSocket (``wss://ws.kraken.com/v2`` on the venue)."""
        return f"{self.ws_base}/v2"

    @property
    def ws_auth_url(self) -> str:
        """Authenticated WebSocket (``wss://ws-auth.kraken.com/v2`` on the venue)."""
        return f"{self.ws_base}/v2-auth"

    @property
    def ws_auth_base(self) -> str:
        """The auth host as a base URL to which a client appends ``/v2`` itself."""
        return f"{self.ws_base}/ws-auth"

    @property
    def rest_url(self) -> str:
        """REST base URL (``https://api.kraken.com`` on the venue)."""
        return self.base_url

    @property
    def endpoints(self) -> dict[str, str]:
        """Client config URL overrides: ``ws_url``, ``ws_auth_url``, ``rest_url``."""
        return {"ws_url": self.ws_url, "ws_auth_url": self.ws_auth_url, "rest_url": self.rest_url}

    def credentials(self) -> Credentials:
        """The test account's key and secret (:data:`TEST_KEY`): sign with these."""
        return Credentials(TEST_KEY, TEST_SECRET)

    # -- server ----------------------------------------------------------------------

    @property
    def desk(self) -> PrivateDesk:
        """The default key's account (see ``default_key``): engine, subscriptions, switch."""
        return self.accounts.default

    @property
    def engine(self) -> MatchingEngine:
        """The default key's paper engine: its orders and balances (see ``default_key``)."""
        return self.accounts.default.engine

    def account_engine(self, api_key: str) -> MatchingEngine:
        """The paper engine of ``api_key``'s account (made on first use, as a request would)."""
        return self.accounts.desk(api_key).engine

    def setup_routes(self, app: web.Application) -> None:
        """``/v2`` and ``/v2-auth`` WebSockets; public and private REST (``/0/...``)."""
        app.router.add_get("/v2", self._public)
        app.router.add_get("/v2-auth", self._auth)
        # The venue's two hosts both serve /v2; clients that append "/v2" to a base URL
        # (python-kraken-sdk) reach the auth host as {ws_base}/ws-auth + "/v2".
        app.router.add_get("/ws-auth/v2", self._auth)
        self.rest_public.routes(app)
        self.rest_private.routes(app)

    async def __aexit__(self, *exc_info: object) -> None:
        self.accounts.close()
        await super().__aexit__(*exc_info)

    async def on_start(self) -> None:
        """Start the market ticker unless ``interval`` is ``None``."""
        if self.interval is not None:
            self.start_task(self._ticker(self.interval), name="kraken-market")

    async def _ticker(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._advance()

    async def _public(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, auth_host=False)

    async def _auth(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, auth_host=True)

    async def _serve(self, request: web.Request, *, auth_host: bool) -> web.WebSocketResponse:
        def on_open(conn: Connection) -> None:
            self._sockets[conn] = KrakenSocket(
                conn,
                self.feed,
                auth_host=auth_host,
                clock=self.clock,
                on_subscribe=self._count_subscribe,
                trading=self.trading if auth_host else None,
            )
            # u64 above 2**63, like the venue's: catches clients decoding it as int64.
            conn.send(frames.status(self._ids.getrandbits(63) | 1 << 63))

        def on_close(conn: Connection) -> None:
            self._sockets.pop(conn).close()
            if conn in self._silenced:
                self._silenced.remove(conn)

        return await self.serve_websocket(
            request,
            lambda conn, data: self._sockets[conn].handle(data),
            on_open=on_open,
            on_close=on_close,
            idle_after=self.heartbeat_interval,
            on_idle=lambda conn: self._sockets[conn].heartbeat(conn),
        )

    def _count_subscribe(self) -> None:
        self.subscribe_requests += 1

    # -- deterministic market control ------------------------------------------------

    async def step(self, n: int = 1, symbol: str | None = None) -> None:
        """Advance the market ``n`` events (on ``symbol``, or random symbols) and publish.

        Every resulting frame is queued before this returns (in order, behind anything
        queued earlier), so a client can ``ping`` and read until the ``pong`` to have
        them all.
        """
        self._check_symbol(symbol)
        for i in range(n):
            self._advance(symbol)
            if i % _YIELD_EVERY == _YIELD_EVERY - 1:
                await self._flow_control()

    async def burst(self, channel: str, symbol: str, n: int) -> int:
        """Publish ``n`` ``book``, ``ticker`` or ``trade`` updates for ``symbol``, fast.

        The market steps ``symbol`` until ``n`` updates of ``channel`` went out (book
        frames stay valid, checksums right; other channels get what the steps cause).
        A ticker burst sends one ticker update per step whatever the event trigger.
        Returns the number of market steps taken (0 without subscribers).
        """
        self._check_symbol(symbol)
        if channel not in ("book", "ticker", "trade"):
            raise ValueError(f"burst supports book, ticker and trade, not {channel!r}")
        subscribers = self.feed.subscribers
        sent = steps = 0
        while sent < n and subscribers(channel, symbol):
            sent += min(1, self._advance(symbol, force_ticker=channel == "ticker")[channel])
            steps += 1
            if steps % _YIELD_EVERY == 0:
                await self._flow_control()
        return steps

    def _advance(self, symbol: str | None = None, *, force_ticker: bool = False) -> dict[str, int]:
        # Every market step is followed by the engine's: resting paper orders may fill.
        sent = self.feed.advance(symbol, force_ticker=force_ticker)
        self.accounts.on_market_step()
        return sent

    async def _flow_control(self) -> None:
        for conn in self.open_connections():
            await conn.wait_backlog_below(_HIGH_WATER)
        await asyncio.sleep(0)  # let writers and readers run between chunks

    def _check_symbol(self, symbol: str | None) -> None:
        if symbol is not None and symbol not in self.pairs:
            raise ValueError(f"unknown symbol {symbol!r}; known: {sorted(self.pairs)}")

    # -- truth for tests -------------------------------------------------------------

    def book(
        self, symbol: str, depth: int | None = None
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The emulator's true book: ``(bids, asks)`` best-first, ``depth`` levels each."""
        self._check_symbol(symbol)
        return self.market.book(symbol, depth)

    def candles_kept(self, interval: int) -> int:
        """How many candles of ``interval`` seconds REST ``OHLC`` keeps: the latest 720."""
        return OHLC_KEPT

    def precisions(self, symbol: str) -> tuple[int, int]:
        """``(price_precision, qty_precision)`` of ``symbol``, as ``instrument`` lists them."""
        self._check_symbol(symbol)
        spec = self.pairs[symbol].spec
        return spec.price_precision, spec.qty_precision

    # -- faults ----------------------------------------------------------------------

    def stop_heartbeats(self) -> None:
        """Make every open connection go silent: no heartbeat, data, acks or pongs.

        Frames keep queueing and are delivered by :meth:`resume_heartbeats`, like a
        stalled network path; so a ``ping`` sent meanwhile gets its ``pong`` only then.
        Connections opened later are not affected (a reconnect works).
        """
        for conn in self.open_connections():
            if conn not in self._silenced:
                conn.hold()
                self._silenced.append(conn)

    def resume_heartbeats(self) -> None:
        """End :meth:`stop_heartbeats`: held frames go out first, then live ones."""
        for conn in self._silenced:
            conn.release()
        self._silenced.clear()

    def fault_key(self, symbol: str | None) -> Hashable:
        """A book fault's key: the pair name (checked), or any pair."""
        self._check_symbol(symbol)
        return ANY if symbol is None else symbol

    # -- private-side faults ---------------------------------------------------------

    async def expire_tokens(self) -> None:
        """Invalidate every WebSocket token issued so far, and end the sessions using them.

        Live auth-host sockets that used a token are closed (1001, going away), as at a
        venue session end; a client must fetch a fresh token to go on. Returns once
        they are gone.
        """
        doomed = [
            conn
            for conn, socket in self._sockets.items()
            if socket.trading is not None and self.accounts.tokens.used_by(conn.id)
        ]
        self.accounts.tokens.expire_all()
        await asyncio.gather(*(conn.close() for conn in doomed))
        async with asyncio.timeout(5.0):
            await asyncio.gather(*(conn.finished.wait() for conn in doomed))


def _table(api_keys: Mapping[str, KeyInput] | None) -> KeyTable[KrakenKey]:
    # Without api_keys every other key is trusted; the test account is verified always.
    table = KeyTable(_keys(api_keys or {}), trust_others=api_keys is None)
    table.setdefault(TEST_KEY, KrakenKey(TEST_SECRET))
    return table


def _keys(api_keys: Mapping[str, KeyInput]) -> dict[str, KrakenKey]:
    keys: dict[str, KrakenKey] = {}
    for name, value in api_keys.items():
        if isinstance(value, KrakenKey):
            keys[name] = value
        elif isinstance(value, str):
            keys[name] = KrakenKey(value, ALL_PERMISSIONS)
        else:
            keys[name] = KrakenKey(value[0], frozenset(value[1]))
    return keys
