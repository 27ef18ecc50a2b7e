"""KuCoin's one-shot calls: the :class:`~tickwire.core.fetcher.Fetcher` of
:class:`~tickwire.adapters.kucoin.client.KucoinClient`.

======================  ==================================================================
``fetch_balances``      ``GET /api/v1/accounts``: ``trade`` + ``trade_hf`` summed per asset
``fetch_open_orders``   ``GET /api/v1/hf/orders/active`` (every symbol: those listed by
                        ``/active/symbols``), oldest first
``fetch_order``         ``GET /api/v1/hf/orders/{orderId}`` or ``/client-order/{clientOid}``
                        (``symbol`` required: HF orders are kept per symbol)
``fetch_fills``         ``GET /api/v1/hf/fills``, paged by ``lastId`` (``symbol`` required)
``fetch_trades``        ``GET /api/v1/market/histories`` (the latest 100 at most)
``fetch_candles``       ``GET /api/v1/market/candles``: at most 1500 per call, so the span is
                        split into windows of 1500 bars, asked oldest first
``fetch_book``          ``level2_20`` / ``level2_100``; deeper (or ``depth=None``) the full
                        signed ``/api/v3`` book when credentials are set (else top 100)
``fetch_time``          ``GET /api/v1/timestamp``, timed: also sets the signing offset
======================  ==================================================================

Every call spends KuCoin's weights from the pool KuCoin charges it to (per 30 s, VIP 0:
Public 2000 per IP, Spot 4000 and Management 2000 per account) through core's
:class:`~tickwire.core.ratelimit.RateLimiter`, so the fetcher waits before the venue has
to refuse (the order calls and book syncs spend from the same pools on the venue, so
this keeps only the fetcher's share inside them). Errors come from the adapter's one
table (:mod:`.errors`; ``400100`` with an absent order → ``UnknownOrder``); a refused
timestamp (``400002``) is re-measured and retried once (:meth:`~.rest.KucoinRest.signed`);
nothing else is retried here: the caller decides.
"""

from __future__ import annotations

from collections.abc import Awaitable
from time import time_ns
from typing import Literal

import msgspec

from tickwire.adapters.kucoin import parse_private
from tickwire.adapters.kucoin import trade_schemas as wire
from tickwire.adapters.kucoin.parse import CANDLE_TYPES, VENUE, to_native
from tickwire.adapters.kucoin.rest import KucoinRest, open_orders, order_detail
from tickwire.core.book import OrderBook
from tickwire.core.config import Credentials
from tickwire.core.errors import ConfigError, UnknownOrder
from tickwire.core.fetcher import Fetcher, ServerTime, check_interval, window_candles
from tickwire.core.positions import Fill
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.rest import decode
from tickwire.core.types import Balance, Candle, OrderUpdate, Trade

__all__ = ["MANAGEMENT", "MAX_CANDLES", "PUBLIC", "QUOTAS", "SPOT", "KucoinFetcher"]

MAX_CANDLES = 1500
"""Bars per ``/market/candles`` reply (KuCoin's limit)."""
FILLS_PAGE = 100
"""Fills per ``/hf/fills`` page (KuCoin's maximum)."""

PUBLIC, SPOT, MANAGEMENT = "kucoin:public", "kucoin:spot", "kucoin:management"
QUOTAS = {PUBLIC: Quota(2000, 30.0), SPOT: Quota(4000, 30.0), MANAGEMENT: Quota(2000, 30.0)}
"""KuCoin's REST resource pools (VIP 0), weights per 30 s."""


class KucoinFetcher(Fetcher):
    """The one-shot calls over ``rest``; the private ones sign with ``credentials``.

    ``limiter`` holds the :data:`QUOTAS` keys (default: a limiter of its own with them).
    """

    venue = VENUE

    def __init__(
        self,
        rest: KucoinRest,
        credentials: Credentials | None,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(rest)
        self._rest = rest
        self._credentials = credentials
        self._limiter = limiter if limiter is not None else RateLimiter(QUOTAS)

    async def _get(
        self,
        pool: str,
        weight: int,
        path: str,
        params: dict[str, str] | None = None,
        *,
        signed: bool = False,
    ) -> msgspec.Raw:
        """One GET, after ``weight`` was taken from ``pool``."""
        if signed and self._credentials is None:
            raise ConfigError(f"kucoin: GET {path} needs credentials")
        await self._limiter.acquire(pool, cost=weight)
        credentials = self._credentials if signed else None
        return await self._rest.signed(credentials, "GET", path, params=params)

    def _account_get(self, path: str, params: dict[str, str]) -> Awaitable[msgspec.Raw]:
        """A signed order lookup (Spot pool, weight 2), for :mod:`.rest`'s order calls."""
        return self._get(SPOT, 2, path, params, signed=True)

    # --- account ------------------------------------------------------------------------

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """Every asset's spot balance (``trade`` + ``trade_hf``), by asset."""
        path = "/api/v1/accounts"
        raw = await self._get(MANAGEMENT, 5, path, signed=True)
        return parse_private.to_balances(decode(VENUE, raw, list[wire.AccountRow], path), time_ns())

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """Open orders of ``symbol`` (every symbol when None), oldest first."""
        details = await open_orders(
            self._account_get, None if symbol is None else to_native(symbol)
        )
        received = time_ns()
        details.sort(key=lambda d: d.created_at or 0)
        return [parse_private.order_from(detail, received) for detail in details]

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order, open or closed; ``UnknownOrder`` when KuCoin has none."""
        if symbol is None:
            raise ValueError("kucoin: fetch_order needs the symbol (HF orders are per symbol)")
        detail = await order_detail(self._account_get, to_native(symbol), order_id, client_id)
        if detail is None:  # an empty data: absent, as KuCoin answers some lookups
            raise UnknownOrder(VENUE, "order_not_exist", f"no order {client_id or order_id}")
        return parse_private.order_from(detail, time_ns())

    async def fetch_fills(
        self, symbol: str | None, since: int | None, *, timeout: float
    ) -> list[Fill]:
        """Our executions of ``symbol`` from ``since`` (ns), oldest first, every page."""
        if symbol is None:
            raise ValueError("kucoin: fetch_fills needs a symbol (HF fills are per symbol)")
        path = "/api/v1/hf/fills"
        params = {"symbol": to_native(symbol), "limit": str(FILLS_PAGE)}
        fills: list[Fill] = []
        while True:  # newest first: page back until the page is short or older than since
            raw = await self._get(SPOT, 2, path, params, signed=True)
            page = decode(VENUE, raw, wire.FillsPage, path)
            for row in page.items:
                fill = parse_private.fill_from(row)
                if since is not None and fill.ts < since:
                    return fills[::-1]
                fills.append(fill)
            if len(page.items) < FILLS_PAGE or not page.last_id:
                return fills[::-1]
            params["lastId"] = str(page.last_id)

    # --- market -------------------------------------------------------------------------

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        """The latest public trades of ``symbol`` (at most ``limit``, KuCoin keeps 100)."""
        native = to_native(symbol)
        path = "/api/v1/market/histories"
        raw = await self._get(PUBLIC, 3, path, {"symbol": native})
        received = time_ns()
        trades = [
            parse_private.trade_from(native, r, received)
            for r in decode(VENUE, raw, list[wire.HistoryTrade], path)
        ]
        trades.sort(key=lambda trade: trade.ts)  # stable: the venue's order within a ns
        return trades[-limit:]

    async def fetch_candles(
        self, symbol: str, interval: int, start: int | None, end: int | None, *, timeout: float
    ) -> list[Candle]:
        """Bars of ``interval`` seconds beginning in ``[start, end)`` (ns), oldest first.

        Without ``start``: the latest 1500 bars before ``end`` (or now). A span of more
        than 1500 bars is asked window by window (1500 bars each, oldest first), so a
        long history costs one call per 1500 bars and nothing is missed where KuCoin
        omits bars without trades.
        """
        check_interval(VENUE, interval, CANDLE_TYPES)
        native, path = to_native(symbol), "/api/v1/market/candles"

        async def window(since: int | None, until: int | None) -> list[Candle]:
            params = {"symbol": native, "type": CANDLE_TYPES[interval]}
            bounds = (("startAt", since), ("endAt", until))
            params |= {key: str(value) for key, value in bounds if value is not None}
            raw = await self._get(PUBLIC, 3, path, params)
            received = time_ns()
            rows = decode(VENUE, raw, list[wire.CandleRow], path)
            return [parse_private.candle_from(native, row, interval, received) for row in rows]

        now = time_ns() + self._rest.clock_offset_ms * 1_000_000  # the venue's clock
        return await window_candles(window, interval, start, end, max_bars=MAX_CANDLES, now=now)

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """A snapshot of ``symbol``'s book: top 20 or 100 publicly, deeper signed."""
        if depth is not None and depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        full = (depth is None or depth > 100) and self._credentials is not None
        if depth is not None and depth > 100 and not full:
            raise ConfigError(f"kucoin: a book deeper than 100 levels needs credentials ({depth})")
        pool, weight = (SPOT, 3) if full else (PUBLIC, 2)
        await self._limiter.acquire(pool, cost=weight)
        # The signed full book, or the public top 20 or 100 (all KuCoin serves unsigned).
        top: Literal[20, 100] | None = 20 if depth is not None and depth <= 20 else 100
        snapshot = await self._rest.level2_snapshot(
            to_native(symbol), None if full else top, self._credentials
        )
        return parse_private.to_book(symbol, snapshot, depth)

    async def fetch_time(self, *, timeout: float) -> ServerTime:
        """The venue's clock against ours; also the offset every signature uses from now."""
        await self._limiter.acquire(PUBLIC, cost=3)
        return await self._rest.measure_clock()
