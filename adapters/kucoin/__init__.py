"""The KuCoin Spot ("Classic" push WebSocket) adapter.

Module per concern: ``schemas`` (wire Structs, venue names verbatim), ``parse`` (pure
wire → core), ``book`` (level2 sync against a REST snapshot, by sequence), ``books``
(the books and their recovery, under core's ``BookKeeper``), ``rest`` (bullet token,
symbols, book snapshot, server time, signed calls over ``core.rest``), ``errors`` (the
one table of venue codes), ``subscriptions`` (topics, batching, caps), ``sockets``
(one socket's handler and liveness, on core's shards: connections of ≤300 topics, paced
coalesced subscribes, token renewal), ``signing`` (``KC-API-*`` headers), ``client``
(:class:`KucoinClient`), ``native`` (raw access), ``plugin`` (the hookimpl). The account
side: ``private`` (the private socket, fills and fees; its health keeps the dead man's
switch armed through core's ``keep_armed``), ``parse_private`` (order and balance
pushes and REST replies → core), ``trading`` (the ``Trader``: HF placement, exactly
once), ``cancels`` (cancels, dead-cancel-all), ``fetch`` (the one-shot calls),
``trade_schemas`` (REST bodies of orders and one-shot calls).
"""

from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["KucoinClient"]
