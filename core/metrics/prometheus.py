"""Clients' counters as Prometheus metrics, read at each scrape (the ``metrics`` extra).

::

    from tickwire.core.metrics.prometheus import serve_metrics

    client = connect("kraken")
    async with serve_metrics(client, port=9464) as server, client:   # before connecting
        ...                                # http://127.0.0.1:9464/metrics while it runs

Or register the collector with a registry of your own (an existing exporter, a push
gateway): ``registry.register(TickwireCollector([client]))``.

Nothing is counted here: a scrape calls :meth:`~tickwire.core.metrics.ClientMetrics.
snapshot` on each client and turns the values into metric families.

=======================================  =========  ======================================
metric                                   kind       labels
=======================================  =========  ======================================
``tickwire_events_total``                counter    venue, channel, type
``tickwire_statuses_total``              counter    venue, state
``tickwire_dropped_events_total``        counter    venue
``tickwire_stream_errors_total``         counter    venue, error
``tickwire_reconnects_total``            counter    venue
``tickwire_resyncs_total``               counter    venue
``tickwire_token_renewals_total``        counter    venue
``tickwire_queue_depth``                 gauge      venue, consumer (attach order, from 0)
``tickwire_order_request_seconds``       histogram  venue, method, outcome
``tickwire_frame_age_seconds``           histogram  venue, channel
=======================================  =========  ======================================

Label values come from the library's own names (venues, channels, event types, states,
method names, exception class names), never from a config or a message, so no
credential or token can reach a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiohttp import web
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry

from tickwire.core.metrics.counting import AGE_SAMPLE, instrument
from tickwire.core.metrics.stats import ClientStats, Histogram

if TYPE_CHECKING:
    from tickwire.core.client import BaseClient

__all__ = ["MetricsServer", "TickwireCollector", "serve_metrics"]


class TickwireCollector(Collector):
    """A Prometheus collector over the counters of one client per venue.

    Adding a client starts counting it (:func:`~tickwire.core.metrics.instrument`).
    """

    def __init__(self, clients: Iterable[BaseClient] = ()) -> None:
        self._clients: list[BaseClient] = []
        for client in clients:
            self.add(client)

    def add(self, client: BaseClient) -> None:
        """Count ``client`` and export it from the next scrape on."""
        if any(known.venue == client.venue for known in self._clients if known is not client):
            # Two clients of one venue would export the same series twice.
            raise ValueError(f"a {client.venue} client is already exported by this collector")
        if client not in self._clients:
            instrument(client)
            self._clients.append(client)

    def collect(self) -> Iterator[Metric]:
        """Every metric family, from each client's counters as they are now."""
        snapshots = [instrument(client).snapshot() for client in self._clients]
        yield from _families(snapshots)


def _families(snapshots: list[ClientStats]) -> Iterator[Metric]:
    events = CounterMetricFamily(
        "tickwire_events", "Events pushed by the client", labels=["venue", "channel", "type"]
    )
    statuses = CounterMetricFamily(
        "tickwire_statuses", "Status events, by state", labels=["venue", "state"]
    )
    errors = CounterMetricFamily(
        "tickwire_stream_errors",
        "Frames the client could not use (StreamError), by error class",
        labels=["venue", "error"],
    )
    totals = {
        name: CounterMetricFamily(f"tickwire_{name}", text, labels=["venue"])
        for name, text in (
            ("dropped_events", "Market-data events consumers lost to drop_market_data"),
            ("reconnects", "Sockets lost and reconnected"),
            ("resyncs", "Books or account channels resynchronized after a gap or mismatch"),
            ("token_renewals", "WebSocket tokens renewed on a live connection"),
        )
    }
    depth = GaugeMetricFamily(
        "tickwire_queue_depth", "Events waiting in a consumer's queue", labels=["venue", "consumer"]
    )
    orders = HistogramMetricFamily(
        "tickwire_order_request_seconds",
        "Order-method latency, by outcome (ok, or the error's class)",
        labels=["venue", "method", "outcome"],
    )
    ages = HistogramMetricFamily(
        "tickwire_frame_age_seconds",
        "Venue timestamp to local receive: every account event; market data sampled "
        f"(the first of each type, then one in {AGE_SAMPLE})",
        labels=["venue", "channel"],
    )
    for s in snapshots:
        venue = s.venue
        for channel, by_type in s.events.items():
            for kind, count in by_type.items():
                events.add_metric([venue, channel, kind], count)
        for state, count in s.statuses.items():
            statuses.add_metric([venue, state], count)
        for error, count in s.stream_errors.items():
            errors.add_metric([venue, error], count)
        totals["dropped_events"].add_metric([venue], s.dropped)
        totals["reconnects"].add_metric([venue], s.reconnects)
        totals["resyncs"].add_metric([venue], s.resyncs)
        totals["token_renewals"].add_metric([venue], s.token_renewals)
        for index, queued in enumerate(s.queue_depths):
            depth.add_metric([venue, str(index)], queued)
        for method, by_outcome in s.order_calls.items():
            for outcome, histogram in by_outcome.items():
                _add_histogram(orders, [venue, method, outcome], histogram)
        for channel, histogram in s.frame_age.items():
            _add_histogram(ages, [venue, channel], histogram)
    yield from (events, statuses, errors, *totals.values(), depth, orders, ages)


def _add_histogram(family: HistogramMetricFamily, labels: list[str], h: Histogram) -> None:
    buckets = [(_bound(bound), count) for bound, count in h.cumulative()]
    family.add_metric(labels, buckets, sum_value=h.sum)


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


class MetricsServer:
    """``/metrics`` over HTTP, served by the running event loop until :meth:`close`.

    A scrape runs on the loop's thread, between events: it reads the counters while
    nothing writes them (no lock), and never delays a reader for longer than the
    exposition takes. Use :func:`serve_metrics` to start one.
    """

    def __init__(self, collector: TickwireCollector, host: str, port: int) -> None:
        self.collector = collector
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind and start serving (an occupied port raises ``OSError`` here)."""
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        sockets = runner.addresses
        if sockets:
            self._port = int(sockets[0][1])

    @property
    def port(self) -> int:
        """The port served (the one chosen by the system when 0 was asked)."""
        return self._port

    @property
    def url(self) -> str:
        """The scrape URL."""
        return f"http://{self._host}:{self._port}/metrics"

    def add(self, client: BaseClient) -> None:
        """Export ``client`` too, from the next scrape on."""
        self.collector.add(client)

    async def _scrape(self, request: web.Request) -> web.Response:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(self.registry), headers={"Content-Type": content_type})

    async def close(self) -> None:
        """Stop serving. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def serve_metrics(*clients: BaseClient, port: int = 0, host: str = "127.0.0.1") -> MetricsServer:
    """A :class:`MetricsServer` for ``clients`` (counting starts now); ``async with`` it,
    or ``await server.start()`` … ``await server.close()``.

    ``port=0`` lets the system choose (read :attr:`MetricsServer.port`). The default
    host is the loopback interface: serving beyond it is the caller's explicit choice.
    """
    return MetricsServer(TickwireCollector(clients), host, port)
