"""core.sync_book: the snapshot + buffered sequenced increments rule, on a made-up venue.

The venue here is Binance-like: an increment is ``(bids, asks)`` applied whole, so these
tests check the shared rule without any KuCoin specifics (its rows are tested with
KucoinBook in tests/adapters/kucoin/test_book.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.sequences import SequenceFilter
from tickwire.core.sync_book import (
    MAX_SEQUENCE_JUMP,
    REJECTS_BEFORE_RESYNC,
    Rows,
    SequencedBook,
    TopBook,
)
from tickwire.core.types import BookLevel, BookUpdate

Increment = tuple[Rows, Rows]


class ToyBook(SequencedBook[Increment]):
    """Rows apply whole; a negative price is out of the rules."""

    def rows(self, increment: Increment, sequence: int, fresh: bool) -> tuple[Rows, Rows]:
        bids, asks = increment
        for price, _ in (*bids, *asks):
            if price < 0:
                raise ValueError(f"price {price}")
        return bids, asks


def D(value: str | int) -> Decimal:
    return Decimal(value)


def ask(price: int, size: int) -> Increment:
    return [], [(D(price), D(size))]


def feed(
    book: ToyBook, start: int, end: int, increment: Increment | None = None
) -> BookUpdate | None:
    return book.apply(start, end, increment or ([], []), 0, 1)


def synced(sequence: int = 100) -> ToyBook:
    book = ToyBook("toy", "A/B")
    book.load([(D(10), D(1))], [(D(11), D(1))], sequence, 0, 1)
    return book


def test_increments_wait_for_the_snapshot_and_only_newer_ones_replay() -> None:
    book = ToyBook("toy", "A/B")
    assert feed(book, 99, 100, ask(12, 9)) is None  # buffered
    assert feed(book, 101, 102, ask(11, 5)) is None
    assert book.buffered == 2 and not book.synced
    event = book.load([(D(10), D(1))], [(D(11), D(1))], 100, 0, 7)
    assert event.snapshot and event.sequence == 102 and event.received == 7
    assert event.asks == (BookLevel(D(11), D(5)),)  # 99..100 was already in the snapshot
    assert book.buffered == 0 and book.sequence == 102


def test_a_live_increment_returns_its_changes_and_a_stale_one_nothing() -> None:
    book = synced(100)
    update = feed(book, 101, 101, ask(12, 3))
    assert update is not None and not update.snapshot and update.sequence == 101
    assert update.asks == (BookLevel(D(12), D(3)),)
    assert feed(book, 90, 101, ask(12, 4)) is None  # already in the book
    assert book.book.asks()[-1] == BookLevel(D(12), D(3))


def test_a_straddling_increment_is_told_it_is_not_fresh() -> None:
    seen: list[bool] = []

    class Spy(ToyBook):
        def rows(self, increment: Increment, sequence: int, fresh: bool) -> tuple[Rows, Rows]:
            seen.append(fresh)
            return super().rows(increment, sequence, fresh)

    book = Spy("toy", "A/B")
    book.load([], [], 100, 0, 1)
    book.apply(95, 102, ask(12, 1), 0, 1)
    book.apply(103, 103, ask(12, 2), 0, 1)
    assert seen == [False, True]


def test_a_gap_resets_the_book_and_keeps_the_increment_for_the_next_snapshot() -> None:
    book = synced(100)
    with pytest.raises(BookOutOfSync, match="sequence gap"):
        feed(book, 105, 106, ask(12, 1))
    assert not book.synced and book.buffered == 1
    book.load([], [], 104, 0, 1)
    assert book.sequence == 106


def test_a_head_two_snapshots_could_not_reach_is_discarded() -> None:
    book = ToyBook("toy", "A/B")
    feed(book, 201, 201, ask(12, 1))
    for _ in range(2):
        with pytest.raises(BookOutOfSync):
            book.load([], [], 100, 0, 1)
    assert book.buffered == 0
    [(error, increment)] = book.rejected
    assert "discarded an increment" in str(error) and "12" in increment
    book.load([], [], 100, 0, 1)  # nothing blocks the next snapshot
    assert book.synced


def test_impossible_increments_change_nothing_until_too_many_in_a_row() -> None:
    book = synced(100)
    before = book.book.levels()
    far = 100 + MAX_SEQUENCE_JUMP + 1
    with pytest.raises(DecodeError, match="end before start"):
        feed(book, 102, 101)
    with pytest.raises(DecodeError, match="invalid row"):
        feed(book, 101, 101, ask(-1, 1))
    assert book.book.levels() == before and book.sequence == 100
    for _ in range(REJECTS_BEFORE_RESYNC - 3):
        with pytest.raises(DecodeError, match="far ahead"):
            feed(book, far, far)
    with pytest.raises(BookOutOfSync, match="impossible increments"):
        feed(book, far, far)
    assert not book.synced


def test_a_snapshot_out_of_the_rules_changes_nothing() -> None:
    book = synced(100)
    before = book.book.levels()
    with pytest.raises(DecodeError, match="snapshot ask out of range"):
        book.load([], [(D(0), D(1))], 200, 0, 1)
    with pytest.raises(DecodeError, match="bad snapshot sequence"):
        book.load([], [], -1, 0, 1)
    assert book.book.levels() == before and book.sequence == 100


def test_the_buffer_is_bounded_and_its_overflow_shows_as_a_gap() -> None:
    book = ToyBook("toy", "A/B", max_buffered=2)
    for seq in (101, 102, 103):
        feed(book, seq, seq, ask(11, seq))
    with pytest.raises(BookOutOfSync):
        book.load([], [], 100, 0, 1)  # 101 was dropped: 102 does not continue 100


def test_sequence_filter_fresh_duplicate_impossible_and_moved() -> None:
    sequences = SequenceFilter("toy", max_jump=1000, rejects_before_resync=3)
    assert sequences.fresh("t", 5) and sequences.fresh("t", 6)
    assert not sequences.fresh("t", 6) and not sequences.fresh("t", 1)
    assert sequences.fresh("u", 6)  # keys are independent
    with pytest.raises(DecodeError, match="impossible sequence"):
        sequences.fresh("t", 10**6)
    assert sequences.fresh("t", 7)  # the absurd one changed nothing, and the count resets
    for _ in range(2):
        with pytest.raises(DecodeError):
            sequences.fresh("t", 10**6)
    assert sequences.fresh("t", 10**6)  # three in a row: the numbering moved
    assert sequences.fresh("t", 10**6 + 1)
    with pytest.raises(DecodeError):
        SequenceFilter("toy").fresh("n", -1)


def test_a_top_book_is_replaced_whole_by_each_push() -> None:
    top = TopBook("toy", "A/B", depth=2)
    assert not top.synced
    top.replace([(D(10), D(1)), (D(9), D(1)), (D(8), D(1))], [(D(11), D(2))], 5)
    assert top.synced and top.book.ts == 5 and len(top.book.bids()) == 2  # truncated
    top.replace([(D(7), D(3))], [], 6)
    assert top.book.levels() == ((BookLevel(D(7), D(3)),), ())
    with pytest.raises(BookOutOfSync, match="invalid level"):
        top.replace([(D(7), D(-1))], [], 7)
    assert not top.synced  # reset: the next push makes it whole again
