"""The Kraken book and ticker update paths in C (optional; sources in
``adapters/kraken/csrc``).

Built from ``pyproject.toml``'s ext-modules where a compiler is present;
:mod:`tickwire.adapters.kraken.book` uses it when importable (``EXTENSION``; the
client's ``fast_feed`` and ``fast_ticker``) and falls back to the pure-Python path,
with the same results, when it is not, or when ``TICKWIRE_NO_EXTENSIONS=1``.
"""

from collections.abc import Callable, Hashable, Mapping
from types import NotImplementedType
from typing import Any, final

@final
class Book:
    """The C side of one :class:`~tickwire.adapters.kraken.book.KrakenBook` (its
    ``mirror``): levels best first with their checksum texts, for :func:`feed`.

    It holds the mirror's OrderBook dict and sorted list and updates them in the same
    pass as its own levels. Raises ``ValueError`` for precisions outside 0-30 and
    ``TypeError`` when ``mirror`` is not an OrderBook.
    """

    def __init__(self, mirror: Any, price_precision: int, qty_precision: int) -> None: ...
    @property
    def valid(self) -> bool:
        """In step with the mirror (loaded from it while synced): :func:`feed` may apply."""

    @property
    def written(self) -> bool:
        """:func:`feed` applied updates since the last :meth:`load`: the mirror's own
        level texts (the Python path's) are behind."""

    def load(self) -> bool:
        """Rebuild from the mirror's levels; ``False`` (and not valid) when the mirror is
        not synced or holds a value the C texts cannot represent exactly."""

    def reset(self) -> None:
        """Drop every level: not valid until the next :meth:`load`."""

    def levels(self) -> tuple[list[tuple[Any, Any, str]], list[tuple[Any, Any, str]]]:
        """``(bids, asks)`` best first, as ``(price, qty, checksum text)`` (for tests)."""

    def checksum(self) -> int:
        """Kraken's CRC32 of the levels held (for tests)."""

def feed(
    books: Mapping[str, Any],
    frame: bytes,
    received: int,
    push: Callable[[Any], object],
    activity: dict[Hashable, int],
) -> NotImplementedType | None:
    """Take one frame if it is a book update for a valid C book.

    ``books`` maps symbols to KrakenBooks (the keeper's dict); each one's ``_cbook`` is
    read. For a ``{"channel":"book","type":"update"}`` frame of the strict shape the
    scanner takes, with values and timestamp that pass tickwire's rules: records
    ``activity[("book", symbol)] = received``, applies the rows to the C book and its
    mirror, sets the mirror's ``ts``, verifies Kraken's CRC32 and calls ``push`` with the
    :class:`~tickwire.core.types.BookUpdate`; returns ``None``. On a checksum mismatch
    it resets the mirror (``mirror.reset()``) and raises
    :class:`~tickwire.core.errors.BookOutOfSync` with the symbol. Any other frame, or
    one it is unsure of, returns ``NotImplemented`` having touched nothing: the Python
    path then takes it, with its precise errors.
    """

def ticker(
    frame: bytes,
    received: int,
    push: Callable[[Any], object],
    activity: dict[Hashable, int],
    tickers: dict[str, Any],
) -> NotImplementedType | None:
    """Take one frame if it is a ticker update of the strict shape the scanner takes.

    For a ``{"channel":"ticker","type":"update","data":[{...}]}`` frame with exactly one
    entry, its keys the ones Kraken sends (``symbol``, the six values, ``timestamp``, and
    ``vwap``, ``low``, ``high``, ``change``, ``change_pct``, ``trades``, skipped when they
    are JSON numbers), plain numbers (no sign, no exponent) within tickwire's value
    rules, no string escapes, and a timestamp ``rfc3339_to_ns`` reads within range (or
    none: ``ts`` is then ``received``): builds the
    :class:`~tickwire.core.types.Ticker` ``parse.to_tickers`` builds (the same Decimals,
    str() included), records ``activity[("ticker", symbol)] = received`` and
    ``tickers[symbol] = ticker``, calls ``push`` with it and returns ``None``. Any other
    frame, or one it is unsure of, returns ``NotImplemented`` having touched nothing:
    the Python path then takes it, with its precise errors.
    """

def crc32(data: bytes, value: int = 0, /) -> int:
    """``zlib.crc32(data, value)``, by the module's own CRC (PCLMUL where available)."""
