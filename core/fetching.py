"""The ``fetch_*`` methods of :class:`~tickwire.core.client.BaseClient`.

Each hands the call to the adapter's :class:`~tickwire.core.fetcher.Fetcher`
(``client._fetcher``), with the client's request timeout unless one is given.
"""

from __future__ import annotations

from typing import ClassVar

from tickwire.core.book import OrderBook
from tickwire.core.config import ClientConfig
from tickwire.core.errors import NotSupported
from tickwire.core.fetcher import Fetcher, ServerTime
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderUpdate, Trade

__all__ = ["FetchMethods"]


class FetchMethods:
    """One-shot calls of a client: balances, orders, fills, trades, candles, book, time."""

    config: ClientConfig
    venue: ClassVar[str]
    _fetcher: Fetcher | None

    def _active_fetcher(self) -> Fetcher:
        if self._fetcher is None:
            raise NotSupported(f"{self.venue}: one-shot calls are not supported by this adapter")
        return self._fetcher

    def _timeout(self, timeout: float | None) -> float:
        return self.config.request_timeout if timeout is None else timeout

    async def fetch_balances(self, *, timeout: float | None = None) -> dict[str, Balance]:
        """Every asset's balance, by asset (needs credentials)."""
        return await self._active_fetcher().fetch_balances(timeout=self._timeout(timeout))

    async def fetch_open_orders(
        self, symbol: str | None = None, *, timeout: float | None = None
    ) -> list[OrderUpdate]:
        """The account's open orders (of ``symbol``), oldest first (needs credentials)."""
        fetcher = self._active_fetcher()
        return await fetcher.fetch_open_orders(symbol, timeout=self._timeout(timeout))

    async def fetch_order(
        self,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        symbol: str | None = None,
        timeout: float | None = None,
    ) -> OrderUpdate:
        """One order's state by venue id or client id (exactly one of them)."""
        if (order_id is None) == (client_id is None):
            raise ValueError("give exactly one of order_id and client_id")
        return await self._active_fetcher().fetch_order(
            order_id=order_id, client_id=client_id, symbol=symbol, timeout=self._timeout(timeout)
        )

    async def fetch_fills(
        self, symbol: str | None = None, *, since: int | None = None, timeout: float | None = None
    ) -> list[Fill]:
        """The account's executions (of ``symbol``, from ``since`` ns), oldest first: what
        a :class:`~tickwire.core.positions.PositionTracker` is seeded with."""
        fetcher = self._active_fetcher()
        return await fetcher.fetch_fills(symbol, since, timeout=self._timeout(timeout))

    async def fetch_trades(
        self, symbol: str, limit: int = 100, *, timeout: float | None = None
    ) -> list[Trade]:
        """The latest public trades of ``symbol``, oldest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        fetcher = self._active_fetcher()
        return await fetcher.fetch_trades(symbol, limit, timeout=self._timeout(timeout))

    async def fetch_candles(
        self,
        symbol: str,
        interval: int,
        start: int | None = None,
        end: int | None = None,
        *,
        timeout: float | None = None,
    ) -> list[Candle]:
        """Candles of ``interval`` seconds between ``start`` and ``end`` (ns since the
        epoch), oldest first, paged transparently within the venue's limits."""
        if start is not None and end is not None and start > end:
            raise ValueError("start is after end")
        return await self._active_fetcher().fetch_candles(
            symbol, interval, start, end, timeout=self._timeout(timeout)
        )

    async def fetch_book(
        self, symbol: str, depth: int | None = None, *, timeout: float | None = None
    ) -> OrderBook:
        """A snapshot of ``symbol``'s book (top ``depth`` levels); not kept live."""
        fetcher = self._active_fetcher()
        return await fetcher.fetch_book(symbol, depth, timeout=self._timeout(timeout))

    async def fetch_time(self, *, timeout: float | None = None) -> ServerTime:
        """The venue's clock and our offset from it (``ServerTime.offset``)."""
        return await self._active_fetcher().fetch_time(timeout=self._timeout(timeout))
