"""One call's time budget, shared by every step the call takes.

An order call may take several steps (wait for the socket, send, await the reply, look the
order up after a lost reply); each step spends from the same budget, so the call as a
whole is over on time and fails with one error, :class:`~tickwire.core.errors.RequestTimeout`::

    deadline = Deadline(config.request_timeout, "kraken add_order")
    await context.wait_ready(session, deadline)
    reply = await deadline.run(session.request(req_id, frame, deadline.remaining, what))
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from tickwire.core.errors import RequestTimeout

__all__ = ["Deadline"]

T = TypeVar("T")


class Deadline:
    """``seconds`` from now on the event loop's clock; ``what`` names the call in errors."""

    __slots__ = ("_at", "seconds", "what")

    def __init__(self, seconds: float, what: str = "request") -> None:
        self.seconds = seconds
        self.what = what
        self._at = asyncio.get_running_loop().time() + seconds

    def __repr__(self) -> str:
        return f"Deadline({self.what!r}, {self.remaining:.3g}s left of {self.seconds:g}s)"

    @property
    def at(self) -> float:
        """When the budget ends, on the loop's clock (for ``asyncio.timeout_at``)."""
        return self._at

    @property
    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self._at - asyncio.get_running_loop().time())

    @property
    def expired(self) -> bool:
        """True once the budget is spent."""
        return asyncio.get_running_loop().time() >= self._at

    def error(self) -> RequestTimeout:
        """The one error of a call whose budget ran out."""
        return RequestTimeout(f"{self.what}: no reply within {self.seconds:g}s")

    def check(self) -> float:
        """The seconds left; raises :class:`RequestTimeout` when there are none."""
        remaining = self.remaining
        if remaining <= 0:
            raise self.error()
        return remaining

    async def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` within the budget; :class:`RequestTimeout` when it runs out.

        A ``TimeoutError`` raised by ``awaitable`` itself (not by this budget) passes
        through unchanged.
        """
        scope = asyncio.timeout_at(self._at)
        try:
            async with scope:
                return await awaitable
        except TimeoutError:
            if scope.expired():
                raise self.error() from None
            raise
