"""Token buckets and the keyed limiter, on a fake clock (nothing really sleeps)."""

from __future__ import annotations

import asyncio
import itertools
import random
from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.core.ratelimit import Quota, RateLimiter, TokenBucket


class FakeTime:
    """A clock that only moves when told to, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        assert delay > 0
        self.sleeps.append(delay)
        self.now += delay
        await asyncio.sleep(0)  # let other tasks observe the new time


def max_in_closed_window(times: list[float], window: float) -> int:
    """The most admissions in any closed interval [t, t + window]."""
    times = sorted(times)
    # The busiest window can always be slid to start at an admission.
    return max((bisect_right(times, t + window) - i for i, t in enumerate(times)), default=0)


def assert_within_quota(times: list[float], quota: Quota) -> None:
    if quota.limit == 1:
        # The documented exception: one per window, spaced at least a window apart.
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= quota.window * (1 - 1e-9) for gap in gaps), min(gaps)
    else:
        assert max_in_closed_window(times, quota.window) <= quota.limit


# --- Quota and TokenBucket ---------------------------------------------------------------


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (5, 0.0), (5, -1.0)])
def test_quota_rejects_nonsense(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="quota"):
        Quota(limit, window)


def test_bucket_starts_full_and_refills_up_to_capacity() -> None:
    t = FakeTime()
    bucket = TokenBucket(3, 2.0, clock=t.clock)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert bucket.delay_for() == pytest.approx(0.5)
    assert bucket.delay_for(2) == pytest.approx(1.0)
    t.now += 0.5
    assert bucket.delay_for() == 0.0
    assert bucket.try_acquire()
    assert not bucket.try_acquire(0.5)
    t.now += 100
    assert bucket.tokens == 3  # capped


def test_bucket_failed_try_takes_nothing_and_fractional_costs_work() -> None:
    t = FakeTime()
    bucket = TokenBucket(2, 1.0, clock=t.clock)
    assert bucket.try_acquire(1.5)
    assert not bucket.try_acquire(1)
    assert bucket.tokens == pytest.approx(0.5)
    assert bucket.try_acquire(0.5)


def test_bucket_cost_above_capacity_fails_loudly() -> None:
    bucket = TokenBucket(2, 1.0)
    with pytest.raises(ValueError, match="capacity"):
        bucket.try_acquire(3)
    with pytest.raises(ValueError, match="capacity"):
        bucket.delay_for(3)
    with pytest.raises(ValueError, match="negative"):
        bucket.try_acquire(-1)


@pytest.mark.parametrize(("capacity", "rate"), [(0, 1.0), (1, 0.0)])
def test_bucket_rejects_nonsense(capacity: float, rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity, rate)


def test_plain_bucket_would_double_the_quota() -> None:
    # Why from_quota halves: the naive bucket admits 2x limit within one window.
    t = FakeTime()
    naive = TokenBucket(10, 10 / 1.0, clock=t.clock)
    times = []
    for _ in range(200):
        while naive.try_acquire():
            times.append(t.now)
        t.now += 0.01
    assert max_in_closed_window(times, 1.0) > 10

    t = FakeTime()
    sound = TokenBucket.from_quota(Quota(10, 1.0), clock=t.clock)
    times = []
    for _ in range(200):
        while sound.try_acquire():
            times.append(t.now)
        t.now += 0.01
    assert max_in_closed_window(times, 1.0) == 10


def test_from_quota_splits_burst_and_refill() -> None:
    bucket = TokenBucket.from_quota(Quota(100, 10.0))
    assert (bucket.capacity, bucket.refill_per_second) == (50, 5.0)
    single = TokenBucket.from_quota(Quota(1, 4.0))
    assert (single.capacity, single.refill_per_second) == (1.0, 0.25)


quotas = st.builds(
    Quota,
    st.integers(min_value=1, max_value=40),
    st.sampled_from([0.05, 0.3, 1.0, 3.0, 10.0, 60.0]),
)


@settings(max_examples=200, deadline=None)
@given(quota=quotas, gaps=st.lists(st.floats(0, 2), min_size=1, max_size=150))
def test_greedy_client_never_exceeds_the_quota(quota: Quota, gaps: list[float]) -> None:
    """A client grabbing every token it can at arbitrary moments stays within quota."""
    t = FakeTime()
    bucket = TokenBucket.from_quota(quota, clock=t.clock)
    times: list[float] = []
    for gap in gaps:
        t.now += gap * quota.window
        while bucket.try_acquire():
            times.append(t.now)
    assert_within_quota(times, quota)


@settings(max_examples=200, deadline=None)
@given(quota=quotas, seed=st.integers(0, 2**32 - 1))
def test_paced_client_never_exceeds_the_quota_and_keeps_going(quota: Quota, seed: int) -> None:
    """A client waking exactly when delay_for says (the float edge cases) stays in quota."""
    rng = random.Random(seed)
    t = FakeTime()
    bucket = TokenBucket.from_quota(quota, clock=t.clock)
    times: list[float] = []
    start, quiet = t.now, 0.0
    for _ in range(300):
        if rng.random() < 0.05:
            spell = rng.uniform(0, 2) * quota.window  # a quiet spell refills the burst
            t.now += spell
            quiet += spell
        t.now += bucket.delay_for()
        assert bucket.try_acquire()  # delay_for's promise holds
        times.append(t.now)
    assert_within_quota(times, quota)
    # And it is not stingier than designed: while busy, it runs at the refill rate.
    busy = t.now - start - quiet
    assert len(times) >= bucket.refill_per_second * busy - 1e-6


# --- RateLimiter -------------------------------------------------------------------------


def test_try_acquire_takes_from_every_key_or_none() -> None:
    t = FakeTime()
    limiter = RateLimiter({"a": Quota(4, 1.0), "b": Quota(2, 1.0)}, clock=t.clock)
    assert limiter.try_acquire("a", "b")  # a: 1 left, b: 0 left
    assert not limiter.try_acquire("a", "b")
    assert limiter.try_acquire("a")  # the failed call took nothing from "a"
    assert not limiter.try_acquire("a")
    assert limiter.try_acquire()  # no keys: nothing to limit


def test_duplicate_key_is_charged_once() -> None:
    limiter = RateLimiter({"a": Quota(4, 1.0)}, clock=FakeTime().clock)
    assert limiter.try_acquire("a", "a", cost=2)
    assert not limiter.try_acquire("a")


def test_unknown_key_and_impossible_cost_fail_loudly() -> None:
    limiter = RateLimiter({"a": Quota(4, 1.0)})
    with pytest.raises(KeyError, match="'nope'"):
        limiter.try_acquire("a", "nope")
    with pytest.raises(ValueError, match="capacity"):
        limiter.try_acquire("a", cost=3)


def test_add_replace_remove() -> None:
    t = FakeTime()
    limiter = RateLimiter(clock=t.clock)
    limiter.add("conn:1", Quota(2, 1.0))
    assert "conn:1" in limiter
    assert limiter.try_acquire("conn:1")
    assert not limiter.try_acquire("conn:1")
    limiter.add("conn:1", Quota(2, 1.0))  # a new socket: a fresh bucket
    assert limiter.try_acquire("conn:1")
    limiter.remove("conn:1")
    limiter.remove("conn:1")
    assert "conn:1" not in limiter
    with pytest.raises(KeyError):
        limiter.try_acquire("conn:1")


async def test_acquire_waits_exactly_until_tokens_refill() -> None:
    t = FakeTime()
    limiter = RateLimiter({"a": Quota(4, 2.0)}, clock=t.clock, sleep=t.sleep)  # 2 + 1/s
    await limiter.acquire("a")
    await limiter.acquire("a")
    assert t.sleeps == []
    await limiter.acquire("a")
    assert t.now == pytest.approx(1001.0)
    await limiter.acquire("a", cost=2)
    assert t.now == pytest.approx(1003.0)


async def test_acquire_waits_for_the_slowest_key_then_takes_all() -> None:
    t = FakeTime()
    limiter = RateLimiter(
        {"fast": Quota(10, 1.0), "slow": Quota(2, 10.0)}, clock=t.clock, sleep=t.sleep
    )
    await limiter.acquire("fast", "slow")
    before = limiter._buckets["fast"].tokens
    await limiter.acquire("fast", "slow")
    assert t.now == pytest.approx(1010.0)  # "slow" refills 1 token per 10 s
    # "fast" was charged once, at the end, not while waiting for "slow".
    assert limiter._buckets["fast"].tokens == pytest.approx(min(5, before + 50) - 1)


async def test_waiters_are_served_first_come_first_served() -> None:
    t = FakeTime()
    gate = asyncio.Event()

    async def gated_sleep(delay: float) -> None:
        await gate.wait()  # time stands still until the test has queued everyone
        t.now += delay

    limiter = RateLimiter(
        {"a": Quota(2, 1.0), "b": Quota(10, 1.0)}, clock=t.clock, sleep=gated_sleep
    )
    assert limiter.try_acquire("a")  # "a" is empty now
    order: list[str] = []

    async def worker(name: str, key: str) -> None:
        await limiter.acquire(key)
        order.append(name)

    async with asyncio.TaskGroup() as tg:
        for name, key in [("first", "a"), ("second", "b"), ("third", "a"), ("fourth", "a")]:
            tg.create_task(worker(name, key))
            await asyncio.sleep(0)  # fix the arrival order
        # "second" needs only "b", which has tokens, yet it queues behind "first"; and a
        # newcomer may not grab "b"'s idle tokens either.
        assert order == []
        assert not limiter.try_acquire("b")
        gate.set()
    assert order == ["first", "second", "third", "fourth"]
    assert limiter.try_acquire("b")


async def test_cancelled_waiter_takes_nothing_and_unblocks_the_queue() -> None:
    t = FakeTime()
    blocked = asyncio.Event()

    async def stuck_sleep(delay: float) -> None:
        blocked.set()
        await asyncio.Future()  # never wakes by itself

    limiter = RateLimiter({"a": Quota(2, 1.0)}, clock=t.clock, sleep=stuck_sleep)
    assert limiter.try_acquire("a")
    waiter = asyncio.create_task(limiter.acquire("a"))
    await blocked.wait()
    assert not limiter.try_acquire("a")  # queued behind the waiter
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    t.now += 1.0
    assert limiter.try_acquire("a")  # nothing was taken by the cancelled waiter


async def test_removed_key_stops_constraining_a_waiter() -> None:
    t = FakeTime()

    async def socket_closes(delay: float) -> None:
        limiter.remove("conn")
        await asyncio.sleep(0)

    limiter = RateLimiter({"conn": Quota(2, 100.0)}, clock=t.clock, sleep=socket_closes)
    assert limiter.try_acquire("conn")
    await limiter.acquire("conn")  # returns once the key is gone, without 100 s
    assert t.now == 1000.0


@settings(max_examples=40, deadline=None)
@given(quota=quotas, workers=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
async def test_concurrent_acquirers_never_exceed_the_quota(
    quota: Quota, workers: int, seed: int
) -> None:
    rng = random.Random(seed)
    t = FakeTime()
    limiter = RateLimiter({"k": quota}, clock=t.clock, sleep=t.sleep)
    times: list[float] = []

    async def worker() -> None:
        for _ in range(30):
            await limiter.acquire("k")
            times.append(t.now)
            if rng.random() < 0.2:
                await asyncio.sleep(0)

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())
    assert len(times) == 30 * workers
    assert_within_quota(times, quota)


async def test_a_long_wait_is_one_info_line_and_pacing_is_silent(caplog) -> None:
    t = FakeTime()
    limiter = RateLimiter({"venue:orders": Quota(1, 2.0)}, clock=t.clock, sleep=t.sleep)
    with caplog.at_level("INFO", logger="tickwire.core.ratelimit"):
        await limiter.acquire("venue:orders")  # the one token: no wait
        await limiter.acquire("venue:orders")  # waits 2 s for the refill: one line
    assert [r.getMessage() for r in caplog.records] == ["rate limit venue:orders: waiting 2.00s"]
