"""The C book path (``_kbook``) against the pure-Python path: the same frames give the
same events (``==`` and the str of every Decimal), the same resyncs and the same books.

Frames: the floor benchmark's Kraken stream (realistic, 20,000 updates), then
hypothesis-built update sequences with correct checksums at many precisions and depths,
written in every valid way (whitespace, key order, trimmed/exponent/over-long numbers,
an escaped symbol, several timestamp forms), with wrong checksums mixed in.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickwire.core.types import BookUpdate

from .kbook_driver import HAVE_EXTENSION, Side, assert_same, instrument_frame
from .kbook_frames import STYLES, Model

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from floor_streams import KRAKEN_INSTRUMENTS
from floor_streams import KrakenBook as FloorKrakenBook

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="the C extension is not built")


def test_the_benchmark_stream_gives_the_same_events_and_book() -> None:
    feed = FloorKrakenBook(seed=3)
    sides = [Side(fast, {"ETH/USD": (2, 8)}, 10) for fast in (True, False)]
    for side in sides:
        side.feed(KRAKEN_INSTRUMENTS, 1)
        side.feed(feed.snapshot(), 2)
    updates = feed.updates()
    for chunk in range(20):
        for n in range(1_000):
            frame = next(updates)
            for side in sides:
                side.feed(frame, 10 + chunk * 1_000 + n)
        assert_same(*sides, ["ETH/USD"])
    fast = sides[0]
    assert len(fast.events) == 20_001 and not fast.resyncs
    assert fast.book("ETH/USD").c_book is not None and fast.book("ETH/USD").c_book.valid


def test_the_c_path_takes_the_benchmark_updates() -> None:
    """Not a fallback in disguise: the C book is written, the Python texts are not."""
    feed = FloorKrakenBook(seed=4)
    side = Side(True, {"ETH/USD": (2, 8)}, 10)
    side.feed(KRAKEN_INSTRUMENTS, 1)
    side.feed(feed.snapshot(), 2)
    book = side.book("ETH/USD")
    texts = list(book._bid_texts)
    updates = feed.updates()
    for n in range(100):
        side.feed(next(updates), 3 + n)
    assert book.c_book is not None and book.c_book.written
    assert book._bid_texts == texts  # untouched: C applied every update


def run_sequence(seed: int, pp: int, qp: int, depth: int, n: int, corrupt: float) -> None:
    """``n`` updates of one model to both paths; a wrong checksum now and then, after
    which both resync the same way and a new snapshot follows."""
    rng = random.Random(seed)
    symbols = {"AAA/USD": (pp, qp), "BBB/EUR": (min(pp + 1, 10), qp)}
    models = {s: Model(s, *precisions, depth, rng) for s, precisions in symbols.items()}
    sides = [Side(fast, symbols, depth) for fast in (True, False)]
    received = 1_765_000_000_000_000_000
    for model in models.values():
        frame = model.snapshot()
        for side in sides:
            side.feed(frame, received)
    for _ in range(n):
        model = rng.choice(list(models.values()))
        received += 1_000
        frame = model.update(rng.choice(STYLES))
        if rng.random() < corrupt:
            good = model.checksum()
            wrong = str((good + 1) % 2**32).encode()
            frame = re.sub(rb'("checksum":\s*)' + str(good).encode(), rb"\g<1>" + wrong, frame)
        for side in sides:
            side.feed(frame, received)
        if not sides[0].book(model.symbol).synced:
            frame = model.snapshot()
            for side in sides:
                side.feed(frame, received)
    assert_same(*sides, list(symbols))
    updates = sum(isinstance(e, BookUpdate) and not e.snapshot for e in sides[0].events)
    assert updates >= n // 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    pp=st.integers(0, 8),
    qp=st.integers(0, 10),
    depth=st.sampled_from([10, 12, 25, 100]),
)
def test_random_valid_sequences_give_the_same_events_and_books(seed, pp, qp, depth) -> None:
    run_sequence(seed, pp, qp, depth, 150, corrupt=0.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), pp=st.integers(0, 6), qp=st.integers(0, 8))
def test_wrong_checksums_resync_both_paths_alike(seed, pp, qp) -> None:
    run_sequence(seed, pp, qp, 10, 150, corrupt=0.05)


def test_a_price_precision_beyond_the_c_texts_uses_the_python_path() -> None:
    side = Side(True, {"TINY/USD": (31, 2)}, 10)
    assert side.book("TINY/USD").c_book is None  # no C twin: every frame goes the Python way


def test_new_precisions_rebuild_the_c_book() -> None:
    rng = random.Random(5)
    model = Model("AAA/USD", 2, 8, 10, rng)
    sides = [Side(fast, {"AAA/USD": (2, 8)}, 10) for fast in (True, False)]
    for frame in (model.snapshot(), model.update(), model.update()):
        for side in sides:
            side.feed(frame, 7)
    before = sides[0].book("AAA/USD").c_book
    for side in sides:  # the instrument channel lists the pair again, with other decimals
        side.feed(instrument_frame({"AAA/USD": (3, 8)}), 8)
    after = sides[0].book("AAA/USD").c_book
    assert after is not before and after is not None and after.valid
    # the checksum now uses 3 decimals: the model's (2) is wrong, on both paths alike
    frame = model.update()
    for side in sides:
        side.feed(frame, 9)
    assert sides[0].resyncs and sides[0].resyncs == sides[1].resyncs
    assert_same(*sides, ["AAA/USD"])


def test_a_new_depth_is_taken_at_the_next_snapshot() -> None:
    rng = random.Random(6)
    model = Model("AAA/USD", 2, 8, 25, rng)
    sides = [Side(fast, {"AAA/USD": (2, 8)}, 25) for fast in (True, False)]
    frame = model.snapshot(levels=30)
    for side in sides:
        side.feed(frame, 7)
        side.book("AAA/USD").depth = 12
    model.depth = 12
    for frame in [model.snapshot(levels=30)] + [model.update() for _ in range(200)]:
        for side in sides:
            side.feed(frame, 8)
    assert_same(*sides, ["AAA/USD"])
    assert sides[0].book("AAA/USD").bid_count <= 12 and not sides[0].resyncs
