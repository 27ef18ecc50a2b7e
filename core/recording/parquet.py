"""Parquet export: normalized events as one Parquet file per event type, for pandas/polars.

::

    from tickwire.core.recording.parquet import ParquetExporter, export_events

    with ParquetExporter("out/") as export:      # out/trades.parquet, out/tickers.parquet, ...
        for event in events:
            export.add(event)
    rows = export_events(events, "out/")          # the same in one call: rows per table

    pandas.read_parquet("out/trades.parquet")     # or polars.read_parquet, pyarrow.parquet

Needs the ``parquet`` extra (``pip install 'tickwire[parquet]'``) for ``pyarrow``.

Tables. Every file is written, with its schema, even when no event of its type came
(so a pipeline can always open all of them). ``P`` is ``decimal128(38, price_scale)``,
``S`` is ``decimal128(38, size_scale)``, ``T`` is ``timestamp[ns, tz=UTC]``, ``?`` marks
a nullable column; strings are UTF-8, enums are their string values (``"buy"``,
``"partially_filled"``, ``"resynced"``)::

    tickers       venue, symbol, bid P?, bid_size S?, ask P?, ask_size S?, last P?,
                  last_size S?, volume_24h S?, ts T, received T
    trades        venue, symbol, trade_id, price P, size S, side, ts T, received T
    book_updates  update_id int64, venue, symbol, snapshot bool, sequence int64?,
                  bid_levels int64, ask_levels int64, ts T, received T
    book_levels   update_id int64, venue, symbol, snapshot bool, sequence int64?,
                  side ("bid" | "ask"), level int64, price P, size S, ts T, received T
    candles       venue, symbol, interval int64 (seconds), start T, open P, high P, low P,
                  close P, volume S, ts T, received T
    balances      venue, asset, total S, available S?, hold S?, ts T, received T
    orders        venue, symbol, order_id, client_id?, side?, order_type?, status, price P?,
                  size S?, filled S, remaining S?, avg_price P?, last_fill_price P?,
                  last_fill_size S?, fee S?, fee_asset?, reason?, ts T, received T
    statuses      venue, state, reason, channel?, symbol?, attempt int64, ts T
    errors        venue, error, message, frame, ts T

Rows keep the order of :meth:`ParquetExporter.add`. Every table has one row per event,
except the book, which is flat so that pandas and polars read it without unnesting:
``book_updates`` has one row per :class:`BookUpdate` (so an update with no levels is
still there) and ``book_levels`` one row per level, carrying the update's fields
(repeated values cost next to nothing after Parquet's dictionary encoding); ``update_id``
numbers the updates from 0 and joins the two, ``level`` is the level's position in its
side of the update (0 first: the best level of a snapshot). List-of-struct columns were
the alternative; polars reads them well, pandas only as arrays of dicts.

Exact decimals. A column has one decimal type for the whole file, and the file is
written in row groups before the later values are seen, so the scale cannot come from
the data. It comes from the value rules instead (:mod:`tickwire.core.validation`): with
38 digits in a ``decimal128``, a price (below ``1e12``: 12 integer digits) gets a scale
of 26, every other amount (sizes, volumes, balances, fees: below ``1e18``, 18 integer
digits) a scale of 20. So every value the rules allow, with up to 26 (price) or 20
(amount) decimal places, is stored exactly. A value that does not fit (too many
places, too large, NaN, infinite) is *never rounded*: :meth:`~ParquetExporter.add`
raises :class:`UnrepresentableValue` and adds nothing of that event.
``price_scale=``/``size_scale=`` trade integer digits for places (``price_scale=8``:
``decimal128(38, 8)``) under the same rule. Values come back numerically equal; the
exponent of the original ``Decimal`` is not kept (``Decimal("0.1")`` reads back as
``Decimal("0.10000000000000000000000000")``, equal to it). pandas reads the columns as
``Decimal`` objects, polars as ``Decimal(38, scale)``; cast to float for arithmetic.

Reading. ``pyarrow.parquet.read_table``, ``pandas.read_parquet`` and
``polars.read_parquet`` read the files as they are. One pandas caveat: its default
conversion makes a nullable integer column that holds a null (``sequence``) ``float64``,
exact only below ``2**53``; ``read_parquet(..., dtype_backend="pyarrow")`` keeps it whole.

All or nothing. Files are written as ``<table>.parquet.partial`` and renamed to
``<table>.parquet`` by :meth:`~ParquetExporter.close`; when the ``with`` block raises (a
recording cut in the middle, an unrepresentable value) the partial files are removed,
so a directory never holds an export that looks complete but is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from decimal import Context, Decimal, Inexact, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import pyarrow as pa
import pyarrow.parquet as pq

from tickwire.core.errors import TickwireError
from tickwire.core.types import (
    Balance,
    BookLevel,
    BookUpdate,
    Candle,
    Event,
    OrderUpdate,
    StreamError,
    StreamStatus,
    Ticker,
    Trade,
)

__all__ = [
    "PRICE_SCALE",
    "SIZE_SCALE",
    "TABLES",
    "ParquetExporter",
    "UnrepresentableValue",
    "export_events",
]

PRECISION: Final = 38  # the digits of a decimal128: what pandas, polars and Parquet share
PRICE_SCALE: Final = 26  # 38 digits - 12 integer digits (prices < 1e12)
"""Default decimal places of price columns: every price the value rules allow fits."""
SIZE_SCALE: Final = 20  # 38 digits - 18 integer digits (sizes < 1e18)
"""Default decimal places of every other amount column (sizes, volumes, balances, fees)."""

SUFFIX: Final = ".parquet"
_PARTIAL: Final = ".partial"

# Column kinds, as the module docstring writes them: P price, S amount, T timestamp, a
# bare name a string; a trailing "?" makes it nullable. The Arrow types are made per
# exporter, since the decimal scales are options.
_STR, _PRICE, _SIZE, _TS, _INT, _BOOL = "str", "P", "S", "T", "int64", "bool"
_LAYOUT: Final = {
    "tickers": "venue symbol bid:P? bid_size:S? ask:P? ask_size:S? last:P? last_size:S? "
    "volume_24h:S? ts:T received:T",
    "trades": "venue symbol trade_id price:P size:S side ts:T received:T",
    "book_updates": "update_id:int64 venue symbol snapshot:bool sequence:int64? "
    "bid_levels:int64 ask_levels:int64 ts:T received:T",
    "book_levels": "update_id:int64 venue symbol snapshot:bool sequence:int64? side "
    "level:int64 price:P size:S ts:T received:T",
    "candles": "venue symbol interval:int64 start:T open:P high:P low:P close:P volume:S "
    "ts:T received:T",
    "balances": "venue asset total:S available:S? hold:S? ts:T received:T",
    "orders": "venue symbol order_id client_id? side? order_type? status price:P? size:S? "
    "filled:S remaining:S? avg_price:P? last_fill_price:P? last_fill_size:S? fee:S? "
    "fee_asset? reason? ts:T received:T",
    "statuses": "venue state reason channel? symbol? attempt:int64 ts:T",
    "errors": "venue error message frame ts:T",
}


def _columns(layout: str) -> tuple[tuple[str, str, bool], ...]:
    """``"name:kind?"`` words as ``(column, kind, nullable)``."""
    columns = []
    for word in layout.split():
        name, _, kind = word.rstrip("?").partition(":")
        columns.append((name, kind or _STR, word.endswith("?")))
    return tuple(columns)


# Per table, (column, kind, nullable). The column is also the event's attribute, except
# for the book tables, whose rows are built by hand.
_SPECS: Final = {name: _columns(layout) for name, layout in _LAYOUT.items()}

TABLES: Final = tuple(_LAYOUT)
"""The tables (files ``<name>.parquet``) an export writes, in this order."""

_TABLE_OF: Final[dict[type[Any], str]] = {
    Ticker: "tickers",
    Trade: "trades",
    Candle: "candles",
    Balance: "balances",
    OrderUpdate: "orders",
    StreamStatus: "statuses",
    StreamError: "errors",
}

# Quantizing under this context is the exactness check, in C: Inexact is signalled when
# a non-zero digit would be dropped, InvalidOperation when more than 38 digits would be
# needed (or the value is infinite). Both are trapped, so nothing is ever rounded.
_EXACT: Final = Context(prec=PRECISION, traps=[Inexact, InvalidOperation])


class UnrepresentableValue(TickwireError, ValueError):
    """A decimal does not fit its column's ``decimal128(38, scale)`` without rounding.

    ``table``/``column`` name the column, ``value`` is the event's value, ``scale`` the
    column's decimal places. The event it belongs to was not exported.
    """

    def __init__(self, table: str, column: str, value: Decimal, scale: int) -> None:
        self.table = table
        self.column = column
        self.value = value
        self.scale = scale
        super().__init__(
            f"{table}.{column}: {value} cannot be stored exactly as decimal128({PRECISION}, "
            f"{scale}) (finite, at most {PRECISION - scale} integer digits and {scale} "
            "decimal places); nothing was rounded: pass price_scale= or size_scale= to "
            "move the split"
        )

    def __reduce__(self) -> tuple[type[UnrepresentableValue], tuple[str, str, Decimal, int]]:
        return (type(self), (self.table, self.column, self.value, self.scale))


class _Table:
    """One output file: its schema, the rows not yet written (as columns), its writer."""

    def __init__(self, name: str, schema: Any, path: Path) -> None:
        self.name = name
        self.schema = schema
        self.partial = path.with_name(path.name + _PARTIAL)
        self.path = path
        self.columns: list[list[Any]] = [[] for _ in schema]
        self.rows = 0  # every row added, written or not
        self.writer: Any = None

    def append(self, row: list[Any]) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        self.rows += 1

    def flush(self, compression: str | None) -> None:
        """Write the pending rows as one row group (opening the file on first use)."""
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.partial, self.schema, compression=compression)
        if self.columns[0]:
            arrays = [
                pa.array(values, type=field.type)
                for values, field in zip(self.columns, self.schema, strict=True)
            ]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
            self.columns = [[] for _ in self.schema]


class ParquetExporter:
    """Writes events into one Parquet file per table under ``directory`` (module docs).

    ``row_group_size`` rows are gathered per table before they are written as one row
    group (memory is bounded by it); ``compression`` is any codec pyarrow knows (zstd by
    default, which pandas and polars both read); ``price_scale``/``size_scale`` set the
    decimal places of price and amount columns, ``0`` to ``38``. Use it as a context
    manager, or call :meth:`close` (success) or :meth:`abort` (discard) yourself.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        row_group_size: int = 65_536,
        compression: str | None = "zstd",
        price_scale: int = PRICE_SCALE,
        size_scale: int = SIZE_SCALE,
    ) -> None:
        if row_group_size < 1:
            raise ValueError(f"row_group_size must be at least 1, got {row_group_size}")
        for name, scale in (("price_scale", price_scale), ("size_scale", size_scale)):
            if not 0 <= scale <= PRECISION:
                raise ValueError(f"{name} must be between 0 and {PRECISION}, got {scale}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._row_group_size = row_group_size
        self._compression = compression
        self._scales = {_PRICE: price_scale, _SIZE: size_scale}
        self._quanta = {kind: Decimal(1).scaleb(-scale) for kind, scale in self._scales.items()}
        types = {
            _STR: pa.string(),
            _PRICE: pa.decimal128(PRECISION, price_scale),
            _SIZE: pa.decimal128(PRECISION, size_scale),
            _TS: pa.timestamp("ns", tz="UTC"),
            _INT: pa.int64(),
            _BOOL: pa.bool_(),
        }
        self._tables = {
            name: _Table(
                name,
                pa.schema([pa.field(c, types[kind], nullable=n) for c, kind, n in spec]),
                self.directory / f"{name}{SUFFIX}",
            )
            for name, spec in _SPECS.items()
        }
        self._closed = False

    @property
    def rows(self) -> dict[str, int]:
        """Rows added so far per table (every table named, ``0`` for the empty ones)."""
        return {name: table.rows for name, table in self._tables.items()}

    @property
    def paths(self) -> dict[str, Path]:
        """The final path of each table's file (present once :meth:`close` returned)."""
        return {name: table.path for name, table in self._tables.items()}

    def add(self, event: Event) -> None:
        """Add one event to its table; raise :class:`UnrepresentableValue` if it cannot be
        stored exactly (and then add nothing of it), ``TypeError`` if it is no event."""
        if self._closed:
            raise RuntimeError("the exporter is closed")
        if isinstance(event, BookUpdate):
            self._add_book(event)
            return
        name = _TABLE_OF.get(type(event))
        if name is None:
            raise TypeError(f"not a tickwire event: {type(event).__name__}")
        row = [
            self._convert(name, column, kind, getattr(event, column))
            for column, kind, _ in _SPECS[name]
        ]
        self._append(self._tables[name], row)

    def close(self) -> None:
        """Write every pending row and every table's file (empty tables included)."""
        if self._closed:
            return
        try:
            for table in self._tables.values():
                table.flush(self._compression)
                table.writer.close()
                table.writer = None
        except BaseException:
            self.abort()
            raise
        self._closed = True
        for table in self._tables.values():
            os.replace(table.partial, table.path)

    def abort(self) -> None:
        """Discard the export: close and remove the partial files; add nothing more."""
        self._closed = True
        for table in self._tables.values():
            if table.writer is not None:
                table.writer.close()
                table.writer = None
            table.partial.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # --- rows -------------------------------------------------------------------------

    def _append(self, table: _Table, row: list[Any]) -> None:
        table.append(row)
        if len(table.columns[0]) >= self._row_group_size:
            table.flush(self._compression)

    def _add_book(self, event: BookUpdate) -> None:
        updates, levels = self._tables["book_updates"], self._tables["book_levels"]
        update_id = updates.rows
        head = [update_id, event.venue, event.symbol, event.snapshot, event.sequence]
        tail = [event.ts, event.received]
        # Every level is converted before anything is appended: an unrepresentable value
        # leaves both tables as they were.
        rows = [
            [*head, side, i, *self._level(level), *tail]
            for side, side_levels in (("bid", event.bids), ("ask", event.asks))
            for i, level in enumerate(side_levels)
        ]
        self._append(updates, [*head, len(event.bids), len(event.asks), *tail])
        for row in rows:
            self._append(levels, row)

    def _level(self, level: BookLevel) -> tuple[Decimal | None, Decimal | None]:
        return (
            self._convert("book_levels", "price", _PRICE, level.price),
            self._convert("book_levels", "size", _SIZE, level.size),
        )

    def _convert(self, table: str, column: str, kind: str, value: Any) -> Any:
        if value is None or kind in (_TS, _INT, _BOOL):
            return value
        if kind == _STR:
            return str(value)  # a StrEnum gives its value
        try:
            if not value.is_finite():  # a NaN would quantize to NaN without a signal
                raise InvalidOperation
            return value.quantize(self._quanta[kind], context=_EXACT)
        except (Inexact, InvalidOperation):
            raise UnrepresentableValue(table, column, value, self._scales[kind]) from None


def export_events(
    events: Iterable[Event],
    directory: str | os.PathLike[str],
    **options: Any,
) -> dict[str, int]:
    """Export ``events`` to ``directory`` and return the rows written per table.

    ``options`` are :class:`ParquetExporter`'s keywords. If ``events`` raises (a
    recording cut in the middle) or a value cannot be stored exactly, the error
    propagates and no file of this export is left in ``directory``.
    """
    with ParquetExporter(directory, **options) as exporter:
        add: Callable[[Event], None] = exporter.add
        for event in events:
            add(event)
    return exporter.rows
