"""The client's verified L2 books, and their resync after a checksum mismatch.

Each ``book`` subscription has a :class:`~tickwire.adapters.kraken.book.KrakenBook`
(CRC32 at instrument precision after every message). On a mismatch the client reports
``RESYNCING`` once, renews the subscription for a fresh snapshot (the book ignores
updates meanwhile), and reports ``RESYNCED`` when that snapshot verifies. A book message
whose values break the rules is refused before it touches the book and starts the same
resync (the venue applied it, so the local book may now differ). After a reconnect
every book waits for its new snapshot.
"""

from __future__ import annotations

import asyncio
from time import time_ns
from typing import TYPE_CHECKING

from tickwire.adapters.kraken.book import KrakenBook
from tickwire.adapters.kraken.schemas import BookMessage
from tickwire.adapters.kraken.subscriptions import subscription_for
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.types import Channel, Instrument, StreamState, StreamStatus, Subscription

if TYPE_CHECKING:
    from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["RESYNC_BACKOFF", "RESYNC_BACKOFF_CAP", "KrakenBooks"]

RESYNC_BACKOFF = 0.1  # seconds before the second renewal of a book whose snapshot failed
RESYNC_BACKOFF_CAP = 5.0  # ... doubling per failed attempt, up to this


class KrakenBooks:
    """Every book of one client, by symbol."""

    def __init__(self, client: KrakenClient) -> None:
        self._client = client
        self.books: dict[str, KrakenBook] = {}
        self._resyncing: set[str] = set()
        self._attempts: dict[str, int] = {}  # renewals since the book was last in sync

    def add(self, symbol: str, depth: int, instrument: Instrument | None) -> None:
        """Create a symbol's book before subscribing it."""
        kraken_book = KrakenBook(symbol, depth)
        if instrument is not None:
            kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)
        self.books[symbol] = kraken_book
        self._client._books[symbol] = kraken_book.book

    def remove(self, symbol: str) -> None:
        """Forget a symbol's book (unsubscribed or refused)."""
        self.books.pop(symbol, None)
        self._attempts.pop(symbol, None)
        self._client._books.pop(symbol, None)

    def reset(self) -> None:
        """The socket dropped: every book is unusable until its new snapshot."""
        for kraken_book in self.books.values():
            kraken_book.reset()
        self._resyncing.clear()
        self._attempts.clear()

    def set_precisions(self, instrument: Instrument) -> None:
        """An instrument (re)appeared: its book checksums at these precisions."""
        kraken_book = self.books.get(instrument.symbol)
        if kraken_book is not None:
            kraken_book.set_precisions(instrument.price_precision, instrument.size_precision)

    def on_book(self, message: BookMessage, received: int) -> None:
        """Apply one book message, verify it, and push the update (or start a resync)."""
        client = self._client
        data = message.data[0]
        symbol = data.symbol
        kraken_book = self.books.get(symbol)
        if kraken_book is None:
            return  # a late frame of an unsubscribed book
        client._activity[("book", symbol)] = received
        snapshot = message.type == "snapshot"
        try:
            update = kraken_book.apply(data, snapshot, received)
        except BookOutOfSync as exc:
            self._start_resync(symbol, exc.reason, snapshot)
            return
        except DecodeError as exc:
            # The book is untouched, but Kraken applied what we refused, so our levels
            # may now be wrong, and the checksum (top 10 levels only) would not catch a
            # change deeper in a larger book: resync now. An unsynced book is already
            # waiting for a snapshot, unless the refused message was that snapshot.
            if snapshot or kraken_book.synced:
                kraken_book.reset()
                self._start_resync(symbol, f"refused a book message ({exc})", snapshot)
            raise  # the client reports it as a StreamError, with the frame
        if update is None:
            return  # an update between a mismatch and the fresh snapshot
        client._events.push(update)
        if snapshot:
            self._attempts.pop(symbol, None)
        if snapshot and symbol in self._resyncing:
            self._resyncing.discard(symbol)
            self._status(StreamState.RESYNCED, symbol, "fresh snapshot verified")

    def _start_resync(self, symbol: str, reason: str, snapshot: bool = False) -> None:
        # Once per desync: further mismatches are impossible until the new snapshot
        # (the book ignores updates while unsynced), so this cannot spin. But a failed
        # *snapshot* was the one the renewal asked for: nothing else is coming, so it
        # renews again, after a backoff that grows with each failed attempt (capped).
        if symbol in self._resyncing and not snapshot:
            return
        attempt = self._attempts.get(symbol, 0)
        self._attempts[symbol] = attempt + 1
        if symbol not in self._resyncing:
            self._resyncing.add(symbol)
            self._status(StreamState.RESYNCING, symbol, reason)
        elif attempt:
            self._status(StreamState.RESYNCING, symbol, f"attempt {attempt + 1}: {reason}")
        client = self._client
        subscription = next(
            (s for s in client.subscriptions if s.channel is Channel.BOOK and s.symbol == symbol),
            None,
        )
        if subscription is None:
            # The first snapshot was refused before subscribe() recorded its subscription:
            # renew what the book was created for, or it would wait forever.
            depth = self.books[symbol].book.depth
            subscription = subscription_for(Channel.BOOK, symbol, {"depth": depth})
        delay = 0.0 if not attempt else min(RESYNC_BACKOFF_CAP, RESYNC_BACKOFF * 2 ** (attempt - 1))
        client._spawn(self._renew_after(subscription, delay), name=f"kraken-resync-{symbol}")

    async def _renew_after(self, subscription: Subscription, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)  # backing off: the venue's snapshots keep failing
        await self._client._renew(subscription)

    def _status(self, state: StreamState, symbol: str, reason: str) -> None:
        self._client._events.push(
            StreamStatus(
                venue=self._client.venue,
                state=state,
                reason=reason,
                channel=Channel.BOOK,
                symbol=symbol,
                ts=time_ns(),
            )
        )
