"""The Kraken Spot WebSocket API v2 adapter.

Module per concern: ``schemas``/``private_schemas`` (wire Structs, venue names verbatim),
``parse`` (pure wire → core), ``executions`` (sparse reports merged into complete order
updates), ``book``/``books`` (CRC32 integrity at instrument precision),
``subscriptions`` (channel syntax), ``auth`` (REST signing), ``rest`` (the WebSocket
token), ``errors`` (one table of venue errors), ``private`` (the auth socket),
``orders``/``trading`` (the order methods), ``native`` (raw access), ``client`` (the
StreamClient), ``plugin``.
"""

from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["KrakenClient"]
