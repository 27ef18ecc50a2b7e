"""How an adapter's private side plugs into its client: the :class:`Trader` protocol.

Every built-in adapter has the same shape: ``client.py`` builds its private side (a
``Trader`` subclass) from the :class:`~tickwire.core.context.AdapterContext` when the config has
credentials, and sets ``self._trader``; :class:`~tickwire.core.client.BaseClient`'s order
methods hand each call to it. Without one, they raise
:class:`~tickwire.core.errors.ConfigError` (a venue with orders, configured without
credentials) or :class:`~tickwire.core.errors.NotSupported` (an adapter with no orders).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from time import time_ns
from typing import Any, TypeVar

from tickwire.core.dead_man import keep_armed
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    BatchRejected,
    DecodeError,
    InvalidOrder,
    NotSupported,
    RequestTimeout,
    TickwireError,
    TransportError,
    UnknownOrder,
)
from tickwire.core.ids import new_client_id
from tickwire.core.order_tracker import OrderState
from tickwire.core.types import OrderAck, OrderRequest, TimeInForce

__all__ = ["LOST", "Trader", "order_deadline", "positive", "time_in_force"]

T = TypeVar("T")

LOST = (RequestTimeout, TransportError, DecodeError)
"""How a request fails when its reply may have been lost: before answering with one,
ask :func:`~tickwire.core.reconcile.maybe_sent` whether it can have left at all."""


def order_deadline(venue: str, call: str, timeout: float) -> Deadline:
    """The one :class:`Deadline` of an order call (``timeout`` must be positive)."""
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return Deadline(timeout, f"{venue} {call}")


def positive(value: Any, name: str) -> Decimal:
    """A user-given price or size as an exact positive Decimal (a float via its repr:
    ``0.1`` is ``Decimal("0.1")``, not the binary fraction); else :class:`ValueError`."""
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def time_in_force(
    venue: str, table: Mapping[TimeInForce, str], request: OrderRequest, field: str, why: str = ""
) -> str:
    """The venue's spelling (``table``) of ``request``'s time in force; one the venue
    lacks is :class:`InvalidOrder` on ``field`` (``why``, if given, says why), raised
    before anything is sent."""
    spelled = table.get(request.time_in_force)
    if spelled is None:
        reason = f"time_in_force {request.time_in_force} is not supported"
        raise InvalidOrder(venue, field, f"{reason}: {why}" if why else reason)
    return spelled


class Trader:
    """The order methods of :class:`~tickwire.core.protocol.StreamClient`, as a part.

    A subclass overrides the calls its venue has; the others raise
    :class:`~tickwire.core.errors.NotSupported`.
    """

    venue = ""
    """The venue's name, for acks and errors."""
    id_fields = ("order_id", "client_id")
    """The venue's names of an order's two ids, in what :meth:`one_id` returns."""
    cancel_at_once = 0
    """A venue without a batch cancel whose :meth:`cancel_order` may run this many at a
    time: the default :meth:`cancel_orders` cancels one by one (0: not supported)."""

    def _unsupported(self, call: str) -> NotSupported:
        return NotSupported(f"{self.venue or 'this venue'}: {call} is not supported")

    # --- what every venue's order calls share --------------------------------------------

    def ack(self, symbol: str, order_id: str, client_id: str | None, ts: int = 0) -> OrderAck:
        """An :class:`OrderAck` of this venue, stamped ``ts`` (ns; 0: now)."""
        return OrderAck(
            venue=self.venue, symbol=symbol, order_id=order_id, client_id=client_id,
            ts=ts or time_ns(),
        )  # fmt: skip

    def deadline(self, call: str, timeout: float) -> Deadline:
        """The one :class:`Deadline` of an order call (:func:`order_deadline`)."""
        return order_deadline(self.venue, call, timeout)

    @staticmethod
    def send_budget(deadline: Deadline) -> Deadline:
        """The part of ``deadline`` a placement may spend sending: the rest (half, at most
        2 s) is kept to ask the venue what became of a request lost in flight."""
        timeout = deadline.seconds
        return Deadline(timeout - min(timeout / 2, 2.0), deadline.what)

    @staticmethod
    async def within(
        deadline: Deadline, call: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
    ) -> T:
        """``call(*args, **kwargs, timeout=<what is left>)``, bounded by ``deadline`` as a
        whole: a wait for quota included (an HTTP client's own timeout is per phase)."""
        return await deadline.run(call(*args, timeout=deadline.check(), **kwargs))

    def one_id(self, order_id: str | None, client_id: str | None) -> dict[str, str]:
        """``{order id field: order_id}`` or ``{client id field: client_id}``
        (:attr:`id_fields`): exactly one must be given, else :class:`ValueError`."""
        if (order_id is None) == (client_id is None):
            raise ValueError("give exactly one of order_id and client_id")
        by_order, by_client = self.id_fields
        return {by_order: order_id} if order_id is not None else {by_client: client_id or ""}

    def known_ack(
        self,
        symbol: str,
        echoed: tuple[str | None, str | None],
        given: Mapping[str, str],
        state: OrderState | None,
        ts: int = 0,
    ) -> OrderAck:
        """The ack of a call on a known order (an amend, a cancel): each of its two ids
        as the venue ``echoed`` it, else as ``given`` (:meth:`one_id`), else as tracked
        (``state``)."""
        by_order, by_client = self.id_fields
        return self.ack(
            symbol,
            echoed[0] or given.get(by_order) or (state.order_id if state else ""),
            echoed[1] or given.get(by_client) or (state.client_id if state else None),
            ts,
        )

    @staticmethod
    def changes(call: str, price: Any, size: Any) -> dict[str, Decimal]:
        """An amend's new ``price`` and/or ``size`` (:func:`positive`), by those names;
        :class:`ValueError` when neither is given."""
        if price is None and size is None:
            raise ValueError(f"{call} needs a new price or size")
        given = {"price": price, "size": size}
        return {name: positive(value, name) for name, value in given.items() if value is not None}

    def client_ids(self, requests: Sequence[OrderRequest]) -> list[str]:
        """Each request's client id, a new one where it has none: fixed before anything is
        sent, so a lost reply can be looked up. Duplicates are :class:`InvalidOrder`."""
        ids = [r.client_id or new_client_id() for r in requests]
        if len(set(ids)) != len(ids):
            field = self.id_fields[1]
            raise InvalidOrder(self.venue, field, "client ids must differ within a batch")
        return ids

    def settle(self, acks: list[OrderAck], failures: dict[str, TickwireError]) -> list[OrderAck]:
        """A batch's acks, or :class:`BatchRejected` (with them) when any order failed."""
        if failures:
            raise BatchRejected(self.venue, acks, failures)
        return acks

    async def cancel_each(
        self, symbol: str, order_ids: Sequence[str], deadline: Deadline, *, at_once: int = 8
    ) -> int:
        """:meth:`cancel_order` for each id, ``at_once`` at a time, within ``deadline``
        (a venue without a batch cancel): how many were accepted. Unknown or closed
        orders are skipped; any other error is raised once every request has finished."""
        # A few at a time: a thousand ids must not become a thousand requests at once (a
        # venue's quota is per window); the deadline still bounds the whole call.
        gate = asyncio.Semaphore(at_once)

        async def one(order_id: str) -> OrderAck:
            async with gate:
                return await self.cancel_order(
                    symbol, order_id=order_id, client_id=None, timeout=deadline.check()
                )

        outcomes = await asyncio.gather(*map(one, order_ids), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, UnknownOrder):
                raise outcome
        return sum(isinstance(outcome, OrderAck) for outcome in outcomes)

    async def keep_armed(
        self,
        seconds: float,
        period: float,
        *,
        up: Callable[[], Awaitable[Any]],
        down: Callable[[], Awaitable[Any]] | None = None,
        report: Callable[[BaseException, str], None],
        timeout: float | None = None,
    ) -> None:
        """The managed dead man's switch: :meth:`cancel_all_after` (``seconds``) every
        ``period`` while ``up``, each call within ``timeout`` (default ``period``), by
        :func:`~tickwire.core.dead_man.keep_armed`. Runs until cancelled."""
        arm = partial(self.cancel_all_after, timeout=timeout or period)
        await keep_armed(arm, seconds, period, up=up, down=down, report=report)

    # --- the calls ------------------------------------------------------------------------

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
        """Cancel a batch of orders; how many were canceled. By default, for a venue
        declaring :attr:`cancel_at_once`, :meth:`cancel_each` within ``timeout``."""
        if not self.cancel_at_once:
            raise self._unsupported("cancel_orders")
        deadline = self.deadline("cancel_orders", timeout)
        return await self.cancel_each(symbol, order_ids, deadline, at_once=self.cancel_at_once)
