"""The bounded delivery queue between a client's reader tasks and the user.

Reader tasks :meth:`~EventStream.push` normalized events synchronously, straight from the
frame they just decoded; the user drains them as an async iterator or through a
callback::

    stream = EventStream(maxsize=10_000, policy=OverflowPolicy.DROP_MARKET_DATA, venue="kraken")

    # producer (one reader task per socket), between frames:
    for event in parse(frame):
        stream.push(event)
    if stream.full:
        await stream.drained()

    # consumer:
    async for event in stream:
        ...

What happens when the consumer falls behind is declared up front by an
:class:`OverflowPolicy`. Account events and status events are never dropped under any
policy: losing an order fill or a resync notice silently would be a correctness bug,
whereas a stale ticker is only late.

Why not :class:`asyncio.Queue`: it allocates and resolves a future per ``get`` that has
to wait and does bookkeeping per item. Here the buffer is a plain :class:`deque`; a
consumer that finds events buffered pops one without awaiting anything, and a future is
created only when it actually has to wait for the next push.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from tickwire.core.types import (
    BookUpdate,
    Candle,
    Event,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)

if TYPE_CHECKING:
    from tickwire.core.metrics.table import PushCounts

__all__ = ["LAG_REPORT_INTERVAL", "EventStream", "OverflowPolicy"]

LAG_REPORT_INTERVAL = 1.0
"""Seconds between ``lagging`` statuses while a consumer stays behind."""

# Events that may be dropped under DROP_MARKET_DATA: each is superseded by the next one
# for its symbol (the live OrderBook is updated before BookUpdates are delivered, so
# dropping one never corrupts a book).
_MARKET_DATA: frozenset[type] = frozenset({Ticker, Trade, BookUpdate, Candle})


class OverflowPolicy(StrEnum):
    """What an :class:`EventStream` does when it holds ``maxsize`` events.

    ============================  ========================================================
    policy                        when full
    ============================  ========================================================
    ``block``                     nothing is ever dropped; producers wait in
                                  :meth:`EventStream.drained` (backpressure reaches the
                                  socket, and the venue may eventually disconnect a slow
                                  reader)
    ``drop_market_data``          new tickers, trades, book updates and candles are
                                  dropped and counted; balances, orders, statuses and
                                  errors are kept; a ``lagging`` status reports the count
                                  once the backlog is below half, and every second
                                  while the consumer stays behind
    ============================  ========================================================
    """

    BLOCK = "block"
    DROP_MARKET_DATA = "drop_market_data"


# A module constant, not ``OverflowPolicy.DROP_MARKET_DATA`` at each use: on CPython 3.11
# reading an enum member off its class costs ~0.45 us, as much as a push.
_DROP = OverflowPolicy.DROP_MARKET_DATA


class EventStream:
    """A bounded FIFO of :data:`~tickwire.core.types.Event` with one consumer.

    A client gives each of its consumers one (:mod:`~tickwire.core.fanout`).

    ``push`` is synchronous and never blocks; the bound is enforced by producers awaiting
    :meth:`drained` between frames (``block``) or by dropping market data
    (``drop_market_data``). The consumer iterates with ``async for`` or hands a function
    to :meth:`run_callback`. :meth:`close` and :meth:`fail` end the stream after what is
    already buffered has been delivered.
    """

    __slots__ = (
        "_buffer",
        "_closed",
        "_count_due",
        "_count_kind",
        "_count_run",
        "_counts",
        "_drain_waiters",
        "_dropped",
        "_dropped_total",
        "_drops",
        "_error",
        "_lag_reported",
        "_maxsize",
        "_on_full",
        "_policy",
        "_venue",
        "_waiter",
    )

    def __init__(
        self,
        *,
        maxsize: int = 100_000,
        policy: OverflowPolicy = OverflowPolicy.BLOCK,
        venue: str = "",
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self._buffer: deque[Event] = deque()
        self._maxsize = maxsize
        self._policy = OverflowPolicy(policy)
        self._drops = self._policy is _DROP
        self._on_full: Callable[[], None] | None = None
        self._venue = venue
        self._waiter: asyncio.Future[None] | None = None  # the consumer, waiting for a push
        self._drain_waiters: list[asyncio.Future[None]] = []  # producers, waiting for room
        self._closed = False
        self._error: BaseException | None = None
        self._dropped = 0  # dropped since the last lagging status
        self._dropped_total = 0
        self._lag_reported = time.monotonic()
        self._counts: PushCounts | None = None
        self._count_kind: type | None = None
        self._count_run = 0
        self._count_due = 0

    def __len__(self) -> int:
        """How many events are buffered."""
        return len(self._buffer)

    @property
    def full(self) -> bool:
        """True when a ``block`` stream holds ``maxsize`` events: its producer should wait.

        Always False under ``drop_market_data`` (that policy never makes a reader wait),
        and once the stream is closed.
        """
        return not self._drops and len(self._buffer) >= self._maxsize and not self._closed

    @property
    def dropped(self) -> int:
        """How many market-data events were dropped since the stream was created."""
        return self._dropped_total

    @property
    def policy(self) -> OverflowPolicy:
        """What the stream does when full."""
        return self._policy

    def adopt(self, maxsize: int, policy: OverflowPolicy, admits: Callable[[Event], bool]) -> None:
        """Hand the stream to its consumer: its bound and policy, and only what it admits.

        The client buffers events from connect until its first consumer attaches; that
        consumer takes the buffer over with this (keeping the order of what it admits).
        """
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self._maxsize = maxsize
        self._policy = OverflowPolicy(policy)
        self._drops = self._policy is _DROP
        self._buffer = deque(event for event in self._buffer if admits(event))

    def on_full(self, hook: Callable[[], None] | None) -> None:
        """Call ``hook`` at every push that leaves a ``block`` stream at its bound.

        For the hub: it keeps one flag that readers test per frame (a plain attribute)
        instead of asking every ``block`` stream whether it is :attr:`full`.
        """
        self._on_full = hook

    def count_pushes(self, counts: PushCounts | None) -> None:
        """Count every event pushed from now on into ``counts`` (``None``: stop).

        For the hub: it hands its table to the stream whose ``push`` *is* the hub's, so
        that counting adds no call per event (see :class:`~tickwire.core.metrics.table.PushCounts`).
        """
        if self._counts is not None and self._counts.holder is self:
            self._counts.hold(None)
        self._counts = counts
        if counts is not None:
            counts.hold(self)

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or :meth:`fail`: pushes are ignored from then on."""
        return self._closed

    # --- producer side -------------------------------------------------------------

    def push(self, event: Event) -> None:
        """Buffer one event and wake the consumer. Synchronous; never blocks.

        Under ``drop_market_data`` a full stream drops market data (and counts it).
        Otherwise the event is kept even beyond ``maxsize``: the bound is soft so that a
        producer can finish the frame it is on, and then await :meth:`drained`.
        After :meth:`close` or :meth:`fail` the consumer has been told the stream ends,
        so further events are ignored.
        Counted first (when the hub asked: :meth:`count_pushes`), whatever becomes of it.
        """
        counts = self._counts
        if counts is not None:
            # Inline, not a call: this is the step every event of a client takes; the
            # same in EventHub._fan_out, the other place a count is taken.
            if type(event) is self._count_kind:
                run = self._count_run + 1
                self._count_run = run
                if run == self._count_due:
                    counts.sample(self, event)
            else:
                counts.switch(self, event)
        if self._closed:
            return
        buffer = self._buffer
        buffer.append(event)
        if len(buffer) >= self._maxsize and self._at_bound(event):
            return
        waiter = self._waiter
        if waiter is not None:
            # Clear it here so that a burst of pushes resolves the future only once.
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _at_bound(self, event: Event) -> bool:
        # After the append, so that the common case is one comparison: True when the
        # event was dropped again (drop_market_data: market data beyond maxsize).
        if self._drops:
            if len(self._buffer) > self._maxsize and type(event) in _MARKET_DATA:
                self._buffer.pop()
                self._dropped += 1
                self._dropped_total += 1
                return True
        elif self._on_full is not None:
            self._on_full()
        return False

    async def drained(self) -> None:
        """Return once fewer than ``maxsize`` events are buffered (or the stream closed).

        Producers call this between frames when :attr:`full`; several may wait at once.
        """
        while len(self._buffer) >= self._maxsize and not self._closed:
            future = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(future)
            await future

    def close(self) -> None:
        """End the stream: the consumer stops after draining what is buffered. Idempotent."""
        self._closed = True
        self._wake_all()

    def fail(self, exc: BaseException) -> None:
        """End the stream with ``exc``: the consumer raises it after draining the buffer.

        Only the first of several calls (or a :meth:`close` before it) counts.
        """
        if not self._closed:
            self._error = exc
        self.close()

    def _wake_all(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._wake_producers()

    def _wake_producers(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for future in waiters:
            # A producer cancelled while waiting leaves a cancelled future behind.
            if not future.done():
                future.set_result(None)

    # --- consumer side -------------------------------------------------------------

    def __aiter__(self) -> EventStream:
        """The stream is its own (single-consumer) iterator."""
        return self

    async def __anext__(self) -> Event:
        """The next event; waits for a push when none is buffered.

        Raises :class:`StopAsyncIteration` after :meth:`close`, or the :meth:`fail`
        exception (once; then :class:`StopAsyncIteration`), when the buffer is empty.
        """
        buffer = self._buffer
        while not buffer:
            if self._closed:
                error, self._error = self._error, None
                if error is not None:
                    raise error
                raise StopAsyncIteration
            if self._waiter is not None:
                raise RuntimeError("EventStream has one consumer; another is already waiting")
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                # Cancelled while waiting: forget the future so the next push skips it.
                if self._waiter is waiter:
                    self._waiter = None
        event = buffer.popleft()
        if self._dropped and (
            len(buffer) * 2 < self._maxsize
            or time.monotonic() - self._lag_reported >= LAG_REPORT_INTERVAL
        ):
            self._report_lag()
        if self._drain_waiters and len(buffer) < self._maxsize:
            self._wake_producers()
        return event

    def take_all(self) -> list[Event]:
        """Every buffered event, at once and without waiting (emptying the buffer).

        For a consumer that is called synchronously, such as a recorder that writes the
        statuses pushed since its last frame before writing the next one.
        """
        events = list(self._buffer)
        self._buffer.clear()
        if self._drain_waiters:
            self._wake_producers()
        return events

    def _report_lag(self) -> None:
        # One status per episode of drops, once the consumer has clearly caught up (the
        # backlog is below half), so a consumer hovering at the bound is not flooded.
        # A consumer that never catches up is told at least every LAG_REPORT_INTERVAL.
        count, self._dropped = self._dropped, 0
        self._lag_reported = time.monotonic()
        self._buffer.append(
            StreamStatus(
                venue=self._venue,
                state=StreamState.LAGGING,
                reason=f"dropped {count} market-data events",
                ts=time.time_ns(),
            )
        )

    async def run_callback(self, callback: Callable[[Event], Awaitable[None] | None]) -> None:
        """Deliver every event to ``callback`` (awaited when it returns an awaitable).

        Returns when the stream is closed and drained; raises the :meth:`fail` exception,
        or whatever the callback raises (the owner's task group then sees it).
        """
        async for event in self:
            result = callback(event)
            if result is not None:
                await result
