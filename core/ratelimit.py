"""Keyed token buckets: stay inside every venue limit before the venue has to say no.

Adapters *declare* their venue's limits as :class:`Quota` values under string keys
(``"kucoin:public"``, ``"kucoin:conn:3"``); every REST call and WebSocket send first
acquires every key that applies to it::

    limiter = RateLimiter({"kucoin:orders": Quota(limit=45, window=3.0)})
    limiter.add("kucoin:conn:3", Quota(limit=100, window=10.0))   # one per socket
    await limiter.acquire("kucoin:orders", "kucoin:conn:3")        # both, or wait
    ...
    limiter.remove("kucoin:conn:3")                                 # socket closed

Why a quota is *half* a bucket. A token bucket of capacity ``limit`` refilling
``limit / window`` admits a full burst after a quiet spell and then, within the same
``window``, the ``limit`` tokens that refill meanwhile: up to twice the quota in one
window, and a venue counting a sliding window says no. In any (closed) interval of
``window`` seconds a bucket admits at most its capacity plus what refills during the
interval, so :meth:`TokenBucket.from_quota` splits the quota evenly:
capacity ``limit / 2`` and refill ``(limit / 2) / window``, which sums to exactly
``limit``. The price is that the sustained rate is half the quota (the burst gets the
other half); for the venue limits tickwire meets that is ample, and a rejected request
costs far more than a slightly slower one. A quota of 1 is the one exception: a bucket
must hold at least one token, so it gets capacity 1 refilling ``1 / window``, that is
one admission per ``window``, spaced at least ``window`` apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import msgspec

__all__ = ["Quota", "RateLimiter", "TokenBucket"]

log = logging.getLogger(__name__)

LOG_WAITS_FROM = 0.5
"""Waits this long (seconds) or longer are logged at INFO, one line each: shorter ones are
the limiter's ordinary pacing."""

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Float slack when comparing tokens: after sleeping exactly delay_for(cost), the refill
# may come out one ulp short of cost; without slack the waiter would loop on ever tinier
# delays (forever, with a fake clock that stops advancing). Admissions are whole
# numbers, so a billionth of a token never lets an extra one through.
_SLACK = 1e-9


class Quota(msgspec.Struct, frozen=True):
    """A venue limit: at most ``limit`` (cost units) in any ``window`` seconds."""

    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"quota limit must be at least 1, got {self.limit}")
        if self.window <= 0:
            raise ValueError(f"quota window must be positive, got {self.window}")


class TokenBucket:
    """A token bucket: starts full at ``capacity``, refills continuously, never overflows.

    Not a coroutine-aware object: it only answers "may I, now?" and "how long until I
    may?" against ``clock`` (injectable for tests). :class:`RateLimiter` does the
    waiting.
    """

    __slots__ = ("_clock", "_tokens", "_updated", "capacity", "refill_per_second")

    def __init__(
        self, capacity: float, refill_per_second: float, *, clock: Clock = time.monotonic
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        if refill_per_second <= 0:
            raise ValueError(f"refill_per_second must be positive, got {refill_per_second}")
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    @classmethod
    def from_quota(cls, quota: Quota, *, clock: Clock = time.monotonic) -> TokenBucket:
        """A bucket that never admits more than ``quota.limit`` in any ``quota.window``.

        See the module docstring for why that means half the quota as burst.
        """
        if quota.limit == 1:
            return cls(1.0, 1.0 / quota.window, clock=clock)
        half = quota.limit / 2
        return cls(half, half / quota.window, clock=clock)

    @property
    def tokens(self) -> float:
        """Tokens available now."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._updated
        if elapsed > 0:  # a clock that stepped back adds nothing
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
            self._updated = now

    def check_cost(self, cost: float) -> None:
        """Raise :class:`ValueError` for a negative cost, or one that could never fit."""
        if cost < 0:
            raise ValueError(f"cost must not be negative, got {cost}")
        if cost > self.capacity:
            # Waiting would never help: fail loudly instead of hanging.
            raise ValueError(f"cost {cost} exceeds the bucket's capacity {self.capacity}")

    def try_acquire(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if they are there now; ``False`` (taking none) otherwise."""
        self.check_cost(cost)
        self._refill()
        if self._tokens + _SLACK >= cost:
            # May leave a debt of at most _SLACK, which the next refill pays back.
            self._tokens -= cost
            return True
        return False

    def delay_for(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens will be available (0 when they are now)."""
        self.check_cost(cost)
        self._refill()
        missing = cost - self._tokens
        if missing <= _SLACK:
            return 0.0
        return missing / self.refill_per_second


_NO_QUOTAS: Mapping[str, Quota] = MappingProxyType({})


class RateLimiter:
    """Token buckets by key; an acquisition takes from several keys at once.

    :meth:`acquire` waits until *every* named key has the tokens, then takes them all
    together (never some now and the rest later, which would waste quota on the keys
    that were ready). Waiters are served strictly first come, first served across the
    whole limiter: a later request never overtakes an earlier one, even for other keys,
    so that a busy key cannot starve a request that needs it plus a quiet one. Adapters
    wanting independent queues use separate limiters.

    ``clock`` and ``sleep`` are injectable so tests can run on a fake clock.
    """

    def __init__(
        self,
        quotas: Mapping[str, Quota] = _NO_QUOTAS,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        # asyncio.Lock hands itself to waiters in arrival order and lets no newcomer
        # barge in while any are queued: the FIFO fairness we promise. ``_waiting``
        # counts tasks inside or queued on it, so the lock-free fast paths also step
        # aside for them (lock.locked() alone is briefly False during a hand-over).
        self._queue = asyncio.Lock()
        self._waiting = 0
        for key, quota in quotas.items():
            self.add(key, quota)

    def __contains__(self, key: object) -> bool:
        """True when ``key`` has a quota."""
        return key in self._buckets

    def add(self, key: str, quota: Quota) -> None:
        """Add the quota for ``key``, or replace it with a fresh, full bucket.

        A fresh bucket is right for a per-connection key re-added on a new socket; do not
        re-add a key that is in use only to "update" it, as that grants a new burst.
        """
        self._buckets[key] = TokenBucket.from_quota(quota, clock=self._clock)

    def remove(self, key: str) -> None:
        """Drop ``key``'s quota (absent is fine); a waiter no longer waits for it."""
        self._buckets.pop(key, None)

    def _buckets_for(self, keys: tuple[str, ...], cost: float) -> list[TokenBucket]:
        # dict.fromkeys: a key named twice is still charged once.
        names = dict.fromkeys(keys)
        missing = [key for key in names if key not in self._buckets]
        if missing:
            # An unknown key is a typo in the adapter: charging nothing would silently
            # disable the limit, so refuse.
            raise KeyError(f"no quota for rate-limit key(s) {', '.join(map(repr, missing))}")
        buckets = [self._buckets[key] for key in names]
        for bucket in buckets:
            bucket.check_cost(cost)
        return buckets

    def _take_if_ready(self, buckets: list[TokenBucket], cost: float) -> float:
        """Take from every bucket if all are ready and return 0; else the longest wait."""
        delay = max((bucket.delay_for(cost) for bucket in buckets), default=0.0)
        if delay == 0.0:
            # No await between checking and taking: atomic with respect to other tasks.
            for bucket in buckets:
                bucket.try_acquire(cost)
        return delay

    def try_acquire(self, *keys: str, cost: float = 1.0) -> bool:
        """Take ``cost`` from every key now if all have it; ``False`` (taking none) if not.

        Also ``False`` while other tasks are waiting in :meth:`acquire`: they came first.
        Raises :class:`KeyError` for a key without a quota, and :class:`ValueError` when
        ``cost`` exceeds a bucket's capacity.
        """
        buckets = self._buckets_for(keys, cost)
        if self._waiting:
            return False
        return self._take_if_ready(buckets, cost) == 0.0

    async def acquire(self, *keys: str, cost: float = 1.0) -> None:
        """Wait until every key has ``cost`` tokens, then take them all at once.

        Raises like :meth:`try_acquire`. Cancelling the wait takes nothing. A key
        removed while waiting stops constraining the wait; a key replaced meanwhile
        constrains it with its new bucket.
        """
        buckets = self._buckets_for(keys, cost)
        if not self._waiting and self._take_if_ready(buckets, cost) == 0.0:
            return  # fast path: nobody queued, tokens available
        self._waiting += 1
        try:
            async with self._queue:
                logged = False
                while True:
                    # Look the keys up afresh each round, as queueing and sleeping take
                    # time: a socket that closed meanwhile had its key removed (it no
                    # longer constrains us); a new socket re-added its key with a fresh
                    # bucket (that one applies).
                    live = tuple(key for key in keys if key in self._buckets)
                    delay = self._take_if_ready(self._buckets_for(live, cost), cost)
                    if delay == 0.0:
                        return
                    if delay >= LOG_WAITS_FROM and not logged:  # one line per long wait
                        log.info("rate limit %s: waiting %.2fs", ", ".join(live), delay)
                        logged = True
                    await self._sleep(delay)
        finally:
            self._waiting -= 1
