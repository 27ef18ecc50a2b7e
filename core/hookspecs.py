"""Plugin hooks: how adapters and emulators arrive in tickwire.

A plugin is a module (or object) with functions marked ``@hookimpl``, exposed through the
``tickwire.adapters`` entry-point group. The built-in KuCoin and Kraken adapters and
emulators register exactly this way. A third-party package declares, in its
``pyproject.toml``::

    [project.entry-points."tickwire.adapters"]
    myvenue = "myvenue_tickwire.plugin"

and its ``plugin.py`` returns specs::

    from tickwire.core.hookspecs import AdapterSpec, hookimpl

    @hookimpl
    def register_adapters() -> list[AdapterSpec]:
        return [AdapterSpec(name="myvenue", factory=MyVenueClient, channels=...)]

pluggy calls hooks synchronously, once, when the registry loads: a hook returns
specifications and factories, never does I/O, and nothing here runs per message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
import pluggy

from tickwire.core.types import Channel

if TYPE_CHECKING:
    from tickwire.core.config import ClientConfig
    from tickwire.core.protocol import StreamClient

__all__ = [
    "PROJECT_NAME",
    "AdapterSpec",
    "Emulator",
    "EmulatorSpec",
    "hookimpl",
    "hookspec",
    "register_adapters",
    "register_emulators",
]

PROJECT_NAME = "tickwire"
"""The pluggy project name; the entry-point group is ``tickwire.adapters``."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class AdapterSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue adapter offers, and how to build its client.

    ``factory(config)`` returns a ready-to-connect :class:`StreamClient`; ``name`` is
    what ``connect(name)`` and a config file's ``venue`` key use; ``channels`` lists the
    channels it can subscribe; ``private`` says whether order methods work.
    """

    name: str
    factory: Callable[[ClientConfig], StreamClient]
    channels: frozenset[Channel]
    private: bool = False
    description: str = ""


class Emulator(Protocol):
    """A local venue emulator: an async context manager serving on 127.0.0.1.

    ``endpoints`` maps :class:`~tickwire.core.config.ClientConfig` URL fields
    (``ws_url``, ``ws_auth_url``, ``rest_url``) to the emulator's addresses, so
    ``connect(venue, **emulator.endpoints)`` targets it.
    """

    @property
    def endpoints(self) -> dict[str, str]: ...

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


class EmulatorSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A local emulator of venue ``venue``. ``factory(seed=...)`` builds one."""

    name: str
    venue: str
    factory: Callable[..., Emulator]
    description: str = ""


@hookspec
def register_adapters() -> list[AdapterSpec]:  # type: ignore[empty-body]
    """Return the venue adapters this plugin provides."""


@hookspec
def register_emulators() -> list[EmulatorSpec]:  # type: ignore[empty-body]
    """Return the local venue emulators this plugin provides."""
