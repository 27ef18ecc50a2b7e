"""tickwire's public API: the exchange-agnostic contract and its machinery.

Everything a strategy needs is importable from here; the submodules are implementation::

    from tickwire.core import Ticker, connect

    async with connect("kraken") as client:
        await client.subscribe("ticker", ["BTC/USD"])
        async for event in client.events():
            ...

tickwire logs its lifecycle (connects, reconnects, give-ups) under the ``tickwire``
logger tree, one logger per module (``tickwire.core.session``, ...); as a library it
configures nothing: turn it on with ``logging.basicConfig(level=logging.INFO)`` or
``logging.getLogger("tickwire").setLevel(...)`` in your program.
"""

import logging
from importlib.metadata import PackageNotFoundError, version

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
from tickwire.core.fetcher import ServerTime
from tickwire.core.positions import Fill, Position, PositionTracker
from tickwire.core.protocol import EventCallback, StreamClient
from tickwire.core.snapshot import MarketSnapshot, SymbolState
from tickwire.core.streams import OverflowPolicy
from tickwire.core.types import *  # noqa: F403
from tickwire.core.types import __all__ as _types_all

# The stdlib convention for libraries: a NullHandler, so that a program that configured
# no logging sees nothing from tickwire (not even Python's last-resort WARNING output).
logging.getLogger("tickwire").addHandler(logging.NullHandler())

try:
    __version__ = version("tickwire")
    """tickwire's version, from the installed package's metadata."""
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ClientConfig",
    "Credentials",
    "EventCallback",
    "Fill",
    "HeartbeatPolicy",
    "MarketSnapshot",
    "NatsConfig",
    "OrderBook",
    "OverflowPolicy",
    "Position",
    "PositionTracker",
    "QueuePolicy",
    "ReconnectPolicy",
    "ServerTime",
    "StreamClient",
    "SubscriptionConfig",
    "SymbolState",
    "connect",
    "load_config",
    *_errors_all,
    *_types_all,
]
