"""Kraken's L2 book integrity: apply v2 ``book`` messages and verify their CRC32.

Kraken sends a checksum with every book snapshot *and* update, computed after the
message was applied and each side truncated to the subscribed depth
(``shared/reference/kraken-ws-v2.md`` §6.2)::

    crc32( for the 10 best asks, lowest first:   fmt(price) + fmt(qty)
         + for the 10 best bids, highest first:  fmt(price) + fmt(qty) )

where ``fmt`` writes the value with exactly the instrument's decimals, drops the ``.``
and strips leading zeros. The decimals come from the ``instrument`` channel, so the
client subscribes ``instrument`` first and builds books with
:meth:`KrakenBook.for_instrument`; a book whose decimals are still unknown refuses to
become synced rather than hand out levels it could not verify.

On a mismatch the book is reset and :class:`~tickwire.core.errors.BookOutOfSync` is
raised once; updates are then ignored until the next snapshot (the client resubscribes).
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from itertools import chain

from tickwire.adapters.kraken.parse import VENUE, to_native
from tickwire.adapters.kraken.schemas import BookData
from tickwire.core.book import OrderBook
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.timestamps import rfc3339_to_ns
from tickwire.core.types import BookLevel, BookUpdate, Instrument
from tickwire.core.validation import (
    MAX_PRICE,
    MAX_SIZE,
    MAX_TS_NS,
    MIN_TS_NS,
    ZERO,
    check_price,
    check_size,
)

__all__ = ["CHECKSUM_LEVELS", "KrakenBook", "checksum"]

CHECKSUM_LEVELS = 10
"""How many levels per side the checksum covers, whatever the subscribed depth."""

# Text caches, one per precision: Decimal -> its checksum text (fixed decimals, no ".",
# no leading zeros). Prices and sizes are cached apart: the top of a book keeps its
# prices between messages while one size changes, so a per-level cache would miss on
# nearly every update, but per value only the changed size is formatted. Keyed by value
# (Decimals cache their hashes), so trimmed and full-precision wire values share entries.
# Bounded: a full cache is simply emptied.
_text_caches: dict[int, dict[Decimal, str]] = {}
_TEXT_CACHE_SIZE = 16384
_MAX_DIGITS = 40  # integer digits beyond any real price or size
_TEXTS_PER_BOOK = 4096  # level texts kept per book before stale ones are pruned


def _texts(values: list[Decimal], cache: dict[Decimal, str], places: str) -> list[str]:
    """The checksum text of each value: cache hits in C, only misses formatted."""
    texts = list(map(cache.get, values))
    if None not in texts:
        return texts  # type: ignore[return-value]
    if len(cache) >= _TEXT_CACHE_SIZE:
        cache.clear()
    for index, value in enumerate(values):
        if texts[index] is None:
            # 1E+999999999 is valid JSON and a valid Decimal, but fixed-point
            # formatting would build a gigantic string: refuse it. Only new values
            # get here, so the check costs nothing on the common path.
            if value.adjusted() > _MAX_DIGITS:
                raise ValueError(f"implausible book value {value}")
            # One C call: keeps a full-precision wire value's digits, pads or rounds
            # a trimmed one (cheaper than inspecting the exponent first).
            texts[index] = cache[value] = format(value, places).replace(".", "").lstrip("0")
    return texts  # type: ignore[return-value]


class _Formatter:
    """Checksum text for one pair of precisions: format specs plus the text caches."""

    __slots__ = ("price_cache", "price_places", "qty_cache", "qty_places")

    def __init__(self, price_precision: int, qty_precision: int) -> None:
        if price_precision < 0 or qty_precision < 0:
            raise ValueError(f"precisions must be >= 0, got {price_precision}/{qty_precision}")
        self.price_places = f".{price_precision}f"
        self.qty_places = f".{qty_precision}f"
        self.price_cache = _text_caches.setdefault(price_precision, {})
        self.qty_cache = _text_caches.setdefault(qty_precision, {})

    def level_text(self, price: Decimal, qty: Decimal) -> str:
        """``fmt(price) + fmt(qty)`` of one level (per changed row: kept lean)."""
        price_text = self.price_cache.get(price)
        if price_text is None:
            (price_text,) = _texts([price], self.price_cache, self.price_places)
        qty_text = self.qty_cache.get(qty)
        if qty_text is None:
            (qty_text,) = _texts([qty], self.qty_cache, self.qty_places)
        return price_text + qty_text

    def level_texts(self, levels: list[tuple[Decimal, Decimal]]) -> dict[Decimal, str]:
        """Price → level text for whole levels (a snapshot, a rebuild)."""
        prices = _texts([p for p, _ in levels], self.price_cache, self.price_places)
        sizes = _texts([q for _, q in levels], self.qty_cache, self.qty_places)
        return {level[0]: p + q for level, p, q in zip(levels, prices, sizes, strict=True)}

    def update_texts(self, texts: dict[Decimal, str], rows: list[tuple[Decimal, Decimal]]) -> None:
        """Apply a message's rows to ``texts`` in order: qty 0 removes the level."""
        for price, qty in rows:
            if qty:
                texts[price] = self.level_text(price, qty)
            else:
                texts.pop(price, None)

    def crc(self, book: OrderBook) -> int:
        """The checksum of ``book`` (see :func:`checksum`)."""
        ask_prices, ask_sizes, bid_prices, bid_sizes = book.top_prices(CHECKSUM_LEVELS)
        prices = _texts(ask_prices + bid_prices, self.price_cache, self.price_places)
        sizes = _texts(ask_sizes + bid_sizes, self.qty_cache, self.qty_places)
        # price, size, price, size, ...: asks best first, then bids best first.
        text = "".join(chain.from_iterable(zip(prices, sizes, strict=True)))
        return zlib.crc32(text.encode("ascii"))


def checksum(book: OrderBook, price_precision: int, qty_precision: int) -> int:
    """Kraken's CRC32 of ``book``'s top 10 levels per side, as an unsigned 32-bit int.

    ``price_precision``/``qty_precision`` are the pair's decimals (``instrument``
    channel). Matches the ``checksum`` of a v2 ``book`` message once it is applied.
    """
    return _Formatter(price_precision, qty_precision).crc(book)


class KrakenBook:
    """One symbol's book at a subscribed depth, kept in sync with Kraken's checksums::

        book = KrakenBook.for_instrument(instrument, depth=10)
        for data in msg.data:  # a BookMessage
            update = book.apply(data, msg.type == "snapshot", received)
            if update is not None:
                deliver(update)

    :meth:`apply` raises :class:`~tickwire.core.errors.DecodeError` for a message that
    breaks the value rules (a price not positive and finite, a negative or non-finite
    qty, a bad timestamp) *before* touching the book, and
    :class:`~tickwire.core.errors.BookOutOfSync` on a checksum mismatch (or a level the
    engine refuses), after resetting the book; it returns ``None`` for updates that
    arrive before the next snapshot.

    The checksum needs the pair's decimals. A book may be created before they are known
    (:meth:`set_precisions` supplies them), but it is never synced without them: a
    snapshot then raises ``BookOutOfSync`` instead of yielding an unverified book.
    """

    __slots__ = (
        "_ask_texts",
        "_bid_texts",
        "_book",
        "_formatter",
        "_native",
        "_precisions",
        "_symbol",
    )

    def __init__(
        self,
        symbol: str,
        depth: int,
        *,
        price_precision: int | None = None,
        qty_precision: int | None = None,
    ) -> None:
        """``symbol`` is unified (``BTC/USD``), ``depth`` the subscribed depth.

        Give both precisions or neither (then call :meth:`set_precisions` before the
        first snapshot arrives).
        """
        self._symbol = symbol
        self._native = to_native(symbol)
        self._book = OrderBook(VENUE, symbol, depth=depth)
        self._formatter: _Formatter | None = None
        self._precisions: tuple[int, int] | None = None
        # price -> fmt(price) + fmt(qty) of the level resting there, per side: kept up
        # to date row by row, so a message's checksum is a C-level slice, map and join.
        self._bid_texts: dict[Decimal, str] = {}
        self._ask_texts: dict[Decimal, str] = {}
        if price_precision is not None and qty_precision is not None:
            self.set_precisions(price_precision, qty_precision)
        elif price_precision is not None or qty_precision is not None:
            raise ValueError("give both price_precision and qty_precision, or neither")

    @classmethod
    def for_instrument(cls, instrument: Instrument, depth: int) -> KrakenBook:
        """A book for ``instrument`` (from ``to_instruments``) at the subscribed depth."""
        return cls(
            instrument.symbol,
            depth,
            price_precision=instrument.price_precision,
            qty_precision=instrument.size_precision,
        )

    def __repr__(self) -> str:
        return (
            f"<KrakenBook {self._symbol} depth={self._book.depth} "
            f"precisions={self._precisions} synced={self.synced}>"
        )

    @property
    def symbol(self) -> str:
        """The unified symbol."""
        return self._symbol

    @property
    def book(self) -> OrderBook:
        """The live engine book (read it; only :meth:`apply` should write it)."""
        return self._book

    @property
    def synced(self) -> bool:
        """False until a verified snapshot was applied, and again after a mismatch."""
        return self._book.synced

    @property
    def precisions(self) -> tuple[int, int] | None:
        """``(price_precision, qty_precision)`` for the checksum; ``None`` until known."""
        return self._precisions

    def set_precisions(self, price_precision: int, qty_precision: int) -> None:
        """Adopt the pair's decimals (``instrument`` channel); the next checksum uses them."""
        self._formatter = _Formatter(price_precision, qty_precision)  # validates
        self._precisions = (price_precision, qty_precision)

    def reset(self) -> None:
        """Forget every level (a reconnect): updates are ignored until a snapshot."""
        self._book.reset()

    def apply(self, data: BookData, snapshot: bool, received: int) -> BookUpdate | None:
        """Apply one ``book`` entry and verify its checksum.

        A snapshot replaces the book; an update applies its rows in array order (qty 0
        deletes); then each side is truncated to the depth, and the checksum checked.
        Returns the levels as Kraken gave them, or ``None`` if the update was ignored
        because the book awaits a snapshot. ``ts`` is the entry's ``timestamp``, else
        ``received``.
        """
        if data.symbol != self._native:
            raise ValueError(f"{data.symbol} book data routed to the {self._native} book")
        # Checked before anything touches the book, even an update the book would ignore:
        # every refused message is reported, and a refused one changes nothing.
        stamp = data.timestamp
        try:
            ts = received if stamp is None else rfc3339_to_ns(stamp)
            # Rows are built and checked in the one pass that builds them anyway; a
            # refused level is filtered out, which the length comparison then reveals.
            bid_rows = [
                (level.price, level.qty)
                for level in data.bids
                if ZERO < level.price < MAX_PRICE and ZERO <= level.qty < MAX_SIZE
            ]
            ask_rows = [
                (level.price, level.qty)
                for level in data.asks
                if ZERO < level.price < MAX_PRICE and ZERO <= level.qty < MAX_SIZE
            ]
        except ValueError as exc:  # only rfc3339_to_ns raises it
            raise DecodeError(f"kraken: bad book timestamp: {exc}") from exc
        except ArithmeticError:  # a NaN price or qty
            raise _refused_level(data) from None
        if len(bid_rows) != len(data.bids) or len(ask_rows) != len(data.asks):
            raise _refused_level(data)
        if stamp is not None and not MIN_TS_NS <= ts <= MAX_TS_NS:
            raise DecodeError(f"kraken: book timestamp out of range: {stamp}")
        book = self._book
        if not snapshot and not book.synced:
            return None
        formatter = self._formatter
        if formatter is None:  # only a snapshot gets here: the book cannot be synced yet
            raise BookOutOfSync(
                self._symbol, "instrument precisions unknown: cannot verify the checksum"
            )
        try:
            if snapshot:
                book.apply_snapshot(bid_rows, ask_rows, ts=ts)
                self._bid_texts = formatter.level_texts(book.top_bids(len(bid_rows)))
                self._ask_texts = formatter.level_texts(book.top_asks(len(ask_rows)))
            else:
                book.apply_delta(bid_rows, ask_rows, ts=ts)
                formatter.update_texts(self._bid_texts, bid_rows)
                formatter.update_texts(self._ask_texts, ask_rows)
                if len(self._bid_texts) + len(self._ask_texts) > _TEXTS_PER_BOOK:
                    # Levels truncated out of the depth leave their texts behind.
                    self._bid_texts = formatter.level_texts(book.top_bids(len(book)))
                    self._ask_texts = formatter.level_texts(book.top_asks(len(book)))
            local = self._crc()
        except (ValueError, ArithmeticError, KeyError) as exc:
            # Values are checked above, so this is a safety net for what the engine or
            # the formatter still refuses: the book is half-applied and cannot be trusted.
            book.reset()
            raise BookOutOfSync(self._symbol, f"invalid level: {exc!r}") from exc
        if local != data.checksum:
            book.reset()
            raise BookOutOfSync(
                self._symbol, f"checksum mismatch: kraken {data.checksum}, local {local}"
            )
        return BookUpdate(
            venue=VENUE,
            symbol=self._symbol,
            bids=tuple([BookLevel(price, qty) for price, qty in bid_rows]),
            asks=tuple([BookLevel(price, qty) for price, qty in ask_rows]),
            snapshot=snapshot,
            ts=ts,
            received=received,
        )

    def _crc(self) -> int:
        ask_prices, bid_prices = self._book.best_prices(CHECKSUM_LEVELS)
        text = "".join(map(self._ask_texts.__getitem__, ask_prices)) + "".join(
            map(self._bid_texts.__getitem__, bid_prices)
        )
        return zlib.crc32(text.encode("ascii"))


def _refused_level(data: BookData) -> DecodeError:
    """The precise error for the first level of ``data`` that breaks the value rules."""
    for side, levels in (("bid", data.bids), ("ask", data.asks)):
        for level in levels:
            try:
                check_price(level.price, f"kraken: book {side} price")
                check_size(level.qty, f"kraken: book {side} qty at {level.price}")
            except DecodeError as exc:
                return exc
    return DecodeError("kraken: book level out of range")  # not reached in practice
