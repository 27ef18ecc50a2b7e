"""Kraken's one-shot calls (:class:`~tickwire.core.fetcher.Fetcher`) over its REST API.

Which REST method serves each call, its limits, and how REST's old names (``XXBT``,
``XXBTZUSD``, loaded once by :meth:`KrakenFetcher.load_names`) become the events' are in
``docs/venues/kraken.md`` (account and orders). Times are seconds, as ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

import msgspec

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken import schemas_rest as wire
from tickwire.adapters.kraken.parse import VENUE
from tickwire.adapters.kraken.rest import KrakenRest
from tickwire.adapters.kraken.subscriptions import OHLC_MINUTES
from tickwire.core.book import OrderBook
from tickwire.core.errors import DecodeError, UnknownOrder
from tickwire.core.fetcher import NS, Fetcher, Names, book_snapshot, check_interval, page_candles
from tickwire.core.positions import Fill
from tickwire.core.rest import decode
from tickwire.core.types import (
    Balance,
    Candle,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    Trade,
)

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
    rest: KrakenRest  # what the client builds it over (Fetcher keeps and closes it)

    async def load_names(self) -> Names:
        """``Assets`` and ``AssetPairs``: REST's names → the v2 spelling."""
        assets, _ = await self._get("Assets", {}, dict[str, wire.AssetInfo])
        pairs, _ = await self._get("AssetPairs", {}, dict[str, wire.PairInfo])
        return _names(assets, pairs)

    async def _get(
        self, method: str, params: Mapping[str, object], kind: type[T], private: bool = False
    ) -> tuple[T, int]:
        """``method``'s result as ``kind`` (signed if ``private``), and when it arrived."""
        raw = await (self.rest.private if private else self.rest.public)(method, params)
        return decode(VENUE, raw, kind, method), self.rest.last_received

    async def _for_pair(
        self, method: str, params: Mapping[str, object], kind: type[T]
    ) -> tuple[T, msgspec.Raw | None, int]:
        """A public result keyed by pair: the pair's entry, the ``last`` cursor, when."""
        page, received = await self._get(method, params, dict[str, msgspec.Raw])
        last = page.pop("last", None)
        if len(page) != 1:
            raise DecodeError(f"kraken: {method}: expected one pair, got {len(page)}")
        return decode(VENUE, next(iter(page.values())), kind, method), last, received

    # --- public ---------------------------------------------------------------------

    async def server_time(self) -> int:
        """``Time``: the venue's clock (whole seconds), for core's ``fetch_time``."""
        result, _ = await self._get("Time", {}, wire.ServerTimeResult)
        return result.unixtime * NS

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        """``Trades``: the latest ``limit`` (≤ 1000) public trades, oldest first."""
        pair = (await self.names()).native(symbol)
        count = min(limit, _TRADES_MAX)
        params = {"pair": pair, "count": count}
        rows, _, received = await self._for_pair("Trades", params, list[wire.PublicTrade])
        trades = [
            Trade(
                venue=VENUE,
                symbol=symbol,
                trade_id=str(row.trade_id),
                price=row.price,
                size=row.volume,
                side=_SIDES[row.side],
                ts=_ns(row.time),
                received=received,
            )
            for row in rows
        ]
        return trades[-limit:]

    async def fetch_candles(
        self, symbol: str, interval: int, start: int | None, end: int | None, *, timeout: float
    ) -> list[Candle]:
        """``OHLC``: candles of ``interval`` seconds in ``[start, end]``, oldest first,
        paged by ``since`` from each answer's ``last``.

        ``interval`` must be one Kraken offers (1, 5, 15, 30, 60, 240, 1440, 10080 or
        21600 minutes), else :class:`ValueError`. The last candle may be the running one.
        """
        check_interval(VENUE, interval, (m * 60 for m in OHLC_MINUTES))
        pair = (await self.names()).native(symbol)

        async def page(since: int | None) -> tuple[list[Candle], int | None]:
            params = {"pair": pair, "interval": interval // 60}
            params |= {} if since is None else {"since": since}
            rows, last, received = await self._for_pair("OHLC", params, list[wire.OhlcRow])
            # A REST row's only time is its start: ``ts`` too.
            candles = [
                parse.to_candle(symbol, interval, r.time * NS, r, r.time * NS, received)
                for r in rows
            ]
            # A short page is the newest one; without ``since`` Kraken answers its newest
            # 720, and it keeps no more.
            full = len(rows) >= OHLC_MAX and since is not None
            return candles, decode(VENUE, last or b"0", int, "OHLC last") if full else None

        # ``since`` is exclusive: ask from just before the bucket holding ``start``.
        since = None if start is None else start // NS // interval * interval - 1
        return await page_candles(page, since, interval, start, end)

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """``Depth``: a snapshot of the top ``depth`` (≤ 500; default 100) levels."""
        if depth is not None and not 1 <= depth <= _DEPTH_MAX:
            raise ValueError(f"kraken: depth must be 1 to {_DEPTH_MAX}, got {depth}")
        pair = (await self.names()).native(symbol)
        params = {"pair": pair, "count": depth or 100}
        entry, _, _ = await self._for_pair("Depth", params, wire.DepthBook)
        bids, asks = ([(r.price, r.volume) for r in side] for side in (entry.bids, entry.asks))
        stamps = [row.timestamp for row in (*entry.bids, *entry.asks)]
        return book_snapshot(VENUE, symbol, depth, bids, asks, ts=max(stamps, default=0) * NS)

    # --- private --------------------------------------------------------------------

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """``BalanceEx``: every asset's total, what open orders hold, what is free."""
        table = await self.names()
        rows, received = await self._get("BalanceEx", {}, dict[str, wire.BalanceEx], True)
        return {
            table.asset(code): Balance(
                venue=VENUE,
                asset=table.asset(code),
                total=row.balance,
                available=row.balance - row.hold_trade,
                hold=row.hold_trade,
                ts=received,
                received=received,
            )
            for code, row in rows.items()
        }

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """``OpenOrders``: the account's open orders (of ``symbol``), oldest first."""
        updates = await self._orders("OpenOrders", {})
        return [u for u in updates if symbol is None or u.symbol == symbol]

    async def _orders(self, method: str, params: dict[str, str]) -> list[OrderUpdate]:
        """``method``'s orders (``OpenOrders``, ``ClosedOrders``, ``QueryOrders``), oldest
        first."""
        table = await self.names()
        raw = await self.rest.private(method, params)
        received = self.rest.last_received
        if method == "QueryOrders":
            orders = decode(VENUE, raw, dict[str, wire.OrderInfo], method)
        elif method == "OpenOrders":
            orders = decode(VENUE, raw, wire.OpenOrders, method).open
        else:
            orders = decode(VENUE, raw, wire.ClosedOrders, method).closed
        updates = [_to_order_update(table, txid, info, received) for txid, info in orders.items()]
        return sorted(updates, key=lambda u: u.ts)

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order by txid (``QueryOrders``) or by ``cl_ord_id`` (open orders first,
        then closed ones); :class:`UnknownOrder` when Kraken has none."""
        if order_id is not None:
            # An unknown txid is refused with EOrder:Invalid order (UnknownOrder).
            updates = await self._orders("QueryOrders", {"txid": order_id})
        else:
            assert client_id is not None  # FetchMethods checks that one id is given
            query = {"cl_ord_id": client_id}
            updates = await self._orders("OpenOrders", query)
            if not updates:
                updates = await self._orders("ClosedOrders", query)
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
        table = await self.names()
        params: dict[str, object] = {}
        if since is not None:
            params["start"] = since // NS - 1  # exclusive, whole seconds: filtered below
        seen: dict[str, Fill] = {}
        while True:
            query = {**params, "ofs": len(seen)}
            page, _ = await self._get("TradesHistory", query, wire.TradesHistory, True)
            fresh = [txid for txid in page.trades if txid not in seen]
            for txid in fresh:
                seen[txid] = _to_fill(table, page.trades[txid])
            # Stop at the end, and when a page brings nothing new (a venue ignoring ofs).
            if not fresh or len(seen) >= page.count or len(page.trades) < _HISTORY_PAGE:
                break
        fills = [
            f
            for f in seen.values()
            if (symbol is None or f.symbol == symbol) and (since is None or f.ts >= since)
        ]
        return sorted(fills, key=lambda f: f.ts)


# --- REST results -> core types -----------------------------------------------------------

_ALTNAMES = {"XBT": "BTC", "XDG": "DOGE"}  # Kraken's own names → everyone else's
_SIDES = {**parse.SIDES, "b": Side.BUY, "s": Side.SELL}  # orders: buy/sell; trades: b/s
_TERMINAL = {"canceled": OrderStatus.CANCELED, "expired": OrderStatus.EXPIRED}


def _ns(seconds: Decimal | int) -> int:
    """Seconds (exact) → integer ns."""
    return int(seconds * NS)


def _names(assets: dict[str, wire.AssetInfo], pairs: dict[str, wire.PairInfo]) -> Names:
    """The name tables from ``Assets`` and ``AssetPairs``: ``XXBT`` → ``BTC``; a pair's
    code, altname or wsname → ``BTC/USD``; ``BTC/USD`` → its altname (what requests
    send)."""
    codes = {code: _ALTNAMES.get(a.altname, a.altname) for code, a in assets.items()}
    table = {**_ALTNAMES, **codes}
    symbols: dict[str, str] = {}
    natives: dict[str, str] = {}
    for code, pair in pairs.items():
        symbol = f"{table.get(pair.base, pair.base)}/{table.get(pair.quote, pair.quote)}"
        symbols |= {alias: symbol for alias in (code, pair.altname, pair.wsname) if alias}
        natives.setdefault(symbol, pair.altname)
    return Names(table, symbols, natives)


def _to_order_update(names: Names, txid: str, info: wire.OrderInfo, received: int) -> OrderUpdate:
    """One order entry as an :class:`OrderUpdate` (its latest state)."""
    status = _status(info)
    order_type = parse.ORDER_TYPES.get(info.descr.ordertype)
    filled = info.vol_exec
    return OrderUpdate(
        venue=VENUE,
        symbol=names.symbol(info.descr.pair),
        order_id=txid,
        client_id=info.cl_ord_id,
        side=_SIDES.get(info.descr.type),
        order_type=order_type,
        status=status,
        price=info.descr.price if order_type is OrderType.LIMIT else None,
        size=info.vol,
        filled=filled,
        remaining=Decimal(0) if status.is_terminal else info.vol - filled,
        avg_price=info.price if filled else None,
        fee=info.fee,
        reason=info.reason,
        ts=_ns(info.closetm if info.closetm is not None else info.opentm),
        received=received,
    )


def _status(info: wire.OrderInfo) -> OrderStatus:
    if info.status == "pending":
        return OrderStatus.PENDING
    if info.status == "open":
        return OrderStatus.PARTIALLY_FILLED if info.vol_exec else OrderStatus.OPEN
    if info.status == "closed":  # closed: executed; what did not fill was cancelled
        return OrderStatus.FILLED if info.vol_exec >= info.vol else OrderStatus.CANCELED
    status = _TERMINAL.get(info.status)
    if status is None:
        raise DecodeError(f"kraken: unknown order status {info.status!r}")
    return status


def _to_fill(names: Names, trade: wire.TradeInfo) -> Fill:
    """One ``TradesHistory`` entry as a :class:`Fill`.

    Kraken charges fees in the quote unless the order asked otherwise and the entry does
    not say which, so ``fee_asset`` stays ``None`` (taken as the quote).
    """
    return Fill(
        symbol=names.symbol(trade.pair),
        order_id=trade.ordertxid,
        side=_SIDES[trade.type],
        price=trade.price,
        size=trade.vol,
        fee=trade.fee,
        ts=_ns(trade.time),
    )
