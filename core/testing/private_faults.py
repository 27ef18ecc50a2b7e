"""Private-side fault checks: order requests lost, delayed or unanswered; tokens expired.

Each check runs when the adapter declares ``private=True``, the emulator hands out
``credentials()`` and has the fault hook it needs (see the ``Emulator`` table in
:mod:`tickwire.core.hookspecs`); otherwise it is skipped and says what was missing.
Every order call carries its own timeout and must end within it (plus slack): a call
that hangs fails the check.

=====================  ==================================================================
check                  what must hold
=====================  ==================================================================
``order_lost_before``  ``fail_next_order("before")``: ``place_order`` raises a typed
                       error in time; the venue holds no order with that client id; the
                       next order works
``order_lost_after``   ``fail_next_order("after")``: ``place_order`` ends in time (typed
                       error, or an ack of that very order); the venue holds exactly one
                       order with that client id, and still one after the next order
``order_delayed``      ``delay_next_order(s)``: ``place_order`` returns its ack after
                       ``s`` seconds, not before, and the order opens
``order_held``         ``hold_next_order()``: ``place_order`` ends within its timeout,
                       with ``RequestTimeout`` (or an ack of the order the venue holds,
                       if the library recovered it); the next order works
``token_expiry``       ``expire_tokens()``: the stream reconnects and resubscribes; a new
                       order opens and is canceled, seen on the private stream
=====================  ==================================================================
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from tickwire.core.errors import RequestTimeout, TickwireError
from tickwire.core.ids import new_client_id
from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness, require
from tickwire.core.testing.orders import OrderSetup, OrderTracker, order_setup, wait_status
from tickwire.core.types import Channel, OrderAck, OrderStatus, StreamState, StreamStatus

__all__ = [
    "FAULT_CALL_TIMEOUT",
    "check_order_delayed",
    "check_order_held",
    "check_order_lost_after",
    "check_order_lost_before",
    "check_token_expiry",
]

FAULT_CALL_TIMEOUT = 3.0
"""The timeout each order call under a fault carries."""
HOLD_TIMEOUT = 1.0
"""The timeout of the call whose reply the venue holds (it must give up by then)."""
DELAY = 0.6
"""Seconds ``delay_next_order`` holds the reply back (under the call's timeout)."""
_T = FAULT_CALL_TIMEOUT
_SLACK = 1.5  # seconds a call may overrun its own timeout before it counts as hung
_EARLY = 0.05  # clock tolerance when checking that a delayed reply was not early


class _Private:
    """A private check's state: the setup, the tracked order updates, the hooks."""

    def __init__(self, h: Harness, setup: OrderSetup, orders: OrderTracker) -> None:
        self.h = h
        self.setup = setup
        self.orders = orders

    def request(self) -> tuple[str, Any]:
        """A fresh client id and a resting order carrying it."""
        client_id = new_client_id()
        return client_id, msgspec.structs.replace(self.setup.resting, client_id=client_id)

    async def works(self) -> None:
        """A normal order opens (seen on the private stream) and is canceled again."""
        client_id, request = self.request()
        client = self.h.client
        ack, _ = await _timed(
            "place_order", client.place_order(request, timeout=FAULT_CALL_TIMEOUT)
        )
        if not isinstance(ack, OrderAck):
            raise CheckFailed(f"after the fault, a normal place_order raised {ack!r}")
        require(ack.client_id == client_id, f"OrderAck.client_id is {ack.client_id!r}")
        await wait_status(self.h, self.orders, ack, OrderStatus.OPEN)
        cancel = client.cancel_order(ack.symbol, order_id=ack.order_id, timeout=FAULT_CALL_TIMEOUT)
        done, _ = await _timed("cancel_order", cancel)
        if not isinstance(done, OrderAck):
            raise CheckFailed(f"after the fault, a normal cancel_order raised {done!r}")
        await wait_status(self.h, self.orders, ack, OrderStatus.CANCELED)


def _hook(h: Harness, name: str) -> Callable[..., Any]:
    hook = h.hook(name)
    if hook is None:
        raise CheckSkipped(f"emulator {h.emulator_spec.name!r} has no {name}() hook")
    return hook


def _count(h: Harness) -> Callable[[str], int]:
    return _hook(h, "orders_with_client_id")


async def _private(h: Harness) -> _Private:
    if not h.adapter.private:
        raise CheckSkipped(f"adapter {h.adapter.name!r} declares no private support")
    if h.credentials is None:
        raise CheckSkipped("the emulator gave no credentials")
    orders = OrderTracker()
    h.observers.append(orders)
    (symbol,) = await h.pick_symbols(1)
    instrument = (await h.instruments()).get(symbol)
    if instrument is None:
        raise CheckSkipped("the order checks need the adapter's instruments")
    return _Private(h, await order_setup(h, symbol, instrument), orders)


async def _timed(what: str, awaitable: Awaitable[Any], timeout: float = FAULT_CALL_TIMEOUT) -> Any:
    """``(result or TickwireError, seconds)``; a call outliving its timeout has hung."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    result: Any
    try:
        async with asyncio.timeout(timeout + _SLACK) as bound:
            result = await awaitable
    except TickwireError as exc:
        result = exc
    except TimeoutError:
        if not bound.expired():
            raise CheckFailed(f"{what} raised a bare TimeoutError, not RequestTimeout") from None
        raise CheckFailed(f"{what} hung past its {timeout:g}s timeout") from None
    except Exception as exc:
        raise CheckFailed(f"{what} raised {exc!r}, not a TickwireError") from None
    took = loop.time() - started
    require(took <= timeout + _SLACK, f"{what} took {took:.2f}s, its timeout was {timeout:g}s")
    return result, took


async def check_order_lost_before(h: Harness) -> None:
    """The order request is lost before the venue sees it: a typed error, nothing placed."""
    fail, count = _hook(h, "fail_next_order"), _count(h)
    p = await _private(h)
    client_id, request = p.request()
    fail("before")
    result, _ = await _timed(
        "place_order", h.client.place_order(request, timeout=FAULT_CALL_TIMEOUT)
    )
    require(
        isinstance(result, TickwireError),
        f"place_order returned {result!r} for an order the venue never saw",
    )
    require(count(client_id) == 0, "an order the venue never saw was placed after all")
    await p.works()
    require(count(client_id) == 0, "the lost order was sent again later")


async def check_order_lost_after(h: Harness) -> None:
    """The venue placed the order, the reply was lost: it exists once, never sent twice."""
    fail, count = _hook(h, "fail_next_order"), _count(h)
    p = await _private(h)
    client_id, request = p.request()
    fail("after")
    result, _ = await _timed(
        "place_order", h.client.place_order(request, timeout=FAULT_CALL_TIMEOUT)
    )
    if isinstance(result, OrderAck):
        require(result.client_id == client_id, f"the recovered ack is of {result.client_id!r}")
    require(count(client_id) == 1, f"the venue holds {count(client_id)} orders of one request")
    await p.works()
    require(count(client_id) == 1, f"the order was sent again: {count(client_id)} at the venue")


async def check_order_delayed(h: Harness) -> None:
    """A slow reply: the call waits for it (not a timeout, not early) and the order opens."""
    delay = _hook(h, "delay_next_order")
    p = await _private(h)
    client_id, request = p.request()
    delay(DELAY)
    result, took = await _timed(
        "place_order", h.client.place_order(request, timeout=FAULT_CALL_TIMEOUT)
    )
    if not isinstance(result, OrderAck):
        raise CheckFailed(f"a place_order answered {DELAY:g}s late raised {result!r}")
    require(took >= DELAY - _EARLY, f"place_order returned after {took:.2f}s, before its reply")
    require(result.client_id == client_id, f"OrderAck.client_id is {result.client_id!r}")
    await wait_status(h, p.orders, result, OrderStatus.OPEN)


async def check_order_held(h: Harness) -> None:
    """An unanswered request: ``RequestTimeout`` within the call's timeout, no hang."""
    hold = _hook(h, "hold_next_order")
    p = await _private(h)
    client_id, request = p.request()
    hold()
    call = h.client.place_order(request, timeout=HOLD_TIMEOUT)
    result, _ = await _timed("place_order", call, HOLD_TIMEOUT)
    if isinstance(result, OrderAck):
        # The library found the order another way (the venue did place it): also right.
        count = h.hook("orders_with_client_id")
        require(result.client_id == client_id, f"the recovered ack is of {result.client_id!r}")
        require(count is None or count(client_id) == 1, "the held order was placed twice")
    else:
        require(
            isinstance(result, RequestTimeout),
            f"an unanswered place_order raised {result!r}, not RequestTimeout",
        )
    await p.works()


async def check_token_expiry(h: Harness) -> None:
    """Expired tokens end the private session: the stream comes back, orders work again."""
    expire = _hook(h, "expire_tokens")
    p = await _private(h)
    async with asyncio.timeout(h.timeout):
        # The harness reads any RECONNECTING as "every book restarts from a snapshot";
        # a venue that only ends the private session keeps the public book going, so
        # the book (needed only for the prices) goes first.
        await h.client.unsubscribe(Channel.BOOK, [p.setup.symbol])
        await expire()
    await _all_back(h, "expire_tokens()")
    await p.works()


async def _all_back(h: Harness, cause: str) -> None:
    """Wait until every session that reported RECONNECTING has reported RESUBSCRIBED.

    A venue whose tokens serve several sockets (KuCoin: every shard and the private
    socket) drops them all; an order placed when only the first is back would miss the
    private socket's pushes. Statuses name their session first (``"private: ..."``).
    """
    first = await h.next_of(
        StreamStatus, f"RECONNECTING after {cause}", state=StreamState.RECONNECTING
    )
    down = {_session(first)}
    while down:
        status = await h.next_of(StreamStatus, f"RESUBSCRIBED of {sorted(down)} after {cause}")
        if status.state is StreamState.RECONNECTING:
            down.add(_session(status))
        elif status.state is StreamState.RESUBSCRIBED:
            down.discard(_session(status))


def _session(status: StreamStatus) -> str:
    return status.reason.partition(":")[0]
