"""The order methods of :class:`~tickwire.core.client.BaseClient`.

Each hands the call to the adapter's private side, a :class:`~tickwire.core.trader.Trader`
(``client._trader``, set once the private socket is up). Without one the call says why:
:class:`~tickwire.core.errors.ConfigError` for an adapter with a private side but no
credentials, :class:`~tickwire.core.errors.NotSupported` for one without a private side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError, NotSupported
from tickwire.core.trader import Trader
from tickwire.core.types import OrderAck, OrderRequest

__all__ = ["OrderMethods"]


class OrderMethods:
    """Orders of a client: place, amend, cancel (one, all, a batch), the dead man's switch."""

    config: ClientConfig
    venue: ClassVar[str]
    supports_orders: ClassVar[bool]
    _trader: Trader | None

    def _active_trader(self) -> Trader:
        """The private side, or the error saying why there is none."""
        if self._trader is not None:
            return self._trader
        if self.supports_orders and self.config.credentials is None:
            raise ConfigError(f"{self.venue}: orders and account channels need credentials")
        if self.supports_orders:
            raise RuntimeError(f"{self.venue}: the client is not connected")
        raise NotSupported(f"{self.venue}: order methods are not supported by this adapter")

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        """Place one order."""
        return await self._active_trader().place_order(request, timeout=timeout)

    async def amend_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        price: Any = None,
        size: Any = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Change an open order's price and/or size."""
        return await self._active_trader().amend_order(
            symbol, order_id=order_id, client_id=client_id, price=price, size=size, timeout=timeout
        )

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Cancel one open order."""
        return await self._active_trader().cancel_order(
            symbol, order_id=order_id, client_id=client_id, timeout=timeout
        )

    async def cancel_all(self, symbol: str | None = None, *, timeout: float = 10.0) -> int:
        """Cancel every open order."""
        return await self._active_trader().cancel_all(symbol, timeout=timeout)

    async def cancel_all_after(self, seconds: float, *, timeout: float = 10.0) -> None:
        """Arm the dead man's switch."""
        await self._active_trader().cancel_all_after(seconds, timeout=timeout)

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float = 10.0
    ) -> list[OrderAck]:
        """Place a batch of orders."""
        return await self._active_trader().place_orders(requests, timeout=timeout)

    async def cancel_orders(
        self, symbol: str, order_ids: Sequence[str], *, timeout: float = 10.0
    ) -> int:
        """Cancel a batch of orders."""
        return await self._active_trader().cancel_orders(symbol, order_ids, timeout=timeout)
