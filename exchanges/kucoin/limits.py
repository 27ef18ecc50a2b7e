"""The venue's limits, counted the way KuCoin counts them (reference §2 and §5).

* :class:`MessageWindow`: client→server messages per connection, 100 per 10 s by
  default, every message counted (pings, subscribes, garbage). A refused message does
  not use a permit: the venue answers it with a 509 error and does not process it.
* :class:`ConnectionStats`: what tests read back about one connection.
* :class:`RestQuota`: the weighted REST pool per 30 s window (public pool per IP).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["ConnectionStats", "MessageWindow", "RestQuota"]


class MessageWindow:
    """A sliding window admitting at most ``limit`` messages in any ``window`` seconds.

    ``admit(now)`` records and admits a message, or refuses it when ``limit`` messages
    were already admitted in ``(now - window, now]``. ``max_seen`` is the largest number
    of admitted messages that ever sat in one window, which by construction never
    exceeds ``limit``: tests assert exactly that.
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()
        self.max_seen = 0

    def admit(self, now: float) -> bool:
        """Whether a message arriving at ``now`` (monotonic seconds) may be processed."""
        times = self._times
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        self.max_seen = max(self.max_seen, len(times))
        return True


@dataclass(slots=True)
class ConnectionStats:
    """Counters of one WebSocket connection; kept after it closes."""

    connect_id: str
    messages: int = 0
    """Client→server messages received (admitted or not)."""
    max_window: int = 0
    """Most admitted messages in any rate window (never above the limit)."""
    rate_refused: int = 0
    """Messages answered ``509 exceed max permits`` and not processed."""
    sub_refused: int = 0
    """Subscribe requests answered 509 (batch size, topic cap, injected)."""
    errors: int = 0
    """Error frames sent, of every code."""
    topics: set[str] = field(default_factory=set)
    """Single-symbol topics currently subscribed (``/market/level2:BTC-USDT``)."""
    closed: str | None = None
    """Why the emulator closed it (``"idle"``, ``"token expired"``), or None."""

    @property
    def refusals(self) -> int:
        """All 509 refusals: rate-limited messages plus refused subscribe requests."""
        return self.rate_refused + self.sub_refused


class RestQuota:
    """Weighted request pools per ``window`` seconds (KuCoin: 30 s, public 2000 per IP).

    ``spend(pool, weight, now)`` returns ``(allowed, remaining, reset_ms)`` for the
    ``gw-ratelimit-*`` headers. The window is fixed, starting at a pool's first request,
    which is how the venue's ``gw-ratelimit-reset`` countdown behaves.
    """

    def __init__(self, limit: int, window: float = 30.0) -> None:
        self.limit = limit
        self.window = window
        self._pools: dict[str, tuple[float, int]] = {}

    def spend(self, pool: str, weight: int, now: float) -> tuple[bool, int, int]:
        """Take ``weight`` from ``pool``; refuse (taking nothing) when it would go negative."""
        start, used = self._pools.get(pool, (now, 0))
        if now - start >= self.window:
            start, used = now, 0
        reset_ms = max(int((start + self.window - now) * 1000), 0)
        if used + weight > self.limit:
            self._pools[pool] = (start, used)
            return False, self.limit - used, reset_ms
        used += weight
        self._pools[pool] = (start, used)
        return True, self.limit - used, reset_ms
