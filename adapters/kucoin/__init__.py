"""The KuCoin Spot ("Classic" push WebSocket) adapter; ``docs/venues/kucoin.md`` is its
user's page. One module per concern: wire Structs in ``schemas`` and ``trade_schemas``,
pure wire → core functions in ``parse``, ``parse_private`` and ``fetch``, the level2
sync in ``book`` and ``books``, REST and signing in ``rest`` and ``signing``, sockets in
``sockets`` and ``private``, orders in ``trading``, and :class:`KucoinClient` in
``client``.
"""

from tickwire.adapters.kucoin.client import KucoinClient

__all__ = ["KucoinClient"]
