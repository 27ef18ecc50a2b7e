"""``tickwire record``: record every raw frame a venue sends, for replay and analysis.

::

    tickwire record --config tickwire.toml --out rec/ --duration 3600
    tickwire record kraken --channel book --symbol BTC/USD --out rec/
    tickwire record kucoin --rest-url http://127.0.0.1:8766 --symbol BTC --out rec/  # emulator

Subscriptions come from ``--channel``/``--symbol`` or the config's ``[[subscriptions]]``,
as for ``tickwire stream``. Files rotate by size and age (``--rotate-mb``,
``--rotate-minutes``); the format is described in :mod:`tickwire.core.recording`.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from tickwire.core.cli.common import CommandError, Context, positive, resolve_symbols, run_for
from tickwire.core.cli.stream import MARKET_CHANNELS, Plan, build_config, plan_subscriptions
from tickwire.core.client import BaseClient
from tickwire.core.connect import connect
from tickwire.core.recording.recorder import recording
from tickwire.core.types import Event

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare ``tickwire record`` and its options."""
    parser = commands.add_parser(
        "record",
        help="record a venue's raw frames to compressed, rotated files",
        description="Record every raw frame and connection boundary of a client.",
    )
    parser.add_argument("venue", nargs="?", help="registered venue name (or use --config)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the files")
    parser.add_argument(
        "--channel",
        action="append",
        choices=[c.value for c in MARKET_CHANNELS],
        help="channel to subscribe (repeatable; default: ticker)",
    )
    parser.add_argument("--symbol", action="append", metavar="SYMBOL", help="repeatable")
    parser.add_argument("--depth", type=int, metavar="N", help="book depth (book channel)")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (see README)")
    parser.add_argument("--ws-url", metavar="URL", help="override the public WebSocket URL")
    parser.add_argument("--ws-auth-url", metavar="URL", help="override the private WebSocket URL")
    parser.add_argument("--rest-url", metavar="URL", help="override the REST base URL")
    parser.add_argument("--connect-timeout", type=positive, metavar="SECONDS")
    parser.add_argument("--duration", type=positive, metavar="SECONDS", help="stop after this")
    parser.add_argument(
        "--rotate-mb", type=positive, default=256.0, metavar="MB", help="file size (256)"
    )
    parser.add_argument(
        "--rotate-minutes", type=positive, default=60.0, metavar="MIN", help="file age (60)"
    )
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace, ctx: Context) -> int:
    """Connect, start recording, subscribe, and record until ``--duration`` or Ctrl-C."""
    if not args.symbol and not args.config:
        raise CommandError("pass --symbol (or --config with [[subscriptions]])")
    config = build_config(args)
    ctx.registry.adapter(config.venue)  # an unknown venue fails here, listing the known
    plan = plan_subscriptions(args, config)
    seen: Counter[str] = Counter()
    options = {
        "rotate_bytes": int(args.rotate_mb * 2**20),
        "rotate_seconds": args.rotate_minutes * 60,
    }
    client = connect(config, registry=ctx.registry)
    if not isinstance(client, BaseClient):
        raise CommandError(f"{config.venue}: this adapter's client cannot be recorded")
    # Recording starts before the client connects: the first connect is in the file too.
    async with recording(client, args.out, **options) as writer, client:
        await _record(client, plan, args.duration, seen, config.request_timeout)
    files = ", ".join(str(path) for path in writer.files)
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(seen.items()))
    ctx.console.print(f"recorded {config.venue} to {files} ({counts or 'no events'})")
    return 0


async def _record(
    client: BaseClient, plan: Plan, duration: float | None, seen: Counter[str], timeout: float
) -> None:
    events = client.events(policy="drop_market_data")
    for channel, wanted, channel_options in plan:
        symbols = await resolve_symbols(client, wanted, timeout=timeout)
        await client.subscribe(channel, symbols, **channel_options)
    await run_for(duration, [_count(events, seen)])


async def _count(events: Any, seen: Counter[str]) -> None:
    async for event in events:
        seen[_kind(event)] += 1


def _kind(event: Event) -> str:
    return type(event).__name__.lower()
