"""Kraken's book checksum: the CRC32 of the top 10 levels per side, each price and
quantity written with exactly the instrument's decimals, without the dot and leading
zeros (``docs/venues/kraken.md``, Books; ``shared/reference/kraken-ws-v2.md`` §6.2).

:func:`checksum` computes it over any :class:`~tickwire.core.book.OrderBook`;
:class:`Fmt` writes one value's text, which :class:`~.book.KrakenBook` keeps per level so
that a message re-joins only the texts it changed.
"""

from __future__ import annotations

from decimal import Decimal

from tickwire.core.book import OrderBook

try:
    # zlib-ng's CRC32 is zlib's function (the same values) at about a third of the cost on
    # a book's ~150 bytes (55 vs 170 ns): used when installed (an optional dependency).
    from zlib_ng.zlib_ng import crc32
except ImportError:  # pragma: no cover - depends on what is installed
    from zlib import crc32

__all__ = ["CHECKSUM_LEVELS", "Fmt", "checksum", "crc32"]

CHECKSUM_LEVELS = 10
"""How many levels per side the checksum covers, whatever the subscribed depth."""

_MAX_DIGITS = 40  # integer digits beyond any real price or size


class Fmt:
    """A value's checksum text at one precision: exactly ``places`` decimals, no dot, no
    leading zeros."""

    __slots__ = ("dot", "end", "spec")

    def __init__(self, places: int) -> None:
        if places < 0:
            raise ValueError(f"precisions must be >= 0, got {places}")
        self.dot, self.end, self.spec = -places - 1, -places, f".{places}f"

    def __call__(self, value: Decimal) -> str:
        # Kraken writes every number with the instrument's decimals, and msgspec builds
        # the Decimal from those digits, so str() gives the wire text back: taking it as
        # is costs a third of formatting. Anything else (a trimmed or exponent form, a
        # precision of 0) is formatted.
        text = str(value)
        if text[self.dot : self.end] == "." and "E" not in text:
            return text.replace(".", "").lstrip("0")
        # 1E+999999999 is a valid Decimal, but fixed-point formatting would build a
        # gigantic string: refuse it (the value rules refuse it earlier on the wire path).
        if value.adjusted() > _MAX_DIGITS:
            raise ValueError(f"implausible book value {value}")
        return format(value, self.spec).replace(".", "").lstrip("0")


def checksum(book: OrderBook, price_precision: int, qty_precision: int) -> int:
    """Kraken's CRC32 of ``book``'s top 10 levels per side, as an unsigned 32-bit int.

    ``price_precision``/``qty_precision`` are the pair's decimals (``instrument``
    channel). Matches the ``checksum`` of a v2 ``book`` message once it is applied.
    """
    price, qty = Fmt(price_precision), Fmt(qty_precision)
    levels = book.top_asks(CHECKSUM_LEVELS) + book.top_bids(CHECKSUM_LEVELS)
    return crc32("".join([price(p) + qty(q) for p, q in levels]).encode())
