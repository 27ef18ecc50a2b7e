"""Counting one client's activity, at a few list and integer operations per event.

:func:`instrument` attaches to a client, once:

- a counting step in front of the client's hub: ``hub.push``, which every reader calls
  per event, becomes a small function that counts the event by type and hands it on to
  whatever ``push`` was (the hub rebinds ``push`` as consumers come and go; the step is
  put back in front each time). Per market-data event: a dict lookup by type, an
  integer store and a bit test. The first of each type, then one in
  :data:`AGE_SAMPLE`, also has its frame age (``received - ts``, integer nanoseconds)
  put in a fixed bucket (a ``bisect`` over 16 integers, two list stores). No lock
  (only the event loop's thread writes), no formatting. Account events, statuses and
  errors (rare) take a slower path: every account event's age is observed, statuses
  are counted by state (reconnects and resyncs are read from them), errors by class.
- a timing wrapper around each order method of that one client instance, the way a
  recording wraps ``subscribe`` (no hook in any adapter).

Everything else is read when asked (:meth:`ClientMetrics.snapshot`, a scrape): queue
depths and drops from the consumers' own queues, token renewals from the adapter.

Why not a hub listener (:meth:`~tickwire.core.fanout.EventHub.listen`): any listener
takes the hub off its single-consumer fast path, so every event would pay the fan-out
loop as well (about twice this step's cost; ``BENCHMARKS.md``, "Metrics cost").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable
from functools import wraps
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from tickwire.core.metrics.stats import BUCKETS, ClientStats, Histogram
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

AGE_SAMPLE = 16
"""One market-data event in this many (per type) has its frame age observed; the first
of each type is. Account events (orders, balances) are all observed. A power of two."""

_MARKET = (Ticker, Trade, BookUpdate, Candle)
_BOUNDS_NS = [round(bound * 1e9) for bound in BUCKETS]
# The live counts of one event type, in one list: the buckets (the bounds', then +Inf),
# the sum of the observed ages (ns), then the events counted.
_SUM = len(_BOUNDS_NS) + 1
_COUNT = _SUM + 1
_ATTRIBUTE = "_tickwire_metrics"  # where a client keeps its counters


def _new_counts() -> list[int]:
    return [0] * (_COUNT + 1)


def _histogram(counts: list[int]) -> Histogram:
    return Histogram.from_ns(counts[:_SUM], counts[_SUM])


def _observe(counts: list[int], age: int) -> None:
    """One frame age (ns) into its bucket; a negative one (the venue's clock ahead of
    ours) counts as no age at all."""
    if age > 0:
        counts[bisect_left(_BOUNDS_NS, age)] += 1
        counts[_SUM] += age
    else:
        counts[0] += 1


def _counting(
    inner: Callable[[Event], None],
    market: dict[type, list[int]],
    other: Callable[[Event], None],
) -> Callable[[Event], None]:
    """``inner`` (the hub's push) with the event counted first (see the module doc)."""
    # Closure cells, not globals: the fewest lookups on the path every event takes.
    count, sample, observe = _COUNT, AGE_SAMPLE - 1, _observe

    def push(event: Any) -> None:
        try:
            counts = market[type(event)]
        except KeyError:  # account events, statuses, errors: rare, counted in full
            other(event)
        else:
            seen = counts[count]
            counts[count] = seen + 1
            if not seen & sample:  # the first of each type, then one in AGE_SAMPLE
                observe(counts, event.received - event.ts)
        inner(event)

    return push


def _tag(kind: type) -> str:
    """An event type's name on the wire (``"ticker"``, ``"trade"``, ``"book"``...)."""
    return str(kind.__struct_config__.tag)  # type: ignore[attr-defined]


class ClientMetrics:
    """The live counters of one client (see the module doc); :meth:`snapshot` reads them."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client
        self.venue = client.venue
        self._market: dict[type, list[int]] = {kind: _new_counts() for kind in _MARKET}
        self._account: dict[type, list[int]] = {
            kind: _new_counts() for kind in CHANNEL_OF if kind not in _MARKET
        }
        self._statuses: dict[tuple[str, StreamState], int] = {}
        self._errors: dict[str, int] = {}
        self._others: dict[type, int] = {}  # an event type this module does not know yet
        self._calls: dict[tuple[str, str], list[int]] = {}
        # Drops are counted by each consumer's queue; a queue that went away took its
        # count with it, so the last count read of each is kept (and the queue with it,
        # so that no new queue can reuse its id before the next read).
        self._queues: dict[int, tuple[EventStream, int]] = {}
        self._dropped_gone = 0
        # A step in front of the hub's push, re-applied by the hub whenever its
        # consumers change: the single-consumer fast path stays one call behind it.
        self._stop_counting = client.hub.intercept(
            lambda push: _counting(push, self._market, self._other)
        )
        self._wrapped = [name for name in ORDER_METHODS if hasattr(client, name)]
        for name in self._wrapped:
            setattr(client, name, self._timed(name, getattr(client, name)))

    def close(self) -> None:
        """Stop counting: the hub pushes as before, the order methods are the adapter's."""
        self._stop_counting()
        for name in self._wrapped:
            if name in vars(self.client):
                delattr(self.client, name)
        self._wrapped = []
        if getattr(self.client, _ATTRIBUTE, None) is self:
            delattr(self.client, _ATTRIBUTE)

    # --- counting (the event loop's thread) -------------------------------------------

    def _other(self, event: Event) -> None:
        counts = self._account.get(type(event))
        if counts is not None:
            counts[_COUNT] += 1
            _observe(counts, event.received - event.ts)  # type: ignore[union-attr]
        elif isinstance(event, StreamStatus):
            key = (event.channel or "", event.state)
            self._statuses[key] = self._statuses.get(key, 0) + 1
        elif isinstance(event, StreamError):
            self._errors[event.error] = self._errors.get(event.error, 0) + 1
        else:
            kind = type(event)
            self._others[kind] = self._others.get(kind, 0) + 1

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
                counts[bisect_left(_BOUNDS_NS, elapsed)] += 1
                counts[_SUM] += elapsed

        return timed

    # --- reading (on demand) -------------------------------------------------------------

    def snapshot(self) -> ClientStats:
        """The counters now, as a :class:`ClientStats` value."""
        events: dict[str, dict[str, int]] = {}
        frame_age: dict[str, Histogram] = {}
        for kind, counts in [*self._market.items(), *self._account.items()]:
            channel = str(CHANNEL_OF[kind])
            count = counts[_COUNT]
            if count:
                events.setdefault(channel, {})[_tag(kind)] = count
                frame_age[channel] = _histogram(counts)
        statuses: dict[str, int] = {}
        for (channel, state), count in list(self._statuses.items()):
            by_type = events.setdefault(channel, {})
            by_type["status"] = by_type.get("status", 0) + count
            statuses[str(state)] = statuses.get(str(state), 0) + count
        errors = dict(self._errors)
        if errors:
            events.setdefault("", {})["error"] = sum(errors.values())
        for kind, count in list(self._others.items()):
            events.setdefault("", {})[_tag(kind)] = count
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
