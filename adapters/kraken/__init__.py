"""The Kraken Spot WebSocket API v2 adapter (``docs/venues/kraken.md``).

Module per concern: ``schemas``/``schemas_private``/``schemas_rest`` (wire Structs, venue
names verbatim), ``parse`` (pure wire → core), ``book`` (CRC32 integrity at instrument
precision), ``subscriptions`` (channel syntax, per-symbol acks), ``auth`` (REST signing),
``rest`` (REST calls, the WebSocket token), ``errors`` (one table of venue errors),
``private`` (the auth socket), ``trading`` (the order methods), ``fetch`` (the one-shot
calls), ``client`` (the StreamClient), ``plugin``.
"""

from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["KrakenClient"]
