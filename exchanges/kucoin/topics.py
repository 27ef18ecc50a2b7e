"""Topic strings: ``prefix:arg1,arg2,...`` split into single-symbol topics and checked.

"One symbol = one topic" (reference §5): ``/market/level2:A,B,C`` is three topics, each
keyed by its single-symbol spelling (``/market/level2:A``), which is also the ``topic`` of
the data frames it produces. Errors carry the venue's integer code and text (§4.4).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

__all__ = [
    "CANDLES",
    "CANDLE_TYPES",
    "DEPTH5",
    "DEPTH50",
    "LEVEL1",
    "LEVEL2",
    "MATCH",
    "PREFIXES",
    "SNAPSHOT",
    "TICKER",
    "Topic",
    "TopicError",
    "parse",
]

TICKER = "/market/ticker"
SNAPSHOT = "/market/snapshot"
MATCH = "/market/match"
LEVEL2 = "/market/level2"
CANDLES = "/market/candles"
LEVEL1 = "/spotMarket/level1"
DEPTH5 = "/spotMarket/level2Depth5"
DEPTH50 = "/spotMarket/level2Depth50"

PREFIXES = frozenset({TICKER, SNAPSHOT, MATCH, LEVEL2, CANDLES, LEVEL1, DEPTH5, DEPTH50})
"""The public spot topics the emulator serves."""

CANDLE_TYPES: dict[str, int] = {
    "1min": 60,
    "3min": 180,
    "5min": 300,
    "15min": 900,
    "30min": 1800,
    "1hour": 3600,
    "2hour": 7200,
    "4hour": 14400,
    "6hour": 21600,
    "8hour": 28800,
    "12hour": 43200,
    "1day": 86400,
    "1week": 604800,
}
"""Candle types and their length in seconds. ``1month`` is left out: the synthetic
market's candles have a fixed length, and a 30-day stand-in would start on wrong days."""


class TopicError(Exception):
    """A subscribe/unsubscribe the venue refuses: ``code`` and ``text`` of the error frame."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class Topic:
    """One single-symbol topic. ``symbol`` is None for ``/market/ticker:all``."""

    prefix: str
    symbol: str | None
    candle: str | None = None  # candle type, for /market/candles

    @property
    def key(self) -> str:
        """The single-symbol topic string, as data frames carry it."""
        if self.symbol is None:
            return f"{self.prefix}:all"
        if self.candle is not None:
            return f"{self.prefix}:{self.symbol}_{self.candle}"
        return f"{self.prefix}:{self.symbol}"


def not_exist() -> TopicError:
    """The error for an unknown topic prefix or an unparsable topic."""
    return TopicError(404, "topic does not exist")


def parse(topic: object, symbols: Container[str], *, max_symbols: int = 100) -> list[Topic]:
    """Split ``topic`` into single-symbol :class:`Topic` objects, or raise :class:`TopicError`.

    The whole request fails on the first problem (whitespace anywhere 400, unknown prefix
    404, more than ``max_symbols`` arguments 509, an unknown symbol 404), as the venue
    rejects it whole. Whitespace: since February 2026 the venue answers
    ``400 "topic /market/match: BTC-USDT is invalid"`` to a topic with a space after the
    colon (which cryptofeed 2.4.1 sends; cryptofeed issue #1100), naming the topic as sent.
    """
    if isinstance(topic, str) and any(c.isspace() for c in topic):
        raise TopicError(400, f"topic {topic} is invalid")
    if not isinstance(topic, str) or ":" not in topic:
        raise not_exist()
    prefix, _, rest = topic.partition(":")
    if prefix not in PREFIXES:
        raise not_exist()
    args = list(dict.fromkeys(rest.split(",")))  # a repeated symbol is one topic
    if len(args) > max_symbols:
        raise TopicError(509, f"exceed max subscription count limitation of {max_symbols} per time")
    found: list[Topic] = []
    for arg in args:
        if prefix == TICKER and arg == "all":
            found.append(Topic(prefix, None))
            continue
        candle: str | None = None
        symbol = arg
        if prefix == CANDLES:
            symbol, _, candle = arg.rpartition("_")
            if candle not in CANDLE_TYPES:
                raise TopicError(404, f"topic {prefix}:{arg} is not found")
        if symbol not in symbols:
            raise TopicError(404, f"topic {prefix}:{arg} is not found")
        found.append(Topic(prefix, symbol, candle))
    return found
