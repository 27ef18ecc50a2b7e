"""Kraken frame builders and the book checksum, checked against the golden samples."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tickwire.exchanges.kraken import frames

SAMPLES = Path(__file__).parent.parent / "fixtures" / "kraken"


def load_sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(), parse_float=Decimal)


def _levels(side: list[dict[str, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    return [(lvl["price"], lvl["qty"]) for lvl in side]


def _sample_book() -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    data = load_sample("book_snapshot.json")["data"][0]
    return _levels(data["bids"]), _levels(data["asks"])


def _apply(
    book: dict[Decimal, Decimal], levels: list[tuple[Decimal, Decimal]]
) -> dict[Decimal, Decimal]:
    for price, qty in levels:
        if qty:
            book[price] = qty
        else:
            book.pop(price, None)
    return book


def test_checksum_reproduces_the_documented_snapshot() -> None:
    bids, asks = _sample_book()
    assert frames.checksum(bids, asks, 4, 8) == 2439117997
    assert load_sample("book_snapshot.json")["data"][0]["checksum"] == 2439117997


def test_memoizing_checksummer_agrees() -> None:
    bids, asks = _sample_book()
    checksummer = frames.Checksummer(4, 8)
    assert checksummer(bids, asks) == checksummer(bids, asks) == 2439117997


def test_checksum_reproduces_the_documented_update() -> None:
    bids, asks = _sample_book()
    update = load_sample("book_update.json")["data"][0]
    bid_book = _apply(dict(bids), _levels(update["bids"]))
    ask_book = _apply(dict(asks), _levels(update["asks"]))
    new_bids = sorted(bid_book.items(), reverse=True)[:10]
    new_asks = sorted(ask_book.items())[:10]
    assert frames.checksum(new_bids, new_asks, 4, 8) == update["checksum"] == 2114181697


def test_checksum_tokens_follow_the_reference_examples() -> None:
    # §6.2: 45285.2 → 452852; 0.00100000 → 100000; 18097.1547 at 8 decimals.
    assert frames.checksum_digits(Decimal("45285.2"), 1) == "452852"
    assert frames.checksum_digits(Decimal("0.001"), 8) == "100000"
    assert frames.checksum_digits(Decimal("18097.1547"), 8) == "1809715470000"


def test_checksum_of_a_trimmed_book_matches_a_plain_crc32() -> None:
    # Fewer than 10 levels a side: use what exists (asks first, then bids).
    bids = [(Decimal("100.5"), Decimal("1"))]
    asks = [(Decimal("100.6"), Decimal("0.5")), (Decimal("100.7"), Decimal("2.25"))]
    expected = zlib.crc32(b"1006" + b"50000000" + b"1007" + b"225000000" + b"1005" + b"100000000")
    assert frames.checksum(bids, asks, 1, 8) == expected


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal(0), 8, b"0.00000000"),
        (Decimal("0E-8"), 8, b"0.00000000"),
        (Decimal("1E-7"), 8, b"0.00000010"),
        (Decimal("66788"), 1, b"66788.0"),
        (Decimal("0.1"), 8, b"0.10000000"),
        (Decimal("-429.3"), 1, b"-429.3"),
    ],
)
def test_numbers_keep_full_precision(value: Decimal, places: int, text: bytes) -> None:
    assert msgspec.json.encode(frames.num(value, places)) == text


def test_timestamps_are_rfc3339_utc() -> None:
    ns = 1_695_378_785_709_950_123
    assert frames.rfc3339(ns) == "2023-09-22T10:33:05.709950Z"
    assert frames.rfc3339(ns, 9) == "2023-09-22T10:33:05.709950123Z"
    assert frames.rfc3339(ns, 0) == "2023-09-22T10:33:05Z"


def test_heartbeat_frame_is_the_sample() -> None:
    assert json.loads(frames.HEARTBEAT) == load_sample("heartbeat.json")
