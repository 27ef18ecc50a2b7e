"""Kraken's one-shot calls (:class:`~tickwire.core.fetcher.Fetcher`) over its REST API.

====================  ====================================  ==============================
call                  Kraken                                note
====================  ====================================  ==============================
``fetch_time``        ``Time``                              whole seconds; offset from the
                                                            round trip's middle
``fetch_trades``      ``Trades`` (``count`` ≤ 1000)          oldest first
``fetch_candles``     ``OHLC`` (``interval`` in minutes)    ≤ 720 rows a call, paged with
                                                            ``since``
``fetch_book``        ``Depth`` (``count`` ≤ 500)            a snapshot ``OrderBook``
``fetch_balances``    ``BalanceEx``                         ``hold_trade`` → ``hold``
``fetch_open_orders`` ``OpenOrders``                        oldest first
``fetch_order``       ``QueryOrders`` (order id);           ``UnknownOrder`` when absent
                      ``OpenOrders``/``ClosedOrders``
                      filtered by ``cl_ord_id`` (client id)
``fetch_fills``       ``TradesHistory`` (50 a page, ``ofs``)  oldest first
====================  ====================================  ==============================

REST spells assets and pairs the old way (``XXBT``, ``XBTUSD``, ``XXBTZUSD``); the first
call that needs names loads ``Assets`` and ``AssetPairs`` once and every result is
normalized to the WebSocket v2 spelling the events use (``BTC``, ``BTC/USD``). Kraken
keeps only the latest 720 candles of each interval ("older data cannot be retrieved,
regardless of the value of since"): a range reaching further back yields what is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from time import time_ns
from typing import TypeVar

import msgspec

from tickwire.adapters.kraken.parse import VENUE
from tickwire.adapters.kraken.parse_rest import (
    NS,
    SIDES,
    RestNames,
    by_pair,
    decode,
    ns,
    only_entry,
    to_candle,
    to_fill,
    to_order_update,
)
from tickwire.adapters.kraken.rest import KrakenRest
from tickwire.adapters.kraken.schemas_rest import (
    AssetInfo,
    BalanceEx,
    ClosedOrders,
    DepthBook,
    OhlcRow,
    OpenOrders,
    OrderInfo,
    PairInfo,
    PublicTrade,
    ServerTimeResult,
    TradesHistory,
)
from tickwire.adapters.kraken.subscriptions import OHLC_MINUTES
from tickwire.core.book import OrderBook
from tickwire.core.deadline import Deadline
from tickwire.core.errors import UnknownOrder
from tickwire.core.fetcher import Fetcher, ServerTime
from tickwire.core.positions import Fill
from tickwire.core.types import Balance, Candle, OrderUpdate, Trade

__all__ = ["OHLC_MAX", "KrakenFetcher"]

T = TypeVar("T")

OHLC_MAX = 720
"""Rows an ``OHLC`` answer holds at most."""
_TRADES_MAX = 1000
_DEPTH_MAX = 500
_HISTORY_PAGE = 50  # TradesHistory and ClosedOrders answer 50 rows a page


class KrakenFetcher(Fetcher):
    """The one-shot calls over :class:`~tickwire.adapters.kraken.rest.KrakenRest`
    (see the module)."""

    venue = VENUE

    def __init__(self, calls: KrakenRest) -> None:
        self.calls = calls
        self._names: RestNames | None = None
        self._names_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"KrakenFetcher({self.calls!r})"

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.calls.aclose()

    @staticmethod
    async def _within(what: str, timeout: float, work: Awaitable[T]) -> T:
        """``work`` within one budget, however many pages and quota waits it takes."""
        return await Deadline(timeout, f"kraken {what}").run(work)

    async def names(self) -> RestNames:
        """The REST names (loaded once, on first use)."""
        async with self._names_lock:
            if self._names is None:
                assets = await self.calls.public("Assets", {})
                pairs = await self.calls.public("AssetPairs", {})
                self._names = RestNames(
                    decode(assets, dict[str, AssetInfo], "Assets"),
                    decode(pairs, dict[str, PairInfo], "AssetPairs"),
                )
            return self._names

    # --- public ---------------------------------------------------------------------

    async def fetch_time(self, *, timeout: float) -> ServerTime:
        """``Time``: the venue's clock (whole seconds) and our offset from it."""
        return await self._within("fetch_time", timeout, self._time())

    async def _time(self) -> ServerTime:
        before = time_ns()
        raw = await self.calls.public("Time", {})
        after = time_ns()
        result = decode(raw, ServerTimeResult, "Time")
        return ServerTime(
            venue=VENUE,
            server=result.unixtime * NS,
            local=(before + after) // 2,
            round_trip=after - before,
        )

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        """``Trades``: the latest ``limit`` (≤ 1000) public trades, oldest first."""
        return await self._within("fetch_trades", timeout, self._trades(symbol, limit))

    async def _trades(self, symbol: str, limit: int) -> list[Trade]:
        names = await self.names()
        count = min(limit, _TRADES_MAX)
        raw = await self.calls.public("Trades", {"pair": names.pair(symbol), "count": count})
        received = self.calls.last_received
        rows = decode(by_pair(raw, "Trades"), list[PublicTrade], "Trades")
        trades = [
            Trade(
                venue=VENUE,
                symbol=symbol,
                trade_id=str(row.trade_id),
                price=row.price,
                size=row.volume,
                side=SIDES[row.side],
                ts=ns(row.time),
                received=received,
            )
            for row in rows
        ]
        return trades[-limit:]

    async def fetch_candles(
        self, symbol: str, interval: int, start: int | None, end: int | None, *, timeout: float
    ) -> list[Candle]:
        """``OHLC``: candles of ``interval`` seconds in ``[start, end]``, oldest first.

        ``interval`` must be one Kraken offers (1, 5, 15, 30, 60, 240, 1440, 10080 or
        21600 minutes), else :class:`ValueError`. The last candle may be the running one.
        """
        minutes, extra = divmod(interval, 60)
        if extra or minutes not in OHLC_MINUTES:
            offered = ", ".join(str(m * 60) for m in sorted(OHLC_MINUTES))
            raise ValueError(f"kraken has no {interval} s candles; it has {offered} (seconds)")
        work = self._candles(symbol, interval, start, end)
        return await self._within("fetch_candles", timeout, work)

    async def _candles(
        self, symbol: str, interval: int, start: int | None, end: int | None
    ) -> list[Candle]:
        names = await self.names()
        params: dict[str, object] = {"pair": names.pair(symbol), "interval": interval // 60}
        # ``since`` is exclusive: ask from just before the bucket holding ``start``.
        since = None if start is None else start // NS // interval * interval - 1
        found: dict[int, Candle] = {}
        while True:
            if since is not None:
                params["since"] = since
            raw = await self.calls.public("OHLC", params)
            received = self.calls.last_received
            page = decode(raw, dict[str, msgspec.Raw], "OHLC")
            last = decode(page.pop("last", msgspec.Raw(b"0")), int, "OHLC last")
            rows = decode(only_entry(page, "OHLC"), list[OhlcRow], "OHLC")
            for row in rows:
                candle = to_candle(symbol, interval, row, received)
                if (start is None or candle.start + interval * NS > start) and (
                    end is None or candle.start <= end
                ):
                    found[candle.start] = candle  # the running bar: the later copy wins
            newest = rows[-1].time * NS if rows else 0
            # Another page only if this one was full, stopped short of ``end`` and the
            # cursor moved on (a venue repeating itself must not loop us).
            if len(rows) < OHLC_MAX or (end is not None and newest > end):
                break
            if since is not None and last <= since:
                break
            since = last
        return [found[key] for key in sorted(found)]

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """``Depth``: a snapshot of the top ``depth`` (≤ 500; default 100) levels."""
        if depth is not None and not 1 <= depth <= _DEPTH_MAX:
            raise ValueError(f"kraken: depth must be 1 to {_DEPTH_MAX}, got {depth}")
        return await self._within("fetch_book", timeout, self._book(symbol, depth))

    async def _book(self, symbol: str, depth: int | None) -> OrderBook:
        names = await self.names()
        count = depth or 100
        raw = await self.calls.public("Depth", {"pair": names.pair(symbol), "count": count})
        entry = decode(by_pair(raw, "Depth"), DepthBook, "Depth")
        book = OrderBook(VENUE, symbol, depth=depth)
        stamps = [row.timestamp for row in (*entry.bids, *entry.asks)]
        book.apply_snapshot(
            ((row.price, row.volume) for row in entry.bids),
            ((row.price, row.volume) for row in entry.asks),
            ts=max(stamps, default=0) * NS,
        )
        return book

    # --- private --------------------------------------------------------------------

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """``BalanceEx``: every asset's total, what open orders hold, what is free."""
        return await self._within("fetch_balances", timeout, self._balances())

    async def _balances(self) -> dict[str, Balance]:
        names = await self.names()
        raw = await self.calls.private("BalanceEx", {})
        received = self.calls.last_received
        rows = decode(raw, dict[str, BalanceEx], "BalanceEx")
        balances = {}
        for code, row in rows.items():
            asset = names.asset(code)
            balances[asset] = Balance(
                venue=VENUE,
                asset=asset,
                total=row.balance,
                available=row.balance - row.hold_trade,
                hold=row.hold_trade,
                ts=received,
                received=received,
            )
        return balances

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """``OpenOrders``: the account's open orders (of ``symbol``), oldest first."""
        return await self._within("fetch_open_orders", timeout, self._open_orders(symbol))

    async def _open_orders(self, symbol: str | None, **filters: str) -> list[OrderUpdate]:
        names = await self.names()
        raw = await self.calls.private("OpenOrders", filters)
        orders = decode(raw, OpenOrders, "OpenOrders").open
        updates = self._updates(names, orders.items(), self.calls.last_received)
        return [u for u in updates if symbol is None or u.symbol == symbol]

    def _updates(
        self, names: RestNames, orders: Iterable[tuple[str, OrderInfo]], received: int
    ) -> list[OrderUpdate]:
        updates = [to_order_update(names, txid, info, received) for txid, info in orders]
        return sorted(updates, key=lambda u: u.ts)

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order by txid (``QueryOrders``) or by ``cl_ord_id`` (open orders first,
        then closed ones); :class:`UnknownOrder` when Kraken has none."""
        return await self._within("fetch_order", timeout, self._order(order_id, client_id))

    async def _order(self, order_id: str | None, client_id: str | None) -> OrderUpdate:
        names = await self.names()
        if order_id is not None:
            # An unknown txid is refused with EOrder:Invalid order (UnknownOrder).
            raw = await self.calls.private("QueryOrders", {"txid": order_id})
            found = decode(raw, dict[str, OrderInfo], "QueryOrders")
            updates = self._updates(names, found.items(), self.calls.last_received)
        else:
            assert client_id is not None  # FetchMethods checks that one id is given
            updates = await self._open_orders(None, cl_ord_id=client_id)
            if not updates:
                raw = await self.calls.private("ClosedOrders", {"cl_ord_id": client_id})
                closed = decode(raw, ClosedOrders, "ClosedOrders").closed
                updates = self._updates(names, closed.items(), self.calls.last_received)
            # Filter here too: a venue ignoring the filter must not hand us another order.
            updates = [u for u in updates if u.client_id == client_id]
        if not updates:
            ident = f"order id {order_id}" if order_id is not None else f"client id {client_id}"
            raise UnknownOrder(VENUE, "EOrder:Unknown order", f"kraken: no order with {ident}")
        return updates[-1]

    async def fetch_fills(
        self, symbol: str | None, since: int | None, *, timeout: float
    ) -> list[Fill]:
        """``TradesHistory``, every page (50 a page, by ``ofs``): our executions (of
        ``symbol``, from ``since`` ns), oldest first."""
        return await self._within("fetch_fills", timeout, self._fills(symbol, since))

    async def _fills(self, symbol: str | None, since: int | None) -> list[Fill]:
        names = await self.names()
        params: dict[str, object] = {}
        if since is not None:
            params["start"] = since // NS - 1  # exclusive, whole seconds: filtered below
        seen: dict[str, Fill] = {}
        while True:
            raw = await self.calls.private("TradesHistory", {**params, "ofs": len(seen)})
            page = decode(raw, TradesHistory, "TradesHistory")
            fresh = [txid for txid in page.trades if txid not in seen]
            for txid in fresh:
                seen[txid] = to_fill(names, page.trades[txid])
            # Stop at the end, and when a page brings nothing new (a venue ignoring ofs).
            if not fresh or len(seen) >= page.count or len(page.trades) < _HISTORY_PAGE:
                break
        fills = [
            f
            for f in seen.values()
            if (symbol is None or f.symbol == symbol) and (since is None or f.ts >= since)
        ]
        return sorted(fills, key=lambda f: f.ts)
