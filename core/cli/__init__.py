"""The ``tickwire`` command.

::

    tickwire demo [--exchange NAME] [--duration SECONDS] [--symbols BTC ETH ...]
    tickwire stream VENUE --channel ticker --symbol BTC/USD [--json] [--ws-url URL] ...
    tickwire record [VENUE] --out DIR [--config FILE] [--symbol ...] [--duration SECONDS]
    tickwire replay PATH [--speed N|max] [--json]
    tickwire export PATH --parquet DIR
    tickwire exchanges
    tickwire --version

Every command takes ``-v``/``-vv``, ``--log-level LEVEL`` and ``--log-json`` (log lines on
stderr; see :mod:`tickwire.core.cli.logs`), before or after the command's name.

:func:`main` returns the exit code instead of exiting, so tests and embedders call it
in-process. Expected failures (unknown venue or symbol, no network, bad config) are one
line on stderr and exit code 1; Ctrl-C and ``--duration`` end a run normally (exit 0).
``TICKWIRE_DEBUG=1`` shows the traceback of a failure instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from rich.console import Console

from tickwire.core import __version__
from tickwire.core.cli import demo, logs, publish, record, replay, stream
from tickwire.core.cli.common import Context, debug_enabled, describe_error
from tickwire.core.cli.tables import registry_tables
from tickwire.core.registry import Registry, default_registry

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1  # an expected failure, explained in one line
EXIT_USAGE = 2  # argparse's convention
EXIT_BUG = 70  # EX_SOFTWARE: a failure the command did not expect


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage itself is behind ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``tickwire`` argument parser and its commands."""
    parser = _Parser(
        prog="tickwire",
        description="Typed, exchange-agnostic crypto market data over WebSockets.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    logs.add_arguments(parser)
    commands = parser.add_subparsers(
        title="commands", dest="command", required=True, parser_class=_Parser
    )
    demo.add_parser(commands)
    stream.add_parser(commands)
    record.add_parser(commands)
    publish.add_parser(commands)
    replay.add_parsers(commands)
    listing = commands.add_parser(
        "exchanges", help="list the registered adapters, emulators and plugin problems"
    )
    listing.set_defaults(run=None)
    for command in commands.choices.values():
        logs.add_arguments(command, suppress=True)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    registry: Registry | None = None,
) -> int:
    """Run the ``tickwire`` command with ``argv`` (default: ``sys.argv[1:]``).

    ``console`` receives tables (default: stdout); ``registry`` replaces the
    process-wide plugin registry. Returns the exit code.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    ctx = Context(
        console=console or Console(),
        registry=registry or default_registry(),
        stdout=sys.stdout,
    )
    logs.configure(args, sys.stderr, ctx.secrets)
    try:
        if args.run is None:
            for part in registry_tables(ctx.registry):
                ctx.console.print(part)
            return EXIT_OK
        return int(asyncio.run(args.run(args, ctx)))
    except KeyboardInterrupt:
        # Ctrl-C is how a live run is meant to end: asyncio.run already cancelled the
        # command, which closed its clients and emulators on the way out.
        return EXIT_OK
    except BrokenPipeError:
        # The reader of our stdout went away (``| head``): stop quietly, and keep the
        # interpreter from complaining again while it flushes stdout at exit.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        if debug_enabled():
            raise
        return _report(ctx, exc)


def _report(ctx: Context, exc: BaseException) -> int:
    line = describe_error(exc)
    code = EXIT_ERROR
    if line is None:
        leaf = exc
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        line = f"internal error: {type(leaf).__name__}: {leaf} (TICKWIRE_DEBUG=1 shows where)"
        code = EXIT_BUG
    line = ctx.redact(" ".join(line.split()))  # one line, whatever the message held
    print(f"tickwire: error: {line}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (captured output): nothing will complain at exit
