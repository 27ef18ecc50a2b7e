"""``tickwire demo``: the built-in emulators, streamed into a live board, fully offline.

For every venue that has an emulator (or the ones named with ``--exchange``), the demo
starts that emulator in-process on 127.0.0.1, connects to it exactly as to the real
venue (``connect(venue, **emulator.endpoints)``), subscribes ticker and book for a few
assets, and shows the board until Ctrl-C or ``--duration``. Emulators are found through
the plugin registry, so core never imports ``tickwire.exchanges``.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any

from tickwire.core.cli import metrics
from tickwire.core.cli.common import (
    CommandError,
    Context,
    live_board,
    pick_default_symbols,
    positive,
    resolve_symbols,
)
from tickwire.core.cli.tables import Board
from tickwire.core.connect import connect
from tickwire.core.errors import ConfigError, NotSupported
from tickwire.core.hookspecs import EmulatorSpec
from tickwire.core.protocol import StreamClient
from tickwire.core.registry import Registry
from tickwire.core.types import Event

__all__ = ["add_parser", "run"]

DEFAULT_ASSETS = ("BTC", "ETH", "SOL")
BOOK_DEPTH = 10


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare ``tickwire demo`` and its options."""
    parser = commands.add_parser(
        "demo",
        help="stream the built-in emulators into a live table (offline)",
        description=(
            "Start the built-in venue emulators on 127.0.0.1, connect to them like to "
            "the real venues, and show live tickers and the top of each book."
        ),
    )
    parser.add_argument(
        "--exchange",
        action="append",
        metavar="NAME",
        help="a venue to emulate (repeatable; default: every venue that has an emulator)",
    )
    parser.add_argument(
        "--duration",
        type=positive,
        metavar="SECONDS",
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--symbols",
        nargs="+",
        metavar="SYMBOL",
        help=(
            "unified symbols (BTC/USD) or bare assets (BTC: the venue's pair for it); "
            f"default: {' '.join(DEFAULT_ASSETS)}"
        ),
    )
    parser.add_argument("--seed", type=int, default=1, help="emulator market seed (default: 1)")
    metrics.add_argument(parser)
    parser.set_defaults(run=run)


def emulated_venues(registry: Registry) -> list[str]:
    """Every venue with both an adapter and an emulator, in name order."""
    return sorted(
        {spec.venue for spec in registry.emulators.values() if spec.venue in registry.adapters}
    )


def emulator_for(registry: Registry, venue: str) -> EmulatorSpec:
    """The first emulator registered for ``venue``; a ConfigError if it has none."""
    registry.adapter(venue)  # an unknown venue is reported as such, with the known ones
    for spec in registry.emulators.values():
        if spec.venue == venue:
            return spec
    known = ", ".join(emulated_venues(registry)) or "none"
    raise ConfigError(f"venue {venue!r} has no emulator; emulated venues: {known}")


async def run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the demo until ``--duration`` or Ctrl-C."""
    registry = ctx.registry
    venues: list[str] = list(dict.fromkeys(args.exchange or emulated_venues(registry)))
    if not venues:
        problems = "; ".join(str(p) for p in registry.problems)
        raise CommandError(
            "no emulated venue is registered" + (f" ({problems})" if problems else "")
        )
    specs = [emulator_for(registry, venue) for venue in venues]
    board = Board(title=f"tickwire demo: {', '.join(venues)} (local emulators, synthetic data)")
    streams: list[AsyncIterator[Event]] = []
    async with AsyncExitStack() as stack:
        export = await stack.enter_async_context(metrics.serving(args))
        for venue, spec in zip(venues, specs, strict=True):
            board.add_venue(venue)
            emulator = spec.factory(seed=args.seed)
            await stack.enter_async_context(emulator)
            client = connect(venue, registry=registry, **emulator.endpoints)
            export(client)  # before connecting: the first connection is counted
            await stack.enter_async_context(client)
            symbols = await _symbols(client, args.symbols)
            await client.subscribe("ticker", symbols)
            await client.subscribe("book", symbols, depth=BOOK_DEPTH)
            for symbol in symbols:
                board.attach_book(venue, symbol, client.book(symbol))
            streams.append(client.events())
        await live_board(board, ctx.console, streams, args.duration)
    ctx.console.print(f"demo ended: {board.event_count:,} events from {', '.join(venues)}")
    return 0


async def _symbols(client: StreamClient, wanted: Sequence[str] | None) -> list[str]:
    if wanted:
        return await resolve_symbols(client, wanted)
    try:
        instruments = await client.instruments()
    except NotSupported:
        raise CommandError(f"{client.venue}: cannot list symbols; pass --symbols") from None
    return pick_default_symbols(instruments, DEFAULT_ASSETS)
