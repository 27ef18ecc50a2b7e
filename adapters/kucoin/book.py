"""KuCoin's L2 book integrity: sync ``/market/level2`` increments with a REST snapshot.

KuCoin's documented procedure (``shared/reference/kucoin-ws.md`` §7), with ``S`` the
book's sequence:

1. subscribe ``/market/level2:{symbol}`` and buffer every increment;
2. fetch a REST snapshot: ``S := int(snapshot.sequence)``;
3. replay the buffer, then live increments. For each message ``m``:

   - ``m.sequenceEnd <= S``: drop it (the book already contains it);
   - ``m.sequenceStart > S + 1``: a gap — discard the book and start over;
   - apply the rows ``[price, size, seq]`` with ``seq > S`` (a message can straddle
     the snapshot); price ``0`` only advances the sequence, size ``0`` deletes the
     level, anything else sets the absolute size;
   - ``S := m.sequenceEnd``.

Row sequences are *not* contiguous (collapsed updates skip numbers) and are never used
as a gap check. A message that starts right after ``S`` (every live one, in order) is
applied without looking at its row sequences at all.

A sequence that no real stream can produce is not a gap: an increment whose
``sequenceEnd < sequenceStart``, that spans more than :data:`MAX_SEQUENCE_JUMP`, starts
more than that far ahead of ``S`` or ends more than that far behind it, or carries a row
out of the value rules (:mod:`tickwire.core.validation`), raises
:class:`~tickwire.core.errors.DecodeError` (one ``StreamError``) and is discarded: the
book and ``S`` stay as they were, and the next increment shows whether anything was
really lost. :data:`REJECTS_BEFORE_RESYNC` such increments in a row mean the venue's
numbering changed under the book: it resyncs from a snapshot, the arbiter.

:class:`KucoinBook` implements it around :class:`~tickwire.core.book.OrderBook`;
:class:`KucoinDepthBook` keeps a ``level2Depth5``/``level2Depth50`` book, which needs no
sync (each push replaces the whole top N).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from tickwire.adapters.kucoin.parse import VENUE, to_depth_update, to_native, valid_levels
from tickwire.adapters.kucoin.schemas import DepthData, L2UpdateData, Level2Snapshot
from tickwire.core.book import OrderBook
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.types import BookLevel, BookUpdate
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, ZERO

__all__ = [
    "MAX_BUFFERED",
    "MAX_SEQUENCE_JUMP",
    "REJECTS_BEFORE_RESYNC",
    "KucoinBook",
    "KucoinDepthBook",
]

MAX_BUFFERED = 10_000
"""Increments kept while a snapshot is awaited; older ones are dropped first. A snapshot
older than the oldest kept increment is then detected as a gap, never applied wrongly."""

MAX_SEQUENCE_JUMP = 10**9
"""The most one increment may span, start ahead of the book, or end behind it, and still
be real. BTC-USDT, KuCoin's busiest book, took about 1.5e10 sequence numbers in seven
years (``level2_snapshot_rest.json``): a billion is months of its stream, never what
one socket loses between two frames nor what ten thousand buffered increments span."""

REJECTS_BEFORE_RESYNC = 10
"""Impossible increments in a row after which the book resyncs from a snapshot: one
forged frame is discarded, a stream whose numbering really moved is followed."""

_SEQUENCE_LIMIT = 2**63  # a snapshot's sequence must fit the wire Structs' Sequence
_MS = 1_000_000  # ns per ms
# What a malformed row raises: a negative size in the engine or a row sequence that is no
# integer (ValueError), a NaN compared (InvalidOperation, an ArithmeticError), a signaling
# NaN hashed (TypeError).
_BAD_LEVEL = (ValueError, ArithmeticError, TypeError)

_Rows = list[tuple[Decimal, Decimal]]


class KucoinBook:
    """One symbol's full-depth book, kept in sequence with KuCoin's increments::

        kbook = KucoinBook("BTC/USDT")
        kbook.buffer(data)                         # increments, while the snapshot is fetched
        event = kbook.apply_snapshot(snapshot, received)
        update = kbook.apply(data, received)       # live increments; None = nothing to deliver

    :meth:`apply` raises :class:`~tickwire.core.errors.BookOutOfSync` on a sequence gap,
    after resetting the book: the client fetches a fresh snapshot and hands it to
    :meth:`apply_snapshot`, while increments keep going to :meth:`apply` (or
    :meth:`buffer`), which buffers them until then. The message that revealed the gap is
    kept as the first buffered one. Impossible increments raise
    :class:`~tickwire.core.errors.DecodeError` and are discarded (those met while
    replaying the buffer are listed in :attr:`rejected`).

    ``depth`` truncates the engine book (``None``: unbounded). Levels deeper than the
    snapshot (a public top-100 snapshot) or than ``depth`` are not authoritative: a
    truncated book is exact only near the top.
    """

    __slots__ = ("_book", "_buffer", "_native", "_rejects", "_symbol", "rejected")

    def __init__(
        self, symbol: str, *, depth: int | None = None, max_buffered: int = MAX_BUFFERED
    ) -> None:
        """``symbol`` is unified (``BTC/USDT``)."""
        self._symbol = symbol
        self._native = to_native(symbol)
        self._book = OrderBook(VENUE, symbol, depth=depth)
        self._buffer: deque[L2UpdateData] = deque(maxlen=max_buffered)
        self._rejects = 0  # impossible increments in a row
        self.rejected: list[DecodeError] = []
        """Why buffered increments were discarded during a replay; the caller reports
        and clears them."""

    def __repr__(self) -> str:
        return (
            f"<KucoinBook {self._symbol} sequence={self._book.sequence} "
            f"synced={self.synced} buffered={len(self._buffer)}>"
        )

    @property
    def symbol(self) -> str:
        """The unified symbol."""
        return self._symbol

    @property
    def book(self) -> OrderBook:
        """The live engine book (read it; only this class should write it)."""
        return self._book

    @property
    def synced(self) -> bool:
        """True once a snapshot was applied, until a gap or :meth:`reset`."""
        return self._book.synced

    @property
    def sequence(self) -> int | None:
        """``S``: the sequence the book is at; ``None`` while not synced."""
        return self._book.sequence

    @property
    def buffered(self) -> int:
        """How many increments wait for the next snapshot."""
        return len(self._buffer)

    @property
    def head(self) -> L2UpdateData | None:
        """The first buffered increment: after a failed replay, the one that failed."""
        return self._buffer[0] if self._buffer else None

    def discard_head(self) -> L2UpdateData | None:
        """Drop the first buffered increment (one that no snapshot could continue)."""
        return self._buffer.popleft() if self._buffer else None

    def reset(self) -> None:
        """Forget every level and every buffered increment (a reconnect or resubscribe)."""
        self._book.reset()
        self._buffer.clear()

    def buffer(self, update: L2UpdateData) -> None:
        """Keep an increment for the replay after the next snapshot."""
        self._check_symbol(update)
        self._buffer.append(update)

    def apply_snapshot(self, snapshot: Level2Snapshot, received: int) -> BookUpdate:
        """Load a REST snapshot, replay the buffered increments, and return the result.

        The event carries the whole book after the replay (best first), ``snapshot=True``
        and the book's ``sequence``. If the buffer does not continue the snapshot (the
        snapshot is older than the buffered stream, or a buffered increment is missing),
        raises :class:`~tickwire.core.errors.BookOutOfSync`: the book stays unsynced and
        the increments from the gap on stay buffered for the next snapshot. A ``sequence``
        that is not a decimal integer raises :class:`~tickwire.core.errors.DecodeError`
        and changes nothing.
        """
        text = snapshot.sequence
        if not (text.isdigit() and text.isascii() and int(text) < _SEQUENCE_LIMIT):
            raise DecodeError(f"kucoin: bad snapshot sequence {text!r}", text)
        # Checked before the book is touched: a bad snapshot leaves it as it was.
        valid_levels(snapshot.bids, "snapshot bid")
        valid_levels(snapshot.asks, "snapshot ask")
        book = self._book
        try:
            book.apply_snapshot(
                snapshot.bids, snapshot.asks, sequence=int(text), ts=snapshot.time * _MS
            )
        except _BAD_LEVEL as exc:
            book.reset()
            raise BookOutOfSync(self._symbol, f"invalid snapshot level: {exc!r}") from exc
        buffered = self._buffer
        while buffered:
            # _apply raises BookOutOfSync on a gap, leaving the offending message at the
            # head; an impossible one (DecodeError) is set aside and the replay goes on.
            try:
                self._apply(buffered[0], from_buffer=True)
            except DecodeError as exc:
                self.rejected.append(exc)
            buffered.popleft()
        return BookUpdate(
            venue=VENUE,
            symbol=self._symbol,
            bids=tuple(book.bids()),
            asks=tuple(book.asks()),
            snapshot=True,
            sequence=book.sequence,
            ts=book.ts,
            received=received,
        )

    def apply(self, update: L2UpdateData, received: int) -> BookUpdate | None:
        """Apply one live increment and return the levels it changed (size 0 = deleted).

        Returns ``None`` when there is nothing to deliver: the book awaits a snapshot (the
        increment is buffered), the increment is already in the book, or it only advanced
        the sequence. Raises :class:`~tickwire.core.errors.BookOutOfSync` on a gap, or on
        an increment the engine refuses, after resetting the book; raises
        :class:`~tickwire.core.errors.DecodeError` for an impossible increment (see the
        module docstring), which changes nothing.
        """
        if update.symbol != self._native:
            self._misrouted(update)
        start = update.sequence_start
        if not start <= update.sequence_end <= start + MAX_SEQUENCE_JUMP:
            self._reject(update, "sequenceEnd before sequenceStart, or an impossible span")
        # The engine's sequence is None exactly when it is not synced (a cheaper test
        # than the property, on the hottest path of the adapter).
        if self._book.sequence is None:
            self._buffer.append(update)
            return None
        applied = self._apply(update, from_buffer=False)
        if applied is None:
            return None
        bids, asks = applied
        return BookUpdate(
            venue=VENUE,
            symbol=self._symbol,
            bids=tuple([BookLevel(price, size) for price, size in bids]),
            asks=tuple([BookLevel(price, size) for price, size in asks]),
            snapshot=False,
            sequence=update.sequence_end,
            ts=update.time * _MS,
            received=received,
        )

    def _check_symbol(self, update: L2UpdateData) -> None:
        if update.symbol != self._native:
            self._misrouted(update)

    def _misrouted(self, update: L2UpdateData) -> NoReturn:
        raise ValueError(f"{update.symbol} increment routed to the {self._native} book")

    def _reject(self, update: L2UpdateData, reason: str) -> NoReturn:
        """Refuse an increment no real stream sends; resync after too many in a row."""
        self._rejects += 1
        where = f"{update.sequence_start}..{update.sequence_end}, book at {self._book.sequence}"
        if self._rejects >= REJECTS_BEFORE_RESYNC:
            self._rejects = 0
            self._book.reset()
            raise BookOutOfSync(self._symbol, f"{REJECTS_BEFORE_RESYNC} impossible increments")
        raise DecodeError(f"kucoin: {self._symbol} increment {where}: {reason}", repr(update))

    def _apply(self, update: L2UpdateData, *, from_buffer: bool) -> tuple[_Rows, _Rows] | None:
        """The rules of step 3 on a synced book; ``None`` when no level changed."""
        book = self._book
        sequence = book.sequence
        assert sequence is not None  # synced
        end = update.sequence_end
        if end <= sequence:
            if end + MAX_SEQUENCE_JUMP < sequence:
                self._reject(update, "far behind the book")
            return None  # already in the book
        start = update.sequence_start
        if start > sequence + 1:
            if start > sequence + MAX_SEQUENCE_JUMP:
                self._reject(update, "far ahead of the book")
            book.reset()
            if not from_buffer:
                # Keep it: a newer snapshot may need its rows.
                self._buffer.append(update)
            raise BookOutOfSync(
                self._symbol, f"sequence gap: book at {sequence}, increment starts at {start}"
            )
        # An increment starting right after the book (every live one, in order) has only
        # newer rows: ``fresh`` skips int(seq) for them. One that straddles the book's
        # sequence applies only its rows newer than it. Price-0 rows never apply.
        fresh = start > sequence
        changes = update.changes
        bids: _Rows = []
        asks: _Rows = []
        try:
            # Plain loops: on Python 3.11 a comprehension pays for a frame of its own.
            # Every row is checked before the book is touched (price 0 is KuCoin's
            # sequence-only row): a bad one discards the whole increment.
            for price, size, seq in changes.bids:
                if not (ZERO <= price < MAX_PRICE and ZERO <= size < MAX_SIZE):
                    raise ValueError(f"bid {price} x {size}")
                if price and (fresh or int(seq) > sequence):
                    bids.append((price, size))
            for price, size, seq in changes.asks:
                if not (ZERO <= price < MAX_PRICE and ZERO <= size < MAX_SIZE):
                    raise ValueError(f"ask {price} x {size}")
                if price and (fresh or int(seq) > sequence):
                    asks.append((price, size))
        except (ValueError, InvalidOperation) as exc:  # a row out of the rules, NaN, bad seq
            self._reject(update, f"invalid row: {exc}")
        self._rejects = 0
        try:
            book.apply_delta(bids, asks, sequence=end, ts=update.time * _MS)
        except _BAD_LEVEL as exc:
            # A level the engine refuses although the rows passed the rules: the
            # increment cannot be applied (perhaps half was), so the book cannot go on.
            book.reset()
            self._buffer.clear()
            raise BookOutOfSync(self._symbol, f"invalid increment: {exc!r}") from exc
        if not bids and not asks:
            return None
        return bids, asks


class KucoinDepthBook:
    """A ``level2Depth5``/``level2Depth50`` book: each push replaces the whole top N::

        dbook = KucoinDepthBook("BTC/USDT", depth=5)
        event = dbook.apply(data, received)  # a BookUpdate with snapshot=True

    No sequence, no sync: the first push makes the book whole.
    """

    __slots__ = ("_book", "_symbol")

    def __init__(self, symbol: str, depth: int) -> None:
        """``symbol`` is unified; ``depth`` is 5 or 50, as subscribed."""
        self._symbol = symbol
        self._book = OrderBook(VENUE, symbol, depth=depth)

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
        """True once a push was applied, until :meth:`reset`."""
        return self._book.synced

    def reset(self) -> None:
        """Forget every level (a reconnect): the next push makes the book whole again."""
        self._book.reset()

    def apply(self, data: DepthData, received: int) -> BookUpdate:
        """Replace the book with one push and return it as a snapshot event.

        A malformed level (negative size, NaN) resets the book and raises
        :class:`~tickwire.core.errors.BookOutOfSync`.
        """
        event = to_depth_update(data, self._symbol, received)
        try:
            self._book.apply_snapshot(data.bids, data.asks, ts=event.ts)
        except _BAD_LEVEL as exc:
            self._book.reset()
            raise BookOutOfSync(self._symbol, f"invalid level: {exc!r}") from exc
        return event
