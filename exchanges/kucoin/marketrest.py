"""Public market-data REST beyond what a streaming client needs (docs-new "Spot Trading").

| route | data |
|---|---|
| ``GET /api/v1/symbols[?market=]`` | the same rows as ``/api/v2/symbols`` (the older path) |
| ``GET /api/v3/currencies``, ``/api/v3/currencies/{currency}`` | every asset, one chain each |
| ``GET /api/v1/market/orderbook/level1?symbol=`` | last trade and best bid/ask |
| ``GET /api/v1/market/allTickers`` | ``{"time", "ticker": [...]}``, fee rates included |
| ``GET /api/v1/market/stats?symbol=`` | one symbol's 24 h statistics |
| ``GET /api/v1/market/histories?symbol=`` | the last 100 trades, oldest first |
| ``GET /api/v1/market/candles?symbol=&type=[&startAt=&endAt=]`` | :mod:`.history` |
| ``GET /api/v1/contracts/active`` | ``[]``: the futures host's list; no futures here |

Numbers are strings, as the venue writes them. Errors: a missing ``symbol`` is
``400100``, an unknown one ``900001 symbol not exists``, an unknown candle ``type`` or a
bad time ``400100``; an unknown currency ``900014 Invalid currency``.

``/api/v1/contracts/active`` is on ``api-futures.kucoin.com`` at the venue: a client
pointed here for every host (ccxt loads contract markets by default) learns there are none.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.account import MAKER_FEE, TAKER_FEE
from tickwire.exchanges.kucoin.feed import Feed
from tickwire.exchanges.kucoin.frames import dec
from tickwire.exchanges.kucoin.symbols import KucoinSymbol
from tickwire.exchanges.kucoin.topics import CANDLE_TYPES

__all__ = ["MarketRoutes"]

_CURRENCY_PRECISION = 8
_RATE_STEP = Decimal("0.0001")  # the venue's changeRate has four decimals


class _Refused(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _ok(data: Any) -> web.Response:
    return web.Response(body=frames.ok(data), content_type="application/json")


def _refused(exc: _Refused) -> web.Response:
    # Business errors answer HTTP 200 with their code, as the venue does.
    return web.Response(body=frames.rest_error(exc.code, exc.msg), content_type="application/json")


class MarketRoutes:
    """The extra public routes of one emulator, reading the :class:`~.feed.Feed`."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def add_routes(self, app: web.Application) -> None:
        """Mount the routes."""
        r = app.router
        r.add_get("/api/v1/symbols", self.symbols)
        r.add_get("/api/v3/currencies", self.currencies)
        r.add_get("/api/v3/currencies/{currency}", self.currency)
        r.add_get("/api/v1/market/orderbook/level1", self._wrap(self.level1))
        r.add_get("/api/v1/market/allTickers", self.all_tickers)
        r.add_get("/api/v1/market/stats", self._wrap(self.stats))
        r.add_get("/api/v1/market/histories", self._wrap(self.histories))
        r.add_get("/api/v1/market/candles", self._wrap(self.candles))
        r.add_get("/api/v1/contracts/active", self.contracts)

    def _wrap(self, read: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            try:
                return _ok(read(self._symbol(request), request))
            except _Refused as exc:
                return _refused(exc)

        return handler

    def _symbol(self, request: web.Request) -> KucoinSymbol:
        name = request.query.get("symbol")
        if not name:
            raise _Refused("400100", "symbol parameter is required")
        sym = self.feed.symbols.get(name)
        if sym is None:
            raise _Refused("900001", "symbol not exists")
        return sym

    # -- instruments -----------------------------------------------------------------

    async def symbols(self, request: web.Request) -> web.Response:
        """Every symbol (or those of one ``market``), as ``/api/v2/symbols`` lists them."""
        market = request.query.get("market")
        rows = [
            frames.symbol_row(s)
            for s in self.feed.symbols.values()
            if market is None or s.market == market
        ]
        return _ok(rows)

    def _assets(self) -> list[str]:
        return sorted({a for s in self.feed.symbols.values() for a in (s.spec.base, s.spec.quote)})

    @staticmethod
    def _currency_row(asset: str) -> dict[str, Any]:
        chain = {
            "chainName": asset,
            "withdrawalMinSize": "0.001",
            "depositMinSize": "0.0001",
            "withdrawFeeRate": "0",
            "withdrawalMinFee": "0.0001",
            "isWithdrawEnabled": True,
            "isDepositEnabled": True,
            "confirms": 6,
            "preConfirms": 6,
            "contractAddress": "",
            "withdrawPrecision": _CURRENCY_PRECISION,
            "maxWithdraw": None,
            "maxDeposit": None,
            "needTag": False,
            "chainId": asset.lower(),
        }
        return {
            "currency": asset,
            "name": asset,
            "fullName": asset,
            "precision": _CURRENCY_PRECISION,
            "confirms": None,
            "contractAddress": None,
            "isMarginEnabled": False,
            "isDebitEnabled": False,
            "chains": [chain],
        }

    async def currencies(self, request: web.Request) -> web.Response:
        """Every asset of the listed symbols."""
        return _ok([self._currency_row(a) for a in self._assets()])

    async def currency(self, request: web.Request) -> web.Response:
        """One asset."""
        asset = request.match_info["currency"]
        if asset not in self._assets():
            return _refused(_Refused("900014", "Invalid currency"))
        return _ok(self._currency_row(asset))

    async def contracts(self, request: web.Request) -> web.Response:
        """Futures contracts: none."""
        return _ok([])

    # -- prices ----------------------------------------------------------------------

    def level1(self, sym: KucoinSymbol, request: web.Request) -> dict[str, Any]:
        """Last trade and best bid/ask of ``symbol``."""
        name = sym.name
        bids, asks = self.feed.market.book(sym.spec.symbol, 1)
        last = self.feed.last_trade(name)
        return {
            "time": time.time_ns() // 1_000_000,
            "sequence": str(self.feed.sequences[name]),
            "price": dec(last.price),
            "size": dec(last.qty),
            "bestBid": dec(bids[0][0]) if bids else "0",
            "bestBidSize": dec(bids[0][1]) if bids else "0",
            "bestAsk": dec(asks[0][0]) if asks else "0",
            "bestAskSize": dec(asks[0][1]) if asks else "0",
        }

    def _ticker(self, sym: KucoinSymbol) -> dict[str, Any]:
        stats = self.feed.market.stats(sym.spec.symbol)
        bids, asks = self.feed.market.book(sym.spec.symbol, 1)
        change = stats.last - stats.open
        rate = change / stats.open if stats.open else change
        return {
            "symbol": sym.name,
            "symbolName": sym.name,
            "buy": dec(bids[0][0]) if bids else "0",
            "bestBidSize": dec(bids[0][1]) if bids else "0",
            "sell": dec(asks[0][0]) if asks else "0",
            "bestAskSize": dec(asks[0][1]) if asks else "0",
            "changeRate": dec(rate.quantize(_RATE_STEP)),
            "changePrice": dec(change),
            "high": dec(stats.high),
            "low": dec(stats.low),
            "vol": dec(stats.volume),
            "volValue": dec(stats.quote_volume),
            "last": dec(stats.last),
            "averagePrice": dec(stats.vwap(sym.spec.price_precision + 8)),
            "takerFeeRate": dec(TAKER_FEE),
            "makerFeeRate": dec(MAKER_FEE),
            "takerCoefficient": "1",
            "makerCoefficient": "1",
        }

    async def all_tickers(self, request: web.Request) -> web.Response:
        """Every symbol's ticker and 24 h statistics."""
        rows = [self._ticker(s) for s in self.feed.symbols.values()]
        return _ok({"time": time.time_ns() // 1_000_000, "ticker": rows})

    def stats(self, sym: KucoinSymbol, request: web.Request) -> dict[str, Any]:
        """One symbol's 24 h statistics."""
        row = self._ticker(sym)
        del row["symbolName"], row["bestBidSize"], row["bestAskSize"]
        return {"time": time.time_ns() // 1_000_000, **row}

    # -- history ---------------------------------------------------------------------

    def histories(self, sym: KucoinSymbol, request: web.Request) -> list[dict[str, Any]]:
        """The last 100 trades, oldest first (``time`` in nanoseconds)."""
        return [
            {
                "sequence": str(t.sequence),
                "price": dec(t.trade.price),
                "size": dec(t.trade.qty),
                "side": t.trade.side,
                "time": t.trade.ts,
            }
            for t in self.feed.history[sym.name].recent()
        ]

    def candles(self, sym: KucoinSymbol, request: web.Request) -> list[list[str]]:
        """Candles of ``type`` between ``startAt`` and ``endAt`` (seconds), newest first."""
        kind = request.query.get("type", "")
        span = CANDLE_TYPES.get(kind)
        if span is None:
            raise _Refused("400100", f"type {kind!r} is invalid")
        now = time.time_ns() // 1_000_000_000
        try:
            end = int(request.query.get("endAt") or 0) or now
            start = int(request.query.get("startAt") or 0) or end - 1500 * span
        except ValueError:
            raise _Refused("400100", "startAt and endAt must be integer seconds") from None
        if start < 0 or end < start:
            raise _Refused("400100", "startAt must not be after endAt")
        return self.feed.history[sym.name].candles(kind, span, start, end, now)
