"""The client's verified L2 books: :class:`KrakenBook` wiring on core's book keeper.

Each ``book`` subscription has a :class:`~tickwire.adapters.kraken.book.KrakenBook`
(CRC32 at instrument precision after every message). A mismatch, or a book message whose
values break the rules (the venue applied it, so the local book may now differ), puts
the book out of sync; :class:`~tickwire.core.bookkeeper.BookKeeper` owns the sequence
(``RESYNCING`` once, recovery with backoff, ``RESYNCED``). Kraken's recovery is to renew
the subscription: the fresh snapshot arrives later on the socket, and verifies here.
After a reconnect every book waits for its new snapshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import cast

from tickwire.adapters.kraken.book import KrakenBook
from tickwire.adapters.kraken.schemas import BookMessage
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.context import AdapterContext
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.types import Instrument

__all__ = ["KrakenBooks"]

Renew = Callable[[str, int], Awaitable[None]]
"""Unsubscribe and subscribe ``symbol``'s book at ``depth`` again (raises on failure)."""


class KrakenBooks:
    """Every book of one client, by symbol; ``activity`` is the public session's."""

    def __init__(
        self, context: AdapterContext, renew: Renew, activity: dict[Hashable, int]
    ) -> None:
        self.activity = activity
        self._context = context
        self._renew = renew
        self.keeper = BookKeeper(context, self._recover)
        # The keeper's dict (context.books, what client.book() reads), typed as what it
        # holds: every book it is given is a KrakenBook.
        self.books = cast(dict[str, KrakenBook], self.keeper.books)

    def add(self, symbol: str, depth: int, instrument: Instrument | None) -> None:
        """Create a symbol's book before subscribing it."""
        kraken_book = KrakenBook(symbol, depth)
        if instrument is not None:
            kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)
        self.keeper.add(symbol, kraken_book)

    def remove(self, symbol: str) -> None:
        """Forget a symbol's book (unsubscribed or refused)."""
        self.keeper.remove(symbol)

    def reset(self) -> None:
        """The socket dropped: every book is unusable until its new snapshot."""
        for kraken_book in self.books.values():
            kraken_book.reset()
        self.keeper.reset()

    def set_precisions(self, instrument: Instrument) -> None:
        """An instrument (re)appeared: its book checksums at these precisions."""
        kraken_book = self.books.get(instrument.symbol)
        if kraken_book is not None:
            kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)

    def on_book(self, message: BookMessage, received: int) -> None:
        """Apply one book message, verify it, and push the update (or go out of sync)."""
        data = message.data[0]
        symbol = data.symbol
        kraken_book = self.books.get(symbol)
        if kraken_book is None:
            return  # a late frame of an unsubscribed book
        self.activity[("book", symbol)] = received
        snapshot = message.type == "snapshot"
        try:
            update = kraken_book.apply(data, snapshot, received)
        except BookOutOfSync as exc:
            # A failed *snapshot* was the one a renewal asked for: nothing else is
            # coming, so the keeper renews again (after its backoff).
            self.keeper.out_of_sync(symbol, exc.reason, retry=snapshot)
            return
        except DecodeError as exc:
            # The book is untouched, but Kraken applied what we refused, so our levels
            # may now be wrong, and the checksum (top 10 levels only) would not catch a
            # change deeper in a larger book: resync now. An unsynced book is already
            # waiting for a snapshot, unless the refused message was that snapshot.
            if snapshot or kraken_book.synced:
                kraken_book.reset()
                reason = f"refused a book message ({exc})"
                self.keeper.out_of_sync(symbol, reason, retry=snapshot)
            raise  # the client reports it as a StreamError, with the frame
        if update is None:
            return  # an update between a mismatch and the fresh snapshot
        self._context.hub.push(update)  # rebound by the hub: looked up each time
        if snapshot:
            self.keeper.in_sync(symbol)

    async def _recover(self, symbol: str) -> bool:
        """Renew the subscription; its snapshot comes later (then :meth:`on_book`)."""
        kraken_book = self.books.get(symbol)
        if kraken_book is not None:
            await self._renew(symbol, kraken_book.depth or 10)  # always set here
        return False
