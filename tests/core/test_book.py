"""The L2 book engine: unit tests, then a property test against a naive model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.core.book import OrderBook
from tickwire.core.types import BookLevel, Side

Row = tuple[Decimal, Decimal]


def D(value: str | int) -> Decimal:
    return Decimal(value)


def rows(*pairs: tuple[str | int, str | int]) -> list[tuple[Decimal, Decimal]]:
    return [(D(p), D(s)) for p, s in pairs]


def levels(*pairs: tuple[str | int, str | int]) -> list[BookLevel]:
    return [BookLevel(D(p), D(s)) for p, s in pairs]


# --- unit tests -------------------------------------------------------------------------


def test_new_book_is_empty_and_unsynced() -> None:
    book = OrderBook("kraken", "BTC/USD", depth=10)
    assert (book.venue, book.symbol, book.depth) == ("kraken", "BTC/USD", 10)
    assert not book.synced
    assert book.sequence is None
    assert book.ts == 0
    assert len(book) == 0
    assert book.best_bid is None and book.best_ask is None
    assert book.spread is None and book.mid is None
    assert book.levels() == ((), ())


def test_snapshot_orders_sides_best_first_and_skips_zero_sizes() -> None:
    book = OrderBook("kucoin", "BTC/USDT")
    book.apply_snapshot(
        bids=rows(("99", "1"), ("100", "2"), ("98", "0"), ("97", "3")),
        asks=rows(("103", "1"), ("101", "5"), ("102", "0")),
        sequence=42,
        ts=1_000,
    )
    assert book.synced
    assert book.sequence == 42 and book.ts == 1_000
    assert book.bids() == levels(("100", "2"), ("99", "1"), ("97", "3"))
    assert book.asks() == levels(("101", "5"), ("103", "1"))
    assert book.best_bid == BookLevel(D(100), D(2))
    assert book.best_ask == BookLevel(D(101), D(5))
    assert book.spread == D(1)
    assert book.mid == D("100.5")
    assert (len(book), book.bid_count, book.ask_count) == (5, 3, 2)


def test_snapshot_replaces_everything_and_truncates_to_depth() -> None:
    book = OrderBook("kraken", "BTC/USD", depth=2)
    book.apply_snapshot(bids=rows(("1", "1")), asks=rows(("9", "1")), sequence=1)
    book.apply_snapshot(
        bids=rows(("10", "1"), ("12", "1"), ("11", "1")),
        asks=rows(("15", "1"), ("13", "1"), ("14", "1")),
    )
    assert [lvl.price for lvl in book.bids()] == [D(12), D(11)]
    assert [lvl.price for lvl in book.asks()] == [D(13), D(14)]
    assert book.size_at(Side.BUY, D(1)) is None
    assert book.sequence is None  # a snapshot takes its sequence as given


def test_set_level_inserts_updates_and_deletes() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.set_level(Side.BUY, D(100), D(1))
    book.set_level(Side.BUY, D(101), D(2))
    book.set_level(Side.BUY, D(100), D(3))
    book.set_level(Side.SELL, D(105), D(1))
    assert book.bids() == levels(("101", "2"), ("100", "3"))
    assert book.size_at(Side.BUY, D(100)) == D(3)
    assert book.size_at(Side.SELL, D(100)) is None
    book.set_level(Side.BUY, D(101), D(0))
    book.set_level(Side.SELL, D(999), D(0))  # deleting an absent level is fine
    assert book.bids() == levels(("100", "3"))
    assert book.asks() == levels(("105", "1"))


def test_set_level_does_not_truncate() -> None:
    book = OrderBook("kraken", "BTC/USD", depth=1)
    book.set_level(Side.SELL, D(10), D(1))
    book.set_level(Side.SELL, D(11), D(1))
    assert book.ask_count == 2
    book.truncate()
    assert book.asks() == levels(("10", "1"))


def test_equal_decimals_with_different_exponents_are_one_level() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.set_level(Side.BUY, D("100.0"), D(1))
    book.set_level(Side.BUY, D("100.00"), D(0))
    assert len(book) == 0


def test_negative_size_is_rejected() -> None:
    book = OrderBook("kraken", "BTC/USD")
    with pytest.raises(ValueError, match="negative size"):
        book.set_level(Side.BUY, D(1), D(-1))
    with pytest.raises(ValueError, match="negative size"):
        book.apply_snapshot(bids=rows(("1", "-1")), asks=[])


def test_delta_applies_rows_in_order_then_truncates() -> None:
    book = OrderBook("kraken", "BTC/USD", depth=2)
    book.apply_snapshot(bids=rows(("100", "1"), ("99", "1")), asks=rows(("101", "1")), sequence=5)
    # The best bid leaves, then a deeper one arrives: truncation must happen after both.
    book.apply_delta(
        bids=rows(("100", "0"), ("98", "4"), ("97", "1"), ("98", "2")),
        asks=rows(("102", "1"), ("102", "3")),
        sequence=6,
        ts=7,
    )
    assert book.bids() == levels(("99", "1"), ("98", "2"))
    assert book.asks() == levels(("101", "1"), ("102", "3"))
    assert (book.sequence, book.ts) == (6, 7)
    # A delta without sequence/ts keeps the previous values.
    book.apply_delta(bids=[], asks=rows(("101", "2")))
    assert (book.sequence, book.ts) == (6, 7)


def test_apply_levels_is_the_delta_rule_for_event_levels() -> None:
    book = OrderBook("kucoin", "BTC/USDT", depth=2)
    book.apply_snapshot(bids=rows(("100", "1"), ("99", "1")), asks=rows(("101", "1")), sequence=5)
    book.apply_levels(
        levels(("100", "0"), ("98", "4"), ("97", "1"), ("98", "2")),
        levels(("102", "1"), ("102", "3"), ("105", "0")),
        6,
        7,
    )
    assert book.bids() == levels(("99", "1"), ("98", "2"))
    assert book.asks() == levels(("101", "1"), ("102", "3"))
    assert (book.sequence, book.ts) == (6, 7)
    # The sequence is always taken; a ts of 0 (unknown) keeps the previous one.
    book.apply_levels((), levels(("101", "2")), 8, 0)
    assert (book.sequence, book.ts, book.best_ask) == (8, 7, BookLevel(D(101), D(2)))


def test_delta_inside_the_spread_moves_best_prices() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.apply_snapshot(bids=rows(("100", "1")), asks=rows(("110", "1")))
    book.apply_delta(bids=rows(("105", "2")), asks=rows(("107", "3")))
    assert book.best_bid == BookLevel(D(105), D(2))
    assert book.best_ask == BookLevel(D(107), D(3))
    assert book.spread == D(2)


def test_reset_drops_levels_and_sequence_but_keeps_depth() -> None:
    book = OrderBook("kraken", "BTC/USD", depth=3)
    book.apply_snapshot(bids=rows(("1", "1")), asks=rows(("2", "1")), sequence=9, ts=5)
    book.reset()
    assert not book.synced
    assert book.sequence is None
    assert len(book) == 0 and book.levels() == ((), ())
    assert book.depth == 3
    book.set_level(Side.BUY, D(1), D(1))  # the side containers still work after reset
    assert book.bids() == levels(("1", "1"))


def test_top_n_reads() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.apply_snapshot(
        bids=rows(("1", "1"), ("2", "2"), ("3", "3")),
        asks=rows(("4", "4"), ("5", "5"), ("6", "6")),
    )
    assert book.bids(2) == levels(("3", "3"), ("2", "2"))
    assert book.asks(2) == levels(("4", "4"), ("5", "5"))
    assert book.bids(10) == levels(("3", "3"), ("2", "2"), ("1", "1"))
    assert book.bids(0) == [] and book.asks(0) == []
    assert book.top_bids(2) == rows(("3", "3"), ("2", "2"))
    assert book.top_asks(5) == rows(("4", "4"), ("5", "5"), ("6", "6"))
    assert book.top_bids(0) == []


def test_truncate_with_explicit_depth() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.apply_snapshot(bids=rows(("1", "1"), ("2", "1")), asks=rows(("3", "1"), ("4", "1")))
    book.truncate()  # unbounded: nothing goes
    assert len(book) == 4
    book.truncate(1)
    assert book.levels() == (tuple(levels(("2", "1"))), tuple(levels(("3", "1"))))
    assert book.size_at(Side.BUY, D(1)) is None and book.size_at(Side.SELL, D(4)) is None


@pytest.mark.parametrize("depth", [0, -1])
def test_depth_must_be_positive(depth: int) -> None:
    with pytest.raises(ValueError, match="depth"):
        OrderBook("kraken", "BTC/USD", depth=depth)
    with pytest.raises(ValueError, match="depth"):
        OrderBook("kraken", "BTC/USD").truncate(depth)


def test_side_may_be_given_as_its_string_value() -> None:
    book = OrderBook("kraken", "BTC/USD")
    book.set_level("sell", D(1), D(1))  # type: ignore[arg-type]
    assert book.size_at(Side.SELL, D(1)) == D(1)


# --- property test against a naive model -----------------------------------------------


class NaiveBook:
    """The obviously-correct model: one dict per side, re-sorted on every read."""

    def __init__(self, depth: int | None) -> None:
        self.depth = depth
        self.sides: dict[Side, dict[Decimal, Decimal]] = {Side.BUY: {}, Side.SELL: {}}

    def snapshot(self, bids: list[Row], asks: list[Row]) -> None:
        for side, rows_ in ((Side.BUY, bids), (Side.SELL, asks)):
            self.sides[side] = {}
            for price, size in rows_:
                self.set(side, price, size)
        self.truncate(self.depth)

    def set(self, side: Side, price: Decimal, size: Decimal) -> None:
        if size == 0:
            self.sides[side].pop(price, None)
        else:
            self.sides[side][price] = size

    def delta(self, bids: list[Row], asks: list[Row]) -> None:
        for price, size in bids:
            self.set(Side.BUY, price, size)
        for price, size in asks:
            self.set(Side.SELL, price, size)
        self.truncate(self.depth)

    def truncate(self, depth: int | None) -> None:
        if depth is None:
            return
        self.sides[Side.BUY] = dict(self.bids()[:depth])
        self.sides[Side.SELL] = dict(self.asks()[:depth])

    def bids(self) -> list[tuple[Decimal, Decimal]]:
        return sorted(self.sides[Side.BUY].items(), reverse=True)

    def asks(self) -> list[tuple[Decimal, Decimal]]:
        return sorted(self.sides[Side.SELL].items())


# A small price grid makes repeats, deletes of absent levels and crossings frequent; the
# varying exponents check that equal Decimals ("1.5" and "1.50") are one level.
prices = st.builds(
    lambda ticks, places: Decimal(ticks).scaleb(-1).quantize(Decimal(1).scaleb(-places)),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=3),
)
sizes = st.one_of(st.just(Decimal(0)), st.integers(1, 5).map(Decimal))
side_rows = st.lists(st.tuples(prices, sizes), max_size=12)
sides = st.sampled_from([Side.BUY, Side.SELL])
operations = st.one_of(
    st.tuples(st.just("snapshot"), side_rows, side_rows),
    st.tuples(st.just("delta"), side_rows, side_rows),
    st.tuples(st.just("levels"), side_rows, side_rows),
    st.tuples(st.just("set"), sides, prices, sizes),
    st.tuples(st.just("truncate"), st.one_of(st.none(), st.integers(1, 6))),
)


def assert_same(book: OrderBook, model: NaiveBook) -> None:
    bids, asks = model.bids(), model.asks()
    assert book.bids() == [BookLevel(p, s) for p, s in bids]
    assert book.asks() == [BookLevel(p, s) for p, s in asks]
    assert book.top_bids(3) == bids[:3]
    assert book.top_asks(3) == asks[:3]
    assert book.bids(2) == [BookLevel(p, s) for p, s in bids[:2]]
    assert book.asks(2) == [BookLevel(p, s) for p, s in asks[:2]]
    assert book.best_bid == (BookLevel(*bids[0]) if bids else None)
    assert book.best_ask == (BookLevel(*asks[0]) if asks else None)
    if bids and asks:
        assert book.spread == asks[0][0] - bids[0][0]
        assert book.mid == (asks[0][0] + bids[0][0]) / 2
    else:
        assert book.spread is None and book.mid is None
    assert book.levels() == (
        tuple(BookLevel(p, s) for p, s in bids),
        tuple(BookLevel(p, s) for p, s in asks),
    )
    assert (book.bid_count, book.ask_count, len(book)) == (
        len(bids),
        len(asks),
        len(bids) + len(asks),
    )
    for price, size in bids:
        assert book.size_at(Side.BUY, price) == size
    for price, size in asks:
        assert book.size_at(Side.SELL, price) == size


@settings(max_examples=300, deadline=None)
@given(depth=st.one_of(st.none(), st.integers(1, 6)), ops=st.lists(operations, max_size=25))
def test_engine_matches_naive_model(depth: int | None, ops: list[tuple[Any, ...]]) -> None:
    book = OrderBook("test", "X/Y", depth=depth)
    model = NaiveBook(depth)
    for op in ops:
        match op:
            case ("snapshot", bids, asks):
                book.apply_snapshot(bids, asks)
                model.snapshot(bids, asks)
                assert book.synced
            case ("delta", bids, asks):
                book.apply_delta(bids, asks)
                model.delta(bids, asks)
            case ("levels", bids, asks):
                # The same rule as a delta, fed the levels an event carries.
                book.apply_levels(
                    tuple(BookLevel(p, s) for p, s in bids),
                    [BookLevel(p, s) for p, s in asks],
                    1,
                    0,
                )
                model.delta(bids, asks)
            case ("set", side, price, size):
                book.set_level(side, price, size)
                model.set(side, price, size)
            case ("truncate", n):
                book.truncate(n)
                model.truncate(depth if n is None else n)
        assert_same(book, model)
