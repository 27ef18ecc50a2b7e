"""Run a program offline: the venue's registered emulator stands in for the venue.

::

    config = load_config("kraken.toml")
    async with emulated(config) as local, connect(local) as client:
        ...   # the same program, against 127.0.0.1
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec

from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError
from tickwire.core.registry import Registry, default_registry

__all__ = ["emulated"]


@asynccontextmanager
async def emulated(
    config: ClientConfig,
    *,
    seed: int = 1,
    registry: Registry | None = None,
    shared_market: bool = False,
) -> AsyncIterator[ClientConfig]:
    """Start the emulator of ``config.venue``; yield ``config`` pointed at it.

    Every endpoint is replaced by the emulator's, and the credentials by the emulator's
    own account (``credentials()``), or removed when it has none: real keys never go to
    a local stand-in. The emulator stops when the block ends.

    ``shared_market``: emulators that can (``emulator.market.anchor_to``) follow one
    fair price per asset, shared by every emulator in every process, each with its
    venue's lag, noise and spread — so prices on two emulated venues move together and
    their differences move, as on real venues. Without it each market is its own
    seeded walk.
    """
    registry = registry or default_registry()
    registry.adapter(config.venue)  # an unknown venue fails here, listing the known
    spec = next((s for s in registry.emulators.values() if s.venue == config.venue), None)
    if spec is None:
        raise ConfigError(f"venue {config.venue!r} has no registered emulator")
    emulator = spec.factory(seed=seed)
    anchor = getattr(getattr(emulator, "market", None), "anchor_to", None)
    if shared_market and callable(anchor):
        anchor(profile=config.venue)
    async with emulator:
        account = getattr(emulator, "credentials", None)
        credentials = account() if callable(account) else None
        endpoints = {"ws_url": None, "ws_auth_url": None, "rest_url": None, **emulator.endpoints}
        yield msgspec.structs.replace(config, credentials=credentials, **endpoints)
