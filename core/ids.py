"""Client order ids: generated once per request, so a retry can never place a second order.

``new_client_id()`` returns 32 lowercase hex digits (a UUID4 without dashes): Kraken v2
accepts it as a "short UUID" ``cl_ord_id`` and KuCoin as a ``clientOid`` (≤ 40 of
``[A-Za-z0-9_-]``). An adapter generates it *before* the first send and reuses it for
every lookup, so after a disconnect it can ask the venue whether the order exists.
"""

from __future__ import annotations

import uuid

__all__ = ["new_client_id"]


def new_client_id() -> str:
    """A fresh client order id that every built-in venue accepts."""
    return uuid.uuid4().hex
