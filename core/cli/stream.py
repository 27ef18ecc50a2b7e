"""``tickwire stream``: one venue's market data as a live table or as JSON lines.

::

    tickwire stream kraken --channel ticker --symbol BTC/USD --symbol ETH/USD
    tickwire stream kraken --channel book --depth 10 --symbol BTC/USD --json | jq .
    tickwire stream kraken --ws-url ws://127.0.0.1:8765/v2 --symbol BTC/USD   # an emulator
    tickwire stream --config tickwire.toml --symbol BTC/USD
    tickwire stream --config tickwire.toml      # the file's [[subscriptions]]

``--channel``/``--symbol`` on the command line replace the config's subscriptions.

JSON lines are :func:`~tickwire.core.types.encode_event` output, one event per line,
status events included, so ``decode_event`` reads a recording back.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from typing import Any, TextIO

import msgspec

from tickwire.core.cli import metrics
from tickwire.core.cli.common import (
    CommandError,
    Context,
    live_board,
    positive,
    resolve_symbols,
    run_for,
)
from tickwire.core.cli.tables import Board
from tickwire.core.config import ClientConfig, load_config
from tickwire.core.connect import connect
from tickwire.core.types import Channel, Event, encode_event

__all__ = ["add_parser", "run"]

#: Channels that need no account: what ``stream`` can show.
MARKET_CHANNELS = (Channel.TICKER, Channel.TRADES, Channel.BOOK, Channel.CANDLES)
LADDER_LEVELS = 10  # book levels per side drawn under the board, at most
_FLUSH_EVERY = 0.1  # seconds: JSON lines reach a pipe promptly without a write per event


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare ``tickwire stream`` and its options."""
    parser = commands.add_parser(
        "stream",
        help="stream a venue's market data as a live table or JSON lines",
        description="Stream market data from a venue (or an emulator, with --ws-url).",
    )
    parser.add_argument(
        "venue", nargs="?", help="registered venue name, e.g. kraken (or use --config)"
    )
    parser.add_argument(
        "--channel",
        action="append",
        choices=[c.value for c in MARKET_CHANNELS],
        help="channel to subscribe (repeatable; default: ticker)",
    )
    parser.add_argument(
        "--symbol",
        action="append",
        metavar="SYMBOL",
        help="unified symbol such as BTC/USD, or a bare asset such as BTC (repeatable; "
        "required unless --config lists [[subscriptions]])",
    )
    parser.add_argument("--depth", type=int, metavar="N", help="book depth (book channel)")
    parser.add_argument("--json", action="store_true", help="print events as JSON lines")
    parser.add_argument("--ws-url", metavar="URL", help="override the public WebSocket URL")
    parser.add_argument("--ws-auth-url", metavar="URL", help="override the private WebSocket URL")
    parser.add_argument("--rest-url", metavar="URL", help="override the REST base URL")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (see README)")
    parser.add_argument(
        "--duration", type=positive, metavar="SECONDS", help="stop after this many seconds"
    )
    parser.add_argument(
        "--connect-timeout",
        type=positive,
        metavar="SECONDS",
        help="give up connecting after this long (default: the config's, 10)",
    )
    metrics.add_argument(parser)
    parser.set_defaults(run=run)
    parse = parser.parse_known_args

    def parse_known_args(*a: Any, **kw: Any) -> tuple[argparse.Namespace, list[str]]:
        # --symbol is optional only with --config (whose [[subscriptions]] name symbols):
        # without either it stays a usage error, like any missing argument.
        namespace, extras = parse(*a, **kw)
        if not namespace.symbol and not namespace.config:
            parser.error("the following arguments are required: --symbol (or --config)")
        return namespace, extras

    parser.parse_known_args = parse_known_args


#: What to subscribe: (channel, symbols as given, channel options).
Plan = list[tuple[Channel, list[str], dict[str, Any]]]


def build_config(args: argparse.Namespace) -> ClientConfig:
    """The client config from ``--config`` and the command-line overrides."""
    if args.config:
        config = load_config(args.config)
        if args.venue and args.venue != config.venue:
            raise CommandError(f"{args.config} configures {config.venue!r}, not {args.venue!r}")
    elif args.venue:
        config = ClientConfig(venue=args.venue)
    else:
        raise CommandError("name a venue (tickwire stream kraken ...) or pass --config FILE")
    overrides: dict[str, Any] = {
        name: value
        for name in ("ws_url", "ws_auth_url", "rest_url")
        if (value := getattr(args, name)) is not None
    }
    if args.connect_timeout is not None:
        overrides["connect_timeout"] = args.connect_timeout
    return msgspec.structs.replace(config, **overrides) if overrides else config


async def run(args: argparse.Namespace, ctx: Context) -> int:
    """Connect, subscribe, and stream until ``--duration`` or Ctrl-C."""
    config = build_config(args)
    if config.credentials is not None:
        credentials = config.credentials
        ctx.secrets.update(
            s for s in (credentials.api_key, credentials.api_secret, credentials.passphrase) if s
        )
    spec = ctx.registry.adapter(config.venue)  # an unknown venue fails here, listing the known
    plan = plan_subscriptions(args, config)
    channels = list(dict.fromkeys(channel for channel, _, _ in plan))
    for channel in channels:
        if channel not in spec.channels:
            offered = ", ".join(sorted(spec.channels))
            raise CommandError(f"{config.venue} has no {channel} channel (it has: {offered})")
    if args.depth is not None and Channel.BOOK not in channels:
        raise CommandError("--depth applies to the book channel (add --channel book)")

    client = connect(config, registry=ctx.registry)
    async with metrics.serving(args, client), client:
        book_symbols: list[str] = []
        for channel, wanted, options in plan:
            symbols = await resolve_symbols(client, wanted, timeout=config.request_timeout)
            try:
                await client.subscribe(channel, symbols, **options)
            except ValueError as exc:  # an option the venue does not accept
                raise CommandError(f"{config.venue} {channel}: {exc}") from None
            if channel is Channel.BOOK:
                book_symbols += symbols
        if args.json:
            out = ctx.stdout
            try:
                await run_for(
                    args.duration, [_write_lines(client.events(), out)], [_flush_often(out)]
                )
            finally:
                out.flush()
            return 0
        ladder = 0
        if Channel.BOOK in channels:
            ladder = min(args.depth or LADDER_LEVELS, LADDER_LEVELS)
        board = Board(title=f"{config.venue}: {', '.join(channels)}", ladder_depth=ladder)
        board.add_venue(config.venue)
        if Channel.BOOK in channels:
            for symbol in dict.fromkeys(book_symbols):
                board.attach_book(config.venue, symbol, client.book(symbol))
        await live_board(board, ctx.console, [client.events()], args.duration)
    return 0


def plan_subscriptions(args: argparse.Namespace, config: ClientConfig) -> Plan:
    """The command line's channels and symbols or, without ``--symbol``, the config's."""
    if args.symbol:
        channels = [Channel(c) for c in dict.fromkeys(args.channel or ["ticker"])]
        return [
            (c, args.symbol, {"depth": args.depth} if c is Channel.BOOK and args.depth else {})
            for c in channels
        ]
    if not config.subscriptions:
        raise CommandError(f"{args.config} lists no [[subscriptions]]; pass --symbol")
    if args.channel:
        raise CommandError("--channel needs --symbol (the config's subscriptions name both)")
    return [(s.channel, list(s.symbols), dict(s.options)) for s in config.subscriptions]


async def _write_lines(stream: AsyncIterator[Event], out: TextIO) -> None:
    """Write every event as one JSON line (flushed by :func:`_flush_often`)."""
    write = out.write
    async for event in stream:
        write(encode_event(event).decode())
        write("\n")


async def _flush_often(out: TextIO) -> None:
    # A flush per event would cost a write(2) per event at full feed rate.
    while True:
        await asyncio.sleep(_FLUSH_EVERY)
        out.flush()
