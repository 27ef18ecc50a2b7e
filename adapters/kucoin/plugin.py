"""Registers the KuCoin adapter, through the same hook a third-party adapter uses."""

from __future__ import annotations

from tickwire.adapters.kucoin.client import KucoinClient
from tickwire.adapters.kucoin.subscriptions import CHANNELS
from tickwire.core.hookspecs import AdapterSpec, hookimpl

__all__ = ["register_adapters"]


@hookimpl
def register_adapters() -> list[AdapterSpec]:
    """KuCoin Spot over the Classic push WebSocket."""
    return [
        AdapterSpec(
            name="kucoin",
            factory=KucoinClient,
            channels=frozenset(CHANNELS),
            private=False,
            description="KuCoin Spot, Classic API (public market data, sharded, token renewal)",
        )
    ]
