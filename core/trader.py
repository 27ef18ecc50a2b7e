"""How an adapter's private side plugs into its client: the :class:`Trader` protocol.

Every built-in adapter has the same shape: ``client.py`` builds its private side (a
``Trader`` subclass) from the :class:`~tickwire.core.context.AdapterContext` when the config has
credentials, and sets ``self._trader``; :class:`~tickwire.core.client.BaseClient`'s order
methods hand each call to it. Without one, they raise
:class:`~tickwire.core.errors.ConfigError` (a venue with orders, configured without
credentials) or :class:`~tickwire.core.errors.NotSupported` (an adapter with no orders).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickwire.core.errors import NotSupported
from tickwire.core.types import OrderAck, OrderRequest

__all__ = ["Trader"]


class Trader:
    """The order methods of :class:`~tickwire.core.protocol.StreamClient`, as a part.

    A subclass overrides the calls its venue has; the others raise
    :class:`~tickwire.core.errors.NotSupported`.
    """

    venue = ""
    """The venue's name, for the errors of calls it does not support."""

    def _unsupported(self, call: str) -> NotSupported:
        return NotSupported(f"{self.venue or 'this venue'}: {call} is not supported")

    async def place_order(self, request: OrderRequest, *, timeout: float) -> OrderAck:
        """Place one order."""
        raise self._unsupported("place_order")

    async def amend_order(
        self,
        symbol: str,
        *,
        order_id: str | None,
        client_id: str | None,
        price: Any,
        size: Any,
        timeout: float,
    ) -> OrderAck:
        """Change an open order's price and/or size."""
        raise self._unsupported("amend_order")

    async def cancel_order(
        self, symbol: str, *, order_id: str | None, client_id: str | None, timeout: float
    ) -> OrderAck:
        """Cancel one open order."""
        raise self._unsupported("cancel_order")

    async def cancel_all(self, symbol: str | None, *, timeout: float) -> int:
        """Cancel every open order (of ``symbol``); how many were canceled."""
        raise self._unsupported("cancel_all")

    async def cancel_all_after(self, seconds: float, *, timeout: float) -> None:
        """Arm (``seconds`` > 0) or disarm (0) the venue's dead man's switch."""
        raise self._unsupported("cancel_all_after")

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float
    ) -> list[OrderAck]:
        """Place a batch of orders."""
        raise self._unsupported("place_orders")

    async def cancel_orders(self, symbol: str, order_ids: Sequence[str], *, timeout: float) -> int:
        """Cancel a batch of orders; how many were canceled."""
        raise self._unsupported("cancel_orders")
