"""Kraken's L2 book integrity: apply v2 ``book`` messages and verify the CRC32 Kraken sends
with each, over the top 10 levels per side written at the instrument's decimals (the
algorithm and its text: :mod:`.checksum`).

The decimals come from the ``instrument`` channel (:meth:`KrakenBook.for_instrument`); a
book whose decimals are still unknown refuses to become synced. On a mismatch the book is
reset and :class:`~tickwire.core.errors.BookOutOfSync` is raised once; updates are then
ignored until the next snapshot (the client resubscribes).

Where the optional C extension (``_kbook``, ``adapters/kraken/csrc``) was built, each
book with known decimals owns a C twin (:attr:`KrakenBook.c_book`), and the client hands
each book update to :data:`fast_feed` first: parsed, checked, applied to both books,
verified and delivered in one C call. Any other frame, or any odd one, goes the Python
way below, unchanged. ``TICKWIRE_NO_EXTENSIONS=1`` (read once, at import) forces it.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tickwire.adapters.kraken.checksum import CHECKSUM_LEVELS, Fmt, checksum, crc32
from tickwire.adapters.kraken.parse import VENUE
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

if TYPE_CHECKING:
    from tickwire.adapters.kraken import _kbook

__all__ = ["CHECKSUM_LEVELS", "EXTENSION", "KrakenBook", "checksum", "fast_feed"]


def _load_extension() -> ModuleType | None:
    """The compiled module, unless switched off, not built, or core's value limits moved
    from the ones its digit counts encode (a price below 1e12, a size below 1e18)."""
    if os.environ.get("TICKWIRE_NO_EXTENSIONS", "") not in ("", "0"):
        return None
    if MAX_PRICE != Decimal("1e12") or MAX_SIZE != Decimal("1e18"):  # pragma: no cover
        return None
    try:
        from tickwire.adapters.kraken import _kbook
    except ImportError:  # pragma: no cover - an install without a compiler
        return None
    return _kbook


EXTENSION = _load_extension()
"""``tickwire.adapters.kraken._kbook`` when it is in use, else ``None`` (not built, or
``TICKWIRE_NO_EXTENSIONS`` set): the Python path then does everything, with the same
results."""

fast_feed: Any = EXTENSION.feed if EXTENSION is not None else None
"""``feed(books, frame, received, push, activity)`` of the extension, or ``None``: the
client's first try on a book update (``_kbook.pyi`` documents it)."""

_PRICE_TEXTS = 4096  # price texts kept per book (prices recur; a full cache is emptied)


class KrakenBook(OrderBook):
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
    arrive before the next snapshot. Read it as the engine's :class:`OrderBook` it is.

    The checksum needs the pair's decimals. A book may be created before they are known
    (:meth:`set_precisions` supplies them), but it is never synced without them: a
    snapshot then raises ``BookOutOfSync`` instead of yielding an unverified book.

    Kraken's per-message path is the costliest in tickwire (a CRC32 over 20 levels on
    every message), so an update skips the engine's general write path: each row updates
    the side's sizes, its sorted prices *and* a parallel list of level texts in one pass
    (:meth:`_write`), and a side's half of the checksum text is re-joined only when the
    message changed that side. Prices are interned (:meth:`_price`): hashing a fresh
    ``Decimal`` costs about three times decoding it (``hash`` works modulo a prime), and
    every row's price goes into dicts; one checked object per price, found by its text
    (a cheap ``str`` hash), keeps its hash cached.
    """

    __slots__ = (
        "_ask_crc",
        "_ask_texts",
        "_bid_bytes",
        "_bid_texts",
        "_cbook",
        "_known",
        "_precisions",
        "_price_fmt",
        "_price_texts",
        "_qty_fmt",
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
        super().__init__(VENUE, symbol, depth=depth)
        self._precisions: tuple[int, int] | None = None
        self._price_fmt = self._qty_fmt = Fmt(0)
        # Per side, fmt(price) + fmt(qty) of each level in the order of the sorted
        # prices (the top ten are a slice); the checksum's halves as they stood after
        # the last message (the ask half as its CRC, the bid half as bytes continuing it).
        self._bid_texts: list[str] = []
        self._ask_texts: list[str] = []
        self._ask_crc = 0
        self._bid_bytes = b""
        self._price_texts: dict[Decimal, str] = {}  # prices recur: fmt(price) cached
        self._known: dict[str, Decimal] = {}  # str(price) -> the checked, interned price
        # The C twin (the extension's Book), read by fast_feed: loaded from this book
        # after every write made here, reset with it, replaced with new decimals. When
        # it cannot represent a value, load() leaves it not valid: the Python path runs.
        self._cbook: _kbook.Book | None = None
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
            f"<KrakenBook {self.symbol} depth={self.depth} "
            f"precisions={self._precisions} synced={self.synced}>"
        )

    @property
    def book(self) -> OrderBook:
        """The book itself, as the engine's :class:`OrderBook` (read it; only
        :meth:`apply` should write it)."""
        return self

    @property
    def c_book(self) -> _kbook.Book | None:
        """The C twin :data:`fast_feed` applies updates to, or ``None`` (no extension,
        decimals unknown, or beyond what it represents)."""
        return self._cbook

    @property
    def precisions(self) -> tuple[int, int] | None:
        """``(price_precision, qty_precision)`` for the checksum; ``None`` until known."""
        return self._precisions

    def set_precisions(self, price_precision: int, qty_precision: int) -> None:
        """Adopt the pair's decimals (``instrument`` channel); the next checksum uses them."""
        self._price_fmt, self._qty_fmt = Fmt(price_precision), Fmt(qty_precision)
        self._precisions = (price_precision, qty_precision)
        self._price_texts = {}
        self._cbook = None
        if EXTENSION is not None:
            try:
                self._cbook = EXTENSION.Book(self, price_precision, qty_precision)
            except ValueError:  # decimals beyond the C book's texts: the Python path
                pass
        if self.synced:
            self._retext()
            if self._cbook is not None:
                self._cbook.load()

    def reset(self) -> None:
        """The engine's reset, the C twin's with it (it must never be left stale)."""
        super().reset()
        if self._cbook is not None:
            self._cbook.reset()

    def apply_snapshot(
        self,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
        *,
        sequence: int | None = None,
        ts: int = 0,
    ) -> None:
        """The engine's snapshot; :meth:`apply` (the way to write a KrakenBook) then
        reloads the C twin, reset here so that no other writer leaves it stale."""
        if self._cbook is not None:
            self._cbook.reset()
        super().apply_snapshot(bids, asks, sequence=sequence, ts=ts)

    def apply(self, data: BookData, snapshot: bool, received: int) -> BookUpdate | None:
        """Apply one ``book`` entry and verify its checksum.

        A snapshot replaces the book; an update applies its rows in array order (qty 0
        deletes); then each side is truncated to the depth, and the checksum checked.
        Returns the levels as Kraken gave them, or ``None`` if the update was ignored
        because the book awaits a snapshot. ``ts`` is the entry's ``timestamp``, else
        ``received``.
        """
        if data.symbol != self.symbol:  # v2 spells symbols as tickwire does
            raise ValueError(f"{data.symbol} book data routed to the {self.symbol} book")
        # Checked before anything touches the book, even an update the book would ignore:
        # every refused message is reported, and a refused one changes nothing. The
        # event's levels are built in the pass that checks them (plain loops: on Python
        # 3.11 a comprehension pays for a frame of its own).
        stamp = data.timestamp
        known = self._known
        bids: list[BookLevel] = []
        asks: list[BookLevel] = []
        try:
            ts = received if stamp is None else rfc3339_to_ns(stamp)
            for level in data.bids:
                qty = level.qty
                if not ZERO <= qty < MAX_SIZE:
                    raise ArithmeticError
                # A known price was checked when it was interned (prices are > 0).
                price = level.price
                bids.append(BookLevel(known.get(str(price)) or self._price(price), qty))
            for level in data.asks:
                qty = level.qty
                if not ZERO <= qty < MAX_SIZE:
                    raise ArithmeticError
                price = level.price
                asks.append(BookLevel(known.get(str(price)) or self._price(price), qty))
        except ValueError as exc:  # only rfc3339_to_ns raises it
            raise DecodeError(f"kraken: bad book timestamp: {exc}") from exc
        except ArithmeticError:  # out of range, or a NaN (Decimal refuses to order it)
            raise _refused_level(data) from None
        if stamp is not None and not MIN_TS_NS <= ts <= MAX_TS_NS:
            raise DecodeError(f"kraken: book timestamp out of range: {stamp}")
        try:
            if snapshot:
                if self._precisions is None:  # a book is never synced without them
                    raise BookOutOfSync(
                        self.symbol, "instrument precisions unknown: cannot verify the checksum"
                    )
                self.apply_snapshot(
                    [(level.price, level.size) for level in bids],
                    [(level.price, level.size) for level in asks],
                    ts=ts,
                )
                self._retext()
                if self._cbook is not None:  # rebuilt from this book after each write here
                    self._cbook.load()
            elif not self._synced:  # the engine's flag: no property call per message
                return None
            else:
                if self._cbook is not None and self._cbook.written:
                    self._retext()  # the C path wrote since: the level texts are behind
                if bids:
                    self._write(bids, True)
                if asks:
                    self._write(asks, False)
                self.ts = ts
                if self._cbook is not None:  # no call per message on the pure-Python path
                    self._cbook.load()
            local = crc32(self._bid_bytes, self._ask_crc)
        except (ValueError, ArithmeticError, KeyError) as exc:
            # Values are checked above, so this is a safety net for what the engine or
            # the formatter still refuses: the book is half-applied and cannot be trusted.
            self.reset()
            raise BookOutOfSync(self.symbol, f"invalid level: {exc!r}") from exc
        if local != data.checksum:
            self.reset()
            raise BookOutOfSync(
                self.symbol, f"checksum mismatch: kraken {data.checksum}, local {local}"
            )
        return BookUpdate(
            venue=VENUE,
            symbol=self.symbol,
            bids=tuple(bids) if bids else (),  # most updates change one side only
            asks=tuple(asks) if asks else (),
            snapshot=snapshot,
            ts=ts,
            received=received,
        )

    def _price(self, price: Decimal) -> Decimal:
        """A price not seen before: checked (ArithmeticError if out of range), interned."""
        if not ZERO < price < MAX_PRICE:
            raise ArithmeticError
        if len(self._known) >= _PRICE_TEXTS:
            self._known.clear()
        self._known[str(price)] = price
        return price

    def _price_text(self, price: Decimal) -> str:
        """``fmt(price)``, kept for the next time (prices recur, sizes rarely do)."""
        if len(self._price_texts) >= _PRICE_TEXTS:
            self._price_texts.clear()
        text = self._price_texts[price] = self._price_fmt(price)
        return text

    def _retext(self) -> None:
        """Every level's text and both halves again (a snapshot, new decimals)."""
        texts, qty_fmt = self._price_texts, self._qty_fmt
        bids, asks = self._bid_sizes, self._ask_sizes
        self._bid_texts = [
            (texts.get(p) or self._price_text(p)) + qty_fmt(bids[p]) for p in self._bid_prices
        ]
        self._ask_texts = [
            (texts.get(p) or self._price_text(p)) + qty_fmt(asks[p]) for p in self._ask_prices
        ]
        self._ask_crc = crc32("".join(self._ask_texts[:CHECKSUM_LEVELS]).encode())
        self._bid_bytes = "".join(self._bid_texts[: -CHECKSUM_LEVELS - 1 : -1]).encode()

    def _write(self, levels: list[BookLevel], bids: bool) -> None:
        """Apply one side's checked rows in array order, truncate, re-join its half."""
        if bids:
            sizes, prices, texts = self._bid_sizes, self._bid_prices, self._bid_texts
        else:
            sizes, prices, texts = self._ask_sizes, self._ask_prices, self._ask_texts
        price_texts, qty_fmt = self._price_texts, self._qty_fmt
        dot, end = qty_fmt.dot, qty_fmt.end
        for level in levels:
            price, qty = level.price, level.size
            if qty:
                # Fmt.__call__ inlined: this runs for every row of every message.
                text = str(qty)
                if text[dot:end] == "." and "E" not in text:
                    text = text.replace(".", "").lstrip("0")
                else:
                    text = qty_fmt(qty)
                text = (price_texts.get(price) or self._price_text(price)) + text
                if price in sizes:
                    texts[bisect_left(prices, price)] = text
                else:
                    index = bisect_left(prices, price)
                    prices.insert(index, price)
                    texts.insert(index, text)
                sizes[price] = qty
            elif price in sizes:
                del sizes[price]
                index = bisect_left(prices, price)
                del prices[index], texts[index]
        excess = len(prices) - (self.depth or len(prices))
        if bids:  # bids ascend: the worst are at the front, the best at the back
            if excess > 0:
                for price in prices[:excess]:
                    del sizes[price]
                del prices[:excess], texts[:excess]
            self._bid_bytes = "".join(texts[: -CHECKSUM_LEVELS - 1 : -1]).encode()
        else:  # asks ascend: the best are at the front
            if excess > 0:
                for price in prices[-excess:]:
                    del sizes[price]
                del prices[-excess:], texts[-excess:]
            self._ask_crc = crc32("".join(texts[:CHECKSUM_LEVELS]).encode())


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
