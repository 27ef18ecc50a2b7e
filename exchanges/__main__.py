"""Run a venue emulator in the foreground: ``python -m tickwire.exchanges kraken --port 0``.

It prints the emulator's endpoints (the URL overrides a client config takes) and serves
until Ctrl-C. Emulators are found through their plugin modules' ``register_emulators``
hooks, the same ones the plugin registry loads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import signal
import sys
from collections.abc import Sequence

from tickwire.core.hookspecs import EmulatorSpec

#: Plugin modules of the built-in emulators; a missing one is skipped.
BUILTIN_PLUGINS = (
    "tickwire.exchanges.kraken.plugin",
    "tickwire.exchanges.kucoin.plugin",
)


def available() -> dict[str, EmulatorSpec]:
    """Built-in emulators by name."""
    specs: dict[str, EmulatorSpec] = {}
    for module_name in BUILTIN_PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # that venue is not built yet
            raise
        for spec in module.register_emulators():
            specs[spec.name] = spec
    return specs


async def serve(spec: EmulatorSpec, *, seed: int, port: int) -> None:
    """Run ``spec``'s emulator until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(sig, stop.set)
    async with spec.factory(seed=seed, port=port) as emulator:
        print(f"{spec.name} emulator (seed {seed}) serving:", flush=True)
        for key, url in emulator.endpoints.items():
            print(f"  {key:<12} {url}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    specs = available()
    parser = argparse.ArgumentParser(
        prog="python -m tickwire.exchanges", description="Run a local venue emulator."
    )
    parser.add_argument("venue", choices=sorted(specs), help="which emulator")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: ephemeral)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic market seed")
    args = parser.parse_args(argv)
    asyncio.run(serve(specs[args.venue], seed=args.seed, port=args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
