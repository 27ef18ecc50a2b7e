"""What every venue's ``parse`` module needs, written once: the common wire spellings of
sides and order types, symbol maps, and the slow path of the value checks::

    SIDES[entry.side]                          # "buy" -> Side.BUY
    to_unified, to_native = joined_by("-")     # "BTC-USDT" <-> "BTC/USDT", memoized
    decimals(Decimal("0.001"), "kucoin")       # 3: an increment's decimal places
    price_levels(rows, "kucoin: depth bid")    # [price, size] rows, checked, as BookLevels

A per-frame path checks each value with one chained comparison inline (no call per
value); only once one fails does it ask :func:`refusal` (or :func:`price_levels`) for the
precise :class:`~tickwire.core.errors.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NoReturn

from tickwire.core.checks import Fields
from tickwire.core.errors import DecodeError
from tickwire.core.types import BookLevel, OrderType, Side
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, ZERO, check_ts

__all__ = [
    "ORDER_TYPES",
    "SIDES",
    "SYMBOL_CACHE_SIZE",
    "decimals",
    "joined_by",
    "out_of_range",
    "price_levels",
    "refusal",
    "unchanged",
]

SIDES: dict[str, Side] = {"buy": Side.BUY, "sell": Side.SELL}
"""``buy``/``sell`` (KuCoin's and Kraken's spelling) → :class:`~tickwire.core.types.Side`;
a dict lookup is cheaper than ``Side(text)``, and a ``KeyError`` names the stray value."""

ORDER_TYPES: dict[str, OrderType] = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
"""``limit``/``market`` → :class:`~tickwire.core.types.OrderType`."""

SYMBOL_CACHE_SIZE = 8192
"""Symbols kept by each memoized map of :func:`joined_by`: bounded, because symbols come
from the venue, and a flood of garbage ones must not grow memory without limit."""


def unchanged(symbol: str) -> str:
    """The symbol as is: both ways of a venue that already spells ``BASE/QUOTE``
    (Kraken v2's ``BTC/USD``)."""
    return symbol


def joined_by(separator: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """``(to_unified, to_native)`` for a venue that spells ``BASE{separator}QUOTE``.

    Both are memoized (bounded by :data:`SYMBOL_CACHE_SIZE`) and idempotent: a symbol
    without the separator (already converted, or a market code like ``BTC``) comes back
    unchanged.
    """

    @lru_cache(maxsize=SYMBOL_CACHE_SIZE)
    def to_unified(symbol: str) -> str:
        """The venue's symbol (``BTC-USDT``) as tickwire's ``BASE/QUOTE``."""
        base, found, quote = symbol.partition(separator)
        return f"{base}/{quote}" if found else symbol

    @lru_cache(maxsize=SYMBOL_CACHE_SIZE)
    def to_native(symbol: str) -> str:
        """tickwire's ``BASE/QUOTE`` as the venue's symbol (the inverse of ``to_unified``)."""
        base, found, quote = symbol.partition("/")
        return f"{base}{separator}{quote}" if found else symbol

    return to_unified, to_native


def decimals(increment: Decimal, venue: str) -> int:
    """The decimal places of a step: ``0.00001`` → 5, ``0.10`` → 1, ``1`` and ``10`` → 0.

    Raises :class:`~tickwire.core.errors.DecodeError` (naming ``venue``) unless
    ``increment`` is a positive finite number.
    """
    if not increment.is_finite() or increment <= 0:
        raise DecodeError(f"{venue}: increment must be a positive number, got {increment}")
    exponent = increment.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, so never 'n'/'N'/'F'
    return max(0, -exponent)


def out_of_range(what: str, data: object) -> NoReturn:
    """Raise the :class:`~tickwire.core.errors.DecodeError` ``"{what} out of range"``,
    keeping ``repr(data)``: the cold path of an inline check that failed."""
    raise DecodeError(f"{what} out of range", repr(data))


def price_levels(rows: Iterable[tuple[Decimal, Decimal]], what: str) -> list[BookLevel]:
    """``[price, size]`` rows as levels, each price ``> 0`` and size ``>= 0``, else a
    :class:`~tickwire.core.errors.DecodeError` ``"{what} out of range"`` keeping the row."""
    levels = []
    try:
        for price, size in rows:
            if not (ZERO < price < MAX_PRICE and ZERO <= size < MAX_SIZE):
                out_of_range(what, (price, size))
            levels.append(BookLevel(price, size))
    except InvalidOperation:  # a NaN: Decimal refuses to order it
        out_of_range(what, rows)
    return levels


def refusal(fields: Fields, record: object, what: str, ts: int | None = None) -> DecodeError:
    """The precise error for a ``record`` whose inline value check failed: ``fields``
    re-checks it, naming the field (and a NaN's ``InvalidOperation`` becomes the
    ``DecodeError``), then ``ts``, if given."""
    try:
        fields.check(record, what)
        if ts is not None:
            check_ts(ts, f"{what} timestamp")
    except DecodeError as exc:
        return exc
    return DecodeError(f"{what}: a value out of range")  # not reached in practice
