"""The books of one client, and the resync sequence every venue shares.

A venue supplies how to bring one book back in sync (``recover``: Kraken renews the
subscription for a fresh snapshot, KuCoin fetches a REST snapshot and replays its buffer);
the keeper owns the books and the sequence around that step, so it is written once:

1. :meth:`BookKeeper.out_of_sync` — a gap, a checksum mismatch, a refused message — reports
   ``RESYNCING`` once per desync and starts recovery (one task per symbol, owned by the
   client).
2. Recovery runs ``recover(symbol)``. It returns True when the book is in sync again, or
   False when the venue will deliver the fresh snapshot later (the adapter then calls
   :meth:`in_sync` when it verifies). A :class:`~tickwire.core.errors.TickwireError` is a
   failed attempt: reported as ``RESYNCING`` with the reason and the next delay, and tried
   again after a capped, jittered exponential backoff.
3. :meth:`in_sync` reports ``RESYNCED`` (only when a resync was reported: a first sync is
   not a resync).

Initial syncs (a book just subscribed) use :meth:`sync`: the same recovery, no
``RESYNCING`` unless an attempt fails.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from tickwire.core.errors import TickwireError
from tickwire.core.types import BookLevel, BookUpdate, Channel, StreamState
from tickwire.core.validation import check_price, check_size

if TYPE_CHECKING:
    from tickwire.core.book import OrderBook
    from tickwire.core.context import AdapterContext

__all__ = ["BACKOFF", "BACKOFF_CAP", "BookKeeper", "Recover"]

BACKOFF = 0.1
"""Seconds before the second attempt of a recovery (jittered: times 0.5 to 1)."""
BACKOFF_CAP = 5.0
"""... doubled per failed attempt, up to this."""

Recover = Callable[[str], Awaitable[bool]]
"""Bring ``symbol``'s book back: True once in sync, False if the snapshot comes later."""


class BookKeeper:
    """Every L2 book of one client (``books``, what ``client.book()`` reads), kept in sync.

    Statuses go out and recoveries run (as tasks the client owns) through ``context``.
    ``backoff`` is the delay before the second attempt, doubled per failure up to
    ``backoff_cap``; delays are jittered (times 0.5 to 1) so many books failing together do not
    retry together.
    """

    def __init__(
        self,
        context: AdapterContext,
        recover: Recover,
        *,
        backoff: float = BACKOFF,
        backoff_cap: float = BACKOFF_CAP,
    ) -> None:
        self.books = context.books
        self._context = context
        self._recover = recover
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._resyncing: set[str] = set()  # RESYNCING reported, RESYNCED not yet
        self._attempts: dict[str, int] = {}  # failed attempts since last in sync
        self._tasks: dict[str, asyncio.Task[None]] = {}  # recoveries in flight
        self._again: set[str] = set()  # failed while its recovery was still running
        self._awaiting: set[str] = set()  # recovery started, book not in sync since

    # --- the books -------------------------------------------------------------------

    def add(self, symbol: str, book: OrderBook) -> None:
        """Keep ``book`` as ``symbol``'s book (before subscribing, so nothing is missed)."""
        self.books[symbol] = book

    def remove(self, symbol: str) -> None:
        """Forget ``symbol``'s book (unsubscribed or refused); its recovery stops."""
        self.books.pop(symbol, None)
        self._forget(symbol)

    def reset(self) -> None:
        """The socket dropped: every recovery stops; each book waits for its new snapshot."""
        for symbol in list(self._tasks):
            self._forget(symbol)
        self._resyncing.clear()
        self._attempts.clear()

    def resyncing(self, symbol: str) -> bool:
        """True between ``RESYNCING`` and ``RESYNCED`` for ``symbol``."""
        return symbol in self._resyncing

    def recovering(self, symbol: str) -> bool:
        """True while a recovery of ``symbol`` is running (or waiting out its backoff)."""
        task = self._tasks.get(symbol)
        return task is not None and not task.done()

    # --- the sequence ----------------------------------------------------------------

    def sync(self, symbol: str) -> asyncio.Task[None]:
        """Bring a new book in sync (no ``RESYNCING`` unless an attempt fails)."""
        return self._start(symbol)

    def out_of_sync(self, symbol: str, reason: str, *, retry: bool = False) -> None:
        """``symbol``'s book can no longer be trusted: report it once and recover.

        Further calls during the same desync do nothing, unless ``retry``: the snapshot
        the recovery asked for failed, so nothing else is coming and it must ask again
        (after the backoff).
        """
        if symbol not in self.books:
            return
        running = self.recovering(symbol)
        if symbol in self._resyncing or (running and symbol in self._awaiting):
            if not retry:
                return
            self._attempts[symbol] = self._attempts.get(symbol, 0) + 1
            self._status(
                StreamState.RESYNCING, symbol, f"attempt {self._attempts[symbol] + 1}: {reason}"
            )
        else:
            self._resyncing.add(symbol)
            self._status(StreamState.RESYNCING, symbol, reason)
        self._awaiting.add(symbol)
        if running:
            # The recovery has not returned yet, though what it asked for already came
            # (the venue's snapshot arrives right behind its ack, before the recovery
            # resumes): it goes round again rather than end waiting for nothing.
            self._again.add(symbol)
        else:
            self._start(symbol)

    def in_sync(self, symbol: str, reason: str = "fresh snapshot verified") -> None:
        """``symbol``'s book verified again: ``RESYNCED`` if a resync was reported."""
        self._attempts.pop(symbol, None)
        self._again.discard(symbol)
        self._awaiting.discard(symbol)
        if symbol in self._resyncing:
            self._resyncing.discard(symbol)
            self._status(StreamState.RESYNCED, symbol, reason)

    # --- the common book rule -------------------------------------------------------

    def apply_sequenced(
        self,
        symbol: str,
        *,
        snapshot: bool,
        bids: Sequence[tuple[Decimal, Decimal]],
        asks: Sequence[tuple[Decimal, Decimal]],
        sequence: int,
        ts: int,
        received: int,
    ) -> None:
        """Apply one message of a venue whose book messages are numbered one by one.

        A snapshot replaces the book (and ends a resync); a delta must carry the previous
        sequence plus one, else the book is reset and recovered (:meth:`out_of_sync`).
        Every price and size is checked before the book is touched. Emits the
        :class:`BookUpdate` (a snapshot's levels best first, a delta's as sent).
        """
        book = self.books.get(symbol)
        if book is None or (not snapshot and book.sequence is None):
            return  # unsubscribed, or waiting for the snapshot after a gap or reconnect
        for price, size in (*bids, *asks):
            check_price(price)
            check_size(size)
        if snapshot:
            book.apply_snapshot(bids, asks, sequence=sequence, ts=ts)
            bids_out, asks_out = tuple(book.bids()), tuple(book.asks())
        elif book.sequence is not None and sequence != book.sequence + 1:
            reason = f"sequence gap: expected {book.sequence + 1}, got {sequence}"
            book.reset()
            self.out_of_sync(symbol, reason)
            return
        else:
            book.apply_delta(bids, asks, sequence=sequence, ts=ts)
            bids_out = tuple(BookLevel(price, size) for price, size in bids)
            asks_out = tuple(BookLevel(price, size) for price, size in asks)
        update = BookUpdate(
            venue=self._context.venue, symbol=symbol, bids=bids_out, asks=asks_out,
            snapshot=snapshot, sequence=sequence, ts=ts, received=received,
        )  # fmt: skip
        self._context.emit(update)
        if snapshot:
            self.in_sync(symbol)

    # --- machinery -------------------------------------------------------------------

    def _start(self, symbol: str) -> asyncio.Task[None]:
        self._awaiting.add(symbol)
        task = self._tasks.get(symbol)
        if task is None or task.done():
            name = f"{self._context.venue}-book-sync-{symbol}"
            task = self._context.spawn(self._run(symbol), name)
            self._tasks[symbol] = task
            # Forgotten once done: a client that runs for weeks must not keep every one.
            task.add_done_callback(lambda done: self._done(symbol, done))
        return task

    def _done(self, symbol: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(symbol) is task:
            del self._tasks[symbol]

    def _forget(self, symbol: str) -> None:
        self._attempts.pop(symbol, None)
        self._again.discard(symbol)
        self._awaiting.discard(symbol)
        self._resyncing.discard(symbol)
        task = self._tasks.pop(symbol, None)
        if task is not None:
            task.cancel()  # it may be waiting out a backoff: the book is gone

    def _delay(self, attempt: int) -> float:
        if attempt <= 0:
            return 0.0
        return random.uniform(0.5, 1.0) * min(
            self._backoff_cap, self._backoff * 2.0 ** (attempt - 1)
        )

    async def _run(self, symbol: str) -> None:
        book = self.books.get(symbol)
        delay = self._delay(self._attempts.get(symbol, 0))
        while book is not None and self.books.get(symbol) is book:  # else removed
            if delay:
                await asyncio.sleep(delay)  # backing off: the venue keeps failing us
            try:
                done = await self._recover(symbol)
            except TickwireError as exc:
                attempt = self._attempts[symbol] = self._attempts.get(symbol, 0) + 1
                delay = self._delay(attempt)
                self._status(
                    StreamState.RESYNCING,
                    symbol,
                    f"sync attempt {attempt} failed ({exc}); next in {delay:.2g}s",
                )
                continue
            if done:
                self.in_sync(symbol, "fresh snapshot applied")
            elif symbol in self._again:
                self._again.discard(symbol)
                delay = self._delay(self._attempts.get(symbol, 0))
                continue
            return

    def _status(self, state: StreamState, symbol: str, reason: str) -> None:
        self._context.status(state, reason, channel=Channel.BOOK, symbol=symbol)
