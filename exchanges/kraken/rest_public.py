"""Kraken's public REST market data (``/0/public/*``), served from the synthetic market.

Routes and shapes as docs.kraken.com documents them (GET, or POST with a form):
``Time``, ``SystemStatus``, ``Assets`` (``asset``, ``aclass``), ``AssetPairs`` (``pair``,
``info``), ``Ticker`` (``pair``), ``Depth`` (``pair``, ``count`` ≤ 500), ``OHLC``
(``pair``, ``interval`` minutes, ``since``; the 720 latest entries: :mod:`.history`),
``Trades`` (``pair``, ``since`` ns, ``count``). Prices
and sizes are strings, times numbers. Results are keyed by the pair's REST code
(``XXBTZUSD``), except ``AssetPairs?pair=...``, which is keyed by the name asked for as
the venue does. An unknown pair is ``EQuery:Unknown asset pair``, an unknown asset
``EQuery:Unknown asset``, a missing or malformed argument ``EGeneral:Invalid
arguments``, an unknown method HTTP 404 ``EGeneral:Unknown method``. The fee schedule
``AssetPairs`` lists is the paper engine's (0.1 % maker, 0.2 % taker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.kraken.history import OHLC_MINUTES, OhlcHistory
from tickwire.exchanges.kraken.instruments import asset_for
from tickwire.exchanges.kraken.restnames import (
    INVALID_ARGUMENTS,
    UNKNOWN_ASSET,
    UNKNOWN_PAIR,
    PairName,
    RestNames,
    decimal_text,
    fail,
    ok,
)

__all__ = ["OHLC_MINUTES", "PUBLIC_PREFIX", "PublicRest"]

PUBLIC_PREFIX = "/0/public/"
_DEPTH_MAX = 500
_INFO = {
    "info": None,  # every field
    "leverage": ("leverage_buy", "leverage_sell"),
    "fees": ("fees", "fees_maker", "fee_volume_currency"),
    "margin": ("margin_call", "margin_stop"),
}
_LEVERAGE = [2, 3, 4, 5]


class _Refused(Exception):
    """One Kraken error string for the reply."""


Params = Mapping[str, str]


class PublicRest:
    """The ``/0/public/{method}`` handler over one market."""

    def __init__(
        self,
        market: SyntheticMarket,
        names: RestNames,
        clock: Callable[[], int],
        history: OhlcHistory,
    ) -> None:
        self.market = market
        self.history = history
        self.names = names
        self.clock = clock
        self._methods: dict[str, Callable[[Params], Any]] = {
            "Time": self.time,
            "SystemStatus": self.system_status,
            "Assets": self.assets,
            "AssetPairs": self.asset_pairs,
            "Ticker": self.ticker,
            "Depth": self.depth,
            "OHLC": self.ohlc,
            "Trades": self.trades,
        }

    def routes(self, app: web.Application) -> None:
        """Register ``GET``/``POST /0/public/{method}``."""
        app.router.add_route("*", PUBLIC_PREFIX + "{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one public call."""
        method = self._methods.get(request.match_info["method"])
        if method is None:
            return fail("EGeneral:Unknown method", status=404)
        params: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        try:
            return ok(method(params))
        except _Refused as exc:
            return fail(str(exc))

    # -- helpers -------------------------------------------------------------------------

    def _pairs(self, params: Params, *, required: bool) -> list[tuple[str, PairName]]:
        """``(name asked, pair)`` for each pair in ``pair`` (all pairs when absent)."""
        raw = params.get("pair")
        if not raw:
            if required:
                raise _Refused(INVALID_ARGUMENTS)
            return [(n.code, n) for n in self.names.pairs.values()]
        found = []
        for asked in raw.split(","):
            name = self.names.pair(asked)
            if name is None:
                raise _Refused(UNKNOWN_PAIR)
            found.append((asked.strip(), name))
        return found

    def _one(self, params: Params) -> PairName:
        pairs = self._pairs(params, required=True)
        if len(pairs) != 1:
            raise _Refused(INVALID_ARGUMENTS)
        return pairs[0][1]

    @staticmethod
    def _int(params: Params, name: str, default: int) -> int:
        value = params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise _Refused(f"{INVALID_ARGUMENTS}:{name}") from None

    def _price(self, name: PairName, value: Decimal) -> str:
        return decimal_text(value, name.pair.spec.price_precision)

    def _qty(self, name: PairName, value: Decimal) -> str:
        return decimal_text(value, name.pair.spec.qty_precision)

    # -- methods -------------------------------------------------------------------------

    def time(self, params: Params) -> dict[str, Any]:
        """``{unixtime, rfc1123}``."""
        seconds = self.clock() // 1_000_000_000
        return {
            "unixtime": seconds,
            "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(seconds)),
        }

    def system_status(self, params: Params) -> dict[str, Any]:
        """``{status: online, timestamp}``."""
        seconds = self.clock() // 1_000_000_000
        return {"status": "online", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime(seconds))}  # fmt: skip

    def assets(self, params: Params) -> dict[str, Any]:
        """Asset code → ``{aclass, altname, decimals, display_decimals, ...}``."""
        if params.get("aclass", "currency") != "currency":
            raise _Refused(INVALID_ARGUMENTS)
        wanted = list(self.names.assets)
        if params.get("asset"):
            wanted = []
            for asked in params["asset"].split(","):
                code = self.names.asset(asked)
                if code is None:
                    raise _Refused(UNKNOWN_ASSET)
                wanted.append(code)
        result = {}
        for code in wanted:
            info = asset_for(self.names.assets[code])
            result[code] = {
                "aclass": "currency",
                "altname": code[1:] if len(code) == 4 and code[0] in "XZ" else code,
                "decimals": info.precision,
                "display_decimals": info.precision_display,
                "collateral_value": float(info.collateral_value),
                "status": "enabled",
            }
        return result

    def asset_pairs(self, params: Params) -> dict[str, Any]:
        """Pair → its trading rules; keyed by the name asked for, if any was."""
        info = params.get("info", "info")
        if info not in _INFO:
            raise _Refused(INVALID_ARGUMENTS)
        keep = _INFO[info]
        result = {}
        for asked, name in self._pairs(params, required=False):
            entry = self._pair_entry(name)
            if keep is not None:
                entry = {k: entry[k] for k in keep}
            result[asked] = entry
        return result

    def _pair_entry(self, name: PairName) -> dict[str, Any]:
        pair, spec = name.pair, name.pair.spec
        leverage = _LEVERAGE if pair.marginable else []
        entry: dict[str, Any] = {
            "altname": name.altname,
            "wsname": name.wsname,
            "aclass_base": "currency",
            "base": name.base,
            "aclass_quote": "currency",
            "quote": name.quote,
            "lot": "unit",
            "cost_decimals": pair.cost_precision,
            "pair_decimals": spec.price_precision,
            "lot_decimals": spec.qty_precision,
            "lot_multiplier": 1,
            "leverage_buy": leverage,
            "leverage_sell": leverage,
            "fees": [[0, 0.2]],  # the paper engine's taker fee, in percent
            "fees_maker": [[0, 0.1]],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": str(spec.qty_min),
            "costmin": str(spec.cost_min),
            "tick_size": str(spec.tick),
            "status": "online",
        }
        if pair.marginable:
            entry["long_position_limit"] = pair.position_limit_long
            entry["short_position_limit"] = pair.position_limit_short
        return entry

    def ticker(self, params: Params) -> dict[str, Any]:
        """Pair code → ``a``/``b``/``c`` (price, volumes), ``v``/``p``/``t``/``l``/``h``
        (today, last 24 h), ``o`` (opening price)."""
        result = {}
        for _, name in self._pairs(params, required=False):
            symbol = name.symbol
            stats = self.market.stats(symbol)
            bids, asks = self.market.book(symbol, 1)
            recent = self.market.recent_trades(symbol, 1)
            last_qty = recent[-1].qty if recent else Decimal(0)
            price, qty = self._price, self._qty
            vwap = price(name, stats.vwap(name.pair.spec.price_precision))
            result[name.code] = {
                "a": [price(name, asks[0][0]), str(int(asks[0][1])), qty(name, asks[0][1])],
                "b": [price(name, bids[0][0]), str(int(bids[0][1])), qty(name, bids[0][1])],
                "c": [price(name, stats.last), qty(name, last_qty)],
                "v": [qty(name, stats.volume)] * 2,
                "p": [vwap, vwap],
                "t": [stats.trades, stats.trades],
                "l": [price(name, stats.low)] * 2,
                "h": [price(name, stats.high)] * 2,
                "o": price(name, stats.open),
            }
        return result

    def depth(self, params: Params) -> dict[str, Any]:
        """Pair code → ``{asks, bids}``: ``[price, volume, timestamp]`` best first."""
        name = self._one(params)
        count = self._int(params, "count", 100)
        if not 1 <= count <= _DEPTH_MAX:
            raise _Refused(f"{INVALID_ARGUMENTS}:count")
        bids, asks = self.market.book(name.symbol, count)
        now = self.clock() // 1_000_000_000
        side = [[self._price(name, p), self._qty(name, q), now] for p, q in asks]
        return {
            name.code: {
                "asks": side,
                "bids": [[self._price(name, p), self._qty(name, q), now] for p, q in bids],
            }
        }

    def ohlc(self, params: Params) -> dict[str, Any]:
        """Pair code → ``[time, open, high, low, close, vwap, volume, count]`` oldest first,
        the running candle last; ``last``: the last committed entry's time."""
        name = self._one(params)
        interval = self._int(params, "interval", 1)
        if interval not in OHLC_MINUTES:
            raise _Refused(f"{INVALID_ARGUMENTS}:interval")
        since = params.get("since")
        rows, last = self.history.rows(
            name.symbol, interval, None if not since else self._int(params, "since", 0)
        )
        return {name.code: rows, "last": last}

    def trades(self, params: Params) -> dict[str, Any]:
        """Pair code → ``[price, volume, time, b/s, l/m, misc, trade_id]``; ``last`` (ns)."""
        name = self._one(params)
        since = self._int(params, "since", 0)
        count = self._int(params, "count", 1000)
        if count < 1:
            raise _Refused(f"{INVALID_ARGUMENTS}:count")
        recent = [t for t in self.market.recent_trades(name.symbol, 1000) if t.ts > since]
        recent = recent[-count:]
        rows = [
            [self._price(name, t.price), self._qty(name, t.qty), t.ts / 1e9,
             t.side[0], t.ord_type[0], "", t.trade_id]
            for t in recent
        ]  # fmt: skip
        last = recent[-1].ts if recent else since
        return {name.code: rows, "last": str(last)}
