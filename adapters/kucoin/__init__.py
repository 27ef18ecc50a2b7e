"""The KuCoin Spot ("Classic" push WebSocket) adapter.

Module per concern: ``schemas`` (wire Structs, venue names verbatim), ``parse`` (pure
wire → core), ``book`` (level2 sync against a REST snapshot, by sequence), ``rest``
(bullet token, symbols, book snapshot, server time; venue codes → core errors).
``subscriptions`` (topics, batching, caps), ``shards`` (sockets of ≤300 topics, paced
coalesced subscribes, token renewal), ``books`` (snapshot sync, resyncs), ``signing``
(``KC-API-*`` headers), ``client`` (:class:`KucoinClient`), ``native`` (raw access),
``plugin`` (the hookimpl). The account side: ``account`` (order methods, private
channels, dead man's switch), ``private`` (the private socket, fills and fees),
``parse_private`` (order and balance pushes → core), ``trading`` (HF placement, exactly
once), ``cancels`` (cancels, dead-cancel-all), ``trade_schemas`` (order REST bodies).
"""

from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["KucoinClient"]
