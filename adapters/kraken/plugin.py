"""Registers the Kraken adapter, through the same hook a third-party adapter uses."""

from __future__ import annotations

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.hookspecs import AdapterSpec, hookimpl


@hookimpl
def register_adapters() -> list[AdapterSpec]:
    """Kraken Spot over WebSocket API v2."""
    return [
        AdapterSpec(
            name="kraken",
            factory=KrakenClient,
            channels=KrakenClient.channels,  # orders and balances on the auth socket
            private=True,
            description="Kraken Spot, WebSocket API v2 (market data, account, orders)",
        )
    ]
