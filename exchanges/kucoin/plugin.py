"""Registers the KuCoin emulator through the same hook a third-party plugin uses."""

from __future__ import annotations

from tickwire.core.hookspecs import EmulatorSpec, hookimpl
from tickwire.exchanges.kucoin.emulator import KucoinEmulator

__all__ = ["register_emulators"]


@hookimpl
def register_emulators() -> list[EmulatorSpec]:
    """The KuCoin Spot emulator (public market data and the private side)."""
    return [
        EmulatorSpec(
            name="kucoin",
            venue="kucoin",
            factory=KucoinEmulator,
            description="KuCoin Spot (Classic API): bullet tokens, push WebSocket, "
            "level2 sequences, REST snapshots, HF orders on a paper engine",
        )
    ]
