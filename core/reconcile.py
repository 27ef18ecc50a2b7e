"""What became of an order request whose reply was lost: ask the venue, never send twice.

An order placement must reach the venue at most once. When its exchange fails after the
request may have left (a reset, a timeout, a 5xx, a garbled reply: :func:`maybe_sent`),
the adapter does not send it again: it asks the venue about the order's client id, which
was fixed before the first byte was sent::

    try:
        reply = await send(order)
    except (RequestTimeout, TransportError, DecodeError) as exc:
        if not maybe_sent(exc):
            raise                                   # provably never left: nothing to ask
        order = await reconcile(lookup, deadline, exc, what=f"kucoin: order {client_id}")

``lookup(deadline)`` is the venue's question (KuCoin: ``GET .../client-order/{id}``;
a venue with an order snapshot on reconnect: wait for it, then read it): the order, or
None when the venue answers that it has none. :func:`reconcile` returns the order, or
raises :class:`~tickwire.core.errors.Disconnected` when the venue, asked after a failed
connection, twice had none (the request never arrived: placing again with the same client
id is safe), or :class:`~tickwire.core.errors.RequestTimeout` when the deadline passed
without an answer (the outcome is unknown). After a timeout the request may still be
queued at the venue, so a miss is not an answer: it asks until the deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import httpx

from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    DecodeError,
    Disconnected,
    RequestTimeout,
    TickwireError,
    TransportError,
)

__all__ = [
    "NOT_SENT",
    "RECHECK_DELAY",
    "lookup_until",
    "maybe_sent",
    "reconcile",
    "reconcile_each",
]

T = TypeVar("T")
Lookup = Callable[[Deadline], Awaitable[T | None]]

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""HTTP failures (a core error's ``__cause__``) that prove the request never left."""
RECHECK_DELAY = 0.2
"""Seconds between the first two lookups; doubled after each, up to a second."""


def maybe_sent(exc: BaseException) -> bool:
    """True when a failed request may still have reached the venue (its reply was lost)."""
    if isinstance(exc, DecodeError):
        return True
    return isinstance(exc, TransportError | RequestTimeout) and not isinstance(
        exc.__cause__, NOT_SENT
    )


async def lookup_until(lookup: Lookup[T], deadline: Deadline, *, checks: int | None) -> T | None:
    """Call ``lookup`` until it finds the order, answers None ``checks`` times (``None``:
    never enough), or ``deadline`` passes. A lookup that fails (any
    :class:`~tickwire.core.errors.TickwireError`) is no answer: it is asked again."""
    misses = 0
    delay = RECHECK_DELAY
    while not deadline.expired:
        try:
            found = await lookup(deadline)
        except TickwireError:
            pass  # neither found nor missing: ask again
        else:
            if found is not None:
                return found
            misses += 1
            if checks is not None and misses >= checks:
                return None
        pause = min(delay, deadline.remaining)
        if pause > 0:
            await asyncio.sleep(pause)  # pacing between lookups, not awaiting an event
        delay = min(delay * 2, 1.0)
    return None


async def reconcile(lookup: Lookup[T], deadline: Deadline, cause: BaseException, *, what: str) -> T:
    """The order a request whose reply was lost (``cause``) placed, or a typed error (see
    the module docstring); ``what`` names the order in the error."""
    # After a timeout the request may still be queued at the venue: ask until the
    # deadline. After a reset the venue has had its chance: two misses settle it.
    checks = None if isinstance(cause, RequestTimeout) else 2
    found = await lookup_until(lookup, deadline, checks=checks)
    if found is not None:
        return found
    if checks is not None and not deadline.expired:
        raise Disconnected(
            f"{what} not found after the connection failed ({type(cause).__name__}): it "
            "was not placed; placing it again with the same client_id is safe"
        ) from cause
    raise RequestTimeout(
        f"{what}: no answer in time; the outcome is unknown, "
        "placing it again with the same client_id is safe"
    ) from cause


async def reconcile_each(
    resolve: Callable[[str], Awaitable[T]], client_ids: Iterable[str], cause: BaseException
) -> tuple[list[T], dict[str, TickwireError]]:
    """A batch whose reply was lost: ``resolve(client_id)`` (a :func:`reconcile` of one
    order) for each, at once. The found ones in order, and each other one's typed error
    by client id; anything but a :class:`~tickwire.core.errors.TickwireError` is raised."""
    ids = list(client_ids)
    outcomes = await asyncio.gather(*(resolve(cid) for cid in ids), return_exceptions=True)
    found: list[T] = []
    failures: dict[str, TickwireError] = {}
    for cid, outcome in zip(ids, outcomes, strict=True):
        if isinstance(outcome, TickwireError):
            failures[cid] = outcome
        elif isinstance(outcome, BaseException):
            raise outcome from cause
        else:
            found.append(outcome)
    return found, failures
