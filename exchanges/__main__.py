"""Run a venue emulator in the foreground: ``python -m tickwire.exchanges kraken --port 0``.

It prints every URL the emulator serves — first the config overrides a client takes
(``connect(venue, ws_url=..., rest_url=...)``), then any other address it serves — and
runs until Ctrl-C. Every registered emulator is offered, plugins' included. Failures
(a port in use, say) are one line and exit code 1; ``TICKWIRE_DEBUG=1`` shows the
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

from tickwire.core.cli.common import debug_enabled, describe_error
from tickwire.core.hookspecs import EmulatorSpec
from tickwire.core.registry import default_registry

_URL_FIELDS = ("ws_url", "ws_auth_url", "rest_url")


def available() -> dict[str, EmulatorSpec]:
    """Every registered emulator by name: the built-ins and every plugin's."""
    return dict(default_registry().emulators)


async def serve(spec: EmulatorSpec, *, seed: int, port: int) -> None:
    """Run ``spec``'s emulator until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(sig, stop.set)
    try:
        emulator = spec.factory(seed=seed, port=port)
        await emulator.__aenter__()
    except OSError as exc:
        where = f"127.0.0.1:{port}" if port else "an ephemeral port"
        raise OSError(exc.errno, f"cannot serve {spec.name} on {where}: {exc.strerror}") from exc
    try:
        print(f"{spec.name} emulator (seed {seed}) serving on 127.0.0.1:", flush=True)
        for line in _url_lines(emulator):
            print(line, flush=True)
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await emulator.__aexit__(None, None, None)


def _url_lines(emulator: Any) -> list[str]:
    endpoints: dict[str, str] = dict(emulator.endpoints)
    lines = [f"  {key:<12} {url}   (connect(..., {key}=...))" for key, url in endpoints.items()]
    for field in _URL_FIELDS:
        url = getattr(emulator, field, None)
        if isinstance(url, str) and field not in endpoints:
            lines.append(f"  {field:<12} {url}   (reached through the ones above)")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; the exit code."""
    specs = available()
    parser = argparse.ArgumentParser(
        prog="python -m tickwire.exchanges", description="Run a local venue emulator."
    )
    parser.add_argument("venue", choices=sorted(specs), help="which emulator")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: ephemeral)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic market seed")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(specs[args.venue], seed=args.seed, port=args.port))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        if debug_enabled():
            raise
        line = describe_error(exc) or f"{type(exc).__name__}: {exc}"
        line = line.removeprefix("cannot reach the venue: ")
        print(f"{parser.prog}: error: {' '.join(line.split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
