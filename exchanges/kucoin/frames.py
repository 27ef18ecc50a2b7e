"""KuCoin Spot (Classic) frames and REST bodies, built from the protocol reference alone.

Nothing here comes from the adapter: key names, value types and number spelling are
written from ``shared/reference/kucoin-ws.md`` and checked against the sample frames in
``tests/fixtures/kucoin``, so that a misreading cannot hide on both sides of the wire.

KuCoin writes prices and sizes as JSON *strings* without trailing zeros (``"67997"``,
``"0.1503747"``) and never in exponent form; :func:`dec` spells a ``Decimal`` that way.
The ``/market/snapshot`` statistics are the exception: JSON numbers (floats).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.market import Candle, Level, MarketTrade, Stats
from tickwire.exchanges.kucoin.symbols import KucoinSymbol

__all__ = [
    "ack",
    "book_body",
    "bullet_body",
    "bullet_data",
    "candle",
    "dec",
    "depth",
    "error",
    "l2update",
    "level1",
    "match",
    "message",
    "ok",
    "pong",
    "rest_error",
    "snapshot",
    "symbol_row",
    "ticker",
    "welcome",
]

_encode = msgspec.json.Encoder().encode

SUCCESS = "200000"
"""The REST envelope's success code (a string)."""


def dec(value: Decimal) -> str:
    """``value`` as KuCoin writes it: plain notation, no trailing zeros (``0`` for zero)."""
    if not value:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _rows(levels: Sequence[Level]) -> list[list[str]]:
    return [[dec(p), dec(q)] for p, q in levels]


# -- control frames ------------------------------------------------------------------


def welcome(connect_id: str) -> bytes:
    """The first frame on every accepted connection; ``id`` is the client's ``connectId``."""
    return _encode({"id": connect_id, "type": "welcome"})


def pong(msg_id: str) -> bytes:
    """The reply to a ``ping``, echoing its id."""
    return _encode({"id": msg_id, "type": "pong"})


def ack(msg_id: str) -> bytes:
    """The reply to a subscribe/unsubscribe with ``response: true`` (id as a string)."""
    return _encode({"id": msg_id, "type": "ack"})


def error(msg_id: str | None, code: int, data: str) -> bytes:
    """An ``error`` frame: integer ``code``, text ``data``; no ``id`` key when ``None``.

    ``None`` reproduces the recorded token-expiry frame, which carries no id.
    """
    msg: dict[str, Any] = {} if msg_id is None else {"id": msg_id}
    msg["type"] = "error"
    msg["code"] = code
    msg["data"] = data
    return _encode(msg)


def message(topic: str, subject: str, data: dict[str, Any]) -> bytes:
    """A data push: ``{"topic", "type": "message", "subject", "data"}``."""
    return _encode({"topic": topic, "type": "message", "subject": subject, "data": data})


# -- market data ---------------------------------------------------------------------


def ticker(
    topic: str,
    subject: str,
    sequence: int,
    last: MarketTrade,
    bid: Level,
    ask: Level,
) -> bytes:
    """``/market/ticker:{s}`` (subject ``trade.ticker``) or ``ticker:all`` (subject = symbol)."""
    data = {
        "bestAsk": dec(ask[0]),
        "bestAskSize": dec(ask[1]),
        "bestBid": dec(bid[0]),
        "bestBidSize": dec(bid[1]),
        "price": dec(last.price),
        "sequence": str(sequence),
        "size": dec(last.qty),
        "time": last.ts // 1_000_000,  # ms, time of the last match
    }
    return message(topic, subject, data)


def l2update(
    name: str,
    asks: Sequence[tuple[Decimal, Decimal, int]],
    bids: Sequence[tuple[Decimal, Decimal, int]],
    start: int,
    end: int,
    ts_ms: int,
) -> bytes:
    """A ``/market/level2`` increment: rows ``[price, size, sequence]``, all strings."""
    data = {
        "changes": {
            "asks": [[dec(p), dec(q), str(s)] for p, q, s in asks],
            "bids": [[dec(p), dec(q), str(s)] for p, q, s in bids],
        },
        "sequenceEnd": end,
        "sequenceStart": start,
        "symbol": name,
        "time": ts_ms,
    }
    return message(f"/market/level2:{name}", "trade.l2update", data)


def match(name: str, trade: MarketTrade, sequence: int, maker_id: str, taker_id: str) -> bytes:
    """A ``/market/match`` trade (``time`` is a string of nanoseconds)."""
    data = {
        "makerOrderId": maker_id,
        "price": dec(trade.price),
        "sequence": str(sequence),
        "side": trade.side,
        "size": dec(trade.qty),
        "symbol": name,
        "takerOrderId": taker_id,
        "time": str(trade.ts),
        "tradeId": str(trade.trade_id),
        "type": "match",
    }
    return message(f"/market/match:{name}", "trade.l3match", data)


def depth(
    name: str, levels: int, bids: Sequence[Level], asks: Sequence[Level], ts_ms: int
) -> bytes:
    """``/spotMarket/level2Depth5`` or ``level2Depth50``: the whole top-N, subject ``level2``."""
    data = {"asks": _rows(asks), "bids": _rows(bids), "timestamp": ts_ms}
    return message(f"/spotMarket/level2Depth{levels}:{name}", "level2", data)


def level1(name: str, bid: Level, ask: Level, ts_ms: int) -> bytes:
    """``/spotMarket/level1``: best ask and bid as flat ``[price, size]`` pairs."""
    data = {
        "asks": [dec(ask[0]), dec(ask[1])],
        "bids": [dec(bid[0]), dec(bid[1])],
        "timestamp": ts_ms,
    }
    return message(f"/spotMarket/level1:{name}", "level1", data)


def candle(name: str, kind: str, bar: Candle, ts_ns: int) -> bytes:
    """``/market/candles:{s}_{type}``: start (s), open, close, high, low, volume, turnover."""
    row = [
        str(bar.begin // 1_000_000_000),
        dec(bar.open),
        dec(bar.close),
        dec(bar.high),
        dec(bar.low),
        dec(bar.volume),
        dec(bar.quote_volume),
    ]
    data = {"symbol": name, "candles": row, "time": ts_ns}
    return message(f"/market/candles:{name}_{kind}", "trade.candles.update", data)


def _change(stats: Stats, scale: int) -> dict[str, float]:
    # The emulator keeps one statistics window; the 1 h and 4 h blocks reuse its prices
    # and scale the volumes down, which keeps every value plausible and consistent.
    change = stats.last - stats.open
    rate = (change / stats.open).quantize(Decimal("0.0001")) if stats.open else Decimal(0)
    return {
        "changePrice": float(change),
        "changeRate": float(rate),
        "high": float(stats.high),
        "low": float(stats.low),
        "open": float(stats.open),
        "vol": float(stats.volume / scale),
        "volValue": float(stats.quote_volume / scale),
    }


def snapshot(
    sym: KucoinSymbol, stats: Stats, bid: Level, ask: Level, sequence: int, ts_ms: int
) -> bytes:
    """``/market/snapshot:{symbol}`` (``trade.snapshot``): numbers, not strings."""
    day = _change(stats, 1)
    inner: dict[str, Any] = {
        "askSize": float(ask[1]),
        "averagePrice": float(stats.vwap(sym.spec.price_precision + 8)),
        "baseCurrency": sym.spec.base,
        "bidSize": float(bid[1]),
        "board": 0,
        "buy": float(bid[0]),
        "changePrice": day["changePrice"],
        "changeRate": day["changeRate"],
        "close": float(stats.last),
        "datetime": ts_ms,
        "high": float(stats.high),
        "lastTradedPrice": float(stats.last),
        "low": float(stats.low),
        "makerCoefficient": 1.0,
        "makerFeeRate": 0.001,
        "marginTrade": sym.margin,
        "mark": 0,
        "market": sym.market,
        "marketChange1h": _change(stats, 24),
        "marketChange24h": day,
        "marketChange4h": _change(stats, 6),
        "markets": [sym.market],
        "open": float(stats.open),
        "quoteCurrency": sym.spec.quote,
        "sell": float(ask[0]),
        "siteTypes": ["global"],
        "sort": 100,
        "symbol": sym.name,
        "symbolCode": sym.name,
        "takerCoefficient": 1.0,
        "takerFeeRate": 0.001,
        "trading": True,
        "vol": float(stats.volume),
        "volValue": float(stats.quote_volume),
    }
    data = {"sequence": str(sequence), "data": inner}
    return message(f"/market/snapshot:{sym.name}", "trade.snapshot", data)


# -- REST ----------------------------------------------------------------------------


def ok(data: Any) -> bytes:
    """A success envelope ``{"code": "200000", "data": ...}``."""
    return _encode({"code": SUCCESS, "data": data})


def rest_error(code: str, msg: str) -> bytes:
    """An error envelope ``{"code": "<6 digits>", "msg": ...}``."""
    return _encode({"code": code, "msg": msg})


def bullet_data(
    token: str, endpoint: str, ping_interval_ms: int, ping_timeout_ms: int
) -> dict[str, Any]:
    """The ``data`` of ``POST /api/v1/bullet-public`` (and ``-private``): token, one server.

    ``encrypt`` is ``false``: the emulator serves plain ``ws://`` on loopback (the venue
    says ``true`` for its ``wss://`` host).
    """
    server = {
        "endpoint": endpoint,
        "encrypt": endpoint.startswith("wss:"),
        "protocol": "websocket",
        "pingInterval": ping_interval_ms,
        "pingTimeout": ping_timeout_ms,
    }
    return {"token": token, "instanceServers": [server]}


def bullet_body(token: str, endpoint: str, ping_interval_ms: int, ping_timeout_ms: int) -> bytes:
    """``POST /api/v1/bullet-public``: the envelope around :func:`bullet_data`."""
    return ok(bullet_data(token, endpoint, ping_interval_ms, ping_timeout_ms))


def book_body(sequence: int, ts_ms: int, bids: Sequence[Level], asks: Sequence[Level]) -> bytes:
    """An order-book snapshot: ``sequence`` as a string, bids high→low, asks low→high."""
    return ok({"time": ts_ms, "sequence": str(sequence), "bids": _rows(bids), "asks": _rows(asks)})


def symbol_row(sym: KucoinSymbol) -> dict[str, Any]:
    """One ``GET /api/v2/symbols`` entry (numerics as strings, call-auction fields null)."""
    spec = sym.spec
    return {
        "symbol": sym.name,
        "name": sym.name,
        "baseCurrency": spec.base,
        "quoteCurrency": spec.quote,
        "feeCurrency": spec.quote,
        "market": sym.market,
        "baseMinSize": dec(spec.qty_min),
        "quoteMinSize": dec(sym.quote_min_size),
        "baseMaxSize": dec(sym.base_max_size),
        "quoteMaxSize": dec(sym.quote_max_size),
        "baseIncrement": format(sym.base_increment, "f"),
        "quoteIncrement": format(sym.quote_increment, "f"),
        "priceIncrement": format(sym.price_increment, "f"),
        "priceLimitRate": "0.1",
        "minFunds": dec(sym.quote_min_size),
        "isMarginEnabled": sym.margin,
        "enableTrading": True,
        "feeCategory": 1,
        "makerFeeCoefficient": "1.00",
        "takerFeeCoefficient": "1.00",
        "st": False,
        "callauctionIsEnabled": False,
        "callauctionPriceFloor": None,
        "callauctionPriceCeiling": None,
        "callauctionFirstStageStartTime": None,
        "callauctionSecondStageStartTime": None,
        "callauctionThirdStageStartTime": None,
        "tradingStartTime": None,
    }
