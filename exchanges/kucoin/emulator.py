"""``KucoinEmulator``: KuCoin Spot ("Classic" API), public and private side, on loopback.

::

    async with KucoinEmulator(seed=0, interval=None) as ex:
        bullet = httpx.post(f"{ex.rest_url}/api/v1/bullet-public").json()["data"]
        # connect to bullet["instanceServers"][0]["endpoint"] + "?token=...&connectId=..."
        await ex.step(10, "BTC-USDT")             # ten market events, pushed at once
        bids, asks = ex.book("BTC-USDT", depth=5)  # the truth, best-first

It speaks the protocol of ``shared/reference/kucoin-ws.md``: the REST helpers of
:mod:`.rest`, the push socket of :mod:`.ws`, the topics of :mod:`.feed`, fed by the seeded
:class:`~tickwire.exchanges.base.market.SyntheticMarket`; and the private side of
:mod:`.privside` (``bullet-private``, private topics, HF orders, dead-cancel-all,
accounts): each API key trades its own paper account, whose resting orders fill as the
market steps (:attr:`engine` is the default key's, :meth:`account_engine` any key's). It
never imports adapter code.

Controls for tests and benchmarks: ``interval=None`` disables automatic stepping;
:meth:`step`, :meth:`burst`; truth: :meth:`book`, :meth:`sequence`. Counters:
:attr:`connection_stats`, :attr:`max_window_messages`, :attr:`refusals`.

Faults, in the shared vocabulary (:mod:`tickwire.exchanges.base.faults`):
:meth:`drop_all`, :meth:`skip_sequence`, :meth:`stop_heartbeats` /
:meth:`resume_heartbeats` (KuCoin's liveness signal is the pong), async
:meth:`expire_tokens`, :meth:`rate_limit_next` (``"subscribe"``: a 509 error frame;
``"request"``: HTTP 429 on any REST call; ``"order"``: HTTP 429 on a placement), and the
order faults :meth:`fail_next_order`, :meth:`delay_next_order`, :meth:`hold_next_order`,
whose ``method`` is the placement's REST path (``/api/v1/hf/orders``, ``.../sync``,
``.../multi``).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Literal

from aiohttp import web

from tickwire.core.config import Credentials
from tickwire.exchanges.base.faults import (
    ANY,
    FaultPlan,
    OrderFaultHooks,
    RateLimitHooks,
    SequenceHooks,
)
from tickwire.exchanges.base.keytable import KeyTable
from tickwire.exchanges.base.market import SymbolSpec, SyntheticMarket
from tickwire.exchanges.base.matching import MatchingEngine
from tickwire.exchanges.base.server import EmulatorServer
from tickwire.exchanges.kucoin.dcp import DeadCancel
from tickwire.exchanges.kucoin.feed import Feed
from tickwire.exchanges.kucoin.keys import ApiKey, KeyInput, normalize_keys
from tickwire.exchanges.kucoin.limits import ConnectionStats
from tickwire.exchanges.kucoin.privside import PrivateSide
from tickwire.exchanges.kucoin.rest import RestApi
from tickwire.exchanges.kucoin.symbols import KucoinSymbol, resolve_symbols
from tickwire.exchanges.kucoin.tokens import TokenStore
from tickwire.exchanges.kucoin.topics import PREFIXES
from tickwire.exchanges.kucoin.ws import WS_PATH, WsConfig, WsGateway

__all__ = ["TEST_KEY", "TEST_PASSPHRASE", "TEST_SECRET", "KucoinEmulator"]

#: A burst yields to the writers every this many steps, and waits for a subscriber whose
#: queue grew past HIGH_WATER to drain to LOW_WATER, so memory stays bounded.
YIELD_EVERY = 64
HIGH_WATER = 20_000
LOW_WATER = 2_000

TEST_KEY = "tickwire-kucoin-emulator-test-key"
TEST_SECRET = "tickwire-kucoin-emulator-test-secret-8d1f3a"
TEST_PASSPHRASE = "tickwire-kucoin-emulator-test-passphrase"
"""The test account every emulator has (:meth:`KucoinEmulator.credentials`), every
permission, its signatures verified exactly: not a secret, a fixed local key."""

DecimalBook = tuple[tuple[tuple[Decimal, Decimal], ...], tuple[tuple[Decimal, Decimal], ...]]


class KucoinEmulator(OrderFaultHooks, RateLimitHooks, SequenceHooks, EmulatorServer):
    """A local KuCoin Spot venue (public market data) serving on ``127.0.0.1``.

    ``seed`` fixes the market; ``symbols`` picks default pairs by name (``"BTC-USDT"``) or
    passes :class:`SymbolSpec`/:class:`KucoinSymbol` objects; ``interval`` is the seconds
    between automatic market steps (``None``: only :meth:`step`/:meth:`burst` move it);
    ``token_ttl`` the token lifetime in seconds; ``topic_cap`` the topics per connection;
    ``ping_interval_ms``/``ping_timeout_ms`` what the bullet announces (silence for their
    sum closes a socket); ``msg_limit`` per ``msg_window`` s the client message rate;
    ``max_topics_per_request`` the symbols in one topic string; ``api_keys`` (key →
    ``(secret, passphrase)``, ``(secret, passphrase, permissions)`` or a
    :class:`~.keys.ApiKey`) turns on signature verification of every signed endpoint
    (without it, any key whose headers are present is accepted with every permission);
    the test account (:data:`TEST_KEY`, :meth:`credentials`) is always there, verified
    exactly, unless ``api_keys`` gives :data:`TEST_KEY` secrets of its own;
    ``balances`` the account's starting totals (default :data:`~.account.DEFAULT_BALANCES`);
    ``dcp_second`` how long one dead-cancel-all second lasts (tests shorten it);
    ``rest_quota`` the weighted REST pool per 30 s (``None``: unlimited);
    ``reject_token_with`` how a bad token is refused (see :mod:`.ws`);
    ``default_key`` the key whose account :attr:`engine` and :attr:`dcp` show (default:
    the first of ``api_keys``, else :data:`TEST_KEY`). Every key has an account of its own;
    ``push_tls`` a server context: the push socket is then also served over TLS on a port
    of its own and the bullet hands out ``wss://...`` with ``encrypt: true``, as the venue
    does (for clients that can only speak ``wss``); REST stays plain ``http``;
    ``clock_offset`` seconds the venue's clock is ahead of this machine's (negative:
    behind): ``/api/v1/timestamp`` answers it and signatures are checked against it, so
    a client that signs with its own clock is refused (``400002``) beyond 5 s.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        symbols: Iterable[str | SymbolSpec | KucoinSymbol] | None = None,
        interval: float | None = 0.05,
        token_ttl: float = 86400.0,
        topic_cap: int = 300,
        ping_interval_ms: int = 18000,
        ping_timeout_ms: int = 10000,
        msg_limit: int = 100,
        msg_window: float = 10.0,
        max_topics_per_request: int = 100,
        api_keys: Mapping[str, KeyInput] | None = None,
        balances: Mapping[str, Decimal] | None = None,
        dcp_second: float = 1.0,
        rest_quota: int | None = 2000,
        reject_token_with: Literal["frame", "http"] = "frame",
        default_key: str | None = None,
        push_tls: ssl.SSLContext | None = None,
        clock_offset: float = 0.0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        if interval is not None and interval <= 0:
            raise ValueError("interval must be positive, or None for manual stepping")
        self.interval = interval
        self.push_tls = push_tls
        self.clock_offset = clock_offset
        self._tls_port: int | None = None
        chosen = resolve_symbols(symbols)
        self.faults = FaultPlan()
        """Armed fault shots; the hooks below arm it, the venue's parts take from it."""
        self.market = SyntheticMarket([s.spec for s in chosen], seed)
        # Separate streams (string seeds are stable across runs), so the sequence layout
        # and the tokens never disturb the market's own draws.
        self.feed = Feed(
            self.market,
            chosen,
            random.Random(f"kucoin-feed-{seed}"),
            faults=self.faults,
            history_seed=f"kucoin-history-{seed}",
        )
        self.tokens = TokenStore(token_ttl, time.monotonic, random.Random(f"kucoin-token-{seed}"))
        config = WsConfig(
            msg_limit=msg_limit,
            msg_window=msg_window,
            topic_cap=topic_cap,
            max_per_request=max_topics_per_request,
            ping_interval_ms=ping_interval_ms,
            ping_timeout_ms=ping_timeout_ms,
            reject_with=reject_token_with,
        )
        self.gateway = WsGateway(self, self.feed, self.tokens, config, self.faults)
        # Without api_keys every other key is trusted; the test account is verified always.
        keys = KeyTable(normalize_keys(api_keys), trust_others=api_keys is None)
        keys.setdefault(TEST_KEY, ApiKey(TEST_SECRET, TEST_PASSPHRASE))
        self.private = PrivateSide(
            self.market,
            chosen,
            self.tokens,
            lambda: self.ws_url,
            keys=keys,
            default_key=default_key or next(iter(api_keys or {}), TEST_KEY),
            balances=balances,
            ping_interval_ms=ping_interval_ms,
            ping_timeout_ms=ping_timeout_ms,
            dcp_second=dcp_second,
            seed=seed,
            faults=self.faults,
            now_ms=self.now_ms,
        )
        self.gateway.private = self.private.private_tokens
        self.rest = RestApi(
            self.feed,
            self.tokens,
            lambda: self.ws_url,
            ping_interval_ms=ping_interval_ms,
            ping_timeout_ms=ping_timeout_ms,
            quota=rest_quota,
            api_keys=KeyTable(
                {k: (v.secret, v.passphrase) for k, v in keys.items()},
                trust_others=keys.trust_others,
            ),
            skip_paths=frozenset({WS_PATH}),
            faults=self.faults,
            now_ms=self.now_ms,
        )

    # -- server hooks ----------------------------------------------------------------

    def setup_routes(self, app: web.Application) -> None:
        """REST endpoints plus the push socket at :data:`~.ws.WS_PATH`."""
        self.rest.add_routes(app)
        self.private.add_routes(app)
        app.router.add_get(WS_PATH, self.gateway.handle)

    async def __aexit__(self, *exc_info: object) -> None:
        self.private.dcp_routes.disarm_all()  # no switch may fire into a stopped venue
        self.private.released.set()  # held order requests end now, not at the shutdown timeout
        await super().__aexit__(*exc_info)

    async def on_start(self) -> None:
        """Open the TLS push port if asked; start the market clock unless ``interval`` is None."""
        if self.push_tls is not None:
            runner = self._runner
            assert runner is not None  # on_start runs once the plain site is up
            site = web.TCPSite(runner, self.host, 0, ssl_context=self.push_tls)
            await site.start()
            self._tls_port = int(runner.addresses[-1][1])
        if self.interval is not None:
            self.start_task(self._run(self.interval), name="kucoin-market")

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._advance()

    def _advance(self, name: str | None = None, force: str | None = None) -> Counter[str]:
        # Publish the step, then let the account's resting orders fill against it.
        produced = self.feed.advance(name, force)
        for account in self.private.accounts():
            account.engine.on_market_step()
        return produced

    def now_ms(self) -> int:
        """The venue's clock in milliseconds (this machine's plus ``clock_offset``)."""
        return time.time_ns() // 1_000_000 + round(self.clock_offset * 1000)

    # -- addresses -------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:PORT``: the REST base (the venue's ``https://api.kucoin.com``)."""
        return self.base_url

    @property
    def ws_url(self) -> str:
        """The push endpoint the bullet call hands out (``ws://127.0.0.1:PORT/ws-api-spot/``,
        ``wss://`` on the TLS port with ``push_tls``)."""
        if self._tls_port is not None:
            return f"wss://{self.host}:{self._tls_port}{WS_PATH}"
        return f"{self.ws_base}{WS_PATH}"

    @property
    def endpoints(self) -> dict[str, str]:
        """``{"rest_url": ...}``: the WebSocket address comes from the bullet call."""
        return {"rest_url": self.rest_url}

    @property
    def symbols(self) -> list[str]:
        """The listed symbols, KuCoin spelling (``BTC-USDT``)."""
        return list(self.feed.symbols)

    # -- deterministic controls ------------------------------------------------------

    def _name(self, symbol: str | None) -> str | None:
        if symbol is not None and symbol not in self.feed.symbols:
            raise KeyError(f"unknown symbol {symbol!r}")
        return symbol

    async def step(self, n: int = 1, symbol: str | None = None) -> None:
        """Advance the market ``n`` events (of ``symbol``, or random symbols) and push them."""
        name = self._name(symbol)
        for i in range(n):
            self._advance(name)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await self._drain()
        await asyncio.sleep(0)  # let the writers start on what was queued

    async def burst(self, topic_prefix: str, symbol: str, n: int) -> int:
        """Push ``n`` frames of ``topic_prefix`` (``"/market/level2"``...) for ``symbol``.

        Each market step is forced to push that topic; steps repeat until ``n`` frames
        were produced (a ``/market/match`` step may print several trades or none).
        Returns the number of market steps it took.
        """
        if topic_prefix not in PREFIXES:
            raise ValueError(f"unknown topic prefix {topic_prefix!r}; one of {sorted(PREFIXES)}")
        name = self._name(symbol)
        produced = steps = 0
        while produced < n:
            produced += self._advance(name, topic_prefix)[topic_prefix]
            steps += 1
            if steps % YIELD_EVERY == 0:
                await self._drain()
        await asyncio.sleep(0)
        return steps

    async def _drain(self) -> None:
        await asyncio.sleep(0)
        for conn in self.open_connections():
            if conn.backlog > HIGH_WATER:
                await conn.wait_backlog_below(LOW_WATER)

    # -- truth -----------------------------------------------------------------------

    def book(self, symbol: str, depth: int | None = None) -> DecimalBook:
        """The true book of ``symbol``: ``(bids, asks)``, best-first ``(price, size)`` tuples."""
        sym = self.feed.symbols[symbol]
        bids, asks = self.market.book(sym.spec.symbol, depth)
        return tuple(bids), tuple(asks)

    def sequence(self, symbol: str) -> int:
        """The sequence of ``symbol``'s last level2 increment (published or skipped)."""
        return self.feed.sequences[symbol]

    # -- faults ----------------------------------------------------------------------

    rate_limit_kinds = ("subscribe", "request", "order")

    def fault_key(self, symbol: str | None) -> Hashable:
        """A symbol's fault key is its KuCoin name (``ValueError`` if not listed)."""
        if symbol is None:
            return ANY
        if symbol not in self.feed.symbols:
            raise ValueError(f"unknown symbol {symbol!r}; one of {self.symbols}")
        return symbol

    def stop_heartbeats(self) -> None:
        """Stop answering pings (pings still count as traffic and against the rate limit)."""
        self.gateway.pongs = False

    def resume_heartbeats(self) -> None:
        """Answer pings again."""
        self.gateway.pongs = True

    async def expire_tokens(self) -> None:
        """Expire every token now; live connections are dropped as at expiry (1001)."""
        await self.gateway.expire_all()

    # -- the account -----------------------------------------------------------------

    def credentials(self) -> Credentials:
        """The test account's key, secret and passphrase (:data:`TEST_KEY`)."""
        return Credentials(TEST_KEY, TEST_SECRET, TEST_PASSPHRASE)

    @property
    def engine(self) -> MatchingEngine:
        """The default key's paper engine: its orders and balances (see ``default_key``)."""
        return self.private.default.engine

    def account_engine(self, api_key: str) -> MatchingEngine:
        """The paper engine of ``api_key``'s account (made on first use, as a request would)."""
        return self.private.account(api_key).engine

    @property
    def dcp(self) -> DeadCancel:
        """The default key's dead-cancel-all switch (``.setting``, ``.fired``, ``.fire()``)."""
        return self.private.dcp(self.private.default_key)

    # -- counters --------------------------------------------------------------------

    @property
    def connection_stats(self) -> list[ConnectionStats]:
        """Counters of every push connection accepted so far (closed ones too), oldest first."""
        return list(self.gateway.stats)

    @property
    def max_window_messages(self) -> int:
        """The most client messages any connection had admitted within one rate window."""
        return max((s.max_window for s in self.gateway.stats), default=0)

    @property
    def refusals(self) -> int:
        """509 refusals over all connections: rate-limited messages and refused subscribes."""
        return sum(s.refusals for s in self.gateway.stats)
