"""Kraken Spot WebSocket v2 frames, built from the protocol reference alone.

Nothing here comes from the adapter: key names, key order, number formatting and the
book checksum are written from ``shared/reference/kraken-ws-v2.md`` and checked against
the sample frames in ``tests/fixtures/kraken``, so that a misreading cannot hide on both
sides of the wire.

Numbers are JSON numbers carrying the instrument's full precision, trailing zeros
included (``0.10000000``, ``66788.0``). ``msgspec``'s ``decimal_format="number"`` writes
``str(Decimal)``, which turns small values into exponent form (``0E-8``, ``1.0E-7``);
Kraken writes ``0.00000000``. So each value is formatted here with exactly the right
number of decimals and embedded as :class:`msgspec.Raw`.
"""

from __future__ import annotations

import functools
import time
import zlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.market import Candle, Level, MarketTrade, Stats
from tickwire.exchanges.kraken.instruments import KrakenPair, asset_for

__all__ = [
    "HEARTBEAT",
    "Checksummer",
    "ack",
    "book",
    "checksum",
    "checksum_digits",
    "error",
    "instrument",
    "num",
    "ohlc",
    "pong",
    "rfc3339",
    "status",
    "ticker",
    "trades",
]

_encode = msgspec.json.Encoder().encode
_FORMATS = tuple(f".{places}f" for places in range(19))

HEARTBEAT = b'{"channel":"heartbeat"}'
"""The heartbeat frame: no other keys."""

API_VERSION = "v2"
ENGINE_VERSION = "2.0.10"


# -- scalars -------------------------------------------------------------------------


def num(value: Decimal, places: int) -> msgspec.Raw:
    """``value`` as a JSON number with exactly ``places`` decimals."""
    return msgspec.Raw(format(value, _FORMATS[places]).encode())


@functools.lru_cache(maxsize=256)
def _second(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))


def rfc3339(ns: int, digits: int = 6) -> str:
    """RFC 3339 UTC with a ``Z``: 6 fraction digits usually, 9 for ohlc, 0 for none."""
    sec, frac = divmod(ns, 1_000_000_000)
    if digits == 6:
        return f"{_second(sec)}.{frac // 1000:06d}Z"
    if digits == 9:
        return f"{_second(sec)}.{frac:09d}Z"
    if digits == 0:
        return f"{_second(sec)}Z"
    return f"{_second(sec)}.{frac:09d}"[: 20 + digits] + "Z"


# -- checksum ------------------------------------------------------------------------


def checksum_digits(value: Decimal, places: int) -> str:
    """One checksum token: ``value`` at ``places`` decimals, without ``.`` and leading 0s."""
    return format(value, _FORMATS[places]).replace(".", "").lstrip("0")


def checksum(
    bids: Sequence[Level], asks: Sequence[Level], price_precision: int, qty_precision: int
) -> int:
    """CRC32 of the top 10 asks (best first) then the top 10 bids (best first).

    ``bids`` and ``asks`` are best-first and already truncated to the subscribed depth;
    prices and sizes are written at the instrument's precisions (reference §6.2).
    """
    parts: list[str] = []
    for levels in (asks[:10], bids[:10]):
        for price, qty in levels:
            parts.append(checksum_digits(price, price_precision))
            parts.append(checksum_digits(qty, qty_precision))
    return zlib.crc32("".join(parts).encode())


class Checksummer:
    """:func:`checksum` for one instrument, memoizing each level's token.

    The top 10 levels barely change from one message to the next, so formatting them
    again for every message would dominate a burst.
    """

    def __init__(self, price_precision: int, qty_precision: int) -> None:
        self.price_precision = price_precision
        self.qty_precision = qty_precision
        self._tokens: dict[Level, str] = {}

    def __call__(self, bids: Sequence[Level], asks: Sequence[Level]) -> int:
        """The checksum of a best-first book already truncated to its depth."""
        tokens = self._tokens
        if len(tokens) > 8192:
            tokens.clear()
        parts: list[str] = []
        for levels in (asks[:10], bids[:10]):
            for level in levels:
                token = tokens.get(level)
                if token is None:
                    token = checksum_digits(level[0], self.price_precision) + checksum_digits(
                        level[1], self.qty_precision
                    )
                    tokens[level] = token
                parts.append(token)
        return zlib.crc32("".join(parts).encode())


# -- method responses ----------------------------------------------------------------


def pong(req_id: int | None, time_in: int, time_out: int) -> bytes:
    """``pong``: like the recorded reply, without a ``success`` key."""
    msg: dict[str, Any] = {"method": "pong"}
    if req_id is not None:
        msg["req_id"] = req_id
    msg["time_in"] = rfc3339(time_in)
    msg["time_out"] = rfc3339(time_out)
    return _encode(msg)


def ack(
    method: str, result: dict[str, Any], req_id: int | None, time_in: int, time_out: int
) -> bytes:
    """A successful method response (keys in Kraken's alphabetical order)."""
    msg: dict[str, Any] = {"method": method}
    if req_id is not None:
        msg["req_id"] = req_id
    msg["result"] = result
    msg["success"] = True
    msg["time_in"] = rfc3339(time_in)
    msg["time_out"] = rfc3339(time_out)
    return _encode(msg)


def error(
    method: str | None,
    message: str,
    req_id: int | None,
    time_in: int,
    time_out: int,
    *,
    symbol: str | None = None,
    channel: str | None = None,
) -> bytes:
    """A failed method response: ``error`` is one string; ``symbol`` when per symbol.

    ``channel`` adds the ``channel`` and ``status: "error"`` keys a failed private
    subscription carries.
    """
    msg: dict[str, Any] = {}
    if channel is not None:
        msg["channel"] = channel
    msg["error"] = message
    if method is not None:
        msg["method"] = method
    if req_id is not None:
        msg["req_id"] = req_id
    if channel is not None:
        msg["status"] = "error"
    msg["success"] = False
    if symbol is not None:
        msg["symbol"] = symbol
    msg["time_in"] = rfc3339(time_in)
    msg["time_out"] = rfc3339(time_out)
    return _encode(msg)


# -- channel messages ----------------------------------------------------------------


def status(connection_id: int, system: str = "online") -> bytes:
    """The ``status`` banner sent on connect (2.0.10 shape, with maintenance arrays)."""
    entry = {
        "version": ENGINE_VERSION,
        "system": system,
        "api_version": API_VERSION,
        "connection_id": connection_id,
        "upcoming_maintenance": [],
        "emergency": [],
    }
    return _encode({"channel": "status", "type": "update", "data": [entry]})


def ticker(kind: str, pair: KrakenPair, stats: Stats, bid: Level, ask: Level, ts: int) -> bytes:
    """A ``ticker`` snapshot or update for one symbol (with the live ``trades`` count)."""
    pp, qp = pair.spec.price_precision, pair.spec.qty_precision
    change = stats.last - stats.open
    change_pct = (change * 100 / stats.open).quantize(Decimal("0.01")) if stats.open else change
    entry = {
        "symbol": pair.symbol,
        "bid": num(bid[0], pp),
        "bid_qty": num(bid[1], qp),
        "ask": num(ask[0], pp),
        "ask_qty": num(ask[1], qp),
        "last": num(stats.last, pp),
        "volume": num(stats.volume, qp),
        "vwap": num(stats.vwap(pp), pp),
        "low": num(stats.low, pp),
        "high": num(stats.high, pp),
        "change": num(change, pp),
        "change_pct": num(change_pct, 2),
        "trades": stats.trades,
        "timestamp": rfc3339(ts),
    }
    return _encode({"channel": "ticker", "type": kind, "data": [entry]})


def trades(kind: str, pair: KrakenPair, prints: Sequence[MarketTrade]) -> bytes:
    """A ``trade`` message: several prints of one symbol may share it."""
    pp, qp = pair.spec.price_precision, pair.spec.qty_precision
    data = [
        {
            "symbol": pair.symbol,
            "side": t.side,
            "price": num(t.price, pp),
            "qty": num(t.qty, qp),
            "ord_type": t.ord_type,
            "trade_id": t.trade_id,
            "timestamp": rfc3339(t.ts),
        }
        for t in prints
    ]
    return _encode({"channel": "trade", "type": kind, "data": data})


def book(
    kind: str,
    pair: KrakenPair,
    bids: Sequence[Level],
    asks: Sequence[Level],
    crc: int,
    ts: int,
) -> bytes:
    """A ``book`` snapshot or update for one symbol (exactly one ``data`` element)."""
    pp, qp = pair.spec.price_precision, pair.spec.qty_precision
    entry = {
        "symbol": pair.symbol,
        "bids": [{"price": num(p, pp), "qty": num(q, qp)} for p, q in bids],
        "asks": [{"price": num(p, pp), "qty": num(q, qp)} for p, q in asks],
        "checksum": crc,
        "timestamp": rfc3339(ts),
    }
    return _encode({"channel": "book", "type": kind, "data": [entry]})


def ohlc(kind: str, pair: KrakenPair, candles: Sequence[Candle], ts: int) -> bytes:
    """An ``ohlc`` message: top-level ``timestamp``, ``interval`` in minutes."""
    pp, qp = pair.spec.price_precision, pair.spec.qty_precision
    data = [
        {
            "symbol": pair.symbol,
            "open": num(c.open, pp),
            "high": num(c.high, pp),
            "low": num(c.low, pp),
            "close": num(c.close, pp),
            "trades": c.trades,
            "volume": num(c.volume, qp),
            "vwap": num(c.vwap(pp), pp),
            "interval_begin": rfc3339(c.begin, 9),
            "interval": c.interval // 60,
            # Deprecated per-candle timestamp: the candle's end, 6 digits.
            "timestamp": rfc3339(c.end),
        }
        for c in candles
    ]
    return _encode({"channel": "ohlc", "type": kind, "timestamp": rfc3339(ts, 9), "data": data})


def instrument(kind: str, pairs: Sequence[KrakenPair]) -> bytes:
    """An ``instrument`` message: ``data`` is an object with ``assets`` and ``pairs``."""
    asset_ids = dict.fromkeys(a for p in pairs for a in (p.spec.base, p.spec.quote))
    assets = []
    for asset_id in asset_ids:
        a = asset_for(asset_id)
        assets.append(
            {
                "id": a.id,
                "status": "enabled",
                "precision": a.precision,
                "precision_display": a.precision_display,
                "borrowable": a.borrowable,
                "collateral_value": num(a.collateral_value, 2),
                "margin_rate": num(a.margin_rate, 6),
            }
        )
    return _encode(
        {
            "channel": "instrument",
            "type": kind,
            "data": {"assets": assets, "pairs": [_pair_entry(p) for p in pairs]},
        }
    )


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _pair_entry(pair: KrakenPair) -> dict[str, Any]:
    spec = pair.spec
    pp, qp = spec.price_precision, spec.qty_precision
    entry: dict[str, Any] = {
        "symbol": spec.symbol,
        "base": spec.base,
        "quote": spec.quote,
        "status": "online",
        "qty_precision": qp,
        "qty_increment": num(spec.lot, qp),
        "price_precision": pp,
        "cost_precision": pair.cost_precision,
        "marginable": pair.marginable,
        "has_index": pair.has_index,
        "cost_min": num(spec.cost_min, max(2, _places(spec.cost_min))),
        "tick_size": num(spec.tick, pp),  # deprecated twin of price_increment, still sent
        "price_increment": num(spec.tick, pp),
        "qty_min": num(spec.qty_min, qp),
    }
    if pair.margin_initial is not None:
        entry["margin_initial"] = num(pair.margin_initial, 2)
        entry["position_limit_long"] = pair.position_limit_long
        entry["position_limit_short"] = pair.position_limit_short
    return entry
