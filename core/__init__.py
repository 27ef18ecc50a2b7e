"""tickwire's public API: the exchange-agnostic contract and its machinery.

Everything a strategy needs is importable from here; the submodules are implementation::

    from tickwire.core import Ticker, connect

    async with connect("kraken") as client:
        await client.subscribe("ticker", ["BTC/USD"])
        async for event in client.events():
            ...
"""

from tickwire.core.book import OrderBook
from tickwire.core.config import (
    ClientConfig,
    Credentials,
    HeartbeatPolicy,
    NatsConfig,
    QueuePolicy,
    ReconnectPolicy,
    SubscriptionConfig,
    load_config,
)
from tickwire.core.connect import connect
from tickwire.core.errors import *  # noqa: F403
from tickwire.core.errors import __all__ as _errors_all
from tickwire.core.protocol import EventCallback, StreamClient
from tickwire.core.snapshot import MarketSnapshot, SymbolState
from tickwire.core.streams import OverflowPolicy
from tickwire.core.types import *  # noqa: F403
from tickwire.core.types import __all__ as _types_all

__all__ = [
    "ClientConfig",
    "Credentials",
    "EventCallback",
    "HeartbeatPolicy",
    "MarketSnapshot",
    "NatsConfig",
    "OrderBook",
    "OverflowPolicy",
    "QueuePolicy",
    "ReconnectPolicy",
    "StreamClient",
    "SubscriptionConfig",
    "SymbolState",
    "connect",
    "load_config",
    *_errors_all,
    *_types_all,
]
