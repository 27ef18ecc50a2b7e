"""KuCoin level2 rows as the wire decodes them (text prices and sizes), on a fresh increment.

test_book.py builds its rows from ``Decimal``; the client's decode leaves prices and sizes
as text, which ``SequencedBook.apply`` parses itself (a ``"0"`` size without a
``Decimal``, each price once through the price table, 0 included). These check that
path on live increments, the ones that take their rows as decoded (no ``rows()`` call).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tickwire.adapters.kucoin.book import KucoinBook
from tickwire.adapters.kucoin.schemas import L2Changes, L2UpdateData, Level2Snapshot
from tickwire.core.errors import DecodeError
from tickwire.core.sync_book import price_of
from tickwire.core.types import BookLevel

RECEIVED = 1_800_000_000_000_000_000
TextRow = tuple[str, str, str]


def synced(sequence: int = 100) -> KucoinBook:
    kbook = KucoinBook("ETH/USDT")
    D = Decimal
    snapshot = Level2Snapshot(
        str(sequence),
        1_699_999_999_000,
        [(D("10"), D("1"))],
        [(D("11"), D("1")), (D("12"), D("2"))],
    )
    kbook.apply_snapshot(snapshot, RECEIVED)
    return kbook


def inc(
    start: int, end: int, asks: list[TextRow] | None = None, bids: list[TextRow] | None = None
) -> L2UpdateData:
    changes = L2Changes(asks=list(asks or []), bids=list(bids or []))
    return L2UpdateData(changes, start, end, "ETH-USDT", 1_700_000_000_000)


def level(price: str, size: str) -> BookLevel:
    return BookLevel(Decimal(price), Decimal(size))


def test_text_rows_of_a_fresh_increment_become_levels() -> None:
    kbook = synced(100)
    update = kbook.apply(
        inc(101, 103, asks=[("11.5", "4", "103")], bids=[("10", "0", "101"), ("9", "5", "102")]),
        RECEIVED,
    )
    assert update is not None and update.sequence == 103
    assert update.bids == (level("10", "0"), level("9", "5"))
    assert update.asks == (level("11.5", "4"),)
    assert kbook.book.bids() == [level("9", "5")]


def test_a_zero_size_written_otherwise_still_deletes() -> None:
    kbook = synced(100)
    update = kbook.apply(inc(101, 101, asks=[("11", "0.000", "101")]), RECEIVED)
    assert update is not None and update.asks == (level("11", "0"),)
    assert kbook.book.asks() == [level("12", "2")]


def test_price_zero_rows_only_advance_the_sequence_every_time() -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    for sequence in (101, 102):  # the second finds "0" in the price table
        assert kbook.apply(inc(sequence, sequence, bids=[("0", "0", str(sequence))]), 0) is None
    assert kbook.book.levels() == before and kbook.sequence == 102
    assert price_of("0") == 0 and price_of("11") == Decimal("11")


@pytest.mark.parametrize(
    "row",
    [("13", "-1", "101"), ("NaN", "1", "101"), ("11", "Infinity", "101"), ("11", "NaN", "101"),
     ("1E+99999", "1", "101"), ("-5", "1", "101"), ("11", "1e18", "101"), ("11", "x", "101")],
)  # fmt: skip
def test_a_bad_text_row_of_a_fresh_increment_changes_nothing(row: TextRow) -> None:
    kbook = synced(100)
    before = kbook.book.levels()
    with pytest.raises(DecodeError, match="invalid row"):
        kbook.apply(inc(101, 101, bids=[("10", "3", "101")], asks=[row]), RECEIVED)
    assert kbook.book.levels() == before and kbook.sequence == 100 and kbook.buffered == 0
