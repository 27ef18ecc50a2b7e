"""The client's books: level2 books synced against REST snapshots, and depth5/50 books.

Core's :class:`~tickwire.core.bookkeeper.BookKeeper` owns the sequence around a sync
(``RESYNCING`` on a gap, one recovery in flight per symbol, capped jittered backoff,
``RESYNCED``); :meth:`KucoinBooks.recover` is the venue's part: fetch a snapshot (all
fetches paced together) and replay the buffered increments (:mod:`.book`), reporting
those the book discards as ``StreamError``. After a reconnect every book of the shard is
resynced the same way, once its socket is subscribed again.
"""

from __future__ import annotations

from tickwire.adapters.kucoin.book import KucoinBook, KucoinDepthBook
from tickwire.adapters.kucoin.parse import to_native
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.context import AdapterContext
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.shards import Shard

__all__ = ["DEPTH_PREFIXES", "LEVEL2", "RETRY_BASE", "RETRY_MAX", "SNAPSHOT_QUOTA", "KucoinBooks"]

LEVEL2 = "/market/level2"
SNAPSHOT_QUOTA = Quota(limit=20, window=1.0)  # REST book snapshots, all symbols together
RETRY_BASE = 0.05
"""Seconds before the second attempt at a snapshot; doubled after each failure."""
RETRY_MAX = 10.0
"""The longest wait between two attempts: a book that cannot sync keeps trying this often."""
_DEPTH_PREFIX = "/spotMarket/level2Depth"
DEPTH_PREFIXES = (f"{_DEPTH_PREFIX}5:", f"{_DEPTH_PREFIX}50:")
"""The topics of KuCoin's pushed top-N books, up to the symbol."""


class KucoinBooks:
    """Every book of one client (kept in ``context.books``) and their snapshot syncs."""

    def __init__(self, context: AdapterContext, rest: KucoinRest) -> None:
        self._context = context
        self._rest = rest
        self.keeper = BookKeeper(context, self.recover, backoff=RETRY_BASE, backoff_cap=RETRY_MAX)
        self.kbooks: dict[str, KucoinBook] = {}  # native symbol → level2 book
        self.dbooks: dict[str, KucoinDepthBook] = {}  # depth topic text → depth book
        self._limiter = RateLimiter({"snapshot": SNAPSHOT_QUOTA})
        self._paused: set[str] = set()  # books whose socket is down: no snapshot until it is up

    def add(self, topic: Topic, symbol: str) -> None:
        """Create the book of a book topic (before subscribing, so buffering starts)."""
        # Never truncated: a cut book loses the levels a deletion at the top exposes.
        if topic.prefix == LEVEL2:
            kbook = KucoinBook(symbol)
            self.kbooks[topic.native] = kbook
            self.keeper.add(symbol, kbook.book)
        else:
            dbook = KucoinDepthBook(symbol, int(topic.prefix.removeprefix(_DEPTH_PREFIX)))
            self.dbooks[topic.text] = dbook
            self.keeper.add(symbol, dbook.book)

    def drop(self, topic: Topic) -> None:
        """Forget the book of a topic (unsubscribed or refused)."""
        if topic.prefix == LEVEL2:
            book: KucoinBook | KucoinDepthBook | None = self.kbooks.pop(topic.native, None)
        else:
            book = self.dbooks.pop(topic.text, None)
        if book is not None:
            self._paused.discard(book.symbol)
            self.keeper.remove(book.symbol)

    def down(self, shard: Shard[Topic]) -> None:
        """A shard's socket is gone: its synced books wait for a new snapshot."""
        for topic in shard.owner.of(shard):
            kbook = self.kbooks.get(topic.native) if topic.prefix == LEVEL2 else None
            if kbook is not None:
                self._paused.add(kbook.symbol)
                if kbook.synced:
                    kbook.reset()
                    self.keeper.out_of_sync(kbook.symbol, "socket lost")

    def up(self, shard: Shard[Topic]) -> None:
        """A shard's socket is subscribed again: sync every book of it that is not."""
        for topic in shard.owner.of(shard):
            kbook = self.kbooks.get(topic.native) if topic.prefix == LEVEL2 else None
            if kbook is not None:
                self._paused.discard(kbook.symbol)
                if not kbook.synced:
                    self.keeper.sync(kbook.symbol)

    async def recover(self, symbol: str) -> bool:
        """Fetch a snapshot of ``symbol``'s book and replay its buffer (the keeper's step).

        False while the book's socket is down: :meth:`up` syncs it once it is back.
        """
        native = to_native(symbol)
        kbook = self.kbooks.get(native)
        if kbook is None or symbol in self._paused:
            return False
        await self._limiter.acquire("snapshot")
        try:
            # The full book needs a signature; without credentials KuCoin serves the
            # public top 100, and levels below it are only those the increments touched.
            snapshot = await self._rest.level2_snapshot(native)
            update = kbook.apply_snapshot(snapshot, self._rest.last_received)
        finally:
            for error, increment in kbook.rejected:
                self._context.error(error, f"book {symbol}", increment)
            kbook.rejected.clear()
        self._context.emit(update)
        return True
