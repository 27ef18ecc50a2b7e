"""The account half of :class:`~tickwire.adapters.kucoin.client.KucoinClient`.

With credentials (key, secret, passphrase; key version 2) the client opens a private
socket at connect (:mod:`.private`; ``config.options["private"] = False`` skips it) and
trades through HF REST (:mod:`.trading`, :mod:`.cancels`):

=====================  ===============================================================
``subscribe``          ``"orders"`` → :class:`~tickwire.core.types.OrderUpdate`,
                       ``"balances"`` → :class:`~tickwire.core.types.Balance`;
                       account-wide (symbols are ignored), restored after reconnects
``place_order``        ``POST /api/v1/hf/orders`` once; a lost reply is reconciled by
                       client id (see :mod:`.trading`)
``amend_order``        ``alter`` = cancel + new: the ack carries the *new* order id
``cancel_order``       by ``order_id`` or ``client_id``
``cancel_all``         one symbol, or every symbol (``cancelAll``); returns the number
                       of orders open just before
``place_orders``       ``/multi``, in chunks of 5 limit orders
``cancel_orders``      one cancel each, concurrently (HF has no batch cancel)
``cancel_all_after``   ``dead-cancel-all``: ``seconds <= 0`` disarms, else 5..86400
=====================  ===============================================================

Each order method resolves within its ``timeout`` to a result or a typed error.
``config.options["dead_man_switch"] = seconds`` keeps the switch armed while the private
socket is healthy (re-armed every ``options["dead_man_refresh"]`` seconds, default a
third of ``seconds``) and stops refreshing the moment it is not, so KuCoin cancels every
order if the client loses its connection or dies. Closing the client stops refreshing
too: call ``cancel_all_after(0)`` first to disarm it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from tickwire.adapters.kucoin.cancels import KucoinCancels
from tickwire.adapters.kucoin.private import PRIVATE_TOPICS, PrivateSocket
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.trading import KucoinTrading
from tickwire.core.client import BaseClient
from tickwire.core.errors import ConfigError, RequestTimeout, TickwireError
from tickwire.core.types import Channel, OrderAck, OrderRequest, StreamError, Subscription

__all__ = ["PRIVATE_CHANNELS", "KucoinAccount"]

T = TypeVar("T")

PRIVATE_CHANNELS = frozenset(PRIVATE_TOPICS)
"""The channels the private socket serves."""

# Beyond an order method's own deadline, the grace before the guard steps in: the method
# keeps to its deadline itself, the guard only catches what could not.
_GRACE = 0.5


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    # repr() of a float is its shortest exact-looking text: 0.1 → "0.1", not the binary.
    return Decimal(repr(value) if isinstance(value, float) else str(value))


class KucoinAccount(BaseClient):
    """Private socket, order methods and the managed dead man's switch of a KuCoin client."""

    venue = "kucoin"
    _rest: KucoinRest | None

    def _init_account(self) -> None:
        self._rest = None
        self._private: PrivateSocket | None = None
        self._trading: KucoinTrading | None = None
        self._cancels: KucoinCancels | None = None

    @property
    def rest(self) -> KucoinRest:
        """The REST helper (tokens, symbols, snapshots, signed calls)."""
        if self._rest is None:
            raise RuntimeError("the client is not connected")
        return self._rest

    @property
    def private(self) -> PrivateSocket | None:
        """The private socket, when credentials are configured."""
        return self._private

    def _push_error(self, exc: BaseException, context: str, frame: bytes | str = b"") -> None:
        """Report ``exc`` as one ``StreamError`` (with the first bytes of ``frame``, or of
        the frame a ``DecodeError`` holds)."""
        self._events.push(StreamError.from_exception(self.venue, exc, context, frame))

    # --- lifecycle (called by the client) -------------------------------------------

    async def _start_account(self) -> None:
        credentials = self.config.credentials
        if credentials is None:
            return
        self._trading = KucoinTrading(self.rest, credentials)
        self._cancels = KucoinCancels(self._trading)
        if not self.config.options.get("private", True):
            return
        self._private = private = PrivateSocket(self, credentials)
        self._spawn(private.session.run(), name="kucoin-private")
        await private.wait_healthy()  # AuthError here: the keys are wrong
        options = self.config.options
        seconds = options.get("dead_man_switch")
        if seconds:
            refresh = float(options.get("dead_man_refresh", float(seconds) / 3))
            self._spawn(self._keep_dead_man(float(seconds), refresh), name="kucoin-dead-man")

    async def _stop_account(self) -> None:
        if self._private is not None:
            await self._private.session.close()

    async def _keep_dead_man(self, seconds: float, period: float) -> None:
        """Re-arm ``dead-cancel-all`` every ``period`` while the private socket is healthy;
        pause, and let it fire, while it is not."""
        private = self._private
        assert private is not None
        while True:
            await private.healthy.wait()
            try:
                await self.cancel_all_after(seconds, timeout=self.config.request_timeout)
            except TickwireError as exc:
                self._push_error(exc, "dead man's switch")
            try:
                async with asyncio.timeout(period):
                    await private.unhealthy.wait()  # down: stop refreshing at once
            except TimeoutError:
                pass

    # --- private channels -----------------------------------------------------------

    async def _subscribe_private(self, channel: Channel) -> None:
        private = self._private
        if private is None:
            if self.config.credentials is not None and self._tasks is not None:
                raise ConfigError(f"kucoin: {channel} needs the private socket (options private)")
            raise ConfigError(f"kucoin: the {channel} channel needs credentials (private socket)")
        await private.subscribe(channel)
        self._subscriptions.add(Subscription(channel))

    async def _unsubscribe_private(self, channel: Channel) -> None:
        self._subscriptions.discard(Subscription(channel))
        if self._private is not None:
            await self._private.unsubscribe(channel)

    # --- order methods ------------------------------------------------------------------

    def _orders(self) -> tuple[KucoinTrading, KucoinCancels]:
        if self._trading is None or self._cancels is None:
            if self._tasks is None:
                raise RuntimeError("the client is not connected")
            raise ConfigError("kucoin: order methods need credentials (key, secret, passphrase)")
        return self._trading, self._cancels

    @staticmethod
    async def _guard(call: Awaitable[T], timeout: float, what: str) -> T:
        """``call``, bounded by ``timeout``: expiry is a ``RequestTimeout``, never a hang."""
        try:
            async with asyncio.timeout(timeout + _GRACE):
                return await call
        except TimeoutError:
            raise RequestTimeout(f"kucoin {what}: no answer within {timeout:g}s") from None

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        """Place one order through HF REST (``client_id`` generated when not given)."""
        trading, _ = self._orders()
        return await self._guard(trading.place(request, timeout), timeout, "place_order")

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
        """KuCoin's ``alter``: cancel + new; the ack carries the new order id."""
        trading, _ = self._orders()
        call = trading.amend(symbol, order_id, client_id, _decimal(price), _decimal(size), timeout)
        return await self._guard(call, timeout, "amend_order")

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        timeout: float = 10.0,
    ) -> OrderAck:
        """Request the cancel of one order; its ``canceled`` update confirms it."""
        _, cancels = self._orders()
        call = cancels.cancel(symbol, order_id, client_id, timeout)
        return await self._guard(call, timeout, "cancel_order")

    async def cancel_all(self, symbol: str | None = None, *, timeout: float = 10.0) -> int:
        """Cancel every open order of ``symbol`` (every symbol when None)."""
        _, cancels = self._orders()
        return await self._guard(cancels.cancel_all(symbol, timeout), timeout, "cancel_all")

    async def cancel_all_after(self, seconds: float, *, timeout: float = 10.0) -> None:
        """Arm KuCoin's dead man's switch for ``seconds`` (5..86400); ``<= 0`` disarms."""
        _, cancels = self._orders()
        await self._guard(cancels.dead_cancel_all(seconds, timeout), timeout, "cancel_all_after")

    async def place_orders(
        self, requests: Sequence[OrderRequest], *, timeout: float = 10.0
    ) -> list[OrderAck]:
        """Place limit orders in batches of 5; ``BatchRejected`` if some are refused."""
        trading, _ = self._orders()
        return await self._guard(trading.place_many(requests, timeout), timeout, "place_orders")

    async def cancel_orders(
        self, symbol: str, order_ids: Sequence[str], *, timeout: float = 10.0
    ) -> int:
        """Cancel orders of ``symbol`` by id; returns how many KuCoin accepted to cancel."""
        _, cancels = self._orders()
        call = cancels.cancel_many(symbol, order_ids, timeout)
        return await self._guard(call, timeout, "cancel_orders")
