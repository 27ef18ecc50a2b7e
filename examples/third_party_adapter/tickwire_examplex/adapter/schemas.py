"""examplex market-data frames, field names verbatim (PROTOCOL.md), decoded from bytes.

Server frames are one union tagged on ``"t"``; prices and quantities are decimal strings,
decoded to :class:`~decimal.Decimal` without a float in between.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec


class Frame(msgspec.Struct, frozen=True, tag_field="t"):
    """Any server frame."""


class Market(msgspec.Struct, frozen=True):
    """One listed market: ``btc_usd``, its assets and increments."""

    market: str
    base: str
    quote: str
    tick: Decimal  # price increment
    lot: Decimal  # quantity increment
    min_qty: Decimal


class Hello(Frame, frozen=True, tag="hello"):
    """The first frame of every connection."""

    time: int
    markets: list[Market]


class Ok(Frame, frozen=True, tag="ok"):
    """Request ``id`` succeeded; ``result`` depends on the request."""

    id: int
    result: dict[str, Any] = {}


class Err(Frame, frozen=True, tag="err"):
    """Request ``id`` was refused."""

    id: int
    code: str
    msg: str = ""


class Pong(Frame, frozen=True, tag="pong"):
    """The reply to a ping."""

    id: int


class Ticker(Frame, frozen=True, tag="ticker"):
    """Best bid/ask and the last price."""

    market: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    time: int
    last: Decimal | None = None


class Trade(Frame, frozen=True, tag="trade"):
    """One public trade; ``taker`` is the aggressor's side."""

    market: str
    tid: int
    price: Decimal
    qty: Decimal
    taker: str
    time: int


class Book(Frame, frozen=True, tag="book"):
    """A book snapshot or delta; ``seq`` grows by one per message."""

    market: str
    kind: str  # "snapshot" | "delta"
    seq: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    time: int
