"""What Kraken's book checksum costs on tickwire's receive path (run by hand).

::

    python tests/benchmarks/kraken_checksum_cost.py [--n 50000] [--repeat 3] [--memory]

Runs the book phase of ``bench_feed.py --venue kraken``'s tickwire client (placement
``split``; with ``--memory``, ``kraken_processing.py``'s socket-free tickwire processing
of recorded book frames instead) with the adapter's checksum swapped out, in this
process only (its files are untouched):

- ``as-is``: the adapter as it stands (each level's text kept with the level, written
  in the same pass; a side's half of the checksum re-joined only when it changed);
- ``no-checksum``: rows go through the engine's plain ``apply_delta``, no text is kept,
  and the CRC "computed" is the frame's own (what verification costs).

Each variant runs in a fresh process, interleaved, and the medians are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

VARIANTS = ("as-is", "no-checksum")


def patch(variant: str) -> None:
    """Swap the checksum implementation for ``variant``."""
    from tickwire.adapters.kraken import book as kraken_book
    from tickwire.core.book import OrderBook

    if variant != "no-checksum":
        return
    checked: Any = kraken_book.KrakenBook
    apply = kraken_book.KrakenBook.apply
    current = [0]

    def remembering_apply(self: Any, data: Any, snapshot: bool, received: int) -> Any:
        current[0] = data.checksum
        return apply(self, data, snapshot, received)

    def write(self: Any, levels: Any, bids: bool) -> None:
        rows = [(level.price, level.size) for level in levels]
        OrderBook.apply_delta(self, rows if bids else (), () if bids else rows)

    def crc32(data: bytes, value: int = 0) -> int:
        return current[0]

    checked.apply = remembering_apply
    checked._write = write
    checked._retext = lambda self: None
    kraken_book.crc32 = crc32  # type: ignore[assignment]


def child(variant: str, n: int, memory: bool) -> None:
    """Measure one variant; print ``CPU µs/event`` of the book phase."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_feed

    patch(variant)
    if memory:
        import kraken_processing

        recording = asyncio.run(kraken_processing.record(n))
        frames = recording.book[:n]
        print(kraken_processing.time_tickwire(recording, frames) / len(frames) * 1e6)
        return
    client_cpu, emulator_cpu = bench_feed.PLACEMENTS["split"]
    bench_feed.pin(client_cpu)
    kraken = bench_feed.VENUES["kraken"]
    phases = asyncio.run(bench_feed.run_tickwire(kraken, n, 1, False, emulator_cpu))
    book = next(p for p in phases if p.channel == "book")
    if book.received != n or book.anomalies:
        raise SystemExit(f"{variant}: {book}")
    print(book.cpu / book.received * 1e6)


def main() -> int:
    """Run every variant ``--repeat`` times, interleaved, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="no socket: recorded frames")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.n, args.memory)
        return 0
    results: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(args.repeat):
        for variant in VARIANTS:
            command = [sys.executable, __file__, "--variant", variant, "--n", str(args.n)]
            command += ["--memory"] if args.memory else []
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
            results[variant].append(float(done.stdout.split()[-1]))
    where = "in memory (no socket)" if args.memory else "over the socket, placement split"
    print(f"tickwire book events, N = {args.n:,}, {where}, CPU µs/event, median of {args.repeat}")
    for variant, values in results.items():
        spread = f"[{min(values):.2f}-{max(values):.2f}]"
        print(f"{variant:<14} {statistics.median(values):6.2f} {spread}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
