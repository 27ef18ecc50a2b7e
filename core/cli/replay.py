"""``tickwire replay`` and ``tickwire export``: a recording through its venue's adapter again.

::

    tickwire replay rec/ --json > events.jsonl       # as fast as it goes
    tickwire replay rec/ --speed 1                    # at the recorded pace
    tickwire export rec/ --parquet tables/            # one Parquet file per event type

Both run the recorded frames through the same adapter code that received them (see
:mod:`tickwire.core.recording.replay`). A damaged recording is replayed up to the damage,
then the command fails naming the file and the byte offset.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from tickwire.core.cli.common import CommandError, Context
from tickwire.core.types import encode_event

__all__ = ["add_parsers"]


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"speed is a positive number or 'max', not {text!r}")
    return value


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare ``tickwire replay`` and ``tickwire export``."""
    replay = commands.add_parser(
        "replay",
        help="replay a recording through its venue's adapter",
        description="Replay a recording (a directory, file or glob) through the adapter.",
    )
    replay.add_argument("path", help="recording directory, file or glob")
    replay.add_argument(
        "--speed", type=_speed, default=None, metavar="N|max", help="pace (default: max)"
    )
    replay.add_argument("--json", action="store_true", help="print events as JSON lines")
    replay.set_defaults(run=run_replay)
    export = commands.add_parser(
        "export",
        help="export a recording's events to Parquet (one file per event type)",
        description="Replay a recording and write its events as Parquet tables.",
    )
    export.add_argument("path", help="recording directory, file or glob")
    export.add_argument("--parquet", required=True, metavar="DIR", help="output directory")
    export.set_defaults(run=run_export)


async def run_replay(args: argparse.Namespace, ctx: Context) -> int:
    """Replay, printing JSON lines or, at the end, what was replayed."""
    from tickwire.core.recording.replay import replay  # the `record` extra

    seen: Counter[str] = Counter()
    started = time.perf_counter()
    out = ctx.stdout
    async for event in replay(args.path, speed=args.speed, registry=ctx.registry):
        seen[type(event).__name__] += 1
        if args.json:
            out.write(encode_event(event).decode())
            out.write("\n")
    if args.json:
        out.flush()
    else:
        elapsed = time.perf_counter() - started
        total = sum(seen.values())
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(seen.items()))
        ctx.console.print(f"replayed {total} events in {elapsed:.2f}s ({counts or 'none'})")
    return 0


async def run_export(args: argparse.Namespace, ctx: Context) -> int:
    """Replay at full speed into a Parquet exporter; print the rows per table."""
    try:
        from tickwire.core.recording.parquet import ParquetExporter  # the `parquet` extra
    except ImportError as exc:
        needs = "export needs pyarrow: pip install 'tickwire[parquet]'"
        raise CommandError(f"{needs} ({exc})") from None
    from tickwire.core.recording.replay import replay

    with ParquetExporter(args.parquet) as exporter:
        async for event in replay(args.path, registry=ctx.registry):
            exporter.add(event)
    rows = ", ".join(f"{n} {table}" for table, n in exporter.rows.items() if n)
    ctx.console.print(f"exported to {args.parquet}: {rows or 'no rows'}")
    return 0
