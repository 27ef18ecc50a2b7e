"""The Kraken Spot WebSocket API v2 adapter.

Module per concern: ``schemas``/``schemas_private`` (wire Structs, venue names verbatim),
``parse`` (pure wire → core), ``executions`` (execution reports in core terms, for core's
order tracker), ``book`` (CRC32 integrity at instrument precision), ``books`` (the
client's books on core's book keeper), ``subscriptions`` (channel syntax), ``auth`` (REST
signing), ``rest`` (the WebSocket token), ``errors`` (one table of venue errors),
``private`` (the auth socket), ``trading`` (the order methods, the client's trader),
``native`` (raw access), ``client`` (the StreamClient), ``plugin``.
"""

from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["KrakenClient"]
