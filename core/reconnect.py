"""Reconnect pacing: capped exponential backoff with full jitter, reset after stability.

The reconnect supervisor asks a :class:`Backoff` how long to wait before each attempt
and tells it when a connection came up and went down::

    backoff = Backoff(base=0.5, cap=30.0, stable_after=60.0)
    while True:
        try:
            ws = await open_socket()
        except TransportError:
            await asyncio.sleep(backoff.next_delay())
            continue
        backoff.connected()
        await read_until_closed(ws)
        backoff.disconnected()
        await asyncio.sleep(backoff.next_delay())

Why full jitter: when a venue drops every client at once (a deploy, an outage), clients
that back off by the same schedule come back in synchronized waves. Drawing the whole
delay uniformly from ``[0, envelope]`` spreads them out best, at the cost of sometimes
retrying almost at once.

Why reset only after a *stable* connection: a socket that the venue accepts and then
closes within seconds (bad subscription, expired token) must not restart the schedule
at ``base`` each time, or the client would hammer the venue in a tight loop.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

__all__ = ["Backoff"]

# 2**64 times any sane base is far beyond any cap; capping the exponent keeps the float
# arithmetic from overflowing after a very long outage.
_MAX_EXPONENT = 64


class Backoff:
    """Delays for successive reconnect attempts.

    The delay before attempt ``n`` (counting from 0) is drawn uniformly from
    ``[0, min(cap, base * 2**n)]``. ``attempt`` counts the delays handed out since the
    last reset; it returns to 0 when a connection lasted at least ``stable_after``
    seconds. ``rng`` and ``clock`` are injectable so tests are deterministic.
    """

    __slots__ = ("_clock", "_connected_at", "_rng", "attempt", "base", "cap", "stable_after")

    def __init__(
        self,
        *,
        base: float = 0.5,
        cap: float = 30.0,
        stable_after: float = 60.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if base <= 0:
            raise ValueError(f"base must be positive, got {base}")
        if cap < base:
            raise ValueError(f"cap ({cap}) must be at least base ({base})")
        if stable_after < 0:
            raise ValueError(f"stable_after must not be negative, got {stable_after}")
        self.base = base
        self.cap = cap
        self.stable_after = stable_after
        self.attempt = 0
        """How many delays were handed out since the last reset."""
        # A private Random by default: reseeding or drawing from the global one elsewhere
        # must not change our schedule, and ours must not disturb anyone else's.
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._connected_at: float | None = None

    def envelope(self, attempt: int | None = None) -> float:
        """The largest delay for ``attempt`` (default: the next one)."""
        n = self.attempt if attempt is None else attempt
        return min(self.cap, self.base * 2.0 ** min(n, _MAX_EXPONENT))

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt ("full jitter"); counts the attempt."""
        delay = self._rng.uniform(0.0, self.envelope())
        self.attempt += 1
        return delay

    def connected(self) -> None:
        """Note that a connection just came up."""
        self._connected_at = self._clock()

    def disconnected(self) -> None:
        """Note that the connection went down; reset if it had been up ``stable_after``."""
        if self._connected_at is not None and (
            self._clock() - self._connected_at >= self.stable_after
        ):
            self.attempt = 0
        self._connected_at = None

    def reset(self) -> None:
        """Start the schedule over at ``base`` (say, after the user reconnects by hand)."""
        self.attempt = 0
        self._connected_at = None
