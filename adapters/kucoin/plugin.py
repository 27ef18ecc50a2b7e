"""Registers the KuCoin adapter, through the same hook a third-party adapter uses."""

from __future__ import annotations

from tickwire.adapters.kucoin.client import KucoinClient
from tickwire.adapters.kucoin.private import PRIVATE_CHANNELS
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
            # orders and balances need credentials: they live on the private socket
            channels=frozenset(CHANNELS) | PRIVATE_CHANNELS,
            private=True,
            description="KuCoin Spot, Classic API (market data, orders and balances, HF REST)",
            # The sockets' addresses come from the token call on rest_url: a ws_url
            # override would be ignored, so connect() refuses it.
            urls=frozenset({"rest_url"}),
        )
    ]
