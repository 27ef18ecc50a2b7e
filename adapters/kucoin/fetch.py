"""KuCoin's one-shot calls: the :class:`~tickwire.core.fetcher.Fetcher` of
:class:`~tickwire.adapters.kucoin.client.KucoinClient`. Each call's endpoint, pool and
paging are tabled in ``docs/venues/kucoin.md`` (one-shot calls); the calls go through
:meth:`~.rest.KucoinRest.call` (signed, weighted, nothing retried but a refused
timestamp), and replies are normalized as the pushes are (:mod:`.parse`,
:func:`~.parse_private.to_balance`).
"""

from __future__ import annotations

from decimal import Decimal
from time import time_ns
from typing import Literal

from tickwire.adapters.kucoin import trade_schemas as wire
from tickwire.adapters.kucoin.parse import (
    CANDLE_TYPES,
    SIDES,
    VENUE,
    to_candle,
    to_native,
    to_unified,
    valid_levels,
)
from tickwire.adapters.kucoin.parse_private import ORDER_TYPES, to_balance
from tickwire.adapters.kucoin.rest import MANAGEMENT, PUBLIC, SPOT, KucoinRest
from tickwire.adapters.kucoin.schemas import BalanceData, CandleData, Level2Snapshot
from tickwire.core.book import OrderBook
from tickwire.core.checks import Fields
from tickwire.core.decoding import digits
from tickwire.core.errors import ConfigError, DecodeError, UnknownOrder
from tickwire.core.fetcher import Fetcher, ServerTime, book_snapshot, check_interval, window_candles
from tickwire.core.positions import Fill
from tickwire.core.rest import decode
from tickwire.core.types import Balance, Candle, OrderStatus, OrderUpdate, Trade
from tickwire.core.validation import ZERO

__all__ = ["MAX_CANDLES", "KucoinFetcher"]

MAX_CANDLES = 1500
"""Bars per ``/market/candles`` reply (KuCoin's limit)."""
FILLS_PAGE = 100
"""Fills per ``/hf/fills`` page (KuCoin's maximum)."""

_MS = 1_000_000  # ns per ms
_DETAIL_VALUES = Fields(
    zero_prices=("price",),  # 0 on a market order
    sizes=("size", "deal_size", "remain_size", "cancelled_size"),
)
_FILL_VALUES = Fields(prices=("price",), sizes=("size", "fee"))
_TRADE_VALUES = Fields(prices=("price",), sizes=("size",))


class KucoinFetcher(Fetcher):
    """The one-shot calls over ``rest``: the private ones sign with its credentials, all
    spend from its limiter's pools (:data:`~.rest.QUOTAS`)."""

    venue = VENUE
    rest: KucoinRest  # what the client builds it over (Fetcher keeps and closes it)

    # --- account ------------------------------------------------------------------------

    async def fetch_balances(self, *, timeout: float) -> dict[str, Balance]:
        """Every asset's spot balance (``trade`` + ``trade_hf``), by asset."""
        path = "/api/v1/accounts"
        raw = await self.rest.call("GET", path, signed=True, pool=MANAGEMENT, weight=5)
        return to_balances(decode(VENUE, raw, list[wire.AccountRow], path), time_ns())

    async def fetch_open_orders(self, symbol: str | None, *, timeout: float) -> list[OrderUpdate]:
        """Open orders of ``symbol`` (every symbol when None), oldest first."""
        details = await self.rest.open_orders(None if symbol is None else to_native(symbol))
        received = time_ns()
        details.sort(key=lambda d: d.created_at or 0)
        return [order_from(detail, received) for detail in details]

    async def fetch_order(
        self, *, order_id: str | None, client_id: str | None, symbol: str | None, timeout: float
    ) -> OrderUpdate:
        """One order, open or closed; ``UnknownOrder`` when KuCoin has none."""
        if symbol is None:
            raise ValueError("kucoin: fetch_order needs the symbol (HF orders are per symbol)")
        detail = await self.rest.order_detail(to_native(symbol), order_id, client_id)
        if detail is None:  # an empty data: absent, as KuCoin answers some lookups
            raise UnknownOrder(VENUE, "order_not_exist", f"no order {client_id or order_id}")
        return order_from(detail, time_ns())

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
            raw = await self.rest.call("GET", path, signed=True, pool=SPOT, weight=2, params=params)
            page = decode(VENUE, raw, wire.FillsPage, path)
            for row in page.items:
                fill = fill_from(row)
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
        raw = await self.rest.call("GET", path, pool=PUBLIC, weight=3, params={"symbol": native})
        received = time_ns()
        trades = [
            trade_from(native, r, received)
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
            raw = await self.rest.call("GET", path, pool=PUBLIC, weight=3, params=params)
            received = time_ns()
            rows = decode(VENUE, raw, list[wire.CandleRow], path)
            return [candle_from(native, row, interval, received) for row in rows]

        now = time_ns() + self.rest.clock_offset_ms * 1_000_000  # the venue's clock
        return await window_candles(window, interval, start, end, max_bars=MAX_CANDLES, now=now)

    async def fetch_book(self, symbol: str, depth: int | None, *, timeout: float) -> OrderBook:
        """A snapshot of ``symbol``'s book: top 20 or 100 publicly, deeper signed."""
        if depth is not None and depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        full = (depth is None or depth > 100) and self.rest.credentials is not None
        if depth is not None and depth > 100 and not full:
            raise ConfigError(f"kucoin: a book deeper than 100 levels needs credentials ({depth})")
        pool, weight = (SPOT, 3) if full else (PUBLIC, 2)
        await self.rest.limiter.acquire(pool, cost=weight)
        # The signed full book, or the public top 20 or 100 (all KuCoin serves unsigned).
        top: Literal[20, 100] | None = 20 if depth is not None and depth <= 20 else 100
        snapshot = await self.rest.level2_snapshot(to_native(symbol), None if full else top)
        return to_book(symbol, snapshot, depth)

    async def fetch_time(self, *, timeout: float) -> ServerTime:
        """The venue's clock against ours; also the offset every signature uses from now."""
        await self.rest.limiter.acquire(PUBLIC, cost=3)
        return await self.rest.measure_clock()


# --- REST replies -> core types ---------------------------------------------------------

SPOT_ACCOUNTS = frozenset({"trade", "trade_hf"})
"""The accounts spot orders trade against: an HF user's funds are in ``trade_hf``, a
classic user's in ``trade``; both are summed per asset (``main`` and ``margin`` are not
tradable by spot orders, so they are left out)."""


def to_balances(rows: list[wire.AccountRow], received: int) -> dict[str, Balance]:
    """``/api/v1/accounts`` rows → one :class:`Balance` per asset (spot accounts summed).

    The reply carries no time: ``ts`` is when it arrived (ms precision, as the pushes).
    """
    sums: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for row in rows:
        if row.type not in SPOT_ACCOUNTS:
            continue
        total, available, hold = sums.get(row.currency, (ZERO, ZERO, ZERO))
        sums[row.currency] = (total + row.balance, available + row.available, hold + row.holds)
    stamp = str(received // _MS)
    return {
        asset: to_balance(
            BalanceData(currency=asset, total=t, available=a, hold=h, time=stamp), received
        )
        for asset, (t, a, h) in sorted(sums.items())
    }


def detail_status(detail: wire.OrderDetail) -> OrderStatus:
    """The lifecycle state of a REST order: open (partially filled once something
    filled) while ``active``; once done, canceled if any of it was, else filled."""
    filled = detail.deal_size or ZERO
    if detail.active:
        return OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.OPEN
    if detail.cancel_exist or (detail.cancelled_size or ZERO) > 0:
        return OrderStatus.CANCELED
    return OrderStatus.FILLED


def order_from(detail: wire.OrderDetail, received: int) -> OrderUpdate:
    """An HF order (``/api/v1/hf/orders/...``) → :class:`OrderUpdate`.

    ``avg_price`` is ``dealFunds / dealSize``; ``fee`` the order's total, in
    ``feeCurrency``; ``ts`` the order's last change (ms → ns), else ``received``. A market
    order's ``price`` (``0`` on the venue) is ``None``.
    """
    _DETAIL_VALUES.check(detail, "kucoin: order")
    filled = detail.deal_size or ZERO
    avg = None
    if filled and detail.deal_funds is not None:
        avg = detail.deal_funds / filled
    stamp = detail.last_updated_at or detail.created_at
    return OrderUpdate(
        venue=VENUE,
        symbol=to_unified(detail.symbol),
        order_id=detail.id,
        client_id=detail.client_oid or None,
        side=SIDES.get(detail.side),
        order_type=ORDER_TYPES.get(detail.type),
        status=detail_status(detail),
        price=detail.price or None,
        size=detail.size,
        filled=filled,
        remaining=detail.remain_size,
        avg_price=avg,
        fee=detail.fee,
        fee_asset=detail.fee_currency if detail.fee is not None else None,
        ts=stamp * _MS if stamp else received,
        received=received,
    )


def fill_from(row: wire.FillRow) -> Fill:
    """One ``/api/v1/hf/fills`` row → core :class:`~tickwire.core.positions.Fill`."""
    _FILL_VALUES.check(row, "kucoin: fill")
    if not row.size:
        raise DecodeError("kucoin: a fill of size 0", repr(row))
    return Fill(
        symbol=to_unified(row.symbol),
        order_id=row.order_id,
        side=SIDES[row.side],
        price=row.price,
        size=row.size,
        fee=row.fee,
        fee_asset=row.fee_currency,
        ts=row.created_at * _MS,
    )


def trade_from(native: str, row: wire.HistoryTrade, received: int) -> Trade:
    """One ``/market/histories`` row → :class:`Trade` (``trade_id``: its sequence), its
    values checked as the push's are."""
    _TRADE_VALUES.check(row, "kucoin: trade")
    return Trade(
        venue=VENUE,
        symbol=to_unified(native),
        trade_id=row.sequence,
        price=row.price,
        size=row.size,
        side=SIDES[row.side],
        ts=row.time,
        received=received,
    )


def candle_from(native: str, row: wire.CandleRow, interval: int, received: int) -> Candle:
    """One ``/market/candles`` row → :class:`Candle`; ``ts`` is the bar's start (the
    reply has no other time)."""
    start = row[0]
    ts = int(start) * 1_000_000_000 if start.isdigit() and start.isascii() else received
    return to_candle(CandleData(symbol=native, candles=row, time=ts), interval, received)


def to_book(symbol: str, snapshot: Level2Snapshot, depth: int | None) -> OrderBook:
    """A REST book snapshot → a synced :class:`OrderBook` (top ``depth`` levels)."""
    sequence = digits(snapshot.sequence, "kucoin: bad snapshot sequence")
    bids = [(level.price, level.size) for level in valid_levels(snapshot.bids, "book bid")]
    asks = [(level.price, level.size) for level in valid_levels(snapshot.asks, "book ask")]
    return book_snapshot(
        VENUE, symbol, depth, bids, asks, ts=snapshot.time * _MS, sequence=sequence
    )
