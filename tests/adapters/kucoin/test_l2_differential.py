"""The level2 C path (``_kucoin``) against the Python path: the same frames through both
give equal events (every Decimal's text too), equal books, equal sequence state, equal
resyncs and equal activity records (l2_driver.py)."""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .l2_driver import HAVE_EXTENSION, Pair, rest_snapshot, snapshot
from .l2_frames import DATA_ORDERS, OUTER_ORDERS, l2_frame

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from floor_streams import KucoinLevel2 as FloorLevel2

NATIVE, SYMBOL = "BTC-USDT", "BTC/USDT"
requires_c = pytest.mark.skipif(not HAVE_EXTENSION, reason="the C extension is not in use")


def test_the_floor_benchmark_stream_is_taken_in_c_and_equal() -> None:
    feed = FloorLevel2(seed=3)
    pair = Pair({feed.SYMBOL: "ETH/USDT"})
    pair.load(feed.SYMBOL, rest_snapshot(feed.rest_snapshot(None)))
    updates = feed.updates()
    for received in range(1, 3001):
        pair.feed(next(updates), received)
        if received % 500 == 0:
            pair.assert_equal()
    pair.assert_equal()
    assert len(pair.c.events) == 3000  # one per increment (the load delivers nothing here)
    if HAVE_EXTENSION:
        assert pair.in_c == 3000


@pytest.mark.parametrize("depth", [None, 3])
def test_deletions_price_zero_rows_new_levels_and_truncation(depth: int | None) -> None:
    pair = Pair({NATIVE: SYMBOL}, depth=depth)
    bids = [(f"{100 - i}.5", "1") for i in range(6)]
    asks = [(f"{101 + i}", "2.25") for i in range(6)]
    pair.load(NATIVE, snapshot(1000, bids, asks))
    steps = [
        ([("100.5", "0", "1001")], []),  # a deletion
        ([("0", "0", "1002")], [("0", "0", "1003")]),  # sequence only: no event
        ([("100.7", "3.10", "1004")], [("101", "0.000", "1005")]),  # new level, "0.000"
        ([], [("200", "1e3", "1006")]),  # an exponent: the Python path's
        ([("99.5", "0", "1007"), ("99.5", "4", "1008")], []),  # one price twice
        ([("100.25", "0", "1009")], [("150", "0", "1010")]),  # deleting what is not there
        ([("1", "0.0000001", 1011)], [("999999999999.99", "999999999999999999.9", 1012)]),
    ]
    sequence = 1000
    for received, (b, a) in enumerate(steps, start=1):
        end = sequence + max(1, len(b) + len(a))
        pair.feed(l2_frame(NATIVE, sequence + 1, end, b, a), received)
        sequence = end
        pair.assert_equal()
    if HAVE_EXTENSION:
        assert pair.in_c == len(steps) - 1


@pytest.mark.parametrize(
    ("outer", "inner", "space", "asks_first"),
    list(itertools.product(OUTER_ORDERS, DATA_ORDERS, ["", " ", "\n\t "], [True, False])),
)
def test_key_orders_and_whitespace(outer: str, inner: str, space: str, asks_first: bool) -> None:
    pair = Pair({NATIVE: SYMBOL})
    pair.load(NATIVE, snapshot(10, [("5", "1")], [("6", "1")]))
    frame = l2_frame(
        NATIVE, 11, 12, [("5.5", "2", "11")], [("6", "0", 12)], outer=outer, inner=inner,
        space=space, asks_first=asks_first,
    )  # fmt: skip
    pair.feed(frame, 7)
    pair.assert_equal()
    assert len(pair.c.events) == 1
    if HAVE_EXTENSION:
        assert pair.in_c == (0 if outer == "data_first" else 1)


def test_escapes_unknown_keys_and_a_stray_go_the_python_way() -> None:
    pair = Pair({NATIVE: SYMBOL, "ETH-USDT": "ETH/USDT"})
    pair.load(NATIVE, snapshot(10, [("5", "1")], [("6", "1")]))
    frames = [
        l2_frame(NATIVE, 11, 11, [("5.5", "2", "11")], [], escape_symbol=True),
        l2_frame(NATIVE, 12, 12, [("5.5", "3", "12")], [], extra={"note": 1}),
        l2_frame("XRP-USDT", 1, 1, [("1", "1", "1")], []),  # no book
        l2_frame("ETH-USDT", 1, 1, [("1", "1", "1")], []),  # not synced: buffered
        l2_frame(NATIVE, 13, 13, [("5.5", "4", "13")], []),
    ]
    for received, frame in enumerate(frames, start=1):
        pair.feed(frame, received)
        pair.assert_equal()
    if HAVE_EXTENSION:
        assert pair.in_c == 1


# --- generated streams ----------------------------------------------------------------

PRICES = ["0", "99.5", "100", "100.5", "101", "101.25", "102", "0.00"]
SIZES = ["0", "0", "1", "0.5", "12.125", "0.000", "3", "1e2", "-0", "007", "1."]
row = st.tuples(st.booleans(), st.sampled_from(PRICES), st.sampled_from(SIZES))
MODES = ["fresh"] * 8 + ["gap", "stale", "straddle", "reload", "impossible"]
step = st.tuples(
    st.lists(row, max_size=4),
    st.sampled_from(MODES),
    st.sampled_from(list(OUTER_ORDERS)),
    st.sampled_from(list(DATA_ORDERS)),
    st.sampled_from(["", " ", "\n"]),
    st.booleans(),  # row sequences as integers
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25), depth=st.sampled_from([None, 2]))
def test_generated_streams(steps: list, depth: int | None) -> None:
    pair = Pair({NATIVE: SYMBOL}, depth=depth)
    pair.load(NATIVE, snapshot(500, [("100", "1"), ("99.5", "2")], [("101", "1")]))
    sequence = 500  # what the venue has sent up to
    for received, (rows, mode, outer, inner, space, int_seq) in enumerate(steps, start=1):
        book_at = pair.py.client._kbooks[NATIVE].sequence
        start = sequence + 1
        if mode == "gap":
            start += 2
        elif mode == "stale" and book_at is not None:
            start = max(0, book_at - 3)
        elif mode == "straddle" and book_at is not None:
            start = max(0, book_at - 1)
        elif mode == "reload":
            levels = pair.py.client._kbooks[NATIVE].book
            bids = [(str(lv.price), str(lv.size)) for lv in levels.bids()]
            asks = [(str(lv.price), str(lv.size)) for lv in levels.asks()]
            pair.load(NATIVE, snapshot(sequence, bids, asks))
            pair.assert_equal()
            continue
        end = max(start, start + len(rows) - 1)
        if mode == "impossible":
            end = start - 1
        seqs = iter(range(start, start + len(rows)))
        b, a = [], []
        for is_bid, price, size in rows:
            n = next(seqs)
            (b if is_bid else a).append((price, size, n if int_seq else str(n)))
        frame = l2_frame(NATIVE, start, end, b, a, outer=outer, inner=inner, space=space)
        pair.feed(frame, received)
        sequence = max(sequence, end)
        pair.assert_equal()


@requires_c
def test_a_random_long_stream_mostly_in_c() -> None:
    rng = random.Random(12)
    pair = Pair({NATIVE: SYMBOL}, depth=None)
    pair.load(NATIVE, snapshot(7, [("100", "1")], [("101", "1")]))
    sequence = 7
    for received in range(1, 2001):
        rows = [
            (rng.random() < 0.5, f"{rng.randint(90, 110)}.{rng.randint(0, 99):02d}",
             rng.choice(["0", f"{rng.randint(1, 50)}.{rng.randint(0, 9999)}"]))
            for _ in range(rng.choice([1, 1, 2, 3]))
        ]  # fmt: skip
        b = [(p, s, str(sequence + 1 + i)) for i, (bid, p, s) in enumerate(rows) if bid]
        a = [(p, s, str(sequence + 1 + i)) for i, (bid, p, s) in enumerate(rows) if not bid]
        end = sequence + len(rows)
        pair.feed(l2_frame(NATIVE, sequence + 1, end, b, a), received)
        sequence = end
    pair.assert_equal()
    assert pair.in_c == 2000
