"""``tickwire publish``: run a collector, publishing a venue's events to NATS JetStream.

::

    tickwire publish --config kraken.toml --nats nats://10.0.0.5:4222
    tickwire publish --config kraken.toml                  # the file's [nats] url
    tickwire publish --config kraken.toml --nats nats://a:4222,nats://b:4222 --duration 60

The config file names the venue, its ``[[subscriptions]]`` (what to collect) and,
optionally, a ``[nats]`` table (stream, prefix, retention, replicas, snapshot interval,
buffer, credentials); ``--nats`` replaces its ``url``. Needs the ``nats`` extra. Runs
until Ctrl-C or ``--duration``, then prints what it published. Read the feed back with
``tickwire stream nats --ws-url nats://HOST:PORT --symbol BTC/USD``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import msgspec

from tickwire.core.cli import metrics
from tickwire.core.cli.common import CommandError, Context, positive, run_for
from tickwire.core.config import NatsConfig, load_config

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare ``tickwire publish`` and its options."""
    parser = commands.add_parser(
        "publish",
        help="collect a venue's events and publish them to NATS JetStream",
        description="Run a collector: the config's venue and subscriptions, published to "
        "NATS JetStream (see the README, 'Running across machines').",
    )
    parser.add_argument("--config", metavar="FILE", required=True, help="TOML config file")
    parser.add_argument(
        "--nats", metavar="URL", help="nats://HOST:PORT (comma-separated for a cluster)"
    )
    parser.add_argument(
        "--duration", type=positive, metavar="SECONDS", help="stop after this many seconds"
    )
    metrics.add_argument(parser)
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace, ctx: Context) -> int:
    """Publish until ``--duration`` or Ctrl-C; print the publisher's counters at the end."""
    try:
        from tickwire.core.nats import Publisher, run_publisher
    except ImportError:
        raise CommandError("publish needs nats-py: pip install 'tickwire[nats]'") from None

    config = load_config(args.config)
    settings = config.nats or NatsConfig()
    if args.nats:
        settings = msgspec.structs.replace(settings, url=args.nats)
    elif config.nats is None:
        raise CommandError(f"{args.config} has no [nats] table: pass --nats URL")
    if not config.subscriptions:
        raise CommandError(f"{args.config} lists no [[subscriptions]]: nothing to publish")
    for secret in _secrets(config.credentials, settings):
        ctx.secrets.add(secret)
    ctx.registry.adapter(config.venue)  # an unknown venue fails here, listing the known
    running: list[Publisher] = []

    async with metrics.serving(args) as export:

        def started(publisher: Publisher) -> None:
            running.append(publisher)
            export(publisher.client)  # counted from here: run_publisher connects it
            ctx.console.print(
                f"publishing {config.venue} to {settings.url} "
                f"(stream {settings.stream}, subjects {settings.prefix}.{config.venue}.>)"
            )

        try:
            run = run_publisher(config, nats=settings, registry=ctx.registry, started=started)
            await run_for(args.duration, [run])
        finally:
            for publisher in running:
                ctx.console.print(f"{config.venue}: {publisher.stats}")
    return 0


def _secrets(credentials: Any, settings: NatsConfig) -> list[str]:
    """Every secret value this run holds, so no error line can print one."""
    found = []
    if credentials is not None:
        found += [credentials.api_key, credentials.api_secret, credentials.passphrase]
    if settings.token_env:
        found.append(os.environ.get(settings.token_env))
    return [value for value in found if value]
