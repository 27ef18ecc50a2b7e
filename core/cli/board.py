"""The market board that ``tickwire demo`` and ``tickwire stream`` draw.

:class:`Board` keeps the latest state of every ``(venue, symbol)`` it has seen and turns it
into a rich table on demand. Rows are grouped by asset (the base currency), one row per
venue, so the same asset on two venues sits on adjacent rows and the ``Δ bps`` column
shows the cross-venue difference (it appears as soon as a second venue is on the board).
Rendering reads the live :class:`~tickwire.core.book.OrderBook` objects directly: the
board is updated and rendered on the event loop's thread only, never from rich's
refresh thread, so nothing is read while it is being changed.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rich.cells import cell_len
from rich.columns import Columns
from rich.console import (
    Console,
    ConsoleOptions,
    Group,
    JustifyMethod,
    RenderableType,
    RenderResult,
)
from rich.table import Table
from rich.text import Text

from tickwire.core.book import OrderBook
from tickwire.core.cli.formats import (
    Story,
    abbreviate,
    book_ladder,
    market_of,
    new_table,
    plain,
    plural,
    size,
)
from tickwire.core.types import (
    BookUpdate,
    Candle,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)

__all__ = ["Board", "book_ladder"]  # book_ladder: re-exported from .formats

_BPS = Decimal(10_000)
_Quote = tuple[Decimal | None, Decimal | None]  # (price, size)
_NONE: _Quote = (None, None)
_STATE_STYLE = {
    StreamState.CONNECTED: "green",
    StreamState.RESUBSCRIBED: "green",
    StreamState.RESYNCED: "green",
    StreamState.RECONNECTING: "yellow",
    StreamState.RESYNCING: "yellow",
    StreamState.STALE: "yellow",
    StreamState.LAGGING: "yellow",
    StreamState.CLOSED: "red",
}


@dataclass(slots=True)
class _Row:
    venue: str
    symbol: str
    ticker: Ticker | None = None
    last: Decimal | None = None  # latest trade price: ticker, trade or candle close
    book: OrderBook | None = None
    events: int = 0

    @property
    def asset(self) -> str:
        return self.symbol.partition("/")[0]

    def top(self) -> tuple[_Quote, _Quote]:
        """Best ``(price, size)`` per side: the live book's, else the ticker's."""
        book = self.book
        if book is not None and book.synced:
            bid, ask = book.best_bid, book.best_ask
            return (
                (bid.price, bid.size) if bid else _NONE,
                (ask.price, ask.size) if ask else _NONE,
            )
        ticker = self.ticker
        if ticker is None:
            return _NONE, _NONE
        return (ticker.bid, ticker.bid_size), (ticker.ask, ticker.ask_size)

    def mid(self) -> Decimal | None:
        """Midpoint of the best bid and ask, where both are known."""
        (bid, _), (ask, _) = self.top()
        return None if bid is None or ask is None else (bid + ask) / 2


@dataclass(slots=True)
class _VenueState:
    state: str = "connecting"
    style: str = "yellow"
    reason: str = ""
    errors: int = 0
    last_error: str = ""
    events: int = 0
    counts: Counter[StreamState] = field(default_factory=Counter)  # statuses seen


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    keep: int  # the narrower the screen, the lower ``keep`` columns go first
    justify: JustifyMethod = "right"
    style: str = ""


# Left to right as shown; Symbol, Venue, Bid, Ask and Δ are never dropped.
_COLUMNS = (
    _Column("Symbol", 9, "left", "bold"),
    _Column("Venue", 9, "left"),
    _Column("Bid qty", 3, style="green"),
    _Column("Bid", 9, style="bold green"),
    _Column("Ask", 9, style="bold red"),
    _Column("Ask qty", 3, style="red"),
    _Column("Spread", 2),
    _Column("Last", 1),
    _Column("Δ bps", 9),
    _Column("Events", 0, style="dim"),
)
_NOTABLE = frozenset(StreamState) - {StreamState.CONNECTED}
_RATE_WINDOW = 2.0  # seconds the events/s figure looks back over


@dataclass
class Board:
    """The latest ticker, last price and book top of every ``(venue, symbol)``.

    Feed it every event with :meth:`apply`, attach live books with :meth:`attach_book`,
    and call :meth:`render` whenever the screen should change (or print the board
    itself, which renders at the console's width)::

        board = Board(title="kraken")
        board.attach_book("kraken", "BTC/USD", client.book("BTC/USD"))
        async for event in client.events():
            board.apply(event)

    ``Δ bps`` is each row's mid against the ``reference`` venue's mid for the same
    market (default: the first venue added), so the baseline never depends on names.
    Reconnects, resyncs and :meth:`note` lines show under the table as they happen.
    """

    title: str = "tickwire"
    ladder_depth: int = 0  # book levels shown per side under the board; 0 hides ladders
    reference: str | None = None  # the venue Δ is measured from
    _rows: dict[tuple[str, str], _Row] = field(default_factory=dict)
    _venues: dict[str, _VenueState] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _notes: deque[Story] = field(default_factory=lambda: deque(maxlen=3))
    _samples: deque[tuple[float, dict[str, int]]] = field(default_factory=deque)

    # --- feeding -----------------------------------------------------------------------

    def add_venue(self, venue: str) -> None:
        """Show ``venue`` in the status line before its first event arrives."""
        self._venues.setdefault(venue, _VenueState())
        if self.reference is None:
            self.reference = venue

    def attach_book(self, venue: str, symbol: str, book: OrderBook) -> None:
        """Read the top of ``book`` for this row from now on."""
        self._row(venue, symbol).book = book

    def note(self, text: str, venue: str = "", style: str = "magenta") -> None:
        """Start a line of the "what happened" list under the table (the oldest drops off).

        Status events of ``venue`` in the next few seconds continue this line, so a
        fault and what the client did about it read as one story.
        """
        head = Text(time.strftime("%H:%M:%S "), style="dim")
        head.append(text, style=style)
        self._notes.append(Story(venue, time.monotonic(), head))

    def apply(self, event: Event) -> None:
        """Take one event into the board. Cheap: called for every event of the stream."""
        venue = self._venues.get(event.venue)
        if venue is None:
            self.add_venue(event.venue)
            venue = self._venues[event.venue]
        venue.events += 1
        match event:
            case Ticker():
                row = self._row(event.venue, event.symbol)
                row.ticker = event
                row.events += 1
                if event.last is not None:
                    row.last = event.last
            case Trade():
                row = self._row(event.venue, event.symbol)
                row.last = event.price
                row.events += 1
            case Candle():
                row = self._row(event.venue, event.symbol)
                row.last = event.close
                row.events += 1
            case BookUpdate():
                self._row(event.venue, event.symbol).events += 1
            case StreamStatus():
                self._status(venue, event)
            case StreamError():
                venue.errors += 1
                venue.last_error = event.message
            case _:
                pass  # account events have no place on a market board

    def _status(self, venue: _VenueState, event: StreamStatus) -> None:
        venue.state = event.state.value
        venue.style = _STATE_STYLE.get(event.state, "white")
        venue.reason = event.reason
        venue.counts[event.state] += 1
        # A first connect is not news; what follows a drop or a gap is.
        if event.state not in _NOTABLE and not venue.counts[StreamState.RECONNECTING]:
            return
        last = self._notes[-1] if self._notes else None
        if last is None or last.venue != event.venue or time.monotonic() - last.at > 5:
            self.note(f"{event.venue}:", event.venue, style="bold")  # news of its own
            last = self._notes[-1]
        last.add(event, venue.style)

    def _row(self, venue: str, symbol: str) -> _Row:
        key = (venue, symbol)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = _Row(venue, symbol)
            self.add_venue(venue)
        return row

    @property
    def event_count(self) -> int:
        """Events taken in so far, every venue together."""
        return sum(v.events for v in self._venues.values())

    def summary(self) -> str:
        """One line: run time, events in all and per venue, reconnects and resyncs seen."""
        elapsed = time.monotonic() - self._started
        venues = ", ".join(f"{name} {v.events:,}" for name, v in self._venues.items())
        reconnects = sum(v.counts[StreamState.RECONNECTING] for v in self._venues.values())
        resyncs = sum(v.counts[StreamState.RESYNCING] for v in self._venues.values())
        return (
            f"{elapsed:.0f}s, {self.event_count:,} events ({venues}); "
            f"{plural(reconnects, 'reconnect')}, {plural(resyncs, 'resync')}"
        )

    # --- rendering ---------------------------------------------------------------------

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Render to fit the screen: columns dropped by width, the oldest notes by height."""
        parts = self._parts(options.max_width)
        notes = [note.line() for note in self._notes]
        height = options.height or console.height

        def lines(renderables: Sequence[RenderableType]) -> int:
            return sum(len(console.render_lines(r, options, pad=False)) for r in renderables)

        used = lines(parts)
        while notes and used + lines(notes) > height:
            notes.pop(0)
        yield Group(*parts, *notes)

    def render(self, width: int | None = None) -> RenderableType:
        """The board: the table (columns dropped to fit ``width``), ladders, status, notes."""
        return Group(*self._parts(width), *(note.line() for note in self._notes))

    def _parts(self, width: int | None) -> list[RenderableType]:
        parts: list[RenderableType] = [self._table(width)]
        if self.ladder_depth:
            ladders = [
                book_ladder(row.book, self.ladder_depth, title=f"{row.venue} {row.symbol}")
                for row in self._sorted_rows()
                if row.book is not None
            ]
            parts.append(Columns(ladders))  # side by side as far as the width allows
        parts.append(self._status_line())
        return parts

    def _sorted_rows(self) -> list[_Row]:
        return sorted(self._rows.values(), key=lambda r: (r.asset, r.symbol, r.venue))

    def _cells(self, row: _Row, rows: list[_Row], cross_venue: bool) -> list[str]:
        bid, ask = row.top()
        spread = ask[0] - bid[0] if bid[0] is not None and ask[0] is not None else None
        return [
            row.symbol,
            row.venue,
            size(bid[1]),
            plain(bid[0]),
            plain(ask[0]),
            size(ask[1]),
            plain(spread),
            plain(row.last),
            self._cross_venue(row, rows) if cross_venue else "",
            abbreviate(Decimal(row.events)),
        ]

    def _table(self, width: int | None) -> Table:
        rows = self._sorted_rows()
        cross_venue = len({venue for venue, _ in self._rows}) > 1
        cells = [self._cells(row, rows, cross_venue) for row in rows]
        shown = [i for i, c in enumerate(_COLUMNS) if cross_venue or c.header != "Δ bps"]
        # A column takes its widest cell, one space of padding and one of separator;
        # the table adds an edge on each side. Drop the least needed columns first.
        need = {
            i: max(cell_len(_COLUMNS[i].header), *(cell_len(r[i]) for r in cells)) for i in shown
        }
        for i in sorted(shown, key=lambda i: _COLUMNS[i].keep):
            fits = sum(need[j] + 2 for j in shown) <= (width or 0)
            if width is None or fits or _COLUMNS[i].keep == 9:
                break
            shown.remove(i)
        table = new_table(self.title)
        if cross_venue and self.reference:
            table.caption = f"Δ bps: mid against {self.reference}'s"
            table.caption_justify = "left"
        for i in shown:
            column = _COLUMNS[i]
            table.add_column(
                column.header,
                justify=column.justify,
                style=column.style,
                no_wrap=True,
                min_width=need[i],
            )
        for index, row in enumerate(rows):
            last_of_asset = index + 1 == len(rows) or rows[index + 1].asset != row.asset
            table.add_row(*(cells[index][i] for i in shown), end_section=last_of_asset)
        return table

    def _cross_venue(self, row: _Row, rows: Iterable[_Row]) -> str:
        """This row's mid against the reference venue's mid for the same market, in bps."""
        if row.venue == self.reference:
            return "ref"
        market = market_of(row.symbol)
        ref = next(
            (r for r in rows if r.venue == self.reference and market_of(r.symbol) == market), None
        )
        mid, base = row.mid(), ref.mid() if ref is not None else None
        if mid is None or not base:
            return ""
        return f"{(mid - base) / base * _BPS:+.1f}"

    def _rates(self) -> dict[str, float]:
        # Events per second per venue over the last couple of seconds (since the start
        # until then): a live figure, not a lifetime average.
        now = time.monotonic()
        counts = {name: v.events for name, v in self._venues.items()}
        samples = self._samples
        samples.append((now, counts))
        while len(samples) > 2 and now - samples[1][0] >= _RATE_WINDOW:
            samples.popleft()
        then, before = samples[0] if len(samples) > 1 else (self._started, {})
        span = max(now - then, 1e-9)
        return {name: (n - before.get(name, 0)) / span for name, n in counts.items()}

    def _status_line(self) -> Text:
        rates = self._rates()
        line = Text()
        for venue, state in self._venues.items():
            line.append(f"{venue}: ", style="bold")
            line.append(state.state, style=state.style)
            if state.reason and state.style != "green":
                line.append(f" ({state.reason})", style="dim")
            line.append(f" {rates.get(venue, 0):,.0f}/s")
            if state.errors:
                line.append(f" {state.errors} errors, last: {state.last_error}", style="red")
            line.append("  ")
        line.append(f"{sum(rates.values()):,.0f} events/s", style="bold")
        line.append(f"  {time.monotonic() - self._started:.0f}s", style="dim")
        return line
