"""``--metrics-port N``: Prometheus metrics on ``http://127.0.0.1:N/metrics`` for a run.

``stream``, ``demo`` and ``publish`` take the option; each wraps its run in
:func:`serving` and hands it every client it connects (before connecting, where the
command builds the client itself, so the first connection is counted). The URL is
printed on stderr (stdout may be carrying JSON lines); port 0 lets the system choose.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from tickwire.core.cli.common import CommandError
from tickwire.core.client import BaseClient

__all__ = ["add_argument", "serving"]

Export = Callable[[Any], None]
"""Export one more client (a no-op without ``--metrics-port``)."""


def add_argument(parser: argparse.ArgumentParser) -> None:
    """Declare ``--metrics-port`` on a command."""
    parser.add_argument(
        "--metrics-port",
        type=_port,
        metavar="N",
        help="serve Prometheus metrics on http://127.0.0.1:N/metrics during the run "
        "(0: any free port; needs the metrics extra)",
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {port}")
    return port


@asynccontextmanager
async def serving(args: argparse.Namespace, *clients: Any) -> AsyncIterator[Export]:
    """Serve ``/metrics`` for the block when ``--metrics-port`` was given; yields the
    function that exports one more client."""
    port: int | None = getattr(args, "metrics_port", None)
    if port is None:
        yield _ignore
        return
    try:
        from tickwire.core.metrics.prometheus import serve_metrics
    except ImportError:
        raise CommandError(
            "--metrics-port needs prometheus_client: pip install 'tickwire[metrics]'"
        ) from None
    server = serve_metrics(port=port)
    try:
        await server.start()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CommandError(f"cannot serve metrics on 127.0.0.1:{port}: {reason}") from None

    def export(client: Any) -> None:
        if not isinstance(client, BaseClient):
            raise CommandError(f"{client.venue}: this adapter's client cannot be measured")
        server.add(client)

    try:
        for client in clients:
            export(client)
        print(f"tickwire: metrics on {server.url}", file=sys.stderr, flush=True)
        yield export
    finally:
        await server.close()


def _ignore(client: Any) -> None:
    """Without ``--metrics-port``, nothing is exported."""
