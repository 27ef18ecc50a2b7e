"""Kraken book integrity: CRC32 checksums, resync rules, truncation to the subscribed depth."""

from __future__ import annotations

import zlib
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.adapters.kraken.book import KrakenBook, checksum
from tickwire.adapters.kraken.parse import decode_frame, to_instruments
from tickwire.adapters.kraken.schemas import BookData, BookMessage, InstrumentMessage, PriceLevel
from tickwire.core.book import OrderBook
from tickwire.core.errors import BookOutOfSync, DecodeError
from tickwire.core.types import BookLevel

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"
RECEIVED = 1_800_000_000_000_000_000
SNAPSHOT_TS = 1_696_613_755_440_295_000  # 2023-10-06T17:35:55.440295Z

Row = tuple[Decimal, Decimal]


def D(text: str | int) -> Decimal:
    return Decimal(text)


def book_data(name: str) -> BookData:
    msg = decode_frame((FIXTURES / name).read_bytes())
    assert isinstance(msg, BookMessage)
    return msg.data[0]


def reference_checksum(asks: list[Row], bids: list[Row], pp: int, qp: int) -> int:
    """The §6.2 rule written independently: scale to an integer, top 10 per side."""

    def fmt(value: Decimal, places: int) -> str:
        return str(int(value.scaleb(places).to_integral_value()))

    asks = sorted(asks)[:10]
    bids = sorted(bids, reverse=True)[:10]
    text = "".join(fmt(p, pp) + fmt(q, qp) for p, q in asks + bids)
    return zlib.crc32(text.encode())


def make_data(
    symbol: str, bids: list[Row], asks: list[Row], crc: int, timestamp: str | None = None
) -> BookData:
    return BookData(
        symbol=symbol,
        bids=[PriceLevel(price=p, qty=q) for p, q in bids],
        asks=[PriceLevel(price=p, qty=q) for p, q in asks],
        checksum=crc,
        timestamp=timestamp,
    )


def is_synced(kbook: KrakenBook) -> bool:
    """Read ``synced`` through a call, so mypy does not narrow it between applies."""
    return kbook.synced


def synced_matic(depth: int = 10) -> KrakenBook:
    kbook = KrakenBook("MATIC/USD", depth, price_precision=4, qty_precision=8)
    kbook.apply(book_data("book_snapshot.json"), True, RECEIVED)
    return kbook


# --- checksum --------------------------------------------------------------------------


def test_snapshot_fixture_checksum() -> None:
    data = book_data("book_snapshot.json")
    book = OrderBook("kraken", "MATIC/USD", depth=10)
    bids = [(lv.price, lv.qty) for lv in data.bids]
    book.apply_snapshot(bids, [(lv.price, lv.qty) for lv in data.asks])
    assert checksum(book, 4, 8) == 2439117997 == data.checksum


def test_update_fixture_checksum() -> None:
    kbook = synced_matic()
    kbook.apply(book_data("book_update.json"), False, RECEIVED)
    assert checksum(kbook.book, 4, 8) == 2114181697


@pytest.mark.parametrize(
    ("price", "qty", "pp", "qp", "text"),
    [
        ("45285.2", "0.00100000", 1, 8, "452852100000"),
        ("0.566", "18097.1547", 4, 8, "56601809715470000"),  # trimmed wire values
        ("0.5660", "18097.15470000", 4, 8, "56601809715470000"),  # full precision
        ("66788.0", "5.1e-05", 1, 8, "6678805100"),
        ("1", "1", 0, 0, "11"),
    ],
)
def test_level_formatting(price: str, qty: str, pp: int, qp: int, text: str) -> None:
    book = OrderBook("kraken", "X/Y")
    book.apply_snapshot([], [(D(price), D(qty))])
    assert checksum(book, pp, qp) == zlib.crc32(text.encode())


def test_checksum_covers_top_ten_asks_then_bids() -> None:
    asks = [(D(100 + i), D(i + 1)) for i in range(15)]
    bids = [(D(99 - i), D(i + 2)) for i in range(15)]
    book = OrderBook("kraken", "X/Y")
    book.apply_snapshot(bids, asks)
    assert checksum(book, 0, 0) == reference_checksum(asks, bids, 0, 0)
    text = "".join(f"{100 + i}{i + 1}" for i in range(10)) + "".join(
        f"{99 - i}{i + 2}" for i in range(10)
    )
    assert checksum(book, 0, 0) == zlib.crc32(text.encode())


def test_checksum_of_an_empty_book() -> None:
    assert checksum(OrderBook("kraken", "X/Y"), 1, 8) == 0


def test_checksum_rejects_negative_precision() -> None:
    with pytest.raises(ValueError):
        checksum(OrderBook("kraken", "X/Y"), -1, 8)


def test_the_crc32_in_use_gives_zlibs_values() -> None:
    """zlib-ng's crc32, taken when installed, must be zlib's function, seeded or not."""
    from tickwire.adapters.kraken import book as kraken_book

    for data in (b"", b"56664831754963", bytes(range(256)) * 3):
        for seed in (0, 1, 2_439_117_997, 2**32 - 1):
            assert kraken_book.crc32(data, seed) == zlib.crc32(data, seed)


# --- KrakenBook: fixtures --------------------------------------------------------------


def test_apply_snapshot_fixture() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    assert not is_synced(kbook)
    update = kbook.apply(book_data("book_snapshot.json"), True, RECEIVED)
    assert is_synced(kbook)
    assert update is not None
    assert (update.venue, update.symbol, update.snapshot) == ("kraken", "MATIC/USD", True)
    assert (update.ts, update.received, update.sequence) == (SNAPSHOT_TS, RECEIVED, None)
    assert len(update.bids) == len(update.asks) == 10
    assert update.bids[0] == BookLevel(D("0.5666"), D("4831.75496356"))
    assert update.asks[0] == BookLevel(D("0.5668"), D("4410.79769741"))
    assert kbook.book.best_bid == BookLevel(D("0.5666"), D("4831.75496356"))
    assert kbook.book.ts == SNAPSHOT_TS


def test_apply_update_fixture() -> None:
    kbook = synced_matic()
    update = kbook.apply(book_data("book_update.json"), False, RECEIVED + 1)
    assert update is not None
    assert update.snapshot is False
    assert update.bids == (BookLevel(D("0.5657"), D("1098.3947558")),)
    assert update.asks == ()
    assert update.received == RECEIVED + 1
    assert kbook.book.bids()[-1] == BookLevel(D("0.5657"), D("1098.3947558"))
    assert kbook.book.bid_count == 10


def test_for_instrument_takes_the_precisions() -> None:
    msg = decode_frame((FIXTURES / "instrument_snapshot.json").read_bytes())
    assert isinstance(msg, InstrumentMessage)
    eur_usd = to_instruments(msg)[0]
    kbook = KrakenBook.for_instrument(eur_usd, 25)
    assert (kbook.symbol, kbook.precisions, kbook.book.depth) == ("EUR/USD", (5, 8), 25)


def test_wire_precision_update_deletes_and_inserts() -> None:
    # book_update_wire_precision.json's own checksum refers to a book we don't have:
    # build a snapshot around it and put the checksum of the expected result in.
    bids = [(D("66787.7"), D("1.0")), (D("66786.5"), D("0.5")), (D("66785.0"), D("2.0"))]
    asks = [(D("66788.0"), D("0.3"))]
    kbook = KrakenBook("BTC/USD", 10, price_precision=1, qty_precision=8)
    kbook.apply(make_data("BTC/USD", bids, asks, reference_checksum(asks, bids, 1, 8)), True, 1)
    wire = book_data("book_update_wire_precision.json")
    expected_bids = [
        (D("66787.7"), D("0.12440000")),
        (D("66785.0"), D("2.0")),
        (D("66784.5"), D("0.01470022")),
    ]
    fixed = msgspec.structs.replace(wire, checksum=reference_checksum(asks, expected_bids, 1, 8))
    update = kbook.apply(fixed, False, 2)
    assert update is not None
    assert update.bids[0] == BookLevel(D("66786.5"), D("0"))  # the delete, as given
    assert [(lv.price, lv.size) for lv in kbook.book.bids()] == expected_bids
    assert kbook.book.ts == 1_716_137_124_204_654_000  # 2024-05-19T16:45:24.204654Z


# --- KrakenBook: integrity -------------------------------------------------------------


def test_tampered_checksum_resets_and_ignores_until_snapshot() -> None:
    kbook = synced_matic()
    tampered = msgspec.structs.replace(book_data("book_update.json"), checksum=2114181698)
    with pytest.raises(BookOutOfSync) as info:
        kbook.apply(tampered, False, RECEIVED)
    assert info.value.symbol == "MATIC/USD"
    assert "2114181698" in info.value.reason and "2114181697" in info.value.reason
    assert not is_synced(kbook) and len(kbook.book) == 0
    # Updates are ignored, even ones with a "right" checksum, until a fresh snapshot.
    assert kbook.apply(book_data("book_update.json"), False, RECEIVED) is None
    assert len(kbook.book) == 0
    assert kbook.apply(book_data("book_snapshot.json"), True, RECEIVED) is not None
    assert kbook.synced
    assert kbook.apply(book_data("book_update.json"), False, RECEIVED) is not None


def test_tampered_snapshot_raises() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    bad = msgspec.structs.replace(book_data("book_snapshot.json"), checksum=1)
    with pytest.raises(BookOutOfSync):
        kbook.apply(bad, True, RECEIVED)
    assert not kbook.synced and len(kbook.book) == 0


def test_updates_before_the_first_snapshot_are_ignored() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    assert kbook.apply(book_data("book_update.json"), False, RECEIVED) is None


def test_wrong_precision_fails_the_checksum() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=5, qty_precision=8)
    with pytest.raises(BookOutOfSync, match="checksum"):
        kbook.apply(book_data("book_snapshot.json"), True, RECEIVED)


def test_unknown_precisions_never_sync() -> None:
    kbook = KrakenBook("MATIC/USD", 10)
    assert kbook.precisions is None
    with pytest.raises(BookOutOfSync, match="precisions unknown"):
        kbook.apply(book_data("book_snapshot.json"), True, RECEIVED)
    assert not kbook.synced
    assert kbook.apply(book_data("book_update.json"), False, RECEIVED) is None
    kbook.set_precisions(4, 8)
    assert kbook.apply(book_data("book_snapshot.json"), True, RECEIVED) is not None
    assert kbook.synced


def test_half_given_precisions_are_refused() -> None:
    with pytest.raises(ValueError):
        KrakenBook("MATIC/USD", 10, price_precision=4)
    with pytest.raises(ValueError):
        KrakenBook("MATIC/USD", 10, price_precision=-1, qty_precision=8)


def test_reset_drops_levels() -> None:
    kbook = synced_matic()
    kbook.reset()
    assert not kbook.synced and len(kbook.book) == 0


@pytest.mark.parametrize(
    ("bids", "asks", "match"),
    [
        ([(D("0.5"), D("-1"))], [], "bid qty at 0.5 out of range: -1"),
        ([(D("0.5"), D("NaN"))], [], "bid qty at 0.5 out of range: NaN"),
        ([(D("0.5"), D("1E+99999"))], [], "bid qty"),
        ([], [(D("-0.5667"), D("1"))], "ask price out of range: -0.5667"),
        ([], [(D("0"), D("1"))], "ask price out of range: 0"),
        ([], [(D("Infinity"), D("1"))], "ask price out of range: Infinity"),
        ([], [(D("sNaN"), D("1"))], "ask price out of range: sNaN"),
        ([(D("1" + "0" * 400), D("1"))], [], "bid price out of range"),
    ],
)
def test_a_level_breaking_the_rules_is_refused_before_the_book_is_touched(
    bids: list[tuple[D, D]], asks: list[tuple[D, D]], match: str
) -> None:
    kbook = synced_matic()
    before = kbook.book.levels()
    # A valid row first: refusing must not leave it half-applied.
    bad = make_data("MATIC/USD", [(D("0.5666"), D("7")), *bids], asks, 0)
    with pytest.raises(DecodeError, match=match):
        kbook.apply(bad, False, RECEIVED)
    assert kbook.synced and kbook.book.levels() == before


def test_a_refused_update_is_reported_even_while_the_book_awaits_a_snapshot() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    with pytest.raises(DecodeError):
        kbook.apply(make_data("MATIC/USD", [(D("0.5"), D("-1"))], [], 0), False, RECEIVED)


@pytest.mark.parametrize("stamp", ["not-a-date", "1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z"])
def test_a_bad_book_timestamp_is_refused(stamp: str) -> None:
    kbook = synced_matic()
    before = kbook.book.levels()
    data = msgspec.structs.replace(book_data("book_update.json"), timestamp=stamp)
    with pytest.raises(DecodeError, match="timestamp"):
        kbook.apply(data, False, RECEIVED)
    assert kbook.synced and kbook.book.levels() == before


def test_book_timestamps_are_exact_across_milliseconds_and_seconds() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    snapshot = book_data("book_snapshot.json")
    second = SNAPSHOT_TS - 440_295_000  # 2023-10-06T17:35:55Z
    for stamp, ns in [
        ("2023-10-06T17:35:55.440295Z", SNAPSHOT_TS),
        ("2023-10-06T17:35:55.440999Z", second + 440_999_000),  # a cached millisecond
        ("2023-10-06T17:35:55.441000Z", second + 441_000_000),  # a new one, same second
        ("2023-10-06T17:35:56.000001Z", second + 1_000_001_000),  # a new second
        ("2023-10-06T17:35:55.440295123Z", SNAPSHOT_TS + 123),  # nanoseconds
    ]:
        update = kbook.apply(msgspec.structs.replace(snapshot, timestamp=stamp), True, RECEIVED)
        assert update is not None and update.ts == ns, stamp
    before = kbook.book.levels()
    # After a cached millisecond, the digits and the end are still checked.
    for stamp in (
        "2023-10-06T17:35:55.4402_5Z",
        "2023-10-06T17:35:55.44029\u0665Z",  # a non-ASCII digit
        "2023-10-06T17:35:55.440295ZZ",
    ):
        with pytest.raises(DecodeError, match="timestamp"):
            kbook.apply(msgspec.structs.replace(snapshot, timestamp=stamp), True, RECEIVED)
    assert kbook.book.levels() == before


def test_data_for_another_symbol_is_refused() -> None:
    kbook = KrakenBook("BTC/USD", 10, price_precision=4, qty_precision=8)
    with pytest.raises(ValueError, match="MATIC/USD"):
        kbook.apply(book_data("book_snapshot.json"), True, RECEIVED)


def test_missing_timestamp_uses_received() -> None:
    kbook = KrakenBook("MATIC/USD", 10, price_precision=4, qty_precision=8)
    data = msgspec.structs.replace(book_data("book_snapshot.json"), timestamp=None)
    update = kbook.apply(data, True, RECEIVED)
    assert update is not None and update.ts == RECEIVED


# --- truncation and slide-in -----------------------------------------------------------


def _ladder() -> tuple[list[Row], list[Row]]:
    bids = [(D("100") - i, D(i + 1)) for i in range(10)]  # 100 .. 91
    asks = [(D("101") + i, D(i + 1)) for i in range(10)]  # 101 .. 110
    return bids, asks


def test_a_better_level_pushes_the_worst_out_of_depth() -> None:
    bids, asks = _ladder()
    kbook = KrakenBook("X/Y", 10, price_precision=1, qty_precision=8)
    kbook.apply(make_data("X/Y", bids, asks, reference_checksum(asks, bids, 1, 8)), True, 1)
    new_bid = (D("100.5"), D("7"))
    after = [new_bid, *bids[:9]]  # 91 falls out of the subscribed depth; no delete is sent
    update = make_data("X/Y", [new_bid], [], reference_checksum(asks, after, 1, 8))
    assert kbook.apply(update, False, 2) is not None
    assert kbook.book.bid_count == 10
    assert [lv.price for lv in kbook.book.bids()] == [p for p, _ in after]


def test_slide_in_after_a_delete_inside_the_depth() -> None:
    bids, asks = _ladder()
    kbook = KrakenBook("X/Y", 10, price_precision=1, qty_precision=8)
    kbook.apply(make_data("X/Y", bids, asks, reference_checksum(asks, bids, 1, 8)), True, 1)
    # Ask 103 is consumed; the venue deletes it and sends 111, which slides into view.
    rows = [(D("103"), D("0")), (D("111"), D("4.5"))]
    after = [a for a in asks if a[0] != D("103")] + [(D("111"), D("4.5"))]
    assert kbook.apply(make_data("X/Y", [], rows, reference_checksum(after, bids, 1, 8)), False, 2)
    assert [lv.price for lv in kbook.book.asks()] == [p for p, _ in after]


def test_deeper_subscription_checksums_only_the_top_ten() -> None:
    bids = [(D("100") - i, D(i + 1)) for i in range(25)]
    asks = [(D("101") + i, D(i + 1)) for i in range(25)]
    kbook = KrakenBook("X/Y", 25, price_precision=1, qty_precision=8)
    crc = reference_checksum(asks, bids, 1, 8)
    assert kbook.apply(make_data("X/Y", bids, asks, crc), True, 1) is not None
    # A change at level 20 keeps the checksum; the book still holds it.
    assert kbook.apply(make_data("X/Y", [(D("81"), D("9"))], [], crc), False, 2) is not None
    assert kbook.book.bid_count == 25


def test_repeated_price_in_one_update_applies_in_array_order() -> None:
    bids, asks = _ladder()
    kbook = KrakenBook("X/Y", 10, price_precision=1, qty_precision=8)
    kbook.apply(make_data("X/Y", bids, asks, reference_checksum(asks, bids, 1, 8)), True, 1)
    rows = [(D("100"), D("0")), (D("100"), D("3")), (D("99"), D("5")), (D("99"), D("0"))]
    after = [(D("100"), D("3")), *bids[2:]]  # 99 set, then deleted
    crc = reference_checksum(asks, after, 1, 8)
    assert kbook.apply(make_data("X/Y", rows, [], crc), False, 2) is not None
    assert [(lv.price, lv.size) for lv in kbook.book.bids()] == after


# --- property: a venue model and the client agree on every checksum -------------------

prices = st.integers(1, 60).map(lambda n: Decimal(n).scaleb(-1))  # 0.1 .. 6.0, 1 decimal
qtys = st.integers(0, 5_000).map(lambda n: Decimal(n).scaleb(-3))  # 0 deletes
rows_ = st.lists(st.tuples(prices, qtys), max_size=6)


@settings(max_examples=150)
@given(st.sampled_from([10, 25]), st.lists(st.tuples(rows_, rows_), min_size=1, max_size=12))
def test_model_venue_and_client_stay_in_sync(
    depth: int, updates: list[tuple[list[Row], list[Row]]]
) -> None:
    """A naive venue applies the same rows to dicts, truncates, and checksums its top 10."""
    venue_bids: dict[Decimal, Decimal] = {}
    venue_asks: dict[Decimal, Decimal] = {}

    def venue_apply(side: dict[Decimal, Decimal], rows: list[Row], best_high: bool) -> None:
        for price, qty in rows:
            if qty:
                side[price] = qty
            else:
                side.pop(price, None)
        keep = sorted(side, reverse=best_high)[:depth]
        for price in set(side) - set(keep):
            del side[price]

    kbook = KrakenBook("X/Y", depth, price_precision=1, qty_precision=3)
    kbook.apply(make_data("X/Y", [], [], reference_checksum([], [], 1, 3)), True, 0)
    for received, (bid_rows, ask_rows) in enumerate(updates, 1):
        venue_apply(venue_bids, bid_rows, best_high=True)
        venue_apply(venue_asks, ask_rows, best_high=False)
        crc = reference_checksum(list(venue_asks.items()), list(venue_bids.items()), 1, 3)
        update = kbook.apply(make_data("X/Y", bid_rows, ask_rows, crc), False, received)
        assert update is not None
        assert kbook.book.bids() == [
            BookLevel(p, venue_bids[p]) for p in sorted(venue_bids, reverse=True)
        ]
        assert kbook.book.asks() == [BookLevel(p, venue_asks[p]) for p in sorted(venue_asks)]
