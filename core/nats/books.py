"""Books rebuilt on the read side, by the collector's rule.

Book messages of one symbol share one subject, in order; each carries ``Tw-Book-Seq``,
one more than the previous book message of that symbol from its collector (a message of
several events carries the first counter; the next events count on). The reader:

1. applies the first snapshot it gets (the latest stored one: the client starts its
   consumer at ``Tw-Snap-Seq``), and delivers it;
2. applies and delivers each delta whose counter is the previous one + 1;
3. on any other delta, drops the book, reports ``resyncing`` and ignores deltas until a
   snapshot, which always restarts the book (``resynced``); a snapshot that does not
   follow on from the previous counter also reports the hole it closes;
4. skips, without delivering, the collector's periodic snapshots (``Tw-Collector``) of a
   book it holds in sync: they repeat what the reader already has.

The venue's own ``resyncing`` status for a symbol also drops the book until the venue's
next snapshot, as a direct client does.
"""

from __future__ import annotations

from time import time_ns

from tickwire.core.book import OrderBook
from tickwire.core.errors import DecodeError
from tickwire.core.fanout import EventHub
from tickwire.core.nats.codec import BOOK_SEQ, COLLECTOR, DEPTH
from tickwire.core.nats.codec import rows as _rows
from tickwire.core.types import BookUpdate, Channel, StreamError, StreamState, StreamStatus

__all__ = ["RemoteBooks"]


class _BookState:
    """One remote book: the OrderBook and where its deltas stand."""

    __slots__ = ("book", "last", "resyncing")

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        self.last: int | None = None  # Tw-Book-Seq of the last applied message
        self.resyncing = False  # a gap was reported; the next snapshot ends it


class RemoteBooks:
    """Every book a reader keeps, by ``(venue, symbol)``; events go to ``hub``.

    ``by_symbol`` is the client's own symbol → book table (the first venue's book of a
    symbol answers ``client.book(symbol)``).
    """

    def __init__(self, hub: EventHub, by_symbol: dict[str, OrderBook]) -> None:
        self._hub = hub  # not hub.push: the hub rebinds it as consumers come and go
        self._by_symbol = by_symbol
        self._states: dict[tuple[str, str], _BookState] = {}

    def track(self, venue: str, symbol: str) -> OrderBook:
        """The book of ``symbol`` on ``venue``, created empty (unsynced) if new."""
        state = self._states.get((venue, symbol))
        if state is None:
            state = self._states[(venue, symbol)] = _BookState(OrderBook(venue, symbol))
            self._by_symbol.setdefault(symbol, state.book)
        return state.book

    def get(self, venue: str, symbol: str) -> OrderBook | None:
        """The book of ``symbol`` on ``venue``, if the reader keeps one."""
        state = self._states.get((venue, symbol))
        return None if state is None else state.book

    def venue_resyncs(self, venue: str, symbol: str | None) -> None:
        """The venue lost the book's integrity: drop it until the venue's next snapshot."""
        state = self._states.get((venue, symbol or ""))
        if state is not None:
            state.book.reset()
            state.last = None
            state.resyncing = True

    def apply(
        self, event: BookUpdate, headers: dict[str, str], offset: int, subject: str, line: bytes
    ) -> None:
        """Apply one book event (``offset``: its place in a message of several)."""
        self.track(event.venue, event.symbol)
        state = self._states[(event.venue, event.symbol)]
        book = state.book
        try:
            seq = int(headers[BOOK_SEQ]) + offset
        except (KeyError, ValueError):
            error = DecodeError(f"book message without a valid {BOOK_SEQ} header")
            self._hub.push(StreamError.from_exception("nats", error, f"nats {subject}", line))
            return
        if event.snapshot:
            in_sync = book.synced and state.last is not None and seq == state.last + 1
            if COLLECTOR in headers and in_sync:
                state.last = seq  # the same book we hold: nothing to deliver
                return
            if state.last is not None and seq != state.last + 1:
                # Messages were lost before this snapshot (the collector dropped some):
                # the book it replaces was incomplete, say so.
                state.resyncing = True
                self._status(event, StreamState.RESYNCING, _gap(state.last, seq))
            depth = headers.get(DEPTH)
            book.depth = int(depth) if depth else None
            book.apply_snapshot(
                _rows(event.bids), _rows(event.asks), sequence=event.sequence, ts=event.ts
            )
            state.last = seq
            self._hub.push(event)
            if state.resyncing:
                state.resyncing = False
                self._status(event, StreamState.RESYNCED, "book whole again from a snapshot")
            return
        if state.last is None or not book.synced:
            return  # before the first snapshot: nothing to apply it to
        if seq != state.last + 1:
            book.reset()
            state.resyncing = True
            self._status(event, StreamState.RESYNCING, _gap(state.last, seq))
            state.last = None
            return
        book.apply_delta(_rows(event.bids), _rows(event.asks), sequence=event.sequence, ts=event.ts)
        state.last = seq
        self._hub.push(event)

    def _status(self, event: BookUpdate, state: StreamState, reason: str) -> None:
        self._hub.push(
            StreamStatus(
                venue=event.venue,
                state=state,
                reason=reason,
                channel=Channel.BOOK,
                symbol=event.symbol,
                ts=time_ns(),
            )
        )


def _gap(last: int, seq: int) -> str:
    return f"gap in {BOOK_SEQ} ({last} then {seq}): book restarts at the next snapshot"
