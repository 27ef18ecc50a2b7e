"""The value rules every adapter applies at the decode boundary.

A venue can send anything, so a number that decoded is not yet a number a strategy may
trade on. Whatever an adapter delivers obeys these rules; a frame that breaks one is a
:class:`~tickwire.core.errors.DecodeError` (and so a ``StreamError`` event), never an
event:

=====================  ===================================================================
value                  rule
=====================  ===================================================================
price                  finite, ``0 < price < MAX_PRICE`` (where the venue's semantics
                       require a price: trades, book levels, candles, best bid/ask)
size, volume           finite, ``0 <= size < MAX_SIZE``
signed amount          finite, ``-MAX_SIZE < amount < MAX_SIZE`` (a balance, a ledger
                       entry's amount, a fee a rebate can make negative)
timestamp              ``MIN_TS_NS <= ts <= MAX_TS_NS`` (years 2000 to 2100), after the
                       venue's unit is converted to nanoseconds
sequence number        ``0 <= n < 2**63``
=====================  ===================================================================

Integers are checked *in* the decode step: annotate a wire field with
:data:`Sequence`, :data:`TimestampMs`, :data:`TimestampUs` or :data:`TimestampNs` and
msgspec refuses a violation while decoding, at C speed. msgspec cannot constrain a
``Decimal`` (``Meta(gt=...)`` is for ``int`` and ``float`` only), so prices and sizes are
checked by :func:`check_price` / :func:`check_size` (or the same chained comparison
inlined on a hot path) where the adapter already touches each value to build the event.
A ``NaN`` fails every comparison loudly (``decimal.InvalidOperation``), which the helpers
turn into the same :class:`DecodeError`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec

from tickwire.core.errors import DecodeError

__all__ = [
    "MAX_PRICE",
    "MAX_SIZE",
    "MAX_TS_NS",
    "MIN_TS_NS",
    "ZERO",
    "Sequence",
    "TimestampMs",
    "TimestampNs",
    "TimestampUs",
    "check_price",
    "check_signed",
    "check_size",
    "check_ts",
]

ZERO = Decimal(0)
MAX_PRICE = Decimal("1e12")  # no spot asset trades at a trillion quote units
MAX_SIZE = Decimal("1e18")  # above the whole supply of any token listed on a spot venue

MIN_TS_NS = 946_684_800 * 10**9  # 2000-01-01T00:00:00Z
MAX_TS_NS = 4_102_444_800 * 10**9  # 2100-01-01T00:00:00Z

Sequence = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
"""A venue sequence number: non-negative and within a signed 64-bit integer."""

TimestampMs = Annotated[int, msgspec.Meta(ge=MIN_TS_NS // 10**6, le=MAX_TS_NS // 10**6)]
"""Milliseconds since the epoch, between 2000 and 2100."""

TimestampUs = Annotated[int, msgspec.Meta(ge=MIN_TS_NS // 10**3, le=MAX_TS_NS // 10**3)]
"""Microseconds since the epoch, between 2000 and 2100."""

TimestampNs = Annotated[int, msgspec.Meta(ge=MIN_TS_NS, le=MAX_TS_NS)]
"""Nanoseconds since the epoch, between 2000 and 2100."""


def check_price(value: Decimal, what: str = "price") -> Decimal:
    """Return ``value`` if it is a usable price, else raise :class:`DecodeError`."""
    try:
        if ZERO < value < MAX_PRICE:
            return value
    except InvalidOperation:  # NaN
        pass
    raise DecodeError(f"{what} out of range: {value}")


def check_size(value: Decimal, what: str = "size") -> Decimal:
    """Return ``value`` if it is a usable size or volume, else raise :class:`DecodeError`."""
    try:
        if ZERO <= value < MAX_SIZE:
            return value
    except InvalidOperation:  # NaN
        pass
    raise DecodeError(f"{what} out of range: {value}")


def check_ts(ns: int, what: str = "timestamp") -> int:
    """Return ``ns`` if it lies between 2000 and 2100, else raise :class:`DecodeError`."""
    if MIN_TS_NS <= ns <= MAX_TS_NS:
        return ns
    raise DecodeError(f"{what} out of range: {ns}")


def check_signed(value: Decimal, what: str = "amount") -> Decimal:
    """Return ``value`` if it is a usable signed amount, else raise :class:`DecodeError`."""
    try:
        if -MAX_SIZE < value < MAX_SIZE:
            return value
    except InvalidOperation:  # NaN
        pass
    raise DecodeError(f"{what} out of range: {value}")
