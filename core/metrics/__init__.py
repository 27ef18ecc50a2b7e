"""A client's activity, counted cheaply on the receive path and read on demand.

::

    from tickwire.core.metrics import instrument, stats

    client = connect("kraken")
    instrument(client)          # before connecting: counts from the first connection
    async with client:
        ...
        s = stats(client)       # a ClientStats value: events, drops, reconnects, resyncs,
                                # queue depths, frame ages, order-call latencies

Counting needs nothing beyond tickwire itself (see :mod:`.counting` for what each event
costs). :mod:`tickwire.core.metrics.prometheus` (the ``metrics`` extra) serves the same
counters on ``/metrics`` for Prometheus, reading them at each scrape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tickwire.core.metrics.counting import AGE_SAMPLE, ORDER_METHODS, ClientMetrics, instrument
from tickwire.core.metrics.stats import BUCKETS, ClientStats, Histogram

if TYPE_CHECKING:
    from tickwire.core.client import BaseClient

__all__ = [
    "AGE_SAMPLE",
    "BUCKETS",
    "ORDER_METHODS",
    "ClientMetrics",
    "ClientStats",
    "Histogram",
    "instrument",
    "stats",
]


def stats(client: BaseClient) -> ClientStats:
    """``client``'s counters now; counting starts at the first call if nothing started it.

    What ``client.stats()`` returns.
    """
    return instrument(client).snapshot()
