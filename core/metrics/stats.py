"""What :func:`~tickwire.core.metrics.stats` returns: one client's counters, as a value.

Plain frozen Structs, so a snapshot can be logged, compared in a test or encoded as JSON
(``msgspec.json.encode(stats(client))``) without any monitoring library::

    s = stats(client)
    s.events["ticker"]["ticker"]        # tickers delivered so far
    s.reconnects, s.resyncs, s.dropped
    s.frame_age["book"].quantile(0.99)  # upper bound of the bucket holding the p99
    s.order_calls["place_order"]["ok"].count
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

__all__ = ["BUCKETS", "ClientStats", "Histogram"]

BUCKETS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Upper bounds (seconds) of every histogram's buckets, frame ages and order calls alike:
from a loopback hop (100 µs) to a venue answering an order in seconds."""


class Histogram(msgspec.Struct, frozen=True, kw_only=True):
    """Observations (seconds) counted in the fixed :data:`BUCKETS`.

    ``counts[i]`` holds the observations above ``bounds[i - 1]`` and at most ``bounds[i]``;
    the last count holds those above every bound. ``sum`` is their total.
    """

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float

    @property
    def count(self) -> int:
        """How many observations there are."""
        return sum(self.counts)

    def cumulative(self) -> list[tuple[float, int]]:
        """``(upper bound, observations at most that)`` per bucket, ``inf`` last: the
        shape of a Prometheus histogram."""
        running = 0
        pairs: list[tuple[float, int]] = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            pairs.append((bound, running))
        return pairs

    def quantile(self, q: float) -> float:
        """The upper bound of the bucket that holds the ``q`` quantile (``inf`` past the
        last bound; ``nan`` with no observations)."""
        total = self.count
        if not total:
            return float("nan")
        rank = q * total
        for bound, seen in self.cumulative():
            if seen >= rank:
                return bound
        return float("inf")

    @classmethod
    def from_ns(cls, counts: Sequence[int], total_ns: int) -> Histogram:
        """A histogram from live counts and a sum kept in nanoseconds."""
        return cls(bounds=BUCKETS, counts=tuple(counts), sum=total_ns / 1e9)


class ClientStats(msgspec.Struct, frozen=True, kw_only=True):
    """One client's counters since it was instrumented (see :mod:`tickwire.core.metrics`).

    ==================  ===================================================================
    field               what it counts
    ==================  ===================================================================
    ``events``          events pushed, by channel then by type (``"ticker"``, ``"trade"``,
                        ``"book"``, ``"status"``, ``"error"``...); statuses and errors
                        about no channel are under ``""``
    ``statuses``        status events by state (``"reconnecting"``, ``"resynced"``...)
    ``dropped``         market-data events consumers lost to ``drop_market_data``
    ``stream_errors``   :class:`~tickwire.core.types.StreamError` events, by error class
    ``reconnects``      sockets lost and being reconnected (``reconnecting`` statuses)
    ``resyncs``         books (or account channels) resynchronized (``resyncing``)
    ``token_renewals``  WebSocket tokens renewed on a live connection (KuCoin's
                        make-before-break renewal; a token fetched on a reconnect counts
                        as the reconnect)
    ``queue_depths``    events waiting in each consumer's queue now, in attach order
                        (the buffer of a client with no consumer yet included)
    ``frame_age``       venue timestamp to local receive, by channel (a negative age,
                        the two clocks disagreeing, counts as 0); market data sampled:
                        the first of each type, then one in ``AGE_SAMPLE``
    ``order_calls``     order-method latency, by method then by outcome (``"ok"``, or
                        the exception's class: ``"InvalidOrder"``, ``"RequestTimeout"``)
    ==================  ===================================================================
    """

    venue: str
    events: dict[str, dict[str, int]]
    statuses: dict[str, int]
    dropped: int
    stream_errors: dict[str, int]
    reconnects: int
    resyncs: int
    token_renewals: int
    queue_depths: tuple[int, ...]
    frame_age: dict[str, Histogram]
    order_calls: dict[str, dict[str, Histogram]]

    @property
    def events_total(self) -> int:
        """Every event counted, whatever its channel and type."""
        return sum(n for by_type in self.events.values() for n in by_type.values())
