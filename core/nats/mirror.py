"""The collector's side of the book rule: mirror books and their ``Tw-Book-Seq`` counters.

Per symbol, the :class:`~tickwire.core.nats.publisher.Publisher` keeps a mirror of the
book built from exactly the book messages it enqueued, so a snapshot taken of it is
consistent with the collector's position in the stream, and numbers those messages
``1, 2, 3...`` in ``Tw-Book-Seq`` so a reader can tell a gap from a sequence
(:mod:`~tickwire.core.nats.books` is the reader's side). Kept apart from the publisher,
which moves messages; this module only decides what a book message says about the book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from time import time_ns

from tickwire.core.book import OrderBook
from tickwire.core.nats.codec import BOOK_SEQ, COLLECTOR, DEPTH
from tickwire.core.nats.codec import rows as _rows
from tickwire.core.types import BookUpdate

__all__ = ["MirrorBooks"]


class MirrorBooks:
    """The mirror books of one collector, created on first use at ``depth_of(symbol)``."""

    def __init__(self, depth_of: Callable[[str], int | None]) -> None:
        self._depth_of = depth_of
        self._books: dict[str, OrderBook] = {}
        self._book_seq: dict[str, int] = {}

    def reset(self, symbol: str) -> None:
        """The venue is resyncing ``symbol``: the mirror waits for the venue's next snapshot."""
        book = self._books.get(symbol)
        if book is not None:
            book.reset()  # the venue's next snapshot restarts it

    def record(self, event: BookUpdate, *, snapshot_of_mirror: bool = False) -> dict[str, str]:
        """Apply a book message to its mirror and return the headers it is sent with.

        ``snapshot_of_mirror``: ``event`` is a snapshot taken of the mirror itself
        (:meth:`snapshots`), so it is not applied again and is marked ``Tw-Collector``.
        Every call takes the symbol's next ``Tw-Book-Seq``, sent or dropped: a reader
        must see a dropped message as a gap.
        """
        symbol = event.symbol
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = OrderBook(
                event.venue, symbol, depth=self._depth_of(symbol)
            )
        if not snapshot_of_mirror:
            if event.snapshot:
                book.apply_snapshot(
                    _rows(event.bids), _rows(event.asks), sequence=event.sequence, ts=event.ts
                )
            elif book.synced:
                book.apply_delta(
                    _rows(event.bids), _rows(event.asks), sequence=event.sequence, ts=event.ts
                )
        seq = self._book_seq.get(symbol, 0) + 1
        self._book_seq[symbol] = seq
        headers = {BOOK_SEQ: str(seq)}
        if event.snapshot and book.depth is not None:
            headers[DEPTH] = str(book.depth)
        if snapshot_of_mirror:
            headers[COLLECTOR] = "1"
        return headers

    def snapshots(self) -> Iterator[BookUpdate]:
        """A snapshot of each mirror in sync, taken as the iteration reaches it."""
        for symbol, book in list(self._books.items()):
            if not book.synced:
                continue
            yield BookUpdate(
                venue=book.venue,
                symbol=symbol,
                bids=tuple(book.bids()),
                asks=tuple(book.asks()),
                snapshot=True,
                sequence=book.sequence,
                ts=book.ts,
                received=time_ns(),
            )
