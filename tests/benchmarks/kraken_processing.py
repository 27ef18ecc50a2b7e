"""Kraken frame processing without a socket: what tickwire adds per frame (run by hand).

::

    python tests/benchmarks/kraken_processing.py [--n 100000] [--repeat 5] [--metrics]

Socket figures (``bench_feed.py --venue kraken``) move with scheduling: how many frames
one wake-up finds, whether a core idles between them. This script takes I/O and
scheduling out: it records N ticker and N book frames from the emulator once, then
times, over the same bytes in memory,

- ``msgspec Any``: ``msgspec.json.Decoder().decode`` (the floor's work per frame);
- ``msgspec typed``: a decode into small typed Structs with ``Decimal`` prices;
- ``tickwire``: ``KrakenClient.on_frame(frame, time_ns())``, exactly as the session's
  reader calls it (decode, normalize, verify and apply the book, push), then delivery of
  every event through ``events()``;
- ``tickwire+record``: the same while ``client.record()`` records every frame (the
  recording's cost, the writer thread's encoding and compression included);
- ``tickwire (loop)``, ``+record (loop)``: both again on the calling thread's CPU clock
  alone (``time.thread_time``): the receive path's own cost;
- with ``--metrics``, only ``tickwire (loop)`` and ``+metrics (loop)``, the second with
  the client counted (:func:`tickwire.core.metrics.instrument`: what ``/metrics``
  costs the receive path), run alternately so that both see the same machine;
- with ``--paths``, only ``tickwire (loop)`` on the C paths (the optional ``_kbook``
  extension: book and ticker updates) and ``python (loop)`` with it switched off (as
  ``TICKWIRE_NO_EXTENSIONS=1`` does), alternately: what the extension buys.

It drives the client without a socket: the book goes to the client's keeper as
``subscribe("book")`` adds it before its ack (``keeper.add`` of ``new_book``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

sys.path.insert(0, str(Path(__file__).parent))
from bench_feed import Kraken, _KrakenBookFrame, _KrakenTickerFrame

from tickwire.adapters.kraken import book as kraken_book
from tickwire.adapters.kraken import client as kraken_client
from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.config import ClientConfig
from tickwire.core.metrics import instrument
from tickwire.core.subscriptions import subscription_for
from tickwire.core.types import Channel
from tickwire.exchanges.kraken import KrakenEmulator

TICKER_SYMBOL = Kraken.ticker_symbol
BOOK_SYMBOL = Kraken.book_symbol
BOOK_DEPTH: int = Kraken.book_options["depth"]


class Recording(msgspec.Struct):
    """Raw frames: the instrument and book snapshots, then N updates per channel."""

    instrument: bytes = b""
    book_snapshot: bytes = b""
    ticker: list[bytes] = msgspec.field(default_factory=list)
    book: list[bytes] = msgspec.field(default_factory=list)


async def record(n: int) -> Recording:
    """Subscribe like a client, burst N frames per channel, keep every frame's bytes."""
    recording = Recording()
    done = asyncio.Event()
    async with KrakenEmulator(seed=1, interval=None) as ex, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(ex.ws_url, decode_text=False, max_msg_size=0)
        subscriptions: list[dict[str, Any]] = [
            {"channel": "instrument"},
            {"channel": "ticker", "symbol": [TICKER_SYMBOL]},
            {"channel": "book", "symbol": [BOOK_SYMBOL], "depth": BOOK_DEPTH},
        ]
        ready = asyncio.Event()

        async def read() -> None:
            while not done.is_set():
                frame: bytes = (await ws.receive()).data
                message = msgspec.json.decode(frame)
                channel, kind = message.get("channel"), message.get("type")
                if channel == "instrument" and kind == "snapshot":
                    recording.instrument = frame
                elif channel == "book" and kind == "snapshot":
                    recording.book_snapshot = frame
                elif channel == "ticker" and kind == "update":
                    recording.ticker.append(frame)
                elif channel == "book" and kind == "update":
                    recording.book.append(frame)
                if recording.instrument and recording.book_snapshot:
                    ready.set()
                if len(recording.ticker) >= n and len(recording.book) >= n:
                    done.set()

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(read())
            for req_id, params in enumerate(subscriptions, start=1):
                message = {"method": "subscribe", "params": params, "req_id": req_id}
                await ws.send_bytes(msgspec.json.encode(message))
            await ready.wait()
            await ex.burst("ticker", TICKER_SYMBOL, n)
            await ex.burst("book", BOOK_SYMBOL, n)
        await ws.close()
    return recording


def time_decode(frames: list[bytes], decode: Callable[[bytes], Any]) -> float:
    """CPU seconds to decode every frame."""
    start = time.process_time()
    for frame in frames:
        decode(frame)
    return time.process_time() - start


def time_tickwire(
    recording: Recording,
    frames: list[bytes],
    record: bool = False,
    cpu: Callable[[], float] = time.process_time,
    metrics: bool = False,
) -> float:
    """CPU seconds for on_frame over every frame plus delivering every event.

    ``record``: the client is recorded meanwhile (``client.record``): each frame goes to
    the wire tap first, as the session's reader hands it; the writer thread's
    compression is in the process CPU too. ``cpu``: the clock, the process's CPU or
    (``time.thread_time``) the calling thread's: the receive path's own. ``metrics``:
    the client's events are counted meanwhile (:func:`~tickwire.core.metrics.instrument`).
    """
    client = KrakenClient(ClientConfig(venue="kraken"))
    if metrics:
        instrument(client)
    book = subscription_for(Channel.BOOK, BOOK_SYMBOL, {"depth": BOOK_DEPTH})
    client.keeper.add(BOOK_SYMBOL, client.new_book(book))  # subscribe("book") before its ack
    client.on_frame(recording.instrument, time.time_ns())
    client.on_frame(recording.book_snapshot, time.time_ns())
    stream = client.events()

    async def deliver(count: int) -> int:
        got = 0
        async for _ in stream:
            got += 1
            if got == count:
                break
        return got

    async def run() -> float:
        async for _ in stream:  # the book snapshot
            break
        on_frame, now, hub = client.on_frame, time.time_ns, client.hub
        with tempfile.TemporaryDirectory() as directory:
            async with contextlib.AsyncExitStack() as stack:
                if record:
                    await stack.enter_async_context(client.record(directory))
                start = cpu()
                for frame in frames:
                    received = now()
                    wire = hub.wire  # what the session's reader does per frame
                    if wire is not None:
                        wire.frame("public", received, frame, True)
                    on_frame(frame, received)
                got = await deliver(len(frames))
            elapsed = cpu() - start  # the writer's close (last block) included
        if got != len(frames) or len(stream):
            raise SystemExit(f"expected {len(frames)} events, got {got}")
        return elapsed

    return asyncio.run(run())


def main() -> int:
    """Record once, time every processor ``--repeat`` times, print medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--metrics", action="store_true", help="time the receive path with and without metrics"
    )
    parser.add_argument(
        "--paths", action="store_true", help="time the C paths against the Python path"
    )
    args = parser.parse_args()
    recording = asyncio.run(record(args.n))
    generic = msgspec.json.Decoder().decode
    typed = {
        "ticker": msgspec.json.Decoder(_KrakenTickerFrame).decode,
        "book": msgspec.json.Decoder(_KrakenBookFrame).decode,
    }
    print(f"Kraken frame processing, N = {args.n:,} per channel, median of {args.repeat}")
    base = "vs off" if args.metrics else "vs Any"
    print(f"{'processor':<15} {'channel':<7} {'µs/frame':>9} {base:>7}  (min-max)")
    for channel in ("ticker", "book"):
        frames: list[bytes] = getattr(recording, channel)[: args.n]
        if args.metrics:
            report(channel, len(frames), metrics_cost(recording, frames, args.repeat))
            continue
        if args.paths:
            report(channel, len(frames), paths_cost(recording, frames, args.repeat))
            continue
        results = {
            "msgspec Any": [time_decode(frames, generic) for _ in range(args.repeat)],
            "msgspec typed": [time_decode(frames, typed[channel]) for _ in range(args.repeat)],
            "tickwire": [time_tickwire(recording, frames) for _ in range(args.repeat)],
            "tickwire+record": [
                time_tickwire(recording, frames, record=True) for _ in range(args.repeat)
            ],
            # The reader's thread alone: what recording costs the receive path itself.
            "tickwire (loop)": [
                time_tickwire(recording, frames, cpu=time.thread_time) for _ in range(args.repeat)
            ],
            "+record (loop)": [
                time_tickwire(recording, frames, True, time.thread_time) for _ in range(args.repeat)
            ],
        }
        report(channel, len(frames), results)
    return 0


def metrics_cost(recording: Recording, frames: list[bytes], repeat: int) -> dict[str, list[float]]:
    """The receive path without and with metrics, alternately (the same machine load)."""
    results: dict[str, list[float]] = {"tickwire (loop)": [], "+metrics (loop)": []}
    for _ in range(repeat):
        for name, metrics in (("tickwire (loop)", False), ("+metrics (loop)", True)):
            elapsed = time_tickwire(recording, frames, cpu=time.thread_time, metrics=metrics)
            results[name].append(elapsed)
    return results


def paths_cost(recording: Recording, frames: list[bytes], repeat: int) -> dict[str, list[float]]:
    """The receive path on the C paths and on the Python path, alternately."""
    if kraken_book.EXTENSION is None:
        raise SystemExit("the C extension is not in use (not built, or switched off)")
    results: dict[str, list[float]] = {"tickwire (loop)": [], "python (loop)": []}
    saved = kraken_book.EXTENSION, kraken_client.fast_feed, kraken_client.fast_ticker
    for _ in range(repeat):
        for name, switched in (("tickwire (loop)", saved), ("python (loop)", (None,) * 3)):
            # What TICKWIRE_NO_EXTENSIONS sets at import, for this client only.
            kraken_book.EXTENSION, kraken_client.fast_feed, kraken_client.fast_ticker = switched
            try:
                elapsed = time_tickwire(recording, frames, cpu=time.thread_time)
            finally:
                kraken_book.EXTENSION, kraken_client.fast_feed, kraken_client.fast_ticker = saved
            results[name].append(elapsed)
    return results


def report(channel: str, n: int, results: dict[str, list[float]]) -> None:
    """One line per processor: median, min-max and ratio to the first one."""
    base = statistics.median(next(iter(results.values())))
    for name, values in results.items():
        median = statistics.median(values)
        spread = f"{min(values) / n * 1e6:.2f}-{max(values) / n * 1e6:.2f}"
        print(
            f"{name:<16} {channel:<7} {median / n * 1e6:>9.2f} {median / base:>6.2f}x  ({spread})"
        )


if __name__ == "__main__":
    sys.exit(main())
