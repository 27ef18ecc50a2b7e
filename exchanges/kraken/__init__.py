"""A local emulator of Kraken Spot WebSocket API v2 (and the REST token call).

``KrakenEmulator`` serves the public ``/v2`` and authenticated ``/v2-auth`` WebSockets
on 127.0.0.1; see its docstring. The frames are built in :mod:`.frames` from the
protocol reference, never from the adapter.
"""

from tickwire.exchanges.kraken.emulator import KrakenEmulator
from tickwire.exchanges.kraken.instruments import DEFAULT_PAIRS, KrakenPair

__all__ = ["DEFAULT_PAIRS", "KrakenEmulator", "KrakenPair"]
