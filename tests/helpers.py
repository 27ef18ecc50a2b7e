"""Reading a client's event stream in tests: one copy of the waits every test module needs.

``pyproject``'s ``pythonpath = ["tests"]`` makes this importable as ``helpers`` from any
test. Every wait has a deadline and fails with what it was waiting for, so a test that
stops receiving fails in seconds instead of eating the suite's timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

E = TypeVar("E")

TIMEOUT = 10.0
"""Seconds any one wait may take; generous, since the emulators answer in milliseconds."""


async def drain(events: AsyncIterator[E]) -> list[E]:
    """Everything already delivered (the stream is sized), without waiting for more."""
    taken: list[E] = []
    while len(events):  # type: ignore[arg-type]
        taken.append(await anext(events))
    return taken


async def until(
    events: AsyncIterator[Any],
    kind: type[E] | None = None,
    *,
    where: Callable[[E], bool] | None = None,
    timeout: float = TIMEOUT,
    into: list[Any] | None = None,
    **match: object,
) -> list[Any]:
    """Every event up to and including the first that matches.

    An event matches when it is a ``kind`` (any type if None), its attributes equal
    ``match`` and ``where`` (if given) accepts it. Each event read is also appended to
    ``into`` as it is read, so a ``where`` can look at everything so far. Fails after
    ``timeout`` seconds, or when the stream ends first.
    """

    def matches(event: Any) -> bool:
        if kind is not None and not isinstance(event, kind):
            return False
        if any(getattr(event, name) != value for name, value in match.items()):
            return False
        return where is None or where(event)

    seen: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            async for event in events:
                seen.append(event)
                if into is not None:
                    into.append(event)
                if matches(event):
                    return seen
    except TimeoutError:
        raise AssertionError(f"{_wanted(kind, where, match)} within {timeout:g}s") from None
    raise AssertionError(f"the stream ended before {_wanted(kind, where, match)}")


async def next_of(
    events: AsyncIterator[Any],
    kind: type[E],
    *,
    where: Callable[[E], bool] | None = None,
    timeout: float = TIMEOUT,
    **match: object,
) -> E:
    """The next ``kind`` whose attributes equal ``match`` (and that ``where`` accepts).

    Events before it are read and dropped. Fails like :func:`until`.
    """
    seen = await until(events, kind, where=where, timeout=timeout, **match)
    return seen[-1]  # type: ignore[no-any-return]


async def take(
    events: AsyncIterator[Any], n: int, kind: type[E], *, timeout: float = TIMEOUT
) -> list[E]:
    """The next ``n`` events of ``kind`` (others are read and dropped)."""
    taken: list[E] = []
    try:
        async with asyncio.timeout(timeout):
            async for event in events:
                if isinstance(event, kind):
                    taken.append(event)
                    if len(taken) == n:
                        return taken
    except TimeoutError:
        raise AssertionError(
            f"{len(taken)} of {n} {kind.__name__} events within {timeout:g}s"
        ) from None
    raise AssertionError(f"the stream ended after {len(taken)} of {n} {kind.__name__} events")


def _wanted(kind: type | None, where: object, match: dict[str, object]) -> str:
    """ "no Ticker with symbol='BTC/USD'": what a failed wait was waiting for."""
    fields = ", ".join(f"{name}={value!r}" for name, value in match.items())
    text = "no " + (kind.__name__ if kind is not None else "event")
    if fields:
        text += f" with {fields}"
    if where is not None:
        text += " accepted by " + getattr(where, "__qualname__", repr(where))
    return text
