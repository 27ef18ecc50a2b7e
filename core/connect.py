"""``connect()``: a ready :class:`StreamClient` for a venue name, a config, or a file.

::

    async with connect("kraken") as client: ...                     # the live venue
    async with connect("kraken", **emulator.endpoints) as client: ...  # an emulator
    async with connect("tickwire.toml") as client: ...              # a config file
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from tickwire.core.config import ClientConfig, load_config
from tickwire.core.errors import ConfigError
from tickwire.core.protocol import StreamClient
from tickwire.core.registry import Registry, default_registry

__all__ = ["connect"]


def connect(
    target: str | Path | ClientConfig, *, registry: Registry | None = None, **overrides: Any
) -> StreamClient:
    """Build the client for ``target``; ``async with`` (or ``await .connect()``) opens it.

    ``target`` is a registered venue name, a :class:`ClientConfig`, or the path of a
    TOML config file (``.toml``). Keyword ``overrides`` replace config fields, e.g.
    ``ws_url=``, ``ws_auth_url=``, ``rest_url=``, ``credentials=``.
    """
    if isinstance(target, ClientConfig):
        config = target
    elif isinstance(target, Path) or target.endswith(".toml"):
        config = load_config(target)
    else:
        config = ClientConfig(venue=target)
    if overrides:
        config = msgspec.structs.replace(config, **overrides)
    spec = (registry or default_registry()).adapter(config.venue)
    unused = [field for field in _URL_FIELDS if getattr(config, field) and field not in spec.urls]
    if unused:
        used = ", ".join(sorted(spec.urls)) or "none"
        raise ConfigError(
            f"{config.venue} does not use {' or '.join(unused)} (it takes: {used}); "
            "an override it would ignore is refused"
        )
    return spec.factory(config)


_URL_FIELDS = ("ws_url", "ws_auth_url", "rest_url")
