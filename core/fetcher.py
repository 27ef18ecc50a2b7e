"""One-shot calls: what a strategy asks the venue for, instead of waiting for a push.

Balances, open orders, one order's state, recent public trades, candle history, a book
snapshot, the venue's clock and our fill history — typed and normalized like the events
(the same :class:`~tickwire.core.types.Balance`, :class:`~tickwire.core.types.OrderUpdate`,
:class:`~tickwire.core.types.Trade`, :class:`~tickwire.core.types.Candle`,
:class:`~tickwire.core.book.OrderBook`). An adapter builds a :class:`Fetcher` subclass
over its REST client (rate-limited by the venue's REST quotas through core's limiter,
errors mapped through the venue's :class:`~tickwire.core.rest.ErrorTable`) and assigns it
to ``client._fetcher``; :class:`~tickwire.core.client.BaseClient` hands each
``fetch_*`` call to it. Calls a venue lacks raise
:class:`~tickwire.core.errors.NotSupported`; private ones need credentials.
"""

from __future__ import annotations

import msgspec

from tickwire.core.book import OrderBook
from tickwire.core.errors import NotSupported
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderUpdate, Trade

__all__ = ["Fetcher", "ServerTime"]


class ServerTime(msgspec.Struct, frozen=True, kw_only=True):
    """The venue's clock, and how far ours is from it.

    ``offset`` is ``server - local`` in ns, where ``local`` is our clock at the middle of
    the request's round trip; a venue that refuses requests signed too far from its clock
    (KuCoin: 5 s) is signed with ``local time + offset``.
    """

    venue: str
    server: int
    local: int
    round_trip: int

    @property
    def offset(self) -> int:
        """``server - local`` (ns): add it to the local clock to get the venue's."""
        return self.server - self.local


class Fetcher:
    """A venue's one-shot calls (see the module); each raises NotSupported by default."""

    venue = ""
    """The venue's name, for the errors of calls it does not support."""

    async def aclose(self) -> None:
        """Release what the calls hold (an HTTP client); the client calls it on close."""

    def _unsupported(self, call: str) -> NotSupported:
        return NotSupported(f"{self.venue or 'this venue'}: {call} is not supported")

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """Every asset's balance, by asset (private)."""
        raise self._unsupported("fetch_balances")

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """The account's open orders (of ``symbol``), oldest first (private)."""
        raise self._unsupported("fetch_open_orders")

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order's state, open or closed, by venue id or client id (private).

        :class:`~tickwire.core.errors.UnknownOrder` when the venue has no such order.
        """
        raise self._unsupported("fetch_order")

    async def fetch_fills(
        self, symbol: str | None, since: int | None, *, timeout: float
    ) -> list[Fill]:
        """The account's executions (of ``symbol``, from ``since`` ns), oldest first."""
        raise self._unsupported("fetch_fills")

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        """The latest public trades of ``symbol`` (at most ``limit``), oldest first."""
        raise self._unsupported("fetch_trades")

    async def fetch_candles(
        self, symbol: str, interval: int, start: int | None, end: int | None, *, timeout: float
    ) -> list[Candle]:
        """Candles of ``interval`` seconds from ``start`` to ``end`` (ns), oldest first,
        paged within the venue's limits."""
        raise self._unsupported("fetch_candles")

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """A snapshot of ``symbol``'s book (its top ``depth`` levels), not kept live."""
        raise self._unsupported("fetch_book")

    async def fetch_time(self, *, timeout: float) -> ServerTime:
        """The venue's clock and our offset from it."""
        raise self._unsupported("fetch_time")
