"""What every example shares: config files in, connected and subscribed clients out.

    async with open_clients(["configs/kraken.toml"], offline=True) as clients:
        ...

Each config file names a venue, its endpoints and credentials (live), and the
``[[subscriptions]]`` to make; swapping venues is swapping files. ``offline=True``
starts each venue's local emulator (``tickwire.core.testing.emulated``) and points the
config at it, with the emulator's own paper account (the file's credential variables
need not be set), so every example also runs without a network.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal

from tickwire.core import StreamClient, connect, load_config
from tickwire.core.testing import emulated

__all__ = ["DOLLARS", "arguments", "bps", "market_key", "open_clients", "run_for"]

DOLLARS = frozenset({"USD", "USDT", "USDC"})
"""Quotes treated as one currency when the same asset is compared across venues."""


def market_key(symbol: str) -> str:
    """``BTC/USDT`` and ``BTC/USD`` are the same market for a cross-venue comparison."""
    base, quote = symbol.split("/")
    return f"{base}/{'USD' if quote in DOLLARS else quote}"


def arguments(description: str, configs: int | str = "+") -> argparse.ArgumentParser:
    """The options every example takes: config file(s), ``--offline``, ``--duration``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("config", nargs=configs, help="tickwire config file (TOML)")
    parser.add_argument(
        "--offline", action="store_true", help="run against each venue's local emulator"
    )
    parser.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl-C)")
    return parser


@asynccontextmanager
async def open_clients(
    paths: Sequence[str], *, offline: bool = False
) -> AsyncIterator[list[StreamClient]]:
    """One connected client per config file, with the file's subscriptions made."""
    async with AsyncExitStack() as stack:
        clients = []
        for path in paths:
            config = load_config(path, secrets=not offline)
            if offline:
                # One shared market: the venues' prices move together, as live.
                config = await stack.enter_async_context(emulated(config, shared_market=True))
            client = await stack.enter_async_context(connect(config))
            for subscription in config.subscriptions:
                await client.subscribe(
                    subscription.channel, subscription.symbols, **subscription.options
                )
            clients.append(client)
        yield clients


async def run_for(duration: float | None) -> None:
    """Let the clients' callbacks work for ``duration`` seconds (or until cancelled)."""
    if duration is None:
        await asyncio.Event().wait()
    else:
        await asyncio.sleep(duration)


def bps(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as basis points of ``whole``, to one decimal."""
    return (part / whole * 10_000).quantize(Decimal("0.1"))
