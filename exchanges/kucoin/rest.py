"""The public REST endpoints a market-data client needs (reference §2, §3, §7, §11, §12).

More public market data (currencies, level1, tickers, trades, candles) is in
:mod:`.marketrest`, mounted here too, under the same envelope and quota.

| route | weight | notes |
|---|---|---|
| ``POST /api/v1/bullet-public`` | 10 | token + one instance server (the push socket) |
| ``GET /api/v1/timestamp`` | 3 | server time, ms |
| ``GET /api/v2/symbols[?market=]``, ``/api/v2/symbols/{symbol}`` | 4 | instruments |
| ``GET /api/v1/market/orderbook/level2_20`` / ``level2_100`` | 2 | public top-N book |
| ``GET /api/v3/market/orderbook/level2`` | 3 | full book, signed (:mod:`.auth`) |

Every body is the ``{"code": "200000", "data": ...}`` envelope, errors
``{"code": "<6 digits>", "msg": ...}``. Business errors (unknown symbol ``900001``,
parameter error ``400100``) answer HTTP 200, as the venue does for many business
errors; clients must check ``code``. Every response carries the ``gw-ratelimit-*``
headers of a weighted pool per 30 s (public: per IP; signed: per API key); an exhausted
pool, or a ``rate_limit_next("request")`` shot, answers HTTP 429 ``429000 Too Many Requests``.
Unknown paths answer HTTP 404 ``404000``.

Book snapshots are read synchronously between two market steps, so ``sequence`` is the
sequence of the last increment already published and the levels are the true book there.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from tickwire.exchanges.base.faults import RATE_LIMIT, FaultPlan
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.auth import verify
from tickwire.exchanges.kucoin.feed import Feed
from tickwire.exchanges.kucoin.limits import RestQuota
from tickwire.exchanges.kucoin.marketrest import MarketRoutes
from tickwire.exchanges.kucoin.tokens import TokenStore

__all__ = ["RestApi"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_WEIGHTS = {
    "/api/v1/bullet-public": 10,
    "/api/v1/timestamp": 3,
    "/api/v1/market/orderbook/level2_20": 2,
    "/api/v1/market/orderbook/level2_100": 2,
    "/api/v3/market/orderbook/level2": 3,
    "/api/v1/bullet-private": 10,
    "/api/v3/currencies": 3,
    "/api/v1/market/orderbook/level1": 2,
    "/api/v1/market/allTickers": 15,
    "/api/v1/market/stats": 15,
    "/api/v1/market/histories": 3,
    "/api/v1/market/candles": 3,
}
_SYMBOLS_WEIGHT = 4
_SYMBOLS_PATHS = ("/api/v2/symbols", "/api/v1/symbols")
_SIGNED = frozenset({"/api/v3/market/orderbook/level2"})
# The private side's routes (:mod:`.privside`) also spend from the key's pool.
_SIGNED_PREFIXES = (
    "/api/v1/hf/",
    "/api/v1/bullet-private",
    "/api/v1/accounts",
    "/api/ua/",
    "/api/v3/margin/",
    "/api/v1/isolated/",
)


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")


def _error(status: int, code: str, msg: str) -> web.Response:
    return _json(frames.rest_error(code, msg), status)


class RestApi:
    """The REST side of one emulator; :meth:`add_routes` mounts it on an application."""

    def __init__(
        self,
        feed: Feed,
        tokens: TokenStore,
        ws_endpoint: Callable[[], str],
        *,
        ping_interval_ms: int,
        ping_timeout_ms: int,
        quota: int | None = 2000,
        api_keys: Mapping[str, tuple[str, str]] | None = None,
        skip_paths: frozenset[str] = frozenset(),
        faults: FaultPlan | None = None,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.feed = feed
        self.tokens = tokens
        self.ws_endpoint = ws_endpoint
        self.ping_interval_ms = ping_interval_ms
        self.ping_timeout_ms = ping_timeout_ms
        self.quota = RestQuota(quota) if quota is not None else None
        self.api_keys = api_keys
        self.skip_paths = skip_paths
        self.faults = faults if faults is not None else FaultPlan()
        """Where ``rate_limit_next("request")`` shots are taken from."""
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        """The venue's clock (milliseconds): the server time and the signature window."""
        self.requests = 0
        """REST requests served (including refused ones)."""

    def add_routes(self, app: web.Application) -> None:
        """Mount the endpoints and the envelope middleware on ``app``."""
        app.middlewares.append(self._middleware)
        r = app.router
        r.add_post("/api/v1/bullet-public", self.bullet_public)
        r.add_get("/api/v1/timestamp", self.timestamp)
        r.add_get("/api/v2/symbols", self.symbols)
        r.add_get("/api/v2/symbols/{symbol}", self.symbol)
        r.add_get("/api/v1/market/orderbook/level2_20", self.part_book)
        r.add_get("/api/v1/market/orderbook/level2_100", self.part_book)
        r.add_get("/api/v3/market/orderbook/level2", self.full_book)
        MarketRoutes(self.feed).add_routes(app)

    # -- middleware: quota, injected 429, venue-shaped 404 ---------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path in self.skip_paths:
            return await handler(request)
        self.requests += 1
        headers: dict[str, str] = {}
        if self.faults.take(RATE_LIMIT, "request"):
            return _error(429, "429000", "Too Many Requests")
        if self.quota is not None:
            weight = _WEIGHTS.get(path, _SYMBOLS_WEIGHT if path.startswith(_SYMBOLS_PATHS) else 1)
            signed = path in _SIGNED or path.startswith(_SIGNED_PREFIXES)
            pool = f"key:{request.headers.get('KC-API-KEY', '')}" if signed else "public"
            allowed, remaining, reset_ms = self.quota.spend(pool, weight, time.monotonic())
            headers = {
                "gw-ratelimit-limit": str(self.quota.limit),
                "gw-ratelimit-remaining": str(remaining),
                "gw-ratelimit-reset": str(reset_ms),
            }
            if not allowed:
                refused = _error(429, "429000", "Too Many Requests")
                refused.headers.update(headers)
                return refused
        response: web.StreamResponse
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = _error(404, "404000", "Url Not Found")
        except web.HTTPMethodNotAllowed:
            response = _error(405, "405000", "Method Not Allowed")
        response.headers.update(headers)
        return response

    # -- endpoints -------------------------------------------------------------------

    async def bullet_public(self, request: web.Request) -> web.Response:
        """A fresh token and the push socket's address."""
        body = frames.bullet_body(
            self.tokens.issue(), self.ws_endpoint(), self.ping_interval_ms, self.ping_timeout_ms
        )
        return _json(body)

    async def timestamp(self, request: web.Request) -> web.Response:
        """Server time in milliseconds."""
        return _json(frames.ok(self.now_ms()))

    async def symbols(self, request: web.Request) -> web.Response:
        """Every symbol, or those of one ``market``."""
        market = request.query.get("market")
        rows = [
            frames.symbol_row(s)
            for s in self.feed.symbols.values()
            if market is None or s.market == market
        ]
        return _json(frames.ok(rows))

    async def symbol(self, request: web.Request) -> web.Response:
        """One symbol's entry."""
        sym = self.feed.symbols.get(request.match_info["symbol"])
        if sym is None:
            return _error(200, "900001", "symbol not exists")
        return _json(frames.ok(frames.symbol_row(sym)))

    def _book(self, request: web.Request, depth: int | None) -> web.Response:
        name = request.query.get("symbol")
        if not name:
            return _error(200, "400100", "symbol parameter is required")
        sym = self.feed.symbols.get(name)
        if sym is None:
            return _error(200, "900001", "symbol not exists")
        bids, asks = self.feed.market.book(sym.spec.symbol, depth)
        seq = self.feed.sequences[name]
        return _json(frames.book_body(seq, time.time_ns() // 1_000_000, bids, asks))

    async def part_book(self, request: web.Request) -> web.Response:
        """``level2_20`` / ``level2_100``: the top of the book, public."""
        depth = 20 if request.path.endswith("_20") else 100
        return self._book(request, depth)

    async def full_book(self, request: web.Request) -> web.Response:
        """The full book; signed (only header presence is checked without ``api_keys``)."""
        body = await request.read()
        failure = verify(
            request.headers,
            request.method,
            request.raw_path,
            body,
            self.api_keys,
            self.now_ms(),
        )
        if failure is not None:
            return _error(failure.status, failure.code, failure.msg)
        return self._book(request, None)
