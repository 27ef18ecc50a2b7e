"""Sequenced books synced against REST snapshots: the part of a sync no venue owns.

A venue whose increments are synced against a REST snapshot (KuCoin's level2, and the
many venues built like it) supplies one function, ``load(book)``: fetch the book's
snapshot and load it (:meth:`~tickwire.core.sync_book.SequencedBook.load`, which replays
the buffered increments). :class:`SnapshotBooks` does the rest, once::

    books = SnapshotBooks(context, load, quota=Quota(20, 1.0))
    books.add(KucoinBook("BTC/USDT"))      # before subscribing: buffering starts
    books.keeper.sync("BTC/USDT")          # once acked: fetch, load, replay
    books.pause("BTC/USDT")                # its socket is gone: wait for a new one
    books.resume("BTC/USDT")               # subscribed again: sync it if it is not

Core's :class:`~tickwire.core.bookkeeper.BookKeeper` owns the sequence around a sync
(``RESYNCING`` on a gap, one recovery in flight per symbol, capped jittered backoff,
``RESYNCED``); snapshot fetches are paced together by ``quota`` (all symbols share it),
and increments a replay discards are reported as ``StreamError`` events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from tickwire.core.bookkeeper import BACKOFF, BACKOFF_CAP, BookKeeper
from tickwire.core.context import AdapterContext
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.sync_book import SequencedBook
from tickwire.core.types import BookUpdate

__all__ = ["SnapshotBooks"]

B = TypeVar("B", bound=SequencedBook[Any])

_KEY = "snapshot"


class SnapshotBooks(Generic[B]):
    """The snapshot-synced books of one client, by unified symbol (:attr:`books`), and
    their recovery: ``load`` brings one book in sync; ``backoff`` and ``backoff_cap`` as
    :class:`~tickwire.core.bookkeeper.BookKeeper` takes them."""

    def __init__(
        self,
        context: AdapterContext,
        load: Callable[[B], Awaitable[BookUpdate]],
        *,
        quota: Quota,
        backoff: float = BACKOFF,
        backoff_cap: float = BACKOFF_CAP,
    ) -> None:
        self._context = context
        self._load = load
        self.keeper = BookKeeper(context, self.recover, backoff=backoff, backoff_cap=backoff_cap)
        self.books: dict[str, B] = {}
        self._limiter = RateLimiter({_KEY: quota})
        self._paused: set[str] = set()  # books whose socket is down: no snapshot until it is up

    def add(self, book: B) -> None:
        """Keep ``book`` (its increments buffer until its first snapshot)."""
        self.books[book.symbol] = book
        self.keeper.add(book.symbol, book.book)

    def drop(self, symbol: str) -> None:
        """Forget ``symbol``'s book (unsubscribed or refused)."""
        if self.books.pop(symbol, None) is not None:
            self._paused.discard(symbol)
            self.keeper.remove(symbol)

    def pause(self, symbol: str) -> None:
        """``symbol``'s socket is gone: its book waits for a new snapshot once it is back."""
        book = self.books.get(symbol)
        if book is not None:
            self._paused.add(symbol)
            if book.synced:
                book.reset()
                self.keeper.out_of_sync(symbol, "socket lost")

    def resume(self, symbol: str) -> None:
        """``symbol``'s socket is subscribed again: sync its book unless it is."""
        book = self.books.get(symbol)
        if book is not None:
            self._paused.discard(symbol)
            if not book.synced:
                self.keeper.sync(symbol)

    async def recover(self, symbol: str) -> bool:
        """Load a snapshot of ``symbol``'s book, paced with every other (the keeper's
        step); False while its socket is down (:meth:`resume` syncs it then)."""
        book = self.books.get(symbol)
        if book is None or symbol in self._paused:
            return False
        await self._limiter.acquire(_KEY)
        try:
            update = await self._load(book)
        finally:
            for error, increment in book.rejected:
                self._context.error(error, f"book {symbol}", increment)
            book.rejected.clear()
        self._context.emit(update)
        return True
