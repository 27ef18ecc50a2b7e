"""The client's books: level2 books synced against REST snapshots, and depth5/50 books.

A full-depth book follows KuCoin's procedure (:mod:`.book`): its increments are buffered
from the subscribe on, a snapshot is fetched once the subscription is acked, applied,
and the buffer replayed. On a sequence gap the client reports ``RESYNCING``, fetches a
new snapshot (one fetch in flight per symbol, all fetches paced together) and reports
``RESYNCED``; after a reconnect every book of the shard is resynced the same way.

A book is never given up: while a snapshot cannot be fetched or does not continue the
buffered increments, each failed attempt is reported (``RESYNCING`` with the reason) and
retried after a capped, jittered backoff (:data:`RETRY_BASE` doubling up to
:data:`RETRY_MAX`). A buffered increment that two snapshots in a row could not reach is
the culprit (a forged gap, or one the venue never continued): it is discarded and
reported as a ``StreamError``, so it cannot block the book forever. Increments set aside
as impossible during a replay are reported as ``StreamError`` too.
"""

from __future__ import annotations

import asyncio
import random
from time import time_ns
from typing import TYPE_CHECKING

from tickwire.adapters.kucoin.book import KucoinBook, KucoinDepthBook
from tickwire.adapters.kucoin.schemas import L2UpdateData, Level2Snapshot
from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.errors import BookOutOfSync, TickwireError
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.types import BookUpdate, Channel, StreamError, StreamState, StreamStatus

if TYPE_CHECKING:
    from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["LEVEL2", "RETRY_BASE", "RETRY_MAX", "SNAPSHOT_QUOTA", "BookSync"]

LEVEL2 = "/market/level2"
SNAPSHOT_QUOTA = Quota(limit=20, window=1.0)  # REST book snapshots, all symbols together
RETRY_BASE = 0.05
"""Seconds before the second attempt at a snapshot; doubled after each failure."""
RETRY_MAX = 10.0
"""The longest wait between two attempts: a book that cannot sync keeps trying this often."""
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
            task = self._tasks.pop(topic.native, None)
            if task is not None:
                task.cancel()  # it may be waiting out a backoff: the book is gone
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
            # Forgotten once done: a long-running client must not keep one per resync.
            task.add_done_callback(lambda done: self._forget(native, done))
        return task

    def _forget(self, native: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(native) is task:
            del self._tasks[native]

    async def _fetch(self, native: str, resync: bool) -> None:
        kbook = self.kbooks.get(native)
        blocked_by: L2UpdateData | None = None  # the increment the last attempt failed on
        attempt = 0
        while kbook is not None and self.kbooks.get(native) is kbook:  # else unsubscribed
            await self._limiter.acquire("snapshot")
            try:
                snapshot = await self._snapshot(native)
                update = kbook.apply_snapshot(snapshot, self._client.rest.last_received)
            except BookOutOfSync as exc:
                # The snapshot predates the buffered stream, or the head of the buffer is
                # one no snapshot will reach: a second failure on it names the culprit.
                reason = exc.reason
                head = kbook.head
                if head is not None and head is blocked_by:
                    kbook.discard_head()
                    error = BookOutOfSync(kbook.symbol, f"discarded an increment: {reason}")
                    self._report(kbook, error, repr(head))
                    head = None
                blocked_by = head
            except TickwireError as exc:  # REST failed, or the snapshot broke the rules
                reason = str(exc)
            else:
                self._delivered(kbook, update, resync)
                return
            finally:
                self._report_rejected(kbook)
            # Jittered: books of many symbols that failed together do not retry together.
            delay = random.uniform(0.5, 1.0) * min(RETRY_MAX, RETRY_BASE * 2**attempt)
            attempt += 1
            self.status(
                StreamState.RESYNCING,
                kbook.symbol,
                f"sync attempt {attempt} failed ({reason}); next in {delay:.2g}s",
            )
            await asyncio.sleep(delay)

    def _delivered(self, kbook: KucoinBook, update: BookUpdate, resync: bool) -> None:
        self._client._events.push(update)
        if resync:
            self.status(StreamState.RESYNCED, kbook.symbol, "fresh snapshot applied")

    def _report_rejected(self, kbook: KucoinBook) -> None:
        for exc in kbook.rejected:
            self._report(kbook, exc)
        kbook.rejected.clear()

    def _report(self, kbook: KucoinBook, exc: Exception, frame: str = "") -> None:
        context = f"book {kbook.symbol}"
        self._client._events.push(StreamError.from_exception("kucoin", exc, context, frame))

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
