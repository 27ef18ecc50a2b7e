"""What the ``tickwire`` command shows: the market board and the registry listing.

:class:`Board` keeps the latest state of every ``(venue, symbol)`` it has seen and turns it
into a rich table on demand. Rows are grouped by asset (the base currency), one row per
venue, so the same asset on two venues sits on adjacent rows and the ``Δ mid`` column
shows the cross-venue difference (it appears as soon as a second venue is on the board).
Rendering reads the live :class:`~tickwire.core.book.OrderBook` objects directly: the
board is updated and rendered on the event loop's thread only, never from rich's
refresh thread, so nothing is read while it is being changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rich import box
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tickwire.core.book import OrderBook
from tickwire.core.registry import Registry
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

__all__ = ["Board", "book_ladder", "registry_tables"]

_BPS = Decimal(10_000)
_Quote = tuple[Decimal | None, Decimal | None]  # (price, size)
_NONE: _Quote = (None, None)
_DOLLARS = {"USDT": "USD", "USDC": "USD"}
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


@dataclass
class Board:
    """The latest ticker, last price and book top of every ``(venue, symbol)``.

    Feed it every event with :meth:`apply`, attach live books with :meth:`attach_book`,
    and call :meth:`render` whenever the screen should change::

        board = Board(title="kraken")
        board.attach_book("kraken", "BTC/USD", client.book("BTC/USD"))
        async for event in client.events():
            board.apply(event)
    """

    title: str = "tickwire"
    ladder_depth: int = 0  # book levels shown per side under the board; 0 hides ladders
    _rows: dict[tuple[str, str], _Row] = field(default_factory=dict)
    _venues: dict[str, _VenueState] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)

    # --- feeding -----------------------------------------------------------------------

    def add_venue(self, venue: str) -> None:
        """Show ``venue`` in the status line before its first event arrives."""
        self._venues.setdefault(venue, _VenueState())

    def attach_book(self, venue: str, symbol: str, book: OrderBook) -> None:
        """Read the top of ``book`` for this row from now on."""
        self._row(venue, symbol).book = book

    def apply(self, event: Event) -> None:
        """Take one event into the board. Cheap: called for every event of the stream."""
        venue = self._venues.get(event.venue)
        if venue is None:
            venue = self._venues[event.venue] = _VenueState()
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
                venue.state = event.state.value
                venue.style = _STATE_STYLE.get(event.state, "white")
                venue.reason = event.reason
            case StreamError():
                venue.errors += 1
                venue.last_error = event.message
            case _:
                pass  # account events have no place on a market board

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

    # --- rendering ---------------------------------------------------------------------

    def render(self) -> RenderableType:
        """The board as a rich renderable: the table, ladders if asked, a status line."""
        parts: list[RenderableType] = [self._table()]
        if self.ladder_depth:
            ladders = [
                book_ladder(row.book, self.ladder_depth, title=f"{row.venue} {row.symbol}")
                for row in self._sorted_rows()
                if row.book is not None
            ]
            parts.append(Columns(ladders))  # side by side as far as the width allows
        parts.append(self._status_line())
        return Group(*parts)

    def _sorted_rows(self) -> list[_Row]:
        return sorted(self._rows.values(), key=lambda r: (r.asset, r.symbol, r.venue))

    def _table(self) -> Table:
        cross_venue = len({venue for venue, _ in self._rows}) > 1
        table = _new_table(self.title)
        table.add_column("Symbol", style="bold", no_wrap=True)
        table.add_column("Venue", no_wrap=True)
        table.add_column("Bid qty", justify="right", style="green")
        table.add_column("Bid", justify="right", style="bold green", no_wrap=True)
        table.add_column("Ask", justify="right", style="bold red", no_wrap=True)
        table.add_column("Ask qty", justify="right", style="red")
        table.add_column("Spread", justify="right")
        table.add_column("Last", justify="right", no_wrap=True)
        if cross_venue:
            table.add_column("Δ mid bps", justify="right")
        table.add_column("Events", justify="right", style="dim")
        rows = self._sorted_rows()
        for index, row in enumerate(rows):
            bid, ask = row.top()
            spread = ask[0] - bid[0] if bid[0] is not None and ask[0] is not None else None
            cells = [
                row.symbol,
                row.venue,
                _fmt_size(bid[1]),
                _fmt(bid[0]),
                _fmt(ask[0]),
                _fmt_size(ask[1]),
                _fmt(spread),
                _fmt(row.last),
            ]
            if cross_venue:
                cells.append(_cross_venue(row, rows))
            cells.append(f"{row.events:,}")
            last_of_asset = index + 1 == len(rows) or rows[index + 1].asset != row.asset
            table.add_row(*cells, end_section=last_of_asset)
        return table

    def _status_line(self) -> Text:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        line = Text()
        for venue, state in sorted(self._venues.items()):
            line.append(f"{venue}: ", style="bold")
            line.append(state.state, style=state.style)
            if state.reason and state.style != "green":
                line.append(f" ({state.reason})", style="dim")
            line.append(f"  {state.events / elapsed:,.0f} ev/s")
            if state.errors:
                line.append(f"  {state.errors} errors, last: {state.last_error}", style="red")
            line.append("   ")
        line.append(f"{elapsed:.0f}s", style="dim")
        return line


def _new_table(title: str) -> Table:
    # Rules but no column borders, one space of padding: a board fits 80 columns.
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def _fmt_size(value: Decimal | None) -> str:
    # Sizes carry up to 8 decimals on the wire; 4 are enough to read a board.
    if value is None:
        return "—"
    return f"{value:,.4f}" if value.as_tuple().exponent < -4 else f"{value:,}"  # type: ignore[operator]


def _market(symbol: str) -> tuple[str, str]:
    """``(base, quote)`` with dollar stablecoins counted as dollars: BTC/USDT ~ BTC/USD."""
    base, _, quote = symbol.partition("/")
    return base, _DOLLARS.get(quote, quote)


def _cross_venue(row: _Row, rows: Iterable[_Row]) -> str:
    """This venue's mid against the cheapest venue's mid for the same market, in bps."""
    mid = row.mid()
    market = _market(row.symbol)
    peers = [r for r in rows if _market(r.symbol) == market]
    mids = [m for r in peers if (m := r.mid()) is not None]
    if mid is None or len({r.venue for r in peers}) < 2 or len(mids) < 2:
        return ""
    cheapest = min(mids)
    return f"{(mid - cheapest) / cheapest * _BPS:+.1f}"


def book_ladder(book: OrderBook, depth: int, *, title: str = "") -> Table:
    """The best ``depth`` levels of both sides of ``book``, bids left and asks right."""
    table = _new_table(title or f"{book.venue} {book.symbol}")
    table.add_column("Bid qty", justify="right")
    table.add_column("Bid", justify="right", style="green")
    table.add_column("Ask", justify="right", style="red")
    table.add_column("Ask qty", justify="right")
    bids, asks = book.bids(depth), book.asks(depth)
    for i in range(max(len(bids), len(asks))):
        bid = bids[i] if i < len(bids) else None
        ask = asks[i] if i < len(asks) else None
        table.add_row(
            str(bid.size) if bid else "",
            str(bid.price) if bid else "",
            str(ask.price) if ask else "",
            str(ask.size) if ask else "",
        )
    if not book.synced:
        table.caption = "awaiting snapshot"
    return table


def registry_tables(registry: Registry) -> list[RenderableType]:
    """The ``tickwire exchanges`` listing: adapters, emulators, plugin problems."""
    emulated: dict[str, list[str]] = {}
    for emulator in registry.emulators.values():
        emulated.setdefault(emulator.venue, []).append(emulator.name)
    adapters = Table(title="Adapters", title_justify="left")
    for column in ("Name", "Channels", "Private", "Emulator", "Description"):
        adapters.add_column(column)
    for name, spec in sorted(registry.adapters.items()):
        adapters.add_row(
            name,
            ", ".join(sorted(spec.channels)),
            "yes" if spec.private else "no",
            ", ".join(emulated.get(name, [])) or "—",
            spec.description,
        )
    emulators = Table(title="Emulators", title_justify="left")
    for column in ("Name", "Venue", "Description"):
        emulators.add_column(column)
    for name, emulator in sorted(registry.emulators.items()):
        emulators.add_row(name, emulator.venue, emulator.description)
    parts: list[RenderableType] = [adapters, emulators]
    for problem in registry.problems:
        parts.append(Text(f"plugin problem: {problem}", style="yellow"))
    return parts
