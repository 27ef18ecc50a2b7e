"""What delivery costs per event: one queue as before fan-out, and the hub (run by hand).

::

    python tests/benchmarks/bench_fanout.py [--n 200000] [--repeat 7] [--metrics]

Each run pushes N tickers (as a reader does, between frames) and drains them with
``async for`` (as a consumer does), timing CPU (``time.process_time``):

- ``EventStream``: the single queue every client had before fan-out (the floor here);
- ``hub, 1 consumer``: the hub as a client now has it with one unfiltered consumer
  (its ``push`` *is* the queue's, the consumer hands out the queue's awaitable);
- ``hub, 3 consumers``: an unfiltered one, one filtered by symbol (half the events), and
  one for orders only (none of them): the fan-out loop and the filters;
- ``hub, recording tap``: one consumer and a wire tap that only counts, the per-frame
  cost of the ``EventHub.wire`` check on the reader's side included;
- ``hub, recorder's taps``: the same plus the statuses-and-errors listener a recorder
  adds (every event then goes through the routing table).

With ``--metrics``, also ``hub, 1 consumer, counted`` and ``hub, 3 consumers, counted``:
the same with the hub counting for :mod:`tickwire.core.metrics` (the table a
``ClientMetrics`` hands it; ``BENCHMARKS.md``, "Metrics cost").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from tickwire.core.fanout import EventFilter, EventHub
from tickwire.core.metrics import ClientMetrics
from tickwire.core.streams import EventStream
from tickwire.core.types import StreamError, StreamStatus, Ticker


def tickers(n: int) -> list[Ticker]:
    price = Decimal("64000.1")
    symbols = ("BTC/USD", "ETH/USD")
    return [
        Ticker(
            venue="v",
            symbol=symbols[i % 2],
            bid=price,
            bid_size=None,
            ask=price,
            ask_size=None,
            ts=i,
            received=i,
        )
        for i in range(n)
    ]


async def drain(consumer: Any, n: int) -> None:
    if not n:
        return
    got = 0
    async for _ in consumer:
        got += 1
        if got == n:
            return


def run_stream(events: list[Ticker]) -> float:
    async def main() -> float:
        stream = EventStream(maxsize=len(events) + 1)
        start = time.process_time()
        push = stream.push
        for event in events:
            push(event)
        await drain(stream, len(events))
        return time.process_time() - start

    return asyncio.run(main())


def run_hub(
    events: list[Ticker],
    extra: int,
    tap: bool = False,
    notices: bool = False,
    counted: bool = False,
) -> float:
    async def main() -> float:
        hub = EventHub(maxsize=len(events) + 1)
        if counted:  # what instrument(client) does to a client's hub; nothing else
            ClientMetrics(cast(Any, SimpleNamespace(hub=hub, venue="v")))
        consumer = hub.attach()
        others = []
        if extra:
            others.append(hub.attach(EventFilter(symbols=["BTC/USD"])))
            others.append(hub.attach(EventFilter(channels=["orders"])))
        if notices:  # what a recorder adds: a listener for statuses and errors
            hub.listen(EventFilter(types=[StreamStatus, StreamError]), lambda event: None)
        seen = [0]

        class Tap:
            def frame(self, *args: Any) -> None:
                seen[0] += 1

        if tap:
            hub.wire = Tap()  # type: ignore[assignment]
        start = time.process_time()
        for event in events:
            wire = hub.wire  # what a session's reader checks per frame
            if wire is not None:
                wire.frame("s", 0, b"", True)
            hub.push(event)
        await drain(consumer, len(events))
        for other in others:
            await drain(other, len(other))
        return time.process_time() - start

    return asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--metrics", action="store_true", help="also time the hub counted")
    args = parser.parse_args()
    events = tickers(args.n)
    cases: dict[str, Callable[[], float]] = {
        "EventStream": lambda: run_stream(events),
        "hub, 1 consumer": lambda: run_hub(events, 0),
        "hub, 3 consumers": lambda: run_hub(events, 2),
        "hub, recording tap": lambda: run_hub(events, 0, tap=True),
        "hub, recorder's taps": lambda: run_hub(events, 0, tap=True, notices=True),
    }
    if args.metrics:
        cases["hub, 1 consumer, counted"] = lambda: run_hub(events, 0, counted=True)
        cases["hub, 3 consumers, counted"] = lambda: run_hub(events, 2, counted=True)
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):  # interleaved, so a noisy moment hits every case alike
        for name, case in cases.items():
            results[name].append(case() / args.n * 1e6)
    floor = statistics.median(results["EventStream"])
    print(f"delivery per event, N = {args.n:,}, median of {args.repeat} (min-max)")
    for name, values in results.items():
        median = statistics.median(values)
        print(
            f"{name:26} {median:6.3f} µs ({min(values):.3f}-{max(values):.3f})"
            f"  {median / floor:5.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
