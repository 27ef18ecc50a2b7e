"""A local emulator of Kraken Spot WebSocket API v2 (and the REST token call).

``KrakenEmulator`` serves the public ``/v2`` and authenticated ``/v2-auth`` WebSockets
and the signed ``GetWebSocketsToken`` REST call on 127.0.0.1, with a paper account
(``KrakenKey`` describes an API key); see its docstring. The frames are built from the
protocol reference, never from the adapter.
"""

from tickwire.exchanges.kraken.auth import KrakenKey
from tickwire.exchanges.kraken.emulator import DEFAULT_BALANCES, KrakenEmulator
from tickwire.exchanges.kraken.instruments import DEFAULT_PAIRS, KrakenPair

__all__ = ["DEFAULT_BALANCES", "DEFAULT_PAIRS", "KrakenEmulator", "KrakenKey", "KrakenPair"]
