"""Parquet export: every event comes back from the files, row for row and value for value
(exact decimals, exact nanoseconds); values that do not fit raise instead of rounding."""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from tickwire.core.recording import RecordingTruncated  # noqa: E402
from tickwire.core.recording.parquet import (  # noqa: E402
    PRICE_SCALE,
    SIZE_SCALE,
    TABLES,
    ParquetExporter,
    UnrepresentableValue,
    export_events,
)
from tickwire.core.types import (  # noqa: E402
    Balance,
    BookLevel,
    BookUpdate,
    Candle,
    Channel,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS  # noqa: E402

D = Decimal
T0 = 1_700_000_000_123_456_789  # ns precision matters: no microsecond rounding allowed
TINY = D("0.00000001")
BIG = D("123456789.123456789")
MAX_P = D("999999999999." + "9" * PRICE_SCALE)  # the largest price the default scale holds
MAX_S = D("999999999999999999." + "9" * SIZE_SCALE)  # the largest amount


def L(price: str | Decimal, size: str | Decimal) -> BookLevel:
    return BookLevel(D(price), D(size))


# fmt: off
def make_events() -> list:
    """A realistic mixed stream: every event type, both venues, edge values and Nones."""
    events: list = [
        StreamStatus(venue="kraken", state=StreamState.CONNECTED, ts=MIN_TS_NS),
        Ticker(
            venue="kraken", symbol="BTC/USD", bid=BIG, bid_size=TINY, ask=MAX_P,
            ask_size=MAX_S, last=D("0.1"), last_size=D("0E-30"), volume_24h=D("1E+17"),
            ts=T0, received=T0 + 1,
        ),
        Ticker(
            venue="kucoin", symbol="ETH/USDT", bid=None, bid_size=None, ask=None,
            ask_size=None, ts=MAX_TS_NS, received=MAX_TS_NS,
        ),
        BookUpdate(
            venue="kraken", symbol="BTC/USD", snapshot=True, sequence=None,
            bids=(L("50000.1", "0.5"), L("50000.0", TINY), L("1E-26", "3")),
            asks=(L("50000.2", "1.00000000000000000000"), L(BIG, MAX_S)),
            ts=T0, received=T0 + 2,
        ),
        BookUpdate(
            venue="kucoin", symbol="ETH/USDT", snapshot=False, sequence=2**63 - 1,
            bids=(), asks=(L("3000.5", "0"),), ts=T0 + 3, received=T0 + 4,
        ),
        BookUpdate(
            venue="kucoin", symbol="ETH/USDT", snapshot=True, sequence=0,
            bids=(), asks=(), ts=T0 + 5, received=T0 + 6,
        ),
        Candle(
            venue="kraken", symbol="BTC/USD", interval=60, start=T0 - 60 * 10**9,
            open=BIG, high=MAX_P, low=TINY, close=D("50000"), volume=D("0"),
            ts=T0, received=T0,
        ),
        Balance(venue="kraken", asset="BTC", total=MAX_S, ts=T0, received=T0 + 7),
        Balance(
            venue="kucoin", asset="USDT", total=D("10.5"), available=D("10"),
            hold=D("0.5"), ts=T0, received=T0,
        ),
        OrderUpdate(
            venue="kraken", symbol="BTC/USD", order_id="O-1", status=OrderStatus.PENDING,
            ts=T0, received=T0,
        ),
        OrderUpdate(
            venue="kucoin", symbol="ETH/USDT", order_id="abc", client_id="tw-1",
            side=Side.SELL, order_type=OrderType.LIMIT,
            status=OrderStatus.PARTIALLY_FILLED, price=BIG, size=D("2"), filled=TINY,
            remaining=D("1.99999999"), avg_price=D("123456789.1234567890123456789"),
            last_fill_price=BIG, last_fill_size=TINY, fee=D("-0.0000001"),
            fee_asset="USDT", reason="", ts=T0, received=T0 + 8,
        ),
        StreamStatus(
            venue="kucoin", state=StreamState.RESYNCING, reason="sequence gap 5 -> 9",
            channel=Channel.BOOK, symbol="ETH/USDT", attempt=3, ts=T0,
        ),
        StreamError(
            venue="kraken", error="DecodeError", message="bad frame: ünïcode ✓",
            frame='{"channel":', ts=T0,
        ),
        StreamError(venue="kucoin", error="KeyError", message="x", ts=T0),
    ]
    # ...and a longer stretch of ordinary traffic, to cross row-group boundaries.
    for i in range(300):
        price = D(50_000) + D(i) / 100
        events.append(
            Trade(
                venue=("kraken", "kucoin")[i % 2], symbol="BTC/USD", trade_id=str(i),
                price=price, size=TINY * (i + 1), side=(Side.BUY, Side.SELL)[i % 3 % 2],
                ts=T0 + i, received=T0 + i + 1,
            )
        )
        if i % 4 == 0:
            events.append(
                BookUpdate(
                    venue="kraken", symbol="BTC/USD", snapshot=False, sequence=i,
                    bids=tuple(L(price - j, D(j)) for j in range(i % 5)), asks=(L(price, TINY),),
                    ts=T0 + i, received=T0 + i,
                )
            )
    return events


TABLE_OF = {
    Ticker: "tickers", Trade: "trades", BookUpdate: "book_updates", Candle: "candles",
    Balance: "balances", OrderUpdate: "orders", StreamStatus: "statuses",
    StreamError: "errors",
}
# fmt: on
TYPE_OF = {name: cls for cls, name in TABLE_OF.items()}


def rows(path: Path) -> list[dict]:
    """The rows of one file as dicts, timestamps as exact integer nanoseconds."""
    table = pq.read_table(path)
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.int64())
        columns[name] = column.to_pylist()
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def read_back(directory: Path) -> dict[type, list]:
    """Rebuild the events, per type and in file order, from an export's files."""
    events: dict[type, list] = {}
    for name, cls in TYPE_OF.items():
        if cls is not BookUpdate:
            found = rows(directory / f"{name}.parquet")
            events[cls] = [msgspec.convert(row, cls, strict=True) for row in found]
    levels: dict[int, dict[str, list]] = defaultdict(lambda: {"bid": [], "ask": []})
    updates = rows(directory / "book_updates.parquet")
    assert [u["update_id"] for u in updates] == list(range(len(updates)))
    for level in rows(directory / "book_levels.parquet"):
        update = updates[level["update_id"]]
        # A level row carries its update's fields, unchanged.
        shared = ("venue", "symbol", "snapshot", "sequence", "ts", "received")
        assert {k: level[k] for k in shared} == {k: update[k] for k in shared}
        side = levels[level["update_id"]][level["side"]]
        assert level["level"] == len(side)  # positions in file order: 0, 1, 2, ...
        side.append(BookLevel(level["price"], level["size"]))
    books = []
    for update in updates:
        sides = levels[update.pop("update_id")]
        counts = (update.pop("bid_levels"), update.pop("ask_levels"))
        assert counts == (len(sides["bid"]), len(sides["ask"]))
        books.append(BookUpdate(**update, bids=tuple(sides["bid"]), asks=tuple(sides["ask"])))
    events[BookUpdate] = books
    return events


def by_type(events: list) -> dict[type, list]:
    out: dict[type, list] = {cls: [] for cls in TABLE_OF}
    for event in events:
        out[type(event)].append(event)
    return out


@pytest.fixture(scope="module")
def events() -> list:
    return make_events()


@pytest.fixture(scope="module")
def exported(events, tmp_path_factory) -> tuple[Path, dict[str, int]]:
    directory = tmp_path_factory.mktemp("export")
    counts = export_events(events, directory, row_group_size=7)
    return directory, counts


def test_every_row_and_value_reads_back(events, exported):
    directory, _ = exported
    back = read_back(directory)
    expected = by_type(events)
    for cls, originals in expected.items():
        assert len(back[cls]) == len(originals), cls.__name__
        for original, restored in zip(originals, back[cls], strict=True):
            assert restored == original  # Decimal equality: exact values, exact ns
            for field in original.__struct_fields__:
                value, back_value = getattr(original, field), getattr(restored, field)
                assert type(back_value) is type(value)  # ints stay ints, Decimals Decimals


def test_rows_per_table_equal_events_per_type(events, exported):
    directory, counts = exported
    per_type = Counter(TABLE_OF[type(e)] for e in events)
    levels = sum(len(e.bids) + len(e.asks) for e in events if isinstance(e, BookUpdate))
    assert counts == {name: per_type.get(name, 0) for name in TABLES} | {"book_levels": levels}
    for name, count in counts.items():
        file = pq.ParquetFile(directory / f"{name}.parquet")
        assert file.metadata.num_rows == count
    # Batched: 7 rows per row group, the remainder last.
    trades = pq.ParquetFile(directory / "trades.parquet")
    assert trades.num_row_groups == -(-counts["trades"] // 7)
    assert not list(directory.glob("*.partial"))


def test_schema(exported):
    directory, _ = exported
    schema = pq.read_schema(directory / "orders.parquet")
    price, size = pa.decimal128(38, PRICE_SCALE), pa.decimal128(38, SIZE_SCALE)
    assert schema.field("venue").type == pa.string() and not schema.field("venue").nullable
    assert schema.field("side").type == pa.string() and schema.field("side").nullable
    assert schema.field("price").type == price and schema.field("avg_price").type == price
    assert schema.field("filled").type == size and schema.field("fee").type == size
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    levels = pq.read_schema(directory / "book_levels.parquet")
    assert levels.names == [
        "update_id", "venue", "symbol", "snapshot", "sequence", "side", "level", "price",
        "size", "ts", "received",
    ]  # fmt: skip
    assert pq.read_schema(directory / "candles.parquet").field("start").type == pa.timestamp(
        "ns", tz="UTC"
    )


def test_every_field_of_every_event_has_its_column(exported):
    directory, _ = exported
    for cls, name in TABLE_OF.items():
        names = set(pq.read_schema(directory / f"{name}.parquet").names)
        if cls is BookUpdate:
            names |= {"bids", "asks"}
            names -= {"update_id", "bid_levels", "ask_levels"}
        assert names == set(cls.__struct_fields__), name


def test_pandas_reads_the_files_as_they_are(events, exported):
    pd = pytest.importorskip("pandas")
    directory, counts = exported
    for name, count in counts.items():
        assert len(pd.read_parquet(directory / f"{name}.parquet")) == count
    trades = pd.read_parquet(directory / "trades.parquet")
    originals = by_type(events)[Trade]
    assert str(trades["ts"].dtype) == "datetime64[ns, UTC]"
    assert [int(t.value) for t in trades["ts"]] == [t.ts for t in originals]
    assert list(trades["price"]) == [t.price for t in originals]
    assert list(trades["size"]) == [t.size for t in originals]
    assert list(trades["side"]) == [t.side.value for t in originals]
    tickers = pd.read_parquet(directory / "tickers.parquet")
    assert tickers["bid"][0] == BIG and tickers["ask"][0] == MAX_P
    assert tickers["ask_size"][0] == MAX_S and pd.isna(tickers["bid"][1])
    # The documented caveat's way round: sequences stay whole integers.
    books = pd.read_parquet(directory / "book_updates.parquet", dtype_backend="pyarrow")
    assert books["sequence"][1] == 2**63 - 1


def test_polars_reads_the_files_as_they_are(events, exported):
    pl = pytest.importorskip("polars")
    directory, counts = exported
    for name, count in counts.items():
        assert pl.read_parquet(directory / f"{name}.parquet").height == count
    trades = pl.read_parquet(directory / "trades.parquet")
    originals = by_type(events)[Trade]
    assert trades["ts"].dtype == pl.Datetime("ns", "UTC")
    assert trades["ts"].cast(pl.Int64).to_list() == [t.ts for t in originals]
    assert trades["price"].to_list() == [t.price for t in originals]
    levels = pl.read_parquet(directory / "book_levels.parquet")
    assert levels.filter(pl.col("update_id") == 0)["size"].to_list()[-1] == MAX_S


def test_an_empty_export_writes_every_table_with_its_schema(tmp_path):
    assert export_events([], tmp_path) == dict.fromkeys(TABLES, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    table = pq.read_table(tmp_path / "tickers.parquet")
    assert table.num_rows == 0 and "volume_24h" in table.column_names


ONE = D(1)


def trade(price: Decimal, size: Decimal = ONE) -> Trade:
    return Trade(
        venue="kraken", symbol="BTC/USD", trade_id="t", price=price, size=size,
        side=Side.BUY, ts=T0, received=T0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("event", "column", "scale"),
    [
        (trade(D("1E-27")), "price", PRICE_SCALE),  # one place too many
        (trade(MAX_PRICE), "price", PRICE_SCALE),  # 13 integer digits
        (trade(D(1), D("0.000000000000000000001")), "size", SIZE_SCALE),
        (trade(D(1), MAX_SIZE), "size", SIZE_SCALE),
        (trade(D("NaN")), "price", PRICE_SCALE),
        (trade(D(1), D("Infinity")), "size", SIZE_SCALE),
    ],
)
def test_a_value_that_does_not_fit_raises_instead_of_rounding(tmp_path, event, column, scale):
    with ParquetExporter(tmp_path) as export:
        with pytest.raises(UnrepresentableValue) as caught:
            export.add(event)
        assert (caught.value.table, caught.value.column) == ("trades", column)
        assert caught.value.scale == scale and "nothing was rounded" in str(caught.value)
        assert export.rows["trades"] == 0  # nothing of the event went in
        export.add(trade(D("2.5")))  # the export goes on
    assert rows(tmp_path / "trades.parquet") == [
        {"venue": "kraken", "symbol": "BTC/USD", "trade_id": "t", "price": D("2.5"),
         "size": D(1), "side": "buy", "ts": T0, "received": T0},
    ]  # fmt: skip


def test_a_bad_book_level_adds_nothing_of_its_update(tmp_path):
    bad = BookUpdate(
        venue="kraken", symbol="BTC/USD", snapshot=True, bids=(L("1", "1"),),
        asks=(L("2", "1"), L("3", "1E-21")), ts=T0, received=T0,
    )  # fmt: skip
    with ParquetExporter(tmp_path) as export:
        with pytest.raises(UnrepresentableValue, match=r"book_levels\.size"):
            export.add(bad)
        assert export.rows["book_updates"] == export.rows["book_levels"] == 0


def test_trailing_zeros_past_the_scale_are_not_a_loss(tmp_path):
    value = D("1." + "0" * 40)
    export_events([trade(value, value)], tmp_path)
    assert rows(tmp_path / "trades.parquet")[0]["price"] == 1


def test_custom_scales(tmp_path):
    export_events([trade(D("0.12345678"))], tmp_path / "ok", price_scale=8)
    assert pq.read_schema(tmp_path / "ok" / "trades.parquet").field("price").type == (
        pa.decimal128(38, 8)
    )
    with pytest.raises(UnrepresentableValue, match=r"decimal128\(38, 8\)"):
        export_events([trade(D("0.123456789"))], tmp_path / "bad", price_scale=8)
    for bad in ({"price_scale": 39}, {"size_scale": -1}, {"row_group_size": 0}):
        with pytest.raises(ValueError):
            ParquetExporter(tmp_path, **bad)


def test_a_failed_export_leaves_no_file(tmp_path, events):
    def cut():
        yield from events[:50]
        raise RecordingTruncated("rec.twr", 1234, "the file ends inside a block")

    with pytest.raises(RecordingTruncated):
        export_events(cut(), tmp_path, row_group_size=3)
    with pytest.raises(UnrepresentableValue):
        export_events([*events, trade(D("1E-30"))], tmp_path, row_group_size=3)
    assert list(tmp_path.iterdir()) == []


def test_not_an_event_and_closed(tmp_path):
    export = ParquetExporter(tmp_path)
    with pytest.raises(TypeError):
        export.add("ticker")  # type: ignore[arg-type]
    export.close()
    with pytest.raises(RuntimeError):
        export.add(trade(D(1)))


# --- property: any value the rules allow round-trips exactly, or is refused -----------


def places(value: Decimal) -> int:
    """Decimal places of ``value`` once trailing zeros are dropped (exactly, no context)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    digits = list(digits)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent) if any(digits) else 0


def amounts(upper: Decimal, *, positive: bool) -> st.SearchStrategy[Decimal]:
    """Decimals in ``[0, upper)`` (``(0, upper)`` if positive) with 0 to 40 places."""
    whole = st.integers(0, int(upper) - 1)
    return (
        st.integers(0, 40)
        .flatmap(lambda k: st.tuples(whole, st.just(k), st.integers(0, 10**k - 1)))
        .map(lambda t: D(f"{t[0]}.{t[2]:0{t[1]}d}") if t[1] else D(t[0]))
        .filter(lambda v: v > 0 or not positive)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(amounts(MAX_PRICE, positive=True), amounts(MAX_SIZE, positive=False)),
        min_size=1,
        max_size=20,
    )
)
@example([(D("1E-26"), D("1E-20")), (MAX_P, MAX_S), (D("0.00000001"), D(0))])
def test_decimals_within_the_rules_round_trip_exactly_or_are_refused(pairs):
    fits = [(p, s) for p, s in pairs if places(p) <= PRICE_SCALE and places(s) <= SIZE_SCALE]
    with tempfile.TemporaryDirectory() as directory:
        with ParquetExporter(directory, row_group_size=4) as export:
            for price, size in pairs:
                if (price, size) in fits:
                    export.add(trade(price, size))
                else:
                    with pytest.raises(UnrepresentableValue) as caught:
                        export.add(trade(price, size))
                    bad = "price" if places(price) > PRICE_SCALE else "size"
                    assert caught.value.column == bad
        back = [(r["price"], r["size"]) for r in rows(Path(directory) / "trades.parquet")]
    assert back == fits
