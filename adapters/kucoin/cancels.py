"""Canceling KuCoin HF orders, and the dead man's switch (``kucoin-ws.md`` §9): the base
of the :class:`~tickwire.core.trader.Trader`, with the signed call every order method uses.

Cancels only *request* cancellation: each is confirmed by the order's ``canceled`` push.
Like placements, every call is bounded by its ``timeout`` and never retried; venue codes
map through the one table of :mod:`tickwire.adapters.kucoin.errors` (an unknown or closed
order is :class:`~tickwire.core.errors.UnknownOrder`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import msgspec

from tickwire.adapters.kucoin.fetch import QUOTAS, SPOT
from tickwire.adapters.kucoin.parse import VENUE, to_native
from tickwire.adapters.kucoin.rest import ORDERS, Get, KucoinRest, open_orders
from tickwire.adapters.kucoin.trade_schemas import (
    CancelAllData,
    ClientOidData,
    DcpData,
    OrderIdData,
)
from tickwire.core.config import Credentials
from tickwire.core.deadline import Deadline
from tickwire.core.errors import ExchangeError, UnknownOrder
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.rest import decode, decode_or_none
from tickwire.core.trader import Trader
from tickwire.core.types import OrderAck

__all__ = ["DCP_RANGE", "KucoinCancels"]

DCP_RANGE = (5, 86400)
"""Seconds KuCoin's disconnection protection accepts (``-1`` disarms it)."""
_CONCURRENT_CANCELS = 8

_encoder = msgspec.json.Encoder()


class KucoinCancels(Trader):
    """The signed calls of one account (``rest`` signs with ``credentials``; ``limiter``
    holds the account's :data:`~.fetch.QUOTAS`, shared with the fetcher) and its
    cancels; :class:`~tickwire.adapters.kucoin.trading.KucoinTrader` adds placement."""

    venue = VENUE
    id_fields = ("orderId", "clientOid")

    def __init__(
        self, rest: KucoinRest, credentials: Credentials, limiter: RateLimiter | None = None
    ) -> None:
        self._rest = rest
        self._credentials = credentials
        self._limiter = limiter if limiter is not None else RateLimiter(QUOTAS)
        self._pool = SPOT

    async def call(
        self,
        method: str,
        path: str,
        deadline: Deadline,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> msgspec.Raw:
        """One signed call within ``deadline`` (:class:`RequestTimeout` otherwise), after
        its weight was taken from the account's Spot pool (lookups 2, the rest 1)."""
        await deadline.run(self._limiter.acquire(self._pool, cost=2 if method == "GET" else 1))
        remaining = deadline.check()
        content = None if body is None else _encoder.encode(body)
        # The deadline bounds the whole call: httpx's own timeout is per phase.
        return await deadline.run(
            self._rest.signed(
                self._credentials, method, path, params=params, body=content, timeout=remaining
            )
        )

    async def cancel_order(
        self, symbol: str, *, order_id: str | None, client_id: str | None, timeout: float
    ) -> OrderAck:
        """Request the cancel of one order (confirmed by its ``canceled`` push).

        By ``client_id`` KuCoin's answer has no order id: the ack's ``order_id`` is "".
        """
        return await self._cancel(
            symbol, order_id, client_id, self.deadline("cancel_order", timeout)
        )

    async def _cancel(
        self, symbol: str, order_id: str | None, client_id: str | None, deadline: Deadline
    ) -> OrderAck:
        self.one_id(order_id, client_id)
        params = {"symbol": to_native(symbol)}
        if order_id is not None:
            raw = await self.call("DELETE", f"{ORDERS}/{order_id}", deadline, params=params)
            data = decode(VENUE, raw, OrderIdData, f"DELETE {ORDERS}/{{orderId}}")
            return self.ack(symbol, data.order_id, client_id)
        path = f"{ORDERS}/client-order/{client_id}"
        raw = await self.call("DELETE", path, deadline, params=params)
        done = decode(VENUE, raw, ClientOidData, f"DELETE {ORDERS}/client-order")
        return self.ack(symbol, "", done.client_oid)

    async def cancel_orders(self, symbol: str, order_ids: Sequence[str], *, timeout: float) -> int:
        """Cancel orders one request each, 8 at a time (KuCoin HF has no batch cancel).

        Returns how many were accepted; unknown or closed ones are skipped; any other
        error is raised once every request has finished.
        """
        # A few at a time: a thousand ids must not become a thousand requests at once
        # (KuCoin's quota is per 30 s); the deadline still bounds the whole call.
        gate = asyncio.Semaphore(_CONCURRENT_CANCELS)
        deadline = self.deadline("cancel_orders", timeout)

        async def one(order_id: str) -> OrderAck:
            async with gate:
                return await self._cancel(symbol, order_id, None, deadline)

        outcomes = await asyncio.gather(*(one(oid) for oid in order_ids), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, UnknownOrder):
                raise outcome
        return sum(isinstance(outcome, OrderAck) for outcome in outcomes)

    def getter(self, deadline: Deadline) -> Get:
        """:meth:`call` as a GET within ``deadline`` (for :func:`~.rest.open_orders`)."""
        return lambda path, params: self.call("GET", path, deadline, params=params)

    async def cancel_all(self, symbol: str | None, *, timeout: float) -> int:
        """Cancel every open order of ``symbol`` (or of every symbol).

        KuCoin answers without a count: the count is of the orders listed open just
        before the cancel (``/active``), so an order placed in between is canceled but
        not counted.
        """
        deadline = self.deadline("cancel_all", timeout)
        native = None if symbol is None else to_native(symbol)
        count = len(await open_orders(self.getter(deadline), native))
        if native is not None:
            await self.call("DELETE", ORDERS, deadline, params={"symbol": native})
            return count
        raw = await self.call("DELETE", f"{ORDERS}/cancelAll", deadline)
        result = decode(VENUE, raw, CancelAllData, f"DELETE {ORDERS}/cancelAll")
        if result.failed_symbols:
            failed = ", ".join(f"{f.symbol} ({f.error})" for f in result.failed_symbols)
            raise ExchangeError(VENUE, "cancelAll", f"not canceled on {failed}")
        return count

    async def dead_cancel_all(
        self, seconds: float, timeout: float, symbols: Sequence[str] = ()
    ) -> DcpData | None:
        """Arm (or re-arm) KuCoin's disconnection protection: every open order of
        ``symbols`` (all, if none) is canceled unless this is called again within
        ``seconds``. ``seconds <= 0`` disarms it (KuCoin's ``timeout: -1``); otherwise it
        is rounded up to whole seconds and must be within 5..86400. Returns KuCoin's
        ``currentTime``/``triggerTime`` (seconds), or None once disarmed.
        """
        if seconds <= 0:
            value = -1
        else:
            value = math.ceil(seconds)
            if not DCP_RANGE[0] <= value <= DCP_RANGE[1]:
                raise ValueError(f"KuCoin's dead man's switch takes 5..86400 s, got {seconds}")
        body: dict[str, Any] = {"timeout": value}
        if symbols:
            body["symbols"] = ",".join(to_native(s) for s in symbols)
        path = f"{ORDERS}/dead-cancel-all"
        deadline = self.deadline("cancel_all_after", timeout)
        raw = await self.call("POST", path, deadline, body=body)
        armed = decode_or_none(VENUE, raw, DcpData, f"POST {path}")
        return armed if armed is not None and armed.trigger_time is not None else None

    async def cancel_all_after(self, seconds: float, *, timeout: float) -> None:
        """Arm KuCoin's dead man's switch for ``seconds`` (5..86400); ``<= 0`` disarms."""
        await self.dead_cancel_all(seconds, timeout)
