"""The order lifecycle check, for adapters that declare private support.

It runs when the adapter's spec says ``private=True`` and the emulator hands out an
account through ``credentials()``; otherwise it is skipped with the reason. Against the
emulator's paper market it places a resting order (→ ``open``), cancels it (→
``canceled``), places a crossing one with its own ``client_id`` (→ ``filled``, with the
lifecycle only ever moving forward), arms nothing it does not disarm, and maps refusals:
unknown order → :class:`UnknownOrder`, too large → :class:`InsufficientFunds`, below the
minimum size → :class:`InvalidOrder`. Every call must resolve within its timeout, and no
secret may appear in a repr, an event, an error or a log record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, TypeVar

import msgspec

from tickwire.core.errors import InsufficientFunds, InvalidOrder, TickwireError, UnknownOrder
from tickwire.core.ids import new_client_id
from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness, require
from tickwire.core.types import (
    Balance,
    BookUpdate,
    Channel,
    Event,
    Instrument,
    OrderAck,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Side,
    encode_event,
)

__all__ = [
    "CALL_TIMEOUT",
    "OrderSetup",
    "OrderTracker",
    "check_orders",
    "order_setup",
    "wait_status",
]

T = TypeVar("T")

CALL_TIMEOUT = 5.0  # each order call's own timeout; the kit allows a little more
MIN_SECRET_LENGTH = 12  # credentials at least this long are searched for in every text
_RANK = {
    OrderStatus.PENDING: 0,
    OrderStatus.OPEN: 1,
    OrderStatus.PARTIALLY_FILLED: 2,
}
_TERMINAL_RANK = 3


class OrderTracker:
    """Every OrderUpdate seen, by order id and by client id, with the lifecycle checked."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[OrderUpdate]] = {}
        self.balances: list[Balance] = []
        self.texts: list[str] = []  # every event as JSON, for the secrets check

    def __call__(self, event: Event) -> None:
        self.texts.append(encode_event(event).decode())
        if isinstance(event, Balance):
            self.balances.append(event)
        if not isinstance(event, OrderUpdate):
            return
        keys = {event.order_id, event.client_id} - {None}
        history = next((self.by_key[k] for k in keys if k in self.by_key), [])
        if history:
            last = history[-1]
            if last.status.is_terminal:
                raise CheckFailed(f"order {event.order_id}: an update after {last.status}")
            if _rank(event.status) < _rank(last.status):
                raise CheckFailed(
                    f"order {event.order_id}: status went back from {last.status} to {event.status}"
                )
            if event.filled < last.filled:
                raise CheckFailed(f"order {event.order_id}: filled went down to {event.filled}")
        history.append(event)
        for key in keys:
            self.by_key[key] = history  # type: ignore[index]


def _rank(status: OrderStatus) -> int:
    return _TERMINAL_RANK if status.is_terminal else _RANK[status]


async def _call(what: str, awaitable: Awaitable[T]) -> T:
    """Await an order call; one that outlives its own timeout by far has hung."""
    try:
        async with asyncio.timeout(CALL_TIMEOUT + 5.0):
            return await awaitable
    except TimeoutError:
        raise CheckFailed(f"{what} hung past its {CALL_TIMEOUT:g}s timeout") from None


async def _refused(
    orders: OrderTracker, what: str, expected: type[TickwireError], awaitable: Awaitable[Any]
) -> None:
    try:
        await _call(what, awaitable)
    except expected as exc:
        orders.texts.append(f"{exc!s} {exc!r}")
        return
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"{what} raised {exc!r}, not {expected.__name__}") from None
    raise CheckFailed(f"{what} succeeded; expected {expected.__name__}")


def _step(value: Decimal, increment: Decimal, rounding: str) -> Decimal:
    return (value / increment).to_integral_value(rounding) * increment


async def check_orders(h: Harness) -> None:
    """Place, fill, cancel and refuse orders through the StreamClient order methods."""
    if not h.adapter.private:
        raise CheckSkipped(f"adapter {h.adapter.name!r} declares no private support")
    if h.credentials is None:
        raise CheckSkipped("the emulator gave no credentials")
    orders = OrderTracker()
    h.observers.append(orders)
    records = _LogCapture()
    with records:
        (symbol,) = await h.pick_symbols(1)
        instrument = (await h.instruments()).get(symbol)
        if instrument is None:
            raise CheckSkipped("the order check needs the adapter's instruments")
        await _lifecycle(h, orders, symbol, instrument)
    # Short values could match ordinary words; emulators hand out long random ones.
    secrets = [s for s in _secrets(h) if len(s) >= MIN_SECRET_LENGTH]
    texts = [repr(h.client), repr(h.config), *orders.texts, *records.texts]
    for secret in secrets:
        require(
            not any(secret in text for text in texts),
            "a secret appears in a repr, an event, an error or a log record",
        )


@dataclass(frozen=True)
class OrderSetup:
    """What an order check trades: ``resting`` buys the minimum size 5 % under the best
    bid (it stays open); ``cross`` is a price 2 % over the best ask (it fills)."""

    symbol: str
    instrument: Instrument
    resting: OrderRequest
    cross: Decimal


async def order_setup(h: Harness, symbol: str, inst: Instrument) -> OrderSetup:
    """Subscribe the account channels and ``symbol``'s book; prices from that book."""
    client = h.client
    async with asyncio.timeout(h.timeout):
        await client.subscribe(Channel.ORDERS)
        if Channel.BALANCES in h.adapter.channels:
            await client.subscribe(Channel.BALANCES)
        await client.subscribe(Channel.BOOK, [symbol])
    await h.next_of(BookUpdate, f"a {symbol} book snapshot", symbol=symbol, snapshot=True)
    book = client.book(symbol)
    require(book.best_bid and book.best_ask, f"the {symbol} book has an empty side")
    assert book.best_bid is not None and book.best_ask is not None
    size = inst.min_size if inst.min_size > 0 else inst.size_increment
    size = _step(size, inst.size_increment, ROUND_CEILING)
    rest = _step(book.best_bid.price * Decimal("0.95"), inst.price_increment, ROUND_FLOOR)
    cross = _step(book.best_ask.price * Decimal("1.02"), inst.price_increment, ROUND_CEILING)
    if inst.min_notional:
        size = max(size, _step(inst.min_notional / rest, inst.size_increment, ROUND_CEILING) * 2)
    resting = OrderRequest(symbol=symbol, side=Side.BUY, size=size, price=rest)
    return OrderSetup(symbol, inst, resting, cross)


async def _lifecycle(h: Harness, orders: OrderTracker, symbol: str, inst: Instrument) -> None:
    client = h.client
    setup = await order_setup(h, symbol, inst)
    resting, cross, size = setup.resting, setup.cross, setup.resting.size

    # A resting order opens; canceled by venue id, it ends canceled.
    ack = await _call("place_order", client.place_order(resting, timeout=CALL_TIMEOUT))
    _check_ack(h, ack, symbol, None)
    await wait_status(h, orders, ack, OrderStatus.OPEN)
    cancel = await _call(
        "cancel_order", client.cancel_order(symbol, order_id=ack.order_id, timeout=CALL_TIMEOUT)
    )
    require(cancel.order_id == ack.order_id, f"cancel acked order {cancel.order_id!r}")
    await wait_status(h, orders, ack, OrderStatus.CANCELED)

    # A crossing order with our own client id fills completely.
    client_id = new_client_id()
    crossing = msgspec.structs.replace(resting, price=cross, client_id=client_id)
    balances_before = len(orders.balances)
    ack = await _call("place_order", client.place_order(crossing, timeout=CALL_TIMEOUT))
    _check_ack(h, ack, symbol, client_id)
    filled = await wait_status(h, orders, ack, OrderStatus.FILLED)
    require(filled.filled == size, f"a filled order of {size} reports filled={filled.filled}")
    require(filled.remaining in (None, 0), f"a filled order has remaining={filled.remaining}")
    require(
        filled.avg_price is None or filled.avg_price <= cross,
        f"a buy limited at {cross} filled at an average {filled.avg_price}",
    )
    if Channel.BALANCES in h.adapter.channels:
        if len(orders.balances) == balances_before:
            await h.next(lambda e: isinstance(e, Balance), "a Balance update after the fill")

    # cancel_all reports what it canceled.
    ack = await _call("place_order", client.place_order(resting, timeout=CALL_TIMEOUT))
    await wait_status(h, orders, ack, OrderStatus.OPEN)
    count = await _call("cancel_all", client.cancel_all(symbol, timeout=CALL_TIMEOUT))
    require(isinstance(count, int) and count >= 1, f"cancel_all returned {count!r}")
    await wait_status(h, orders, ack, OrderStatus.CANCELED)

    # Refusals are typed.
    await _refused(
        orders,
        "cancel_order of an unknown order",
        UnknownOrder,
        client.cancel_order(symbol, order_id="tickwire-no-such-order", timeout=CALL_TIMEOUT),
    )
    huge = msgspec.structs.replace(resting, size=size * 10**8, client_id=None)
    await _refused(
        orders,
        "an order beyond the balance",
        InsufficientFunds,
        client.place_order(huge, timeout=CALL_TIMEOUT),
    )
    if inst.size_increment < inst.min_size:
        tiny = msgspec.structs.replace(resting, size=inst.size_increment, client_id=None)
        await _refused(
            orders,
            "an order below the minimum size",
            InvalidOrder,
            client.place_order(tiny, timeout=CALL_TIMEOUT),
        )


def _check_ack(h: Harness, ack: OrderAck, symbol: str, client_id: str | None) -> None:
    require(isinstance(ack, OrderAck), f"place_order returned {ack!r}, not an OrderAck")
    require(ack.venue == h.adapter.name, f"OrderAck.venue is {ack.venue!r}")
    require(ack.symbol == symbol, f"OrderAck.symbol is {ack.symbol!r}, not {symbol!r}")
    require(ack.order_id, "OrderAck has no order_id")
    require(ack.ts > 0, f"OrderAck.ts is {ack.ts}")
    if client_id is None:
        require(ack.client_id, "no client_id was generated for an order placed without one")
    else:
        require(ack.client_id == client_id, f"OrderAck.client_id is {ack.client_id!r}")


async def wait_status(
    h: Harness, orders: OrderTracker, ack: OrderAck, status: OrderStatus
) -> OrderUpdate:
    """Wait until the order of ``ack`` reaches ``status`` (its updates may precede the ack)."""

    def latest() -> OrderUpdate | None:
        for key in (ack.order_id, ack.client_id):
            if key is not None and key in orders.by_key:
                return orders.by_key[key][-1]
        return None

    def reached(event: Event) -> bool:
        last = latest()
        if last is not None and last.status.is_terminal and last.status is not status:
            raise CheckFailed(f"order {ack.order_id} ended {last.status}, expected {status}")
        return last is not None and last.status is status

    update = latest()
    if update is None or update.status is not status:
        await h.next(reached, f"order {ack.order_id} to become {status}")
        update = latest()
        assert update is not None
    require(update.symbol == ack.symbol, f"OrderUpdate.symbol is {update.symbol!r}")
    return update


def _secrets(h: Harness) -> list[str]:
    credentials = h.credentials
    if credentials is None:
        return []
    return [credentials.api_key, credentials.api_secret, credentials.passphrase or ""]


class _LogCapture(logging.Handler):
    """Every log record emitted while the check runs, formatted, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self._root = logging.getLogger()
        self._level = self._root.level

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))

    def __enter__(self) -> _LogCapture:
        self._level = self._root.level
        self._root.addHandler(self)
        self._root.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._root.removeHandler(self)
        self._root.setLevel(self._level)
