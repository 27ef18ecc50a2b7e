"""Registers the Kraken emulator through the same hook a third-party plugin uses."""

from __future__ import annotations

from tickwire.core.hookspecs import EmulatorSpec, hookimpl
from tickwire.exchanges.kraken.emulator import KrakenEmulator

__all__ = ["register_emulators"]


@hookimpl
def register_emulators() -> list[EmulatorSpec]:
    """The Kraken Spot WebSocket v2 emulator."""
    return [
        EmulatorSpec(
            name="kraken",
            venue="kraken",
            factory=KrakenEmulator,
            description="Kraken Spot WebSocket v2 on 127.0.0.1: seeded synthetic market, "
            "book checksums, heartbeats, documented errors and fault injection",
        )
    ]
