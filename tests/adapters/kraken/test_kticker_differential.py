"""The C ticker path (``_kbook.ticker``) against the pure-Python path: the same frames
give the same events (``==``, and the str of every Decimal), the same errors, the same
ticker cache and the same activity keys.

Frames: Kraken's documented sample, the floor benchmark's ticker stream (20,000
updates), and hypothesis-built ticker frames written in every valid way (whitespace,
key order, trimmed/padded/exponent numbers, escaped and non-ASCII symbols, several
timestamp forms), with values the rules refuse mixed in.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickwire.core.types import StreamError, Ticker

from .kticker_driver import HAVE_TICKER_PATH, TickerSide, assert_same
from .kticker_frames import SAMPLE, ticker_frame

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from floor_streams import KrakenTicker as FloorKrakenTicker

pytestmark = pytest.mark.skipif(not HAVE_TICKER_PATH, reason="the C extension is not built")


def test_the_documented_sample_is_taken_by_the_c_path() -> None:
    sides = [TickerSide(fast) for fast in (True, False)]
    for side in sides:
        side.feed(SAMPLE, 5)
    assert_same(*sides)
    assert sides[0].taken == 1
    (ticker,) = sides[0].events
    assert isinstance(ticker, Ticker)
    assert (str(ticker.bid), str(ticker.ask_size), str(ticker.volume_24h)) == (
        "83744.2",
        "0.00044780",
        "3156.84782110",
    )
    assert ticker.symbol == "BTC/USD" and ticker.ts == 1790358506844359000
    assert ticker.received == 5 and ticker.last_size is None


def test_the_benchmark_stream_gives_the_same_events() -> None:
    feed = FloorKrakenTicker(seed=3)
    sides = [TickerSide(fast) for fast in (True, False)]
    snapshot = feed.snapshot()
    for side in sides:
        side.feed(snapshot, 1)
    updates = feed.updates()
    for chunk in range(20):
        for n in range(1_000):
            frame = next(updates)
            for side in sides:
                side.feed(frame, 10 + chunk * 1_000 + n)
        assert_same(*sides)
    fast = sides[0]
    assert len(fast.events) == 20_001 and fast.taken == 20_000  # the snapshot: Python's


def test_a_repeated_value_text_is_the_same_value() -> None:
    """The C path reuses a Decimal for a repeated text (another field's, the last
    frame's): equal values, equal str, whatever the other fields do."""
    frames = [
        SAMPLE,
        SAMPLE.replace(b'"bid":83744.2', b'"bid":83744.3'),  # = ask, = last
        SAMPLE.replace(b'"bid":83744.2', b'"bid":83744.30'),  # equal value, other text
        SAMPLE.replace(b'"ask":83744.3', b'"ask":83744.20'),
    ]
    sides = [TickerSide(fast) for fast in (True, False)]
    for n, frame in enumerate(frames * 3):
        for side in sides:
            side.feed(frame, n)
    assert_same(*sides)
    assert sides[0].taken == 12


def run_frames(seed: int, n: int) -> TickerSide:
    rng = random.Random(seed)
    sides = [TickerSide(fast) for fast in (True, False)]
    received = 1_765_000_000_000_000_000
    for _ in range(n):
        frame = ticker_frame(rng)
        received += 1_000
        for side in sides:
            side.feed(frame, received)
    assert_same(*sides)
    return sides[0]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32))
def test_random_frames_give_the_same_events_and_errors(seed) -> None:
    run_frames(seed, 60)


def test_random_frames_exercise_both_paths() -> None:
    """The generator is not a fallback in disguise: many frames go the C way, and many
    are refused, with errors."""
    fast = run_frames(7, 3_000)
    tickers = sum(isinstance(e, Ticker) for e in fast.events)
    errors = sum(isinstance(e, StreamError) for e in fast.events)
    assert fast.taken > 300 and tickers > fast.taken and errors > 300
