"""Counting one client's activity, at a type test and an integer store per event.

:func:`instrument` attaches to a client, once:

- a table of counts (a :class:`~tickwire.core.metrics.table.PushCounts`) handed to the
  client's hub, which keeps it in the call each event already makes: the one
  consumer's ``EventStream.push`` (or the buffer before the first consumer), or the
  hub's fan-out loop when there are several; the hub moves it as consumers come and
  go, so each event is counted once per push. No call is added per event. That call
  counts runs of events of one type in its own attributes and adds a run to the table
  when the type changes or the counts are read; per market-data event: a ``None``
  test, a type test, an integer store and a comparison. The first of each type, then
  one in :data:`AGE_SAMPLE` (by its ordinal among its type), is handed to
  :meth:`ClientMetrics._observe`, which puts its frame age (``received - ts``, integer
  nanoseconds) in a fixed bucket (a ``bisect`` over 16 integers, two list stores). No
  lock (only the event loop's thread writes, and reads: a scrape runs on the loop), no
  formatting. Account events, statuses and errors (rare) are all handed over: every
  account event's age is observed, statuses are counted by state (reconnects and
  resyncs are read from them), errors by class.
- a timing wrapper around each order method of that one client instance, the way a
  recording wraps ``subscribe`` (no hook in any adapter).

Everything else is read when asked (:meth:`ClientMetrics.snapshot`, a scrape): queue
depths and drops from the consumers' own queues, token renewals from the adapter.

Why not a hub listener (:meth:`~tickwire.core.fanout.EventHub.listen`): any listener
takes the hub off its single-consumer fast path, so every event would pay the fan-out
loop as well. Why not a step in front of the hub's push
(:meth:`~tickwire.core.fanout.EventHub.intercept`, the previous version): it cost 3-5 %
of a Kraken ticker frame, counting runs inside the push about 2 %, half of that the
frame ages (``BENCHMARKS.md``, "Metrics cost").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable
from functools import wraps
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from tickwire.core.metrics.stats import BUCKETS, ClientStats, Histogram
from tickwire.core.metrics.table import PushCounts
from tickwire.core.streams import EventStream
from tickwire.core.types import (
    CHANNEL_OF,
    BookUpdate,
    Candle,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)

if TYPE_CHECKING:
    from tickwire.core.client import BaseClient

__all__ = ["AGE_SAMPLE", "ORDER_METHODS", "ClientMetrics", "instrument"]

ORDER_METHODS = (
    "place_order",
    "amend_order",
    "cancel_order",
    "cancel_all",
    "place_orders",
    "cancel_orders",
    "cancel_all_after",
)
"""The client methods whose latency and outcome are measured."""

AGE_SAMPLE = 64
"""One market-data event in this many (per type) has its frame age observed; the first
of each type is. Account events (orders, balances) are all observed. A power of two.

64, not 16: each observation runs code and data that the frames between two
observations pushed out of the caches, and at 1 in 16 the ages were half of what
counting cost a frame (BENCHMARKS.md, "Metrics cost"); 1 in 64 still observes ~150
frames a second of a stream at 10 k/s."""

_MARKET = (Ticker, Trade, BookUpdate, Candle)
_AGED = frozenset(CHANNEL_OF)  # every market-data and account event: ts and received
_BOUNDS_NS = [round(bound * 1e9) for bound in BUCKETS]
# One event type's row (a PushCounts row): the events counted, the sample step, the sum
# of the observed ages (ns), then the buckets (the bounds', then +Inf).
_COUNT, _STEP, _SUM, _BUCKET = 0, 1, 2, 3
_SAMPLED = AGE_SAMPLE  # the first of each type, then one in AGE_SAMPLE
_EVERY = 1  # the step that observes every event
_FIRST = 0  # the step that observes only the first
_ATTRIBUTE = "_tickwire_metrics"  # where a client keeps its counters


def _new_counts(step: int = _EVERY) -> list[int]:
    return [0, step, 0] + [0] * (len(_BOUNDS_NS) + 1)


def _histogram(counts: list[int]) -> Histogram:
    return Histogram.from_ns(counts[_BUCKET:], counts[_SUM])


def _observe_ns(counts: list[int], age: int) -> None:
    """One duration (ns) into its bucket; a negative one (the venue's clock ahead of
    ours) counts as no time at all."""
    if age > 0:
        counts[_BUCKET + bisect_left(_BOUNDS_NS, age)] += 1
        counts[_SUM] += age
    else:
        counts[_BUCKET] += 1


def _tag(kind: type) -> str:
    """An event type's name on the wire (``"ticker"``, ``"trade"``, ``"book"``...)."""
    return str(kind.__struct_config__.tag)  # type: ignore[attr-defined]


class ClientMetrics:
    """The live counters of one client (see the module doc); :meth:`snapshot` reads them."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client
        self.venue = client.venue
        # One row per event type (see PushCounts): market data observed one in
        # AGE_SAMPLE, account events every one; statuses and errors are all handed to
        # _observe too, to be counted by state and by class.
        self._rows: dict[type, list[int]] = {kind: _new_counts(_SAMPLED) for kind in _MARKET}
        for kind in (*CHANNEL_OF, StreamStatus, StreamError):
            self._rows.setdefault(kind, _new_counts())
        self._statuses: dict[tuple[str, StreamState], int] = {}
        self._errors: dict[str, int] = {}
        self._calls: dict[tuple[str, str], list[int]] = {}
        # Drops are counted by each consumer's queue; a queue that went away took its
        # count with it, so the last count read of each is kept (and the queue with it,
        # so that no new queue can reuse its id before the next read).
        self._queues: dict[int, tuple[EventStream, int]] = {}
        self._dropped_gone = 0
        # The hub counts into the table from the call each event already makes (the one
        # consumer's push, or its fan-out loop): no step in front of its push.
        self._hub = client.hub
        self._counts = PushCounts(self._rows, self._observe, self._new_row)
        self._hub.count(self._counts)
        self._wrapped = [name for name in ORDER_METHODS if hasattr(client, name)]
        for name in self._wrapped:
            setattr(client, name, self._timed(name, getattr(client, name)))

    def close(self) -> None:
        """Stop counting: the hub pushes as before, the order methods are the adapter's."""
        self._hub.count(None)
        for name in self._wrapped:
            if name in vars(self.client):
                delattr(self.client, name)
        self._wrapped = []
        if getattr(self.client, _ATTRIBUTE, None) is self:
            delattr(self.client, _ATTRIBUTE)

    # --- counting (the event loop's thread) -------------------------------------------

    def _observe(self, counts: list[int], event: Event) -> None:
        # The event is already counted; this sees the first of each type, one
        # market-data event in AGE_SAMPLE, and every other event. Frame ages first and
        # inline (the commonest by far): one call per observation, on the reader's path.
        if type(event) in _AGED:
            age = event.received - event.ts  # type: ignore[union-attr]
            if age > 0:
                counts[_BUCKET + bisect_left(_BOUNDS_NS, age)] += 1
                counts[_SUM] += age
            else:
                counts[_BUCKET] += 1
        elif type(event) is StreamStatus:
            key = (event.channel or "", event.state)
            self._statuses[key] = self._statuses.get(key, 0) + 1
        elif type(event) is StreamError:
            self._errors[event.error] = self._errors.get(event.error, 0) + 1

    def _new_row(self, kind: type) -> list[int]:
        # An event type this module does not know yet: counted, nothing observed.
        row = self._rows[kind] = _new_counts(_FIRST)
        return row

    def _timed(
        self, name: str, call: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        calls = self._calls

        @wraps(call)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            outcome = "ok"
            start = perf_counter_ns()
            try:
                return await call(*args, **kwargs)
            except BaseException as exc:  # the outcome is the error's class, re-raised
                outcome = type(exc).__name__
                raise
            finally:
                elapsed = perf_counter_ns() - start
                counts = calls.get((name, outcome))
                if counts is None:
                    counts = calls[(name, outcome)] = _new_counts()
                counts[_COUNT] += 1
                _observe_ns(counts, elapsed)

        return timed

    # --- reading (on demand) -------------------------------------------------------------

    def snapshot(self) -> ClientStats:
        """The counters now, as a :class:`ClientStats` value."""
        self._counts.flush()  # the run being counted, into the table
        events: dict[str, dict[str, int]] = {}
        frame_age: dict[str, Histogram] = {}
        for kind, counts in list(self._rows.items()):
            count = counts[_COUNT]
            if not count or kind is StreamStatus or kind is StreamError:
                continue
            known = CHANNEL_OF.get(kind)
            if known is None:  # a type this module does not know: about no channel
                events.setdefault("", {})[_tag(kind)] = count
                continue
            events.setdefault(str(known), {})[_tag(kind)] = count
            frame_age[str(known)] = _histogram(counts)
        statuses: dict[str, int] = {}
        for (channel, state), count in list(self._statuses.items()):
            by_type = events.setdefault(channel, {})
            by_type["status"] = by_type.get("status", 0) + count
            statuses[str(state)] = statuses.get(str(state), 0) + count
        errors = dict(self._errors)
        if errors:
            events.setdefault("", {})["error"] = sum(errors.values())
        order_calls: dict[str, dict[str, Histogram]] = {}
        for (method, outcome), counts in list(self._calls.items()):
            order_calls.setdefault(method, {})[outcome] = _histogram(counts)
        queues = self._read_queues()
        return ClientStats(
            venue=self.venue,
            events=events,
            statuses=statuses,
            dropped=self._dropped(queues),
            stream_errors=errors,
            reconnects=statuses.get(StreamState.RECONNECTING.value, 0),
            resyncs=statuses.get(StreamState.RESYNCING.value, 0),
            token_renewals=self._renewals(),
            queue_depths=tuple(len(queue) for queue in queues),
            frame_age=frame_age,
            order_calls=order_calls,
        )

    def _read_queues(self) -> tuple[EventStream, ...]:
        return self.client.hub.queues

    def _dropped(self, queues: tuple[EventStream, ...]) -> int:
        now = {id(queue): (queue, queue.dropped) for queue in queues}
        for key, (_, dropped) in self._queues.items():
            if key not in now:
                self._dropped_gone += dropped
        self._queues = now
        return self._dropped_gone + sum(dropped for _, dropped in now.values())

    def _renewals(self) -> int:
        # Only KuCoin renews tokens on a live connection, counted by each of its shards
        # (``client.shards``, public); read, so the adapter needs no hook.
        shards = getattr(self.client, "shards", ())
        return sum(int(getattr(shard, "renewals", 0)) for shard in shards)


def instrument(client: BaseClient) -> ClientMetrics:
    """Start counting ``client``'s activity (idempotent); its :class:`ClientMetrics`.

    Call it before ``connect()`` to count from the first connection on.
    """
    metrics = getattr(client, _ATTRIBUTE, None)
    if isinstance(metrics, ClientMetrics):
        return metrics
    metrics = ClientMetrics(client)
    setattr(client, _ATTRIBUTE, metrics)
    return metrics
