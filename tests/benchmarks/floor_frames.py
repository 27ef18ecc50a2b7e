"""What floor-typed decodes each frame into: small Structs with ``Decimal`` prices.

One typed pass per frame, as a careful hand-written client would do it (the floor knows
what its socket carries); it keeps no book and checks nothing but the message type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["TYPED"]


class _KucoinTicker(msgspec.Struct, rename="camel"):
    sequence: str
    price: Decimal
    size: Decimal
    best_ask: Decimal
    best_ask_size: Decimal
    best_bid: Decimal
    best_bid_size: Decimal
    time: int


class _KucoinChanges(msgspec.Struct):
    asks: list[tuple[Decimal, Decimal, str]]
    bids: list[tuple[Decimal, Decimal, str]]


class _KucoinIncrement(msgspec.Struct, rename="camel"):
    changes: _KucoinChanges
    sequence_start: int
    sequence_end: int
    symbol: str
    time: int


class _KucoinTickerFrame(msgspec.Struct):
    type: str
    topic: str
    subject: str
    data: _KucoinTicker


class _KucoinIncrementFrame(msgspec.Struct):
    type: str
    topic: str
    subject: str
    data: _KucoinIncrement


class _KrakenTickerRow(msgspec.Struct):
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    timestamp: str


class _KrakenTickerFrame(msgspec.Struct):
    channel: str
    type: str
    data: list[_KrakenTickerRow]


class _KrakenLevel(msgspec.Struct):
    price: Decimal
    qty: Decimal


class _KrakenBookRow(msgspec.Struct):
    symbol: str
    bids: list[_KrakenLevel]
    asks: list[_KrakenLevel]
    checksum: int
    timestamp: str


class _KrakenBookFrame(msgspec.Struct):
    channel: str
    type: str
    data: list[_KrakenBookRow]


# stream → (typed frame, the ``type`` every update has)
TYPED: dict[str, tuple[type[Any], str]] = {
    "kucoin-ticker": (_KucoinTickerFrame, "message"),
    "kucoin-l2": (_KucoinIncrementFrame, "message"),
    "kraken-ticker": (_KrakenTickerFrame, "update"),
    "kraken-book": (_KrakenBookFrame, "update"),
}
