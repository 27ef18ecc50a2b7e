"""Registers the Kraken adapter, through the same hook a third-party adapter uses."""

from __future__ import annotations

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.adapters.kraken.subscriptions import CHANNELS
from tickwire.core.hookspecs import AdapterSpec, hookimpl
from tickwire.core.types import Channel


@hookimpl
def register_adapters() -> list[AdapterSpec]:
    """Kraken Spot over WebSocket API v2."""
    return [
        AdapterSpec(
            name="kraken",
            factory=KrakenClient,
            # orders and balances need credentials (they live on the auth socket)
            channels=frozenset(CHANNELS) | {Channel.ORDERS, Channel.BALANCES},
            private=True,
            description="Kraken Spot, WebSocket API v2 (market data, account, orders)",
        )
    ]
