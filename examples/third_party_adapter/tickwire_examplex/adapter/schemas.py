"""examplex wire frames, field names verbatim (PROTOCOL.md), decoded straight from bytes.

Server frames form one tagged union on ``"t"``; prices and quantities are decimal strings,
decoded to :class:`~decimal.Decimal` without a float in between.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "Balance",
    "Book",
    "Err",
    "Frame",
    "Hello",
    "Market",
    "Ok",
    "Order",
    "Pong",
    "Ticker",
    "Trade",
    "decoder",
]


class _Frame(msgspec.Struct, frozen=True, tag_field="t"):
    pass


class Market(msgspec.Struct, frozen=True):
    """One listed market."""

    market: str  # "btc_usd"
    base: str
    quote: str
    tick: Decimal  # price increment
    lot: Decimal  # quantity increment
    min_qty: Decimal


class Hello(_Frame, frozen=True, tag="hello"):
    """The first frame of every connection."""

    time: int
    markets: list[Market]


class Ok(_Frame, frozen=True, tag="ok"):
    """A request succeeded; ``result`` depends on the request."""

    id: int
    result: dict[str, Any] = {}


class Err(_Frame, frozen=True, tag="err"):
    """A request was refused."""

    id: int
    code: str
    msg: str = ""


class Pong(_Frame, frozen=True, tag="pong"):
    """The reply to a ping."""

    id: int


class Ticker(_Frame, frozen=True, tag="ticker"):
    """Best bid/ask and the last price."""

    market: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    time: int
    last: Decimal | None = None


class Trade(_Frame, frozen=True, tag="trade"):
    """One public trade; ``taker`` is the aggressor's side."""

    market: str
    tid: int
    price: Decimal
    qty: Decimal
    taker: str
    time: int


class Book(_Frame, frozen=True, tag="book"):
    """A book snapshot or delta; ``seq`` grows by one per message."""

    market: str
    kind: str  # "snapshot" | "delta"
    seq: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    time: int


class Order(_Frame, frozen=True, tag="order"):
    """A change to one of the account's orders."""

    oid: str
    market: str
    side: str
    kind: str
    state: str  # open | partial | filled | canceled | rejected
    qty: Decimal
    filled: Decimal
    time: int
    cid: str | None = None
    price: Decimal | None = None
    avg: Decimal | None = None
    fill_price: Decimal | None = None
    fill_qty: Decimal | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None


class Balance(_Frame, frozen=True, tag="balance"):
    """One asset's balance."""

    asset: str
    total: Decimal
    free: Decimal
    locked: Decimal
    time: int


Frame = Hello | Ok | Err | Pong | Ticker | Trade | Book | Order | Balance

decoder: msgspec.json.Decoder[Frame] = msgspec.json.Decoder(Frame)
"""Decodes any server frame; raises ``msgspec.DecodeError`` on anything else."""
