"""Kraken book checksum texts on the fast path: every wire spelling of a number checksums
as §6.2 says, prices are interned, and new decimals rewrite the texts of a synced book."""

from __future__ import annotations

import zlib
from decimal import Decimal

import pytest

from tickwire.adapters.kraken.book import KrakenBook
from tickwire.adapters.kraken.schemas import BookData, PriceLevel
from tickwire.core.errors import BookOutOfSync, DecodeError

Row = tuple[Decimal, Decimal]
D = Decimal


def crc(asks: list[Row], bids: list[Row], pp: int, qp: int) -> int:
    """§6.2 written independently: scale to an integer, top 10 per side."""

    def fmt(value: Decimal, places: int) -> str:
        return str(int(value.scaleb(places).to_integral_value()))

    asks, bids = sorted(asks)[:10], sorted(bids, reverse=True)[:10]
    return zlib.crc32("".join(fmt(p, pp) + fmt(q, qp) for p, q in asks + bids).encode())


def data(bids: list[Row], asks: list[Row], checksum: int) -> BookData:
    return BookData(
        symbol="X/Y",
        bids=[PriceLevel(price=p, qty=q) for p, q in bids],
        asks=[PriceLevel(price=p, qty=q) for p, q in asks],
        checksum=checksum,
    )


def synced(bids: list[Row], asks: list[Row], pp: int = 2, qp: int = 8) -> KrakenBook:
    kbook = KrakenBook("X/Y", 10, price_precision=pp, qty_precision=qp)
    assert kbook.apply(data(bids, asks, crc(asks, bids, pp, qp)), True, 1) is not None
    return kbook


BIDS = [(D("100.00"), D("1.00000000")), (D("99.50"), D("2.50000000"))]
ASKS = [(D("100.50"), D("0.10000000")), (D("101.00"), D("3.00000000"))]


@pytest.mark.parametrize(
    "qty",
    [
        D("1.25000000"),  # the wire's full precision: the text is taken as sent
        D("1.25"),  # trimmed
        D("1.5E-7"),  # exponent form
        D("0.00000001"),  # str() gives 1E-8
        D("1.123456789"),  # more digits than the precision: rounded like the venue's
        D("12"),  # an integer
    ],
)
def test_every_spelling_of_a_size_checksums_by_value(qty: Decimal) -> None:
    kbook = synced(BIDS, ASKS)
    bids = [(D("100.00"), qty), BIDS[1]]
    assert kbook.apply(data([(D("100.00"), qty)], [], crc(ASKS, bids, 2, 8)), False, 2)
    asks = [ASKS[0], (D("101.00"), qty), (D("102"), qty)]
    rows = [(D("101.00"), qty), (D("102"), qty)]
    assert kbook.apply(data([], rows, crc(asks, bids, 2, 8)), False, 3)


def test_a_corrupted_checksum_is_caught_after_a_one_sided_update() -> None:
    kbook = synced(BIDS, ASKS)
    bids = [(D("100.00"), D("4.00000000")), BIDS[1]]
    good = crc(ASKS, bids, 2, 8)
    with pytest.raises(BookOutOfSync, match="checksum mismatch"):
        kbook.apply(data(bids[:1], [], good ^ 1), False, 2)
    assert not kbook.synced


def test_a_price_from_a_refused_message_is_checked_again_when_it_returns() -> None:
    kbook = synced(BIDS, ASKS)
    refused = data([(D("98.00"), D("1.00000000")), (D("97.00"), D("-1"))], [], 0)
    with pytest.raises(DecodeError, match="qty"):
        kbook.apply(refused, False, 2)
    # 98.00 was seen, never applied: the book and its texts are as before.
    bids = [*BIDS, (D("98.00"), D("5.00000000"))]
    assert kbook.apply(data(bids[2:], [], crc(ASKS, bids, 2, 8)), False, 3)
    assert [lv.price for lv in kbook.book.bids()] == [p for p, _ in bids]


def test_new_decimals_rewrite_the_texts_of_a_synced_book() -> None:
    kbook = synced(BIDS, ASKS)
    kbook.set_precisions(3, 8)
    # Only the bids change; the ask half must be in the new decimals too.
    bids = [(D("100.00"), D("6.00000000")), BIDS[1]]
    assert kbook.apply(data(bids[:1], [], crc(ASKS, bids, 3, 8)), False, 2)
