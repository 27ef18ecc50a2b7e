"""Keep an L2 book from a snapshot plus buffered, sequence-numbered increments.

Many venues publish a full-depth book this way (KuCoin's ``/market/level2``, Binance's
diff depth): each increment covers the sequence span ``start..end``, and a snapshot fetched
over REST carries the sequence ``S`` it stands at. :class:`SequencedBook` applies the
common rule, with ``S`` the book's sequence:

1. until a snapshot is loaded, every increment is buffered (at most ``max_buffered``, the
   oldest dropped first: a snapshot older than the oldest kept one is then a gap);
2. :meth:`SequencedBook.load` loads a snapshot and replays the buffer through step 3;
3. for each increment: ``end <= S`` is already in the book (dropped); ``start > S + 1`` is
   a gap (the book resets, the increment stays buffered for the next snapshot, and
   :class:`~tickwire.core.errors.BookOutOfSync` is raised); otherwise its changes newer
   than ``S`` apply and ``S := end``.

What a venue supplies is the part that differs: :meth:`SequencedBook.rows` picks one
increment's rows newer than ``S`` (KuCoin's rows carry their own sequence; Binance's apply
whole), each ``(price, size, ...)`` as decoded, so the common case copies nothing. The
book checks every row it applies (:mod:`tickwire.core.validation`; price 0 is a row that
only advances the sequence, as KuCoin sends them) and builds the event's levels once.

A sequence no real stream produces is not a gap: an increment whose ``end < start``, or
that spans, starts ahead or ends behind by more than ``max_jump``, or whose rows break
:mod:`tickwire.core.validation`, raises :class:`~tickwire.core.errors.DecodeError` and
changes nothing, so one forged frame cannot force a resync; ``rejects_before_resync`` of
them in a row mean the venue's numbering moved, and the book resyncs. A buffered increment
two snapshots in a row could not continue is discarded (:attr:`SequencedBook.rejected`),
so it cannot block the book forever.

(:class:`~tickwire.core.sequences.SequenceFilter` applies the same bounds to streams
without a book.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, NoReturn, TypeVar

from tickwire.core.book import OrderBook
from tickwire.core.errors import BookOutOfSync, DecodeError, TickwireError
from tickwire.core.types import BookLevel, BookUpdate
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, ZERO

__all__ = [
    "MAX_BUFFERED",
    "MAX_SEQUENCE_JUMP",
    "REJECTS_BEFORE_RESYNC",
    "Changes",
    "Rows",
    "SequencedBook",
    "TopBook",
    "price_of",
]

MAX_BUFFERED = 10_000
"""Increments kept while a snapshot is awaited; older ones are dropped first."""

MAX_SEQUENCE_JUMP = 10**9
"""The most one increment may span, start ahead of the book, or end behind it, and still
be real. BTC-USDT, KuCoin's busiest book, took about 1.5e10 sequence numbers in seven
years: a billion is months of its stream, never what one socket loses between two frames
nor what ten thousand buffered increments span."""

REJECTS_BEFORE_RESYNC = 10
"""Impossible sequences in a row after which the venue's numbering is taken to have moved:
one forged frame is discarded, a stream whose numbering really moved is followed."""

_SEQUENCE_LIMIT = 2**63
# What a malformed level raises: a negative size in the engine (ValueError), a NaN
# compared (InvalidOperation, an ArithmeticError), a signaling NaN hashed (TypeError).
_BAD_LEVEL = (ValueError, ArithmeticError, TypeError)

Rows = list[tuple[Decimal, Decimal]]
"""``(price, size)`` levels of one side of a snapshot."""
Changes = Sequence[tuple[Any, ...]]
"""One side of an increment: ``(price, size, ...)`` rows, ``Decimal`` or the venue's text
(size 0 deletes the level, price 0 only advances the sequence); what follows the size is
the venue's (a row sequence)."""
P = TypeVar("P")
_Buffered = tuple[int, int, P, int]  # start, end, increment, ts


class TopBook:
    """A book that each push replaces whole (a top-N stream: KuCoin's ``level2Depth5``,
    Binance's partial depth): no sequence, no sync, the first push makes it whole.
    :class:`SequencedBook` builds on it."""

    __slots__ = ("_book", "_venue", "symbol")

    def __init__(self, venue: str, symbol: str, *, depth: int | None = None) -> None:
        """``symbol`` is unified (``BTC/USDT``); ``depth`` truncates (``None``: unbounded)."""
        self.symbol = symbol
        self._venue = venue
        self._book = OrderBook(venue, symbol, depth=depth)

    @property
    def book(self) -> OrderBook:
        """The live engine book (read it; only this class should write it)."""
        return self._book

    @property
    def synced(self) -> bool:
        """True once a snapshot was applied, until a gap or :meth:`reset`."""
        return self._book.synced

    def reset(self) -> None:
        """Forget every level (a reconnect): the next snapshot makes the book whole."""
        self._book.reset()

    def replace(self, bids: Rows, asks: Rows, ts: int) -> None:
        """Replace the book with one push's levels; a level the engine refuses (negative
        size, NaN) resets the book and raises :class:`~tickwire.core.errors.BookOutOfSync`."""
        try:
            self._book.apply_snapshot(bids, asks, ts=ts)
        except _BAD_LEVEL as exc:
            self._book.reset()
            raise BookOutOfSync(self.symbol, f"invalid level: {exc!r}") from exc


class SequencedBook(TopBook, Generic[P]):
    """One symbol's book, kept in sequence from a snapshot and increments of type ``P``::

        sbook = VenueBook(venue, symbol)              # a subclass that defines rows()
        sbook.apply(start, end, increment, ts, received)   # buffered until the snapshot
        event = sbook.load(bids, asks, sequence, ts, received)
        update = sbook.apply(...)                     # None: nothing to deliver

    :meth:`apply` raises :class:`~tickwire.core.errors.BookOutOfSync` on a gap (the book
    resets and keeps the increment buffered: the caller fetches a new snapshot for
    :meth:`load`). ``depth`` truncates the engine book (``None``: unbounded).
    """

    __slots__ = ("_blocked", "_buffer", "_rejects", "rejected")

    max_jump = MAX_SEQUENCE_JUMP
    rejects_before_resync = REJECTS_BEFORE_RESYNC
    span = ("start", "end")
    """The venue's names of an increment's first and last sequence (in error messages)."""

    def __init__(
        self, venue: str, symbol: str, *, depth: int | None = None, max_buffered: int = MAX_BUFFERED
    ) -> None:
        """``symbol`` is unified (``BTC/USDT``)."""
        super().__init__(venue, symbol, depth=depth)
        self._buffer: deque[_Buffered[P]] = deque(maxlen=max_buffered)
        self._rejects = 0  # impossible increments in a row
        self._blocked: _Buffered[P] | None = None  # the head the last load failed on
        self.rejected: list[tuple[TickwireError, str]] = []
        """Buffered increments discarded during a load: why, and the increment's repr.
        The caller reports and clears them."""

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.symbol} sequence={self._book.sequence} "
            f"synced={self.synced} buffered={len(self._buffer)}>"
        )

    def rows(self, increment: P, sequence: int, fresh: bool) -> tuple[Changes, Changes]:
        """The venue's part: ``increment``'s bid and ask rows newer than ``sequence``.

        ``fresh`` is True when the increment starts right after ``sequence`` (all of it is
        newer: return the rows as decoded). May raise ``ValueError`` for a row the venue
        cannot read (a bad row sequence); the book checks prices and sizes itself, before
        anything is applied, so a bad row discards the whole increment.
        """
        raise NotImplementedError

    @property
    def sequence(self) -> int | None:
        """``S``: the sequence the book is at; ``None`` while not synced."""
        return self._book.sequence

    @property
    def buffered(self) -> int:
        """How many increments wait for the next snapshot."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget every level and every buffered increment (a reconnect or resubscribe)."""
        self._book.reset()
        self._buffer.clear()
        self._blocked = None

    def buffer(self, start: int, end: int, increment: P, ts: int) -> None:
        """Keep an increment for the replay after the next snapshot."""
        self._buffer.append((start, end, increment, ts))

    def load(self, bids: Rows, asks: Rows, sequence: int, ts: int, received: int) -> BookUpdate:
        """Load a snapshot, replay the buffer, and return the whole book as a snapshot event.

        A level out of the rules raises :class:`~tickwire.core.errors.DecodeError` and
        changes nothing. If the buffer does not continue the snapshot, raises
        :class:`~tickwire.core.errors.BookOutOfSync`: the book stays unsynced and the
        increments from the gap on stay buffered; a head that two loads in a row failed
        on is discarded (listed in :attr:`rejected`).
        """
        if not 0 <= sequence < _SEQUENCE_LIMIT:
            raise DecodeError(f"{self._venue}: bad snapshot sequence {sequence}", str(sequence))
        _check_levels(self._venue, bids, "snapshot bid")  # before the book is touched
        _check_levels(self._venue, asks, "snapshot ask")
        book = self._book
        # Keyed by the kept price objects: an increment's price then finds its level by
        # identity, with the hash computed once (apply).
        bids = [(_PRICES.setdefault(str(price), price), size) for price, size in bids]
        asks = [(_PRICES.setdefault(str(price), price), size) for price, size in asks]
        try:
            book.apply_snapshot(bids, asks, sequence=sequence, ts=ts)
        except _BAD_LEVEL as exc:
            book.reset()
            raise BookOutOfSync(self.symbol, f"invalid snapshot level: {exc!r}") from exc
        buffered = self._buffer
        try:
            while buffered:
                # A gap raises BookOutOfSync and leaves its increment at the head; an
                # impossible one (DecodeError) is set aside and the replay goes on.
                start, end, increment, ts = buffered[0]
                try:
                    SequencedBook.apply(self, start, end, increment, ts, received, replay=True)
                except DecodeError as exc:
                    self.rejected.append((exc, repr(buffered[0][2])))
                buffered.popleft()
        except BookOutOfSync as exc:
            head: _Buffered[P] | None = buffered[0]
            if head is self._blocked:  # a forged gap, or one the venue never continued
                error = BookOutOfSync(self.symbol, f"discarded an increment: {exc.reason}")
                self.rejected.append((error, repr(buffered.popleft()[2])))
                head = None
            self._blocked = head
            raise
        self._blocked = None
        return BookUpdate(
            venue=self._venue, symbol=self.symbol, bids=tuple(book.bids()),
            asks=tuple(book.asks()), snapshot=True, sequence=book.sequence, ts=book.ts,
            received=received,
        )  # fmt: skip

    def apply(
        self,
        start: int,
        end: int,
        increment: P,
        ts: int,
        received: int,
        bids: Changes | None = None,
        asks: Changes | None = None,
        *,
        replay: bool = False,
    ) -> BookUpdate | None:
        """Apply one live increment and return the levels it changed (size 0 = deleted).

        ``None`` when there is nothing to deliver: the book awaits a snapshot (the
        increment is buffered), the increment is already in the book, or no level
        changed. Raises :class:`~tickwire.core.errors.BookOutOfSync` on a gap (after
        resetting the book), and :class:`~tickwire.core.errors.DecodeError` for an
        impossible increment or row (see the module docstring), which changes nothing.
        ``bids``, ``asks``: the increment's rows as decoded, when the caller holds them
        (what :meth:`rows` returns for a fresh increment): a fresh increment then takes
        them as they are, with no call to :meth:`rows` (one Python call less on every live
        message); a straddling one still goes through :meth:`rows`. ``replay``:
        :meth:`load` replays the buffer's head (a gap leaves it there).
        """
        # One method for the whole rule, the branches in the order of their frequency:
        # this is the hottest path of a book (a call per step costs on Python 3.11).
        # KuCoin's C twin of this (adapters/kucoin/csrc) changes with it: a change here is
        # one there too (tests/adapters/kucoin/test_l2_differential.py holds them equal).
        max_jump = self.max_jump
        if not start <= end <= start + max_jump:
            first, last = self.span
            self._reject(start, end, increment, f"{last} before {first}, or an impossible span")
        book = self._book
        sequence = book.sequence  # None exactly when not synced (cheaper than the property)
        if sequence is None:
            self._buffer.append((start, end, increment, ts))
            return None
        if end <= sequence:
            if end + max_jump < sequence:
                self._reject(start, end, increment, "far behind the book")
            return None  # already in the book
        if start > sequence + 1:
            if start > sequence + max_jump:
                self._reject(start, end, increment, "far ahead of the book")
            book.reset()
            if not replay:
                self._buffer.append((start, end, increment, ts))  # a newer snapshot needs it
            raise BookOutOfSync(
                self.symbol, f"sequence gap: book at {sequence}, increment starts at {start}"
            )
        try:
            if bids is None or start <= sequence:  # rows not given, or some already applied
                bids, asks = self.rows(increment, sequence, start > sequence)
            # Each side's rows as checked levels, price-0 rows (sequence only) left out. A
            # price or size may come as the venue's text: a price through _PRICES, so each
            # distinct one is parsed, checked and hashed once (hashing a fresh Decimal costs
            # more than the rest of a row), a size parsed here. Written here, not in a
            # function: a Python call costs more than a one-row side (issue 12).
            bid_levels = ask_levels = _NONE  # one side is often empty
            if bids:
                levels = []
                for row in bids:
                    try:  # indexed, not .get(): no method call
                        price = _PRICES[row[0]]
                    except KeyError:  # a price not seen yet
                        price = _price(row[0])
                    size = row[1]
                    if size == "0":  # a deletion (common): no Decimal to parse or check
                        size = ZERO
                    else:
                        size = Decimal(size)  # text parsed; a Decimal comes back as is
                        if not ZERO <= size < MAX_SIZE:
                            raise ValueError(f"{row[0]} x {size}")
                    if price:
                        levels.append(BookLevel(price, size))
                bid_levels = tuple(levels)  # the event's own: no copy made later
            if asks:  # the same for the other side
                levels = []
                for row in asks:
                    try:
                        price = _PRICES[row[0]]
                    except KeyError:
                        price = _price(row[0])
                    size = row[1]
                    if size == "0":
                        size = ZERO
                    else:
                        size = Decimal(size)
                        if not ZERO <= size < MAX_SIZE:
                            raise ValueError(f"{row[0]} x {size}")
                    if price:
                        levels.append(BookLevel(price, size))
                ask_levels = tuple(levels)
        except (ValueError, InvalidOperation) as exc:  # a row out of the rules, NaN
            self._reject(start, end, increment, f"invalid row: {exc}")
        if self._rejects:
            self._rejects = 0
        book.apply_levels(bid_levels, ask_levels, end, ts)
        if not bid_levels and not ask_levels:
            return None
        return BookUpdate(
            venue=self._venue,
            symbol=self.symbol,
            bids=bid_levels,
            asks=ask_levels,
            snapshot=False,
            sequence=end,
            ts=ts,
            received=received,
        )

    def _reject(self, start: int, end: int, increment: P, reason: str) -> NoReturn:
        """Refuse an increment no real stream sends; resync after too many in a row."""
        self._rejects += 1
        if self._rejects >= self.rejects_before_resync:
            self._rejects = 0
            self._book.reset()
            raise BookOutOfSync(self.symbol, f"{self.rejects_before_resync} impossible increments")
        where = f"{start}..{end}, book at {self._book.sequence}"
        raise DecodeError(
            f"{self._venue}: {self.symbol} increment {where}: {reason}", repr(increment)
        )


def _check_levels(venue: str, rows: Rows, what: str) -> None:
    try:
        for price, size in rows:
            if not (ZERO < price < MAX_PRICE and ZERO <= size < MAX_SIZE):
                raise DecodeError(f"{venue}: {what} out of range", repr((price, size)))
    except InvalidOperation:  # NaN
        raise DecodeError(f"{venue}: {what} out of range", repr(rows)) from None


_NONE: tuple[BookLevel, ...] = ()  # an empty side
_PRICES: dict[object, Decimal] = {}
"""A price as a venue wrote it (text or ``Decimal``) → the ``Decimal``, checked (0 is kept
too: :func:`price_of` still answers it with :func:`_price`); bounded by
:data:`PRICES_KEPT` (cleared when full: a flood of made-up prices costs no memory); the
KuCoin C extension holds it from its import on: clear it, never rebind it."""
PRICES_KEPT = 65_536


def price_of(written: str) -> Decimal:
    """A price from a venue's text, parsed and checked once per distinct text (kept in
    a bounded table: hashing and parsing a ``Decimal`` cost more than the rest of a
    ticker). ``0`` comes back as is; anything else out of the rules raises
    ``ValueError`` (or ``InvalidOperation``: not a number, NaN)."""
    return _PRICES.get(written) or _price(written)


def _price(written: object) -> Decimal:
    """A price not in :data:`_PRICES` yet: parsed, checked, kept (0 too: a sequence-only
    row, which the book then finds in the table as any other)."""
    price = Decimal(written)  # type: ignore[arg-type]  # text or Decimal, as decoded
    if price and not ZERO < price < MAX_PRICE:
        raise ValueError(f"price {written}")
    if len(_PRICES) >= PRICES_KEPT:
        _PRICES.clear()
    _PRICES[written] = price
    return price
