"""The Kraken Spot WebSocket API v2 adapter.

Module per concern: ``schemas`` (wire Structs, venue names verbatim), ``parse`` (pure
wire → core), ``book`` (CRC32 integrity at instrument precision), ``subscriptions``
(channel syntax), ``native`` (raw access), ``client`` (the StreamClient), ``plugin``.
"""

from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["KrakenClient"]
