"""``tickwire demo``: the built-in emulators, streamed into a live board, fully offline.

For every venue that has an emulator (or the ones named with ``--exchange``), the demo
starts that emulator in-process on 127.0.0.1, connects to it exactly as to the real
venue (``connect(venue, **emulator.endpoints)``), subscribes ticker and book for a few
assets, and shows the board until Ctrl-C or ``--duration``, then one summary line
either way. Emulators are found through the plugin registry, so core never imports
``tickwire.exchanges``: what the demo asks of an emulator beyond the registry's contract
it finds by duck typing, and goes without where it is missing —

- ``emulator.market.anchor_to(profile=venue)``: every emulator's market follows one
  shared fair price per asset with the venue's own lag and noise, so the cross-venue
  ``Δ bps`` moves (a seeded market on its own would hold one offset forever);
- the fault hooks (``drop_all()``, ``corrupt_next_checksum()``, ``skip_sequence()``),
  one every ``--fault-every`` seconds, so reconnects and resyncs show as they happen.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
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
from tickwire.core.cli.formats import plural
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
#: The first of these that runs is the ``Δ bps`` reference (else the first venue shown),
#: so installing a plugin never moves the baseline.
REFERENCE_ORDER = ("kraken", "kucoin")
#: Seconds between market steps: a few hundred events/s per venue.
DEFAULT_INTERVAL = 0.004
DEFAULT_FAULT_EVERY = 20.0
#: The fault hooks the demo takes turns with, and how the "what happened" line names them.
FAULTS = {
    "drop_all": "sockets dropped",
    "corrupt_next_checksum": "bad book checksum",
    "skip_sequence": "book sequence gap",
}


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
    parser.add_argument(
        "--reference",
        metavar="VENUE",
        help=f"the venue Δ bps is measured from (default: the first of "
        f"{', '.join(REFERENCE_ORDER)} that runs)",
    )
    parser.add_argument(
        "--interval",
        type=positive,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between the emulators' market steps (default: {DEFAULT_INTERVAL})",
    )
    parser.add_argument(
        "--fault-every",
        type=positive,
        default=DEFAULT_FAULT_EVERY,
        metavar="SECONDS",
        help="inject a fault (dropped sockets, a bad checksum, a sequence gap) this often "
        f"(default: {DEFAULT_FAULT_EVERY:g})",
    )
    parser.add_argument(
        "--no-faults", action="store_true", help="inject no faults (a quiet, steady feed)"
    )
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
    reference = args.reference or next((v for v in REFERENCE_ORDER if v in venues), venues[0])
    if reference not in venues:
        raise CommandError(f"--reference {reference}: not one of {', '.join(venues)}")
    board = Board(title="tickwire demo: local emulators, synthetic data", reference=reference)
    streams: list[AsyncIterator[Event]] = []
    emulators: dict[str, Any] = {}
    faults = FaultInjector(emulators, board.note)  # takes turns over those started
    async with AsyncExitStack() as stack:
        try:
            export = await stack.enter_async_context(metrics.serving(args))
            for venue, spec in zip(venues, specs, strict=True):
                board.add_venue(venue)
                emulator = _build(spec, args.seed, args.interval)
                anchor = getattr(getattr(emulator, "market", None), "anchor_to", None)
                if callable(anchor):
                    anchor(profile=venue)  # before anyone connects: the re-centring is unseen
                await stack.enter_async_context(emulator)
                emulators[venue] = emulator
                client = connect(venue, registry=registry, **emulator.endpoints)
                export(client)  # before connecting: the first connection is counted
                await stack.enter_async_context(client)
                symbols = await _symbols(client, args.symbols)
                await client.subscribe("ticker", symbols)
                await client.subscribe("book", symbols, depth=BOOK_DEPTH)
                for symbol in symbols:
                    board.attach_book(venue, symbol, client.book(symbol))
                streams.append(client.events())
            background = [] if args.no_faults else [faults.run(args.fault_every)]
            await live_board(board, ctx.console, streams, args.duration, background)
        except (asyncio.CancelledError, KeyboardInterrupt):
            _ended(ctx, board, faults)  # Ctrl-C, even while starting: the --duration line
            raise
        _ended(ctx, board, faults)
    return 0


def _ended(ctx: Context, board: Board, faults: FaultInjector) -> None:
    ctx.console.print(
        f"demo ended: {board.summary()}; {plural(faults.injected, 'fault')} injected",
        highlight=False,
    )


def _build(spec: EmulatorSpec, seed: int, interval: float) -> Any:
    # ``interval`` is the built-in emulators' own keyword; a plugin's may not take it.
    parameters = inspect.signature(spec.factory).parameters.values()
    takes = any(p.name == "interval" or p.kind is p.VAR_KEYWORD for p in parameters)
    return spec.factory(seed=seed, interval=interval) if takes else spec.factory(seed=seed)


class FaultInjector:
    """Takes turns over every emulator's fault hooks, one fault per period.

    Each venue's list of hooks is rotated by its position, so consecutive faults differ
    in kind as well as venue (a drop here, a sequence gap there). ``note`` hears one
    line per fault; the client's own status events tell what it did about it.
    """

    def __init__(self, emulators: dict[str, Any], note: Callable[[str, str], None]) -> None:
        self.injected = 0
        self._note = note
        self._emulators = emulators  # read at the first fault: filled in as they start
        self._cycle: Iterator[tuple[str, str]] | None = None

    def _turns(self) -> Iterator[tuple[str, str]]:
        turns: list[list[tuple[str, str]]] = []
        for index, (venue, emulator) in enumerate(self._emulators.items()):
            hooks = [(venue, name) for name in FAULTS if callable(getattr(emulator, name, None))]
            turns.append(hooks[index % len(hooks) :] + hooks[: index % len(hooks)] if hooks else [])
        order = [hook for row in itertools.zip_longest(*turns) for hook in row if hook]
        return itertools.cycle(order)

    async def run(self, every: float) -> None:
        """Inject one fault every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            await self.inject()

    async def inject(self) -> None:
        """Inject the next fault in turn and note it (nothing if no emulator has hooks)."""
        if self._cycle is None:
            self._cycle = self._turns()
        turn = next(self._cycle, None)
        if turn is None:
            return
        venue, name = turn
        try:
            result = getattr(self._emulators[venue], name)()  # an arming hook acts here
            # Noted before a drop completes: the statuses it causes continue this line.
            self._note(f"{venue}: fault, {FAULTS[name]}", venue)
            self.injected += 1
            if inspect.isawaitable(result):
                await result
        except NotImplementedError:
            pass  # the hookspec's "not on this emulator": the next turn tries another


async def _symbols(client: StreamClient, wanted: Sequence[str] | None) -> list[str]:
    if wanted:
        return await resolve_symbols(client, wanted)
    try:
        instruments = await client.instruments()
    except NotSupported:
        raise CommandError(f"{client.venue}: cannot list symbols; pass --symbols") from None
    return pick_default_symbols(instruments, DEFAULT_ASSETS)
