"""The client's books: level2 books synced against REST snapshots, and depth5/50 books.

A full-depth book follows KuCoin's procedure (:mod:`.book`): its increments are buffered
from the subscribe on, a snapshot is fetched once the subscription is acked, applied,
and the buffer replayed. On a sequence gap the client reports ``RESYNCING``, fetches a
new snapshot (one fetch in flight per symbol, all fetches paced together) and reports
``RESYNCED``; after a reconnect every book of the shard is resynced the same way.
"""

from __future__ import annotations

import asyncio
from time import time_ns
from typing import TYPE_CHECKING

from tickwire.adapters.kucoin.book import KucoinBook, KucoinDepthBook
from tickwire.adapters.kucoin.schemas import Level2Snapshot
from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.errors import BookOutOfSync, TickwireError
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.types import Channel, StreamState, StreamStatus

if TYPE_CHECKING:
    from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["LEVEL2", "SNAPSHOT_QUOTA", "BookSync"]

LEVEL2 = "/market/level2"
SNAPSHOT_QUOTA = Quota(limit=20, window=1.0)  # REST book snapshots, all symbols together
SNAPSHOT_ATTEMPTS = 5
_DEPTH_PREFIX = "/spotMarket/level2Depth"


class BookSync:
    """Every book of one client, and the snapshot fetches that keep them in sync."""

    def __init__(self, client: KucoinClient) -> None:
        self._client = client
        self.kbooks: dict[str, KucoinBook] = {}  # native symbol → level2 book
        self.dbooks: dict[str, KucoinDepthBook] = {}  # depth topic text → depth book
        self._tasks: dict[str, asyncio.Task[None]] = {}  # native → snapshot fetch in flight
        self._limiter = RateLimiter({"snapshot": SNAPSHOT_QUOTA})

    def add(self, topic: Topic, symbol: str) -> None:
        """Create the book of a book topic (before subscribing, so buffering starts)."""
        books = self._client._books
        # Never truncated: a cut book loses the levels a deletion at the top exposes.
        if topic.prefix == LEVEL2:
            kbook = KucoinBook(symbol)
            self.kbooks[topic.native] = kbook
            books[symbol] = kbook.book
        else:
            dbook = KucoinDepthBook(symbol, int(topic.prefix.removeprefix(_DEPTH_PREFIX)))
            self.dbooks[topic.text] = dbook
            books[symbol] = dbook.book

    def drop(self, topic: Topic) -> None:
        """Forget the book of a topic (unsubscribed or refused)."""
        books = self._client._books
        if topic.prefix == LEVEL2:
            kbook = self.kbooks.pop(topic.native, None)
            if kbook is not None:
                books.pop(kbook.symbol, None)
        elif (dbook := self.dbooks.pop(topic.text, None)) is not None:
            books.pop(dbook.symbol, None)

    def resync(self, native: str, reason: str) -> None:
        """A gap: report it and fetch a fresh snapshot, unless one is already coming."""
        task = self._tasks.get(native)
        if task is not None and not task.done():
            return  # its snapshot is newer than this gap too, or it fetches again
        kbook = self.kbooks[native]
        self.status(StreamState.RESYNCING, kbook.symbol, reason)
        self.start(native, resync=True)

    def start(self, native: str, *, resync: bool) -> asyncio.Task[None]:
        """The snapshot fetch of ``native``: the one in flight, or a new one."""
        task = self._tasks.get(native)
        if task is None or task.done():
            task = self._client._spawn(self._fetch(native, resync), name=f"kucoin-sync-{native}")
            self._tasks[native] = task
        return task

    async def _fetch(self, native: str, resync: bool) -> None:
        client = self._client
        kbook = self.kbooks.get(native)
        reason = "no snapshot"
        for attempt in range(SNAPSHOT_ATTEMPTS):
            if kbook is None or self.kbooks.get(native) is not kbook:
                return  # unsubscribed meanwhile
            await self._limiter.acquire("snapshot")
            try:
                snapshot = await self._snapshot(native)
                update = kbook.apply_snapshot(snapshot, time_ns())
            except BookOutOfSync as exc:
                reason = exc.reason  # the snapshot predates the buffered stream: again
                continue
            except TickwireError as exc:
                reason = str(exc)
                await asyncio.sleep(0.1 * 2**attempt)
                continue
            client._events.push(update)
            if resync:
                self.status(StreamState.RESYNCED, kbook.symbol, "fresh snapshot applied")
            return
        if kbook is not None:
            client._push_error(BookOutOfSync(kbook.symbol, reason), "book sync gave up")

    async def _snapshot(self, native: str) -> Level2Snapshot:
        # The full book needs a signature; without credentials the public top 100 is all
        # KuCoin serves, and levels below it are only those the increments touched.
        client = self._client
        credentials = client.config.credentials
        if credentials is None:
            return await client.rest.level2_snapshot(native)
        return await client.rest.full_snapshot(credentials, native)

    def status(self, state: StreamState, symbol: str, reason: str) -> None:
        """Push a book's integrity status."""
        self._client._events.push(
            StreamStatus(
                venue="kucoin",
                state=state,
                reason=reason,
                channel=Channel.BOOK,
                symbol=symbol,
                ts=time_ns(),
            )
        )
