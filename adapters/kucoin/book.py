"""KuCoin's L2 book integrity: sync ``/market/level2`` increments with a REST snapshot.

KuCoin's documented procedure (``shared/reference/kucoin-ws.md`` §7, and
``docs/venues/kucoin.md``) is core's :class:`~tickwire.core.sync_book.SequencedBook` rule;
what is KuCoin's own is the rows (:data:`~.schemas.L2Row`): a message that straddles the
snapshot's sequence applies only its rows newer than it, and row sequences are *not*
contiguous (collapsed updates skip numbers), so they are never a gap check.

:class:`KucoinBook` is that book; :class:`KucoinDepthBook` keeps a
``level2Depth5``/``level2Depth50`` book, which needs no sync (each push replaces the
whole top N).

Where the optional C extension (``_kucoin``, ``adapters/kucoin/csrc``) was built, each
public socket takes :data:`EXTENSION`'s handler as its ``on_frame``: a fresh increment
for a synced book (it starts right after the book's sequence), in KuCoin's own shape, is
scanned, checked, applied to :class:`KucoinBook` and delivered in one C call, as the
Python path would; any other frame, or any odd one, goes the Python way unchanged.
``TICKWIRE_NO_EXTENSIONS=1`` (read once, at import) forces the Python path.
"""

from __future__ import annotations

import os
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

from tickwire.adapters.kucoin.parse import VENUE, to_depth_update, to_native
from tickwire.adapters.kucoin.schemas import DepthData, L2Row, L2UpdateData, Level2Snapshot
from tickwire.core.decoding import digits
from tickwire.core.sync_book import MAX_BUFFERED, SequencedBook, TopBook
from tickwire.core.types import BookUpdate
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS

if TYPE_CHECKING:  # the stub, _kucoin.pyi: mypy resolves the import below through it
    from tickwire.adapters.kucoin import _kucoin  # noqa: F401

__all__ = ["EXTENSION", "KucoinBook", "KucoinDepthBook"]


def _load_extension() -> ModuleType | None:
    """The compiled module, unless switched off, not built, or core's value limits moved
    from the ones its scanner encodes (a price below 1e12, a size below 1e18, a time in
    2000..2100)."""
    if os.environ.get("TICKWIRE_NO_EXTENSIONS", "") not in ("", "0"):
        return None
    limits = (MAX_PRICE, MAX_SIZE, MIN_TS_NS, MAX_TS_NS)
    if limits != (Decimal("1e12"), Decimal("1e18"), 946_684_800 * 10**9, 4_102_444_800 * 10**9):
        return None  # pragma: no cover
    try:
        from tickwire.adapters.kucoin import _kucoin
    except ImportError:  # pragma: no cover - an install without a compiler
        return None
    return _kucoin


EXTENSION = _load_extension()
"""``tickwire.adapters.kucoin._kucoin`` when it is in use, else ``None`` (not built, or
``TICKWIRE_NO_EXTENSIONS`` set): the Python path then does everything, with the same
results."""

_MS = 1_000_000  # ns per ms
L2Rows = list[L2Row]


class KucoinBook(SequencedBook[L2UpdateData]):
    """One symbol's full-depth book, kept in sequence with KuCoin's increments::

        kbook = KucoinBook("BTC/USDT")
        kbook.buffer(data)                         # increments, while the snapshot is fetched
        event = kbook.apply_snapshot(snapshot, received)
        update = kbook.apply(data, received)       # live increments; None = nothing to deliver

    Gaps raise :class:`~tickwire.core.errors.BookOutOfSync`, impossible increments
    :class:`~tickwire.core.errors.DecodeError`, as :class:`SequencedBook` describes.
    ``depth`` truncates the engine book (``None``: unbounded). Levels deeper than the
    snapshot (a public top-100 snapshot) or than ``depth`` are not authoritative.
    """

    __slots__ = ("_native",)
    span = ("sequenceStart", "sequenceEnd")

    def __init__(
        self, symbol: str, *, depth: int | None = None, max_buffered: int = MAX_BUFFERED
    ) -> None:
        """``symbol`` is unified (``BTC/USDT``)."""
        super().__init__(VENUE, symbol, depth=depth, max_buffered=max_buffered)
        self._native = to_native(symbol)

    def buffer(self, update: L2UpdateData) -> None:  # type: ignore[override]
        """Keep an increment for the replay after the next snapshot."""
        if update.symbol != self._native:
            self._misrouted(update)
        super().buffer(update.sequence_start, update.sequence_end, update, update.time * _MS)

    def apply_snapshot(self, snapshot: Level2Snapshot, received: int) -> BookUpdate:
        """Load a REST snapshot and replay the buffer (:meth:`SequencedBook.load`); a
        ``sequence`` that is not a decimal integer raises DecodeError, changing nothing."""
        sequence = digits(snapshot.sequence, "kucoin: bad snapshot sequence")
        return self.load(snapshot.bids, snapshot.asks, sequence, snapshot.time * _MS, received)

    def apply(self, update: L2UpdateData, received: int) -> BookUpdate | None:  # type: ignore[override]
        """Apply one live increment (:meth:`SequencedBook.apply`)."""
        if update.symbol != self._native:
            self._misrouted(update)
        start, end, changes = update.sequence_start, update.sequence_end, update.changes
        # Not super(): it builds an object per call, on the hottest path of the adapter.
        return SequencedBook.apply(
            self, start, end, update, update.time * _MS, received, changes.bids, changes.asks
        )

    def rows(self, increment: L2UpdateData, sequence: int, fresh: bool) -> tuple[L2Rows, L2Rows]:
        """The rows newer than ``sequence`` (module docstring); core checks their values."""
        changes = increment.changes
        if fresh:  # every live increment: its rows as decoded, nothing copied
            return changes.bids, changes.asks
        bids = [row for row in changes.bids if int(row[2]) > sequence]
        return bids, [row for row in changes.asks if int(row[2]) > sequence]

    def _misrouted(self, update: L2UpdateData) -> NoReturn:
        raise ValueError(f"{update.symbol} increment routed to the {self._native} book")


class KucoinDepthBook(TopBook):
    """A ``level2Depth5``/``level2Depth50`` book: each push replaces the whole top N::

    dbook = KucoinDepthBook("BTC/USDT", depth=5)
    event = dbook.apply(data, received)  # a BookUpdate with snapshot=True
    """

    __slots__ = ()

    def __init__(self, symbol: str, depth: int) -> None:
        """``symbol`` is unified; ``depth`` is 5 or 50, as subscribed."""
        super().__init__(VENUE, symbol, depth=depth)

    def apply(self, data: DepthData, received: int) -> BookUpdate:
        """Replace the book with one push and return it as a snapshot event (a malformed
        level resets the book and raises :class:`~tickwire.core.errors.BookOutOfSync`)."""
        event = to_depth_update(data, self.symbol, received)
        self.replace(data.bids, data.asks, event.ts)
        return event
