"""KuCoin level2 sync (§7): the docs' worked example, the edge rules, and a model check."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.adapters.kucoin.book import KucoinBook, KucoinDepthBook
from tickwire.adapters.kucoin.parse import decode_data, decode_frame
from tickwire.adapters.kucoin.schemas import (
    DepthData,
    Envelope,
    L2Changes,
    L2UpdateData,
    Level2Snapshot,
    Message,
)
from tickwire.core.book import OrderBook
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.sync_book import MAX_SEQUENCE_JUMP, REJECTS_BEFORE_RESYNC
from tickwire.core.types import BookLevel, BookUpdate

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"
RECEIVED = 1_800_000_000_000_000_000
SYMBOL = "ETH/USDT"
NATIVE = "ETH-USDT"

Row = tuple[str, str, int]


def D(text: str | int) -> Decimal:
    return Decimal(text)


def inc(
    start: int,
    end: int,
    asks: Iterable[Row] = (),
    bids: Iterable[Row] = (),
    *,
    time: int = 1_700_000_000_000,
    symbol: str = NATIVE,
) -> L2UpdateData:
    """A level2 increment; row sequences as strings, as KuCoin sends them."""
    return L2UpdateData(
        changes=L2Changes(
            asks=[(D(p), D(s), str(q)) for p, s, q in asks],
            bids=[(D(p), D(s), str(q)) for p, s, q in bids],
        ),
        sequence_start=start,
        sequence_end=end,
        symbol=symbol,
        time=time,
    )


def snap(
    sequence: int | str,
    bids: Iterable[tuple[str, str]] = (),
    asks: Iterable[tuple[str, str]] = (),
    time: int = 1_699_999_999_000,
) -> Level2Snapshot:
    return Level2Snapshot(
        sequence=str(sequence),
        time=time,
        bids=[(D(p), D(s)) for p, s in bids],
        asks=[(D(p), D(s)) for p, s in asks],
    )


def levels(rows: Iterable[tuple[str, str]]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(p), D(s)) for p, s in rows)


def is_synced(kbook: KucoinBook) -> bool:
    """Read ``synced`` through a call, so mypy does not narrow it between applies."""
    return kbook.synced


# --- the docs' worked example (§7) ----------------------------------------------------------

DOCS_SNAPSHOT = snap(
    16,
    bids=[("3988.51", "56"), ("3988.50", "15"), ("3988.49", "100"), ("3988.48", "10")],
    asks=[("3988.62", "8"), ("3988.61", "32"), ("3988.60", "47"), ("3988.59", "3")],
)
# The docs print sequenceStart 19 / sequenceEnd 15, a known typo: the real span is 15..19.
DOCS_INCREMENT = inc(
    15,
    19,
    asks=[("3988.59", "3", 16), ("3988.61", "0", 19), ("3988.62", "8", 15)],
    bids=[("3988.50", "44", 18)],
)
DOCS_BIDS = levels([("3988.51", "56"), ("3988.50", "44"), ("3988.49", "100"), ("3988.48", "10")])
DOCS_ASKS = levels([("3988.59", "3"), ("3988.60", "47"), ("3988.62", "8")])


def test_docs_worked_example_live() -> None:
    kbook = KucoinBook(SYMBOL)
    event = kbook.apply_snapshot(DOCS_SNAPSHOT, RECEIVED)
    assert event.snapshot and event.sequence == 16
    assert event.bids == levels(
        [("3988.51", "56"), ("3988.50", "15"), ("3988.49", "100"), ("3988.48", "10")]
    )
    assert event.asks[0] == BookLevel(D("3988.59"), D("3"))  # best first
    update = kbook.apply(DOCS_INCREMENT, RECEIVED)
    assert update == BookUpdate(
        venue="kucoin",
        symbol=SYMBOL,
        bids=levels([("3988.50", "44")]),
        asks=levels([("3988.61", "0")]),  # size 0: the level is gone
        snapshot=False,
        sequence=19,
        ts=1_700_000_000_000_000_000,
        received=RECEIVED,
    )
    assert kbook.sequence == 19
    assert kbook.book.levels() == (DOCS_BIDS, DOCS_ASKS)


def test_docs_worked_example_buffered() -> None:
    kbook = KucoinBook(SYMBOL)
    kbook.buffer(DOCS_INCREMENT)
    assert kbook.buffered == 1 and not kbook.synced
    event = kbook.apply_snapshot(DOCS_SNAPSHOT, RECEIVED)
    assert (event.bids, event.asks, event.sequence) == (DOCS_BIDS, DOCS_ASKS, 19)
    assert event.snapshot and event.ts == 1_700_000_000_000_000_000
    assert kbook.buffered == 0 and kbook.synced


def test_docs_typo_span_is_refused_and_changes_nothing() -> None:
    # The docs print start 19, end 15: no real increment ends before it starts.
    kbook = KucoinBook(SYMBOL)
    kbook.apply_snapshot(DOCS_SNAPSHOT, RECEIVED)
    before = kbook.book.levels()
    swapped = msgspec.structs.replace(DOCS_INCREMENT, sequence_start=19, sequence_end=15)
    with pytest.raises(DecodeError, match="sequenceEnd before sequenceStart"):
        kbook.apply(swapped, RECEIVED)
    assert kbook.sequence == 16 and kbook.synced and kbook.book.levels() == before


# --- the rules one at a time -------------------------------------------------------------


def synced(sequence: int = 100) -> KucoinBook:
    kbook = KucoinBook(SYMBOL)
    kbook.apply_snapshot(
        snap(sequence, bids=[("10", "1"), ("9", "2")], asks=[("11", "1"), ("12", "2")]), RECEIVED
    )
    return kbook


def test_stale_increment_is_dropped() -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    assert kbook.apply(inc(99, 100, asks=[("11", "5", 100)]), RECEIVED) is None
    assert kbook.apply(inc(90, 95, bids=[("10", "5", 95)]), RECEIVED) is None
    assert kbook.book.levels() == before and kbook.sequence == 100


def test_straddling_increment_applies_only_newer_rows() -> None:
    kbook = synced(100)
    update = kbook.apply(
        inc(98, 103, asks=[("11", "7", 99), ("12", "8", 101)], bids=[("10", "3", 100)]), RECEIVED
    )
    assert update is not None
    assert (update.asks, update.bids, update.sequence) == (levels([("12", "8")]), (), 103)
    assert kbook.book.asks() == list(levels([("11", "1"), ("12", "8")]))


def test_price_zero_row_only_advances_the_sequence() -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    assert kbook.apply(inc(101, 102, bids=[("0", "0", 102)]), RECEIVED) is None
    assert kbook.book.levels() == before and kbook.sequence == 102
    update = kbook.apply(inc(103, 104, asks=[("0", "1", 103), ("13", "1", 104)]), RECEIVED)
    assert update is not None and update.asks == levels([("13", "1")])


def test_size_zero_deletes_and_other_sizes_are_absolute() -> None:
    kbook = synced(100)
    update = kbook.apply(
        inc(101, 103, bids=[("10", "0", 101), ("9", "5", 102)], asks=[("11.5", "4", 103)]),
        RECEIVED,
    )
    assert update is not None
    assert update.bids == levels([("10", "0"), ("9", "5")])
    assert kbook.book.levels() == (
        levels([("9", "5")]),
        levels([("11", "1"), ("11.5", "4"), ("12", "2")]),
    )


def test_collapsed_row_sequences_are_not_a_gap() -> None:
    kbook = synced(100)
    # Rows skip 101, 102 and 104: only sequenceStart/End decide continuity.
    assert kbook.apply(inc(101, 105, asks=[("11", "2", 103), ("12", "3", 105)]), RECEIVED)
    assert kbook.sequence == 105


def test_gap_resets_and_keeps_the_increment_for_the_next_snapshot() -> None:
    kbook = synced(100)
    gap = inc(102, 104, asks=[("11", "9", 104)])
    with pytest.raises(BookOutOfSync, match="sequence gap: book at 100, increment starts at 102"):
        kbook.apply(gap, RECEIVED)
    assert not is_synced(kbook)
    assert len(kbook.book) == 0 and kbook.sequence is None
    assert kbook.buffered == 1
    # While unsynced, apply buffers.
    assert kbook.apply(inc(105, 105, bids=[("10", "4", 105)]), RECEIVED) is None
    assert kbook.buffered == 2
    event = kbook.apply_snapshot(snap(102, bids=[("10", "1")], asks=[("11", "1")]), RECEIVED)
    assert event.sequence == 105
    assert (event.bids, event.asks) == (levels([("10", "4")]), levels([("11", "9")]))


def test_snapshot_older_than_the_buffer_is_refused_and_the_buffer_kept() -> None:
    kbook = KucoinBook(SYMBOL)
    kbook.buffer(inc(201, 202, asks=[("11", "1", 202)]))
    kbook.buffer(inc(203, 203, bids=[("10", "1", 203)]))
    with pytest.raises(BookOutOfSync, match="book at 150, increment starts at 201"):
        kbook.apply_snapshot(snap(150, asks=[("12", "1")]), RECEIVED)
    assert not is_synced(kbook) and kbook.buffered == 2
    event = kbook.apply_snapshot(snap(201, asks=[("12", "1")]), RECEIVED)
    assert event.sequence == 203
    assert (event.bids, event.asks) == (levels([("10", "1")]), levels([("11", "1"), ("12", "1")]))


def test_gap_inside_the_buffer_keeps_only_what_follows_it() -> None:
    kbook = KucoinBook(SYMBOL)
    kbook.buffer(inc(101, 101, asks=[("11", "1", 101)]))
    kbook.buffer(inc(105, 106, asks=[("12", "1", 106)]))  # 102..104 were lost
    with pytest.raises(BookOutOfSync, match="book at 101, increment starts at 105"):
        kbook.apply_snapshot(snap(100), RECEIVED)
    assert kbook.buffered == 1
    assert kbook.apply_snapshot(snap(104), RECEIVED).asks == levels([("12", "1")])


def test_buffer_is_bounded_and_overflow_shows_as_a_gap() -> None:
    kbook = KucoinBook(SYMBOL, max_buffered=2)
    for seq in (101, 102, 103):
        kbook.buffer(inc(seq, seq, asks=[("11", str(seq), seq)]))
    assert kbook.buffered == 2
    with pytest.raises(BookOutOfSync, match="increment starts at 102"):
        kbook.apply_snapshot(snap(100), RECEIVED)


@pytest.mark.parametrize(
    "row",
    [("13", "-1", 101), ("11", "1", "x"), ("NaN", "1", 101), ("11", "Infinity", 101),
     ("1E+99999", "1", 101), ("-5", "1", 101)],
)  # fmt: skip
def test_an_invalid_row_refuses_the_increment_and_changes_nothing(row: tuple) -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    with pytest.raises(DecodeError, match="invalid row"):
        kbook.apply(inc(99, 101, bids=[("10", "3", 101)], asks=[row]), RECEIVED)
    assert kbook.book.levels() == before and kbook.sequence == 100 and kbook.buffered == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (101, 100 + 10**15),  # S + 10**15: no increment spans that much
        (102, 101),  # ends before it starts
        (100 + MAX_SEQUENCE_JUMP + 1, 100 + MAX_SEQUENCE_JUMP + 1),  # far ahead of the book
        (1, 1),  # ends more than MAX_SEQUENCE_JUMP behind the book (at 2e9 below)
    ],
)
def test_an_impossible_sequence_is_refused_never_the_baseline(start: int, end: int) -> None:
    base = 100 if start != 1 else 2 * MAX_SEQUENCE_JUMP
    kbook = synced(base)
    before = kbook.book.levels()
    with pytest.raises(DecodeError, match="increment"):
        kbook.apply(inc(start, end, asks=[("11", "7", end)]), RECEIVED)
    assert kbook.synced and kbook.sequence == base and kbook.book.levels() == before
    # The stream goes on from where it was.
    update = kbook.apply(inc(base + 1, base + 1, asks=[("11", "5", base + 1)]), RECEIVED)
    assert update is not None and kbook.sequence == base + 1


def test_a_gap_within_the_bound_is_still_a_gap() -> None:
    kbook = synced(100)
    with pytest.raises(BookOutOfSync, match="sequence gap"):
        kbook.apply(inc(100 + MAX_SEQUENCE_JUMP, 100 + MAX_SEQUENCE_JUMP), RECEIVED)


def test_impossible_increments_in_a_row_mean_the_numbering_moved() -> None:
    kbook = synced(100)
    far = 100 + 2 * MAX_SEQUENCE_JUMP
    for n in range(REJECTS_BEFORE_RESYNC - 1):
        with pytest.raises(DecodeError):
            kbook.apply(inc(far + n, far + n), RECEIVED)
    with pytest.raises(BookOutOfSync, match="impossible increments"):
        kbook.apply(inc(far + 10, far + 10), RECEIVED)
    assert not kbook.synced  # resynced from a snapshot, the arbiter


def test_a_replay_sets_impossible_increments_aside_and_goes_on() -> None:
    kbook = KucoinBook(SYMBOL)
    kbook.apply(inc(101, 101, asks=[("11", "5", 101)]), RECEIVED)
    kbook.apply(inc(100 + 10**12, 100 + 10**12, asks=[("11", "9", 1)]), RECEIVED)  # forged
    kbook.apply(inc(102, 102, asks=[("12", "6", 102)]), RECEIVED)
    event = kbook.apply_snapshot(snap(100, asks=[("11", "1")]), RECEIVED)
    assert event.sequence == 102 and kbook.synced and kbook.buffered == 0
    assert kbook.book.levels()[1] == levels([("11", "5"), ("12", "6")])
    assert len(kbook.rejected) == 1 and "far ahead" in str(kbook.rejected[0])


def test_an_invalid_snapshot_level_changes_nothing() -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    with pytest.raises(DecodeError, match="snapshot bid out of range"):
        kbook.apply_snapshot(snap(1, bids=[("1", "-2")]), RECEIVED)
    assert kbook.book.levels() == before and kbook.sequence == 100


@pytest.mark.parametrize("bad", ["", "-1", "1.0", "x", " 7"])
def test_bad_snapshot_sequence_is_a_decode_error(bad: str) -> None:
    with pytest.raises(DecodeError, match="bad snapshot sequence"):
        KucoinBook(SYMBOL).apply_snapshot(snap(bad), RECEIVED)


def test_misrouted_increment_is_a_bug() -> None:
    kbook = synced(100)
    with pytest.raises(ValueError, match="BTC-USDT increment routed to the ETH-USDT book"):
        kbook.apply(inc(101, 101, symbol="BTC-USDT"), RECEIVED)


def test_reset_forgets_levels_and_buffer() -> None:
    kbook = synced(100)
    kbook.reset()
    kbook.apply(inc(101, 101, asks=[("11", "1", 101)]), RECEIVED)
    assert kbook.buffered == 1
    kbook.reset()
    assert (kbook.buffered, kbook.synced, len(kbook.book)) == (0, False, 0)


def test_depth_truncates_the_engine_book() -> None:
    kbook = KucoinBook(SYMBOL, depth=1)
    kbook.apply_snapshot(snap(1, bids=[("10", "1"), ("9", "1")], asks=[("11", "1")]), RECEIVED)
    kbook.apply(inc(2, 2, asks=[("10.5", "1", 2)]), RECEIVED)
    assert kbook.book.levels() == (levels([("10", "1")]), levels([("10.5", "1")]))


# --- golden fixtures ---------------------------------------------------------------------


def fixture_update(name: str) -> L2UpdateData:
    msg = decode_frame((FIXTURES / name).read_bytes())
    assert isinstance(msg, Message)
    data = decode_data(msg)
    assert isinstance(data, L2UpdateData)
    return data


def fixture_snapshot() -> Level2Snapshot:
    envelope = msgspec.json.decode(
        (FIXTURES / "level2_snapshot_rest.json").read_bytes(), type=Envelope
    )
    return msgspec.json.decode(envelope.data, type=Level2Snapshot)


def test_fixture_snapshot_then_fixture_increment() -> None:
    kbook = KucoinBook("BTC/USDT")
    event = kbook.apply_snapshot(fixture_snapshot(), RECEIVED)
    assert event.sequence == 14610502970 and event.ts == 1729176273859_000_000
    assert kbook.book.best_bid == BookLevel(D("66976.4"), D("0.69109872"))
    assert kbook.book.best_ask == BookLevel(D("66976.5"), D("0.05408199"))
    # The fixtures were recorded months apart: the increment is far past the snapshot.
    with pytest.raises(BookOutOfSync, match="sequence gap"):
        kbook.apply(fixture_update("level2_update.json"), RECEIVED)


def test_fixture_multi_row_increment_on_a_matching_snapshot() -> None:
    kbook = KucoinBook("BTC/USDT")
    kbook.apply_snapshot(snap(14103843, bids=[("18891.9", "1")], asks=[("18906", "1")]), RECEIVED)
    update = kbook.apply(fixture_update("level2_update_multi.json"), RECEIVED)
    assert update is not None and update.sequence == 14103847
    assert update.asks == levels([("18906", "0.00331"), ("18907.3", "0.58751503")])
    assert update.bids == levels([("18891.9", "0.15688")])
    assert update.ts == 1663747970273_000_000


def test_depth_book_replaces_the_top_n() -> None:
    msg = decode_frame((FIXTURES / "level2_depth5.json").read_bytes())
    assert isinstance(msg, Message)
    data = decode_data(msg)
    assert isinstance(data, DepthData)
    dbook = KucoinDepthBook("BTC/USDT", depth=5)
    event = dbook.apply(data, RECEIVED)
    assert event.snapshot and dbook.synced
    assert dbook.book.levels() == (event.bids, event.asks)
    assert dbook.book.best_bid == BookLevel(D("67996.6"), D("0.37969491"))
    assert dbook.book.ts == 1729822226746_000_000
    smaller = msgspec.structs.replace(data, bids=data.bids[:1], asks=[])
    dbook.apply(smaller, RECEIVED)
    assert dbook.book.levels() == (levels([("67996.6", "0.37969491")]), ())
    with pytest.raises(DecodeError, match="depth ask out of range"):
        dbook.apply(msgspec.structs.replace(data, asks=[(D("1"), D("-1"))]), RECEIVED)
    assert dbook.synced  # refused before the book was touched
    assert dbook.book.levels() == (levels([("67996.6", "0.37969491")]), ())


# --- model check ---------------------------------------------------------------------------
#
# A naive model of KuCoin's engine: a list of changes, each with its own sequence number,
# applied one by one. The venue publishes them in increments that collapse repeated prices
# (only the last change of a price within an increment is sent, so row sequences skip
# numbers) and carry price-0 rows that only consume a number. A snapshot is taken at an
# arbitrary sequence, the client subscribes at an arbitrary increment before it, and the
# snapshot arrives after an arbitrary number of increments: the synced book must equal
# the model at every step, and so must a book rebuilt from the events alone.

Change = tuple[str, int, int]  # side ("bids"/"asks"), price (0: sequence only), size (0: delete)
Model = dict[str, dict[int, int]]  # side -> price -> size


class Scenario(NamedTuple):
    base: int  # the sequence before the first change
    initial: Model  # the book at ``base``
    changes: list[Change]  # change i has sequence base + i + 1
    increments: list[L2UpdateData]
    snapshot_seq: int
    subscribed: int  # index of the first increment the client sees
    arrived: int  # index of the first increment after the snapshot arrived
    via_apply: bool  # buffer through apply() rather than buffer()


def model_at(initial: Model, changes: list[Change], base: int, seq: int) -> Model:
    book = {side: dict(levels_) for side, levels_ in initial.items()}
    for side, price, size in changes[: seq - base]:
        if price == 0:
            continue
        if size:
            book[side][price] = size
        else:
            book[side].pop(price, None)
    return book


def as_levels(book: Model) -> tuple[tuple[BookLevel, ...], ...]:
    bids = tuple(BookLevel(D(p), D(s)) for p, s in sorted(book["bids"].items(), reverse=True))
    asks = tuple(BookLevel(D(p), D(s)) for p, s in sorted(book["asks"].items()))
    return bids, asks


def publish(changes: list[Change], cuts: list[bool], base: int) -> list[L2UpdateData]:
    """Group changes into increments, collapsing repeated prices within each."""
    increments: list[L2UpdateData] = []
    start = 0
    for i in range(len(changes)):
        if i == len(changes) - 1 or cuts[i]:
            rows: dict[tuple[str, int], tuple[int, int]] = {}
            for j in range(start, i + 1):
                side, price, size = changes[j]
                rows.pop((side, price), None)  # re-insert: keeps rows in change order
                rows[side, price] = (size, base + j + 1)
            side_rows: dict[str, list[Row]] = {"bids": [], "asks": []}
            for (side, price), (size, seq) in rows.items():
                side_rows[side].append((str(price), str(size), seq))
            increments.append(
                inc(base + start + 1, base + i + 1, side_rows["asks"], side_rows["bids"])
            )
            start = i + 1
    return increments


sides = st.sampled_from(["bids", "asks"])
book_sides = st.dictionaries(st.integers(1, 9), st.integers(1, 5), max_size=6)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    base = draw(st.integers(1, 10**12))
    initial = {"bids": draw(book_sides), "asks": draw(book_sides)}
    changes = draw(
        st.lists(st.tuples(sides, st.integers(0, 9), st.integers(0, 5)), min_size=1, max_size=30)
    )
    cuts = draw(st.lists(st.booleans(), min_size=len(changes), max_size=len(changes)))
    increments = publish(changes, cuts, base)
    snapshot_seq = draw(st.integers(base, base + len(changes)))
    # The first increment that is not wholly inside the snapshot: the client must have
    # subscribed at or before it, or there is a true gap.
    first_needed = next(
        (i for i, m in enumerate(increments) if m.sequence_end > snapshot_seq), len(increments)
    )
    subscribed = draw(st.integers(0, first_needed))
    arrived = draw(st.integers(subscribed, len(increments)))
    via_apply = draw(st.booleans())  # buffer explicitly, or let apply() buffer
    return Scenario(
        base, initial, changes, increments, snapshot_seq, subscribed, arrived, via_apply
    )


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_synced_book_equals_the_model(scenario: Scenario) -> None:
    base, initial, changes, increments, snapshot_seq, subscribed, arrived, via_apply = scenario
    truth = model_at(initial, changes, base, snapshot_seq)
    snapshot = snap(
        snapshot_seq,
        bids=[(str(p), str(s)) for p, s in truth["bids"].items()],
        asks=[(str(p), str(s)) for p, s in truth["asks"].items()],
    )
    kbook = KucoinBook(SYMBOL)
    for m in increments[subscribed:arrived]:
        if via_apply:
            assert kbook.apply(m, RECEIVED) is None
        else:
            kbook.buffer(m)
    event = kbook.apply_snapshot(snapshot, RECEIVED)
    expected_seq = max([snapshot_seq] + [m.sequence_end for m in increments[subscribed:arrived]])
    assert event.sequence == kbook.sequence == expected_seq
    assert (event.bids, event.asks) == as_levels(model_at(initial, changes, base, expected_seq))

    rebuilt = OrderBook("kucoin", SYMBOL)
    rebuilt.apply_snapshot(
        [(lv.price, lv.size) for lv in event.bids], [(lv.price, lv.size) for lv in event.asks]
    )
    for m in increments[arrived:]:
        update = kbook.apply(m, RECEIVED)
        # The event carries exactly the rows newer than the book, price-0 rows left out.
        newer_bids = tuple(
            BookLevel(p, s) for p, s, q in m.changes.bids if p and int(q) > expected_seq
        )
        newer_asks = tuple(
            BookLevel(p, s) for p, s, q in m.changes.asks if p and int(q) > expected_seq
        )
        if newer_bids or newer_asks:
            assert update is not None and (update.bids, update.asks) == (newer_bids, newer_asks)
        else:
            assert update is None
        expected_seq = max(expected_seq, m.sequence_end)
        assert kbook.sequence == expected_seq
        assert kbook.book.levels() == as_levels(model_at(initial, changes, base, expected_seq))
        if update is not None:
            assert update.sequence == expected_seq and not update.snapshot
            rebuilt.apply_delta(
                [(lv.price, lv.size) for lv in update.bids],
                [(lv.price, lv.size) for lv in update.asks],
            )
        assert rebuilt.levels() == kbook.book.levels()
    assert kbook.book.levels() == as_levels(model_at(initial, changes, base, base + len(changes)))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_a_lost_live_increment_is_always_detected(scenario: Scenario, data: st.DataObject) -> None:
    base, initial, changes, increments, snapshot_seq, _, _, _ = scenario
    live = [m for m in increments if m.sequence_start > snapshot_seq + 1]
    if len(live) < 2:
        return
    lost = data.draw(st.integers(0, len(live) - 2))
    truth = model_at(initial, changes, base, snapshot_seq)
    kbook = KucoinBook(SYMBOL)
    kbook.apply_snapshot(
        snap(snapshot_seq, [(str(p), str(s)) for p, s in truth["bids"].items()]), RECEIVED
    )
    for m in increments:
        if m.sequence_end <= snapshot_seq or m.sequence_start <= snapshot_seq + 1:
            kbook.apply(m, RECEIVED)
    for m in live[:lost]:
        kbook.apply(m, RECEIVED)
    with pytest.raises(BookOutOfSync, match="sequence gap"):
        kbook.apply(live[lost + 1], RECEIVED)
    assert not is_synced(kbook) and kbook.buffered == 1
