"""Backoff: capped exponential envelope, full jitter, reset only after a stable period."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tickwire.core.reconnect import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock | None = None, seed: int = 7, **kwargs: float) -> Backoff:
    return Backoff(rng=random.Random(seed), clock=clock or FakeClock(), **kwargs)


def test_delays_stay_within_the_capped_exponential_envelope() -> None:
    backoff = make(base=0.5, cap=30.0)
    for n in range(200):
        envelope = min(30.0, 0.5 * 2**n)
        assert backoff.envelope() == envelope
        assert backoff.attempt == n
        delay = backoff.next_delay()
        assert 0.0 <= delay <= envelope
    assert backoff.attempt == 200


def test_the_envelope_grows_then_caps() -> None:
    backoff = make(base=0.5, cap=30.0)
    assert [backoff.envelope(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.envelope(10_000) == 30.0  # no float overflow after a long outage


def test_delays_are_jittered_over_the_whole_envelope() -> None:
    # Once capped, every delay is uniform on [0, cap]: they differ, and they spread over
    # the range instead of clustering at the top (which plain "equal jitter" would do).
    backoff = make(base=1.0, cap=8.0)
    for _ in range(4):
        backoff.next_delay()
    delays = [backoff.next_delay() for _ in range(400)]
    assert len(set(delays)) == len(delays)
    assert min(delays) < 1.0 and max(delays) > 7.0
    assert 3.0 < sum(delays) / len(delays) < 5.0


def test_same_seed_same_schedule() -> None:
    a, b = make(seed=3), make(seed=3)
    assert [a.next_delay() for _ in range(10)] == [b.next_delay() for _ in range(10)]


def test_reset_after_a_stable_connection() -> None:
    clock = FakeClock()
    backoff = make(clock, stable_after=60.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.connected()
    clock.now += 60.0
    backoff.disconnected()
    assert backoff.attempt == 0
    assert backoff.envelope() == backoff.base


def test_no_reset_after_a_short_connection() -> None:
    clock = FakeClock()
    backoff = make(clock, stable_after=60.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.connected()
    clock.now += 59.9
    backoff.disconnected()
    assert backoff.attempt == 5
    backoff.next_delay()
    assert backoff.attempt == 6


def test_disconnect_without_connect_does_not_reset() -> None:
    clock = FakeClock()
    backoff = make(clock, stable_after=0.0)
    backoff.next_delay()
    backoff.disconnected()  # a failed attempt never connected
    assert backoff.attempt == 1
    backoff.connected()
    backoff.disconnected()
    backoff.disconnected()  # the second one has no connection to measure
    assert backoff.attempt == 0


def test_manual_reset() -> None:
    backoff = make()
    backoff.next_delay()
    backoff.reset()
    assert backoff.attempt == 0


def test_default_rng_and_clock_work() -> None:
    backoff = Backoff(base=0.1, cap=1.0)
    assert 0.0 <= backoff.next_delay() <= 0.1
    backoff.connected()
    backoff.disconnected()
    assert backoff.attempt == 1  # real time: far less than 60 s passed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base": 0.0}, "base"),
        ({"base": 2.0, "cap": 1.0}, "cap"),
        ({"stable_after": -1.0}, "stable_after"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Backoff(**kwargs)
