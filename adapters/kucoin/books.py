"""The client's books: level2 books synced against REST snapshots, and depth5/50 books.

Core's :class:`~tickwire.core.snapshot_books.SnapshotBooks` runs the sync (a snapshot
fetch at a time per symbol, all paced together, paused while the book's socket is down,
resynced once it is subscribed again); the venue's part is :meth:`KucoinBooks._load`:
fetch KuCoin's snapshot and replay the buffered increments (:mod:`.book`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tickwire.adapters.kucoin.book import KucoinBook, KucoinDepthBook
from tickwire.adapters.kucoin.parse import to_native
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.subscriptions import DEPTH_PREFIX, LEVEL2, Topic
from tickwire.core.context import AdapterContext
from tickwire.core.ratelimit import Quota
from tickwire.core.shards import Shard
from tickwire.core.snapshot_books import SnapshotBooks
from tickwire.core.types import BookUpdate

__all__ = ["RETRY_BASE", "RETRY_MAX", "SNAPSHOT_QUOTA", "KucoinBooks"]

SNAPSHOT_QUOTA = Quota(limit=20, window=1.0)  # REST book snapshots, all symbols together
RETRY_BASE = 0.05
"""Seconds before the second attempt at a snapshot; doubled after each failure."""
RETRY_MAX = 10.0
"""The longest wait between two attempts: a book that cannot sync keeps trying this often."""


class KucoinBooks:
    """Every book of one client (kept in ``context.books``): level2 books synced by core's
    :class:`~tickwire.core.snapshot_books.SnapshotBooks` (indexed here by native symbol,
    as increments name it), and depth books by topic."""

    def __init__(self, context: AdapterContext, rest: KucoinRest) -> None:
        self._rest = rest
        self._synced = SnapshotBooks[KucoinBook](
            context, self._load, quota=SNAPSHOT_QUOTA, backoff=RETRY_BASE, backoff_cap=RETRY_MAX
        )
        self.keeper = self._synced.keeper
        self.kbooks: dict[str, KucoinBook] = {}  # native symbol → level2 book
        self.dbooks: dict[str, KucoinDepthBook] = {}  # depth topic text → depth book

    def add(self, topic: Topic, symbol: str) -> None:
        """Create the book of a book topic (before subscribing, so buffering starts)."""
        # Never truncated: a cut book loses the levels a deletion at the top exposes.
        if topic.prefix == LEVEL2:
            self.kbooks[topic.native] = kbook = KucoinBook(symbol)
            self._synced.add(kbook)
        else:
            dbook = KucoinDepthBook(symbol, int(topic.prefix.removeprefix(DEPTH_PREFIX)))
            self.dbooks[topic.text] = dbook
            self.keeper.add(symbol, dbook.book)

    def drop(self, topic: Topic) -> None:
        """Forget the book of a topic (unsubscribed or refused)."""
        if topic.prefix == LEVEL2:
            if (kbook := self.kbooks.pop(topic.native, None)) is not None:
                self._synced.drop(kbook.symbol)
        elif (dbook := self.dbooks.pop(topic.text, None)) is not None:
            self.keeper.remove(dbook.symbol)

    async def sync(self, topics: Sequence[Topic]) -> None:
        """Sync the level2 books of acked topics (depth books need no sync)."""
        level2 = [self.kbooks[t.native].symbol for t in topics if t.prefix == LEVEL2]
        await asyncio.gather(*map(self.keeper.sync, level2))

    def down(self, shard: Shard[Topic]) -> None:
        """A shard's socket is gone: its synced books wait for a new snapshot."""
        for symbol in self._level2(shard):
            self._synced.pause(symbol)

    def up(self, shard: Shard[Topic]) -> None:
        """A shard's socket is subscribed again: sync every book of it that is not."""
        for symbol in self._level2(shard):
            self._synced.resume(symbol)

    def _level2(self, shard: Shard[Topic]) -> list[str]:
        level2 = [t.native for t in shard.owner.of(shard) if t.prefix == LEVEL2]
        return [self.kbooks[native].symbol for native in level2 if native in self.kbooks]

    async def _load(self, kbook: KucoinBook) -> BookUpdate:
        # The full book needs a signature; without credentials KuCoin serves the public
        # top 100, and levels below it are only those the increments touched.
        snapshot = await self._rest.level2_snapshot(to_native(kbook.symbol))
        return kbook.apply_snapshot(snapshot, self._rest.last_received)
