"""How the boards write numbers and events: sizes, prices, stories, the book ladder.

Prices are printed exactly as the venue sent them (their digits are their meaning);
quantities and counts are abbreviated to three significant digits with a k/M/G suffix,
so a column stays narrow without cutting a number short (``1.37k``, never ``1.37…``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal

from rich import box
from rich.table import Table
from rich.text import Text

from tickwire.core.book import OrderBook
from tickwire.core.types import StreamState, StreamStatus

__all__ = [
    "Story",
    "abbreviate",
    "book_ladder",
    "market_of",
    "new_table",
    "plain",
    "plural",
    "size",
]

_DOLLARS = {"USDT": "USD", "USDC": "USD"}
_SUFFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def plural(n: int, word: str) -> str:
    """``1 reconnect``, ``2 reconnects``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def new_table(title: str) -> Table:
    """A board table: rules but no column borders, one space of padding (fits 80 columns)."""
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )


def plain(value: Decimal | None) -> str:
    """A price as the venue wrote it; ``—`` when unknown."""
    return "—" if value is None else f"{value:f}"  # digits, never 2E-8


def size(value: Decimal | None) -> str:
    """A quantity, abbreviated; ``—`` when unknown."""
    return "—" if value is None else abbreviate(value)


def abbreviate(value: Decimal) -> str:
    """Three significant digits and a suffix: ``0.412``, ``30``, ``1.37k``, ``12.3M``."""
    if value == value.to_integral_value() and abs(value) < 1000:
        return f"{value:.0f}"
    if len(value.normalize().as_tuple().digits) <= 3 and abs(value) < 1000:
        return f"{value.normalize():f}"  # already short: 0.5 stays 0.5
    number = float(value)
    for scale, suffix in _SUFFIXES:
        if abs(number) >= scale * 0.9995:  # 999.6 is 1.00k, not 1000
            return _significant(number / scale) + suffix
    return _significant(number)


def _significant(x: float) -> str:
    # Fixed-point (never 1e+03) with three significant digits, after rounding to them.
    x = float(f"{x:.3g}")
    if x == 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


def market_of(symbol: str) -> tuple[str, str]:
    """``(base, quote)`` with dollar stablecoins counted as dollars: BTC/USDT ~ BTC/USD."""
    base, _, quote = symbol.partition("/")
    return base, _DOLLARS.get(quote, quote)


def book_ladder(book: OrderBook, depth: int, *, title: str = "") -> Table:
    """The best ``depth`` levels of both sides of ``book``, bids left and asks right."""
    table = new_table(title or f"{book.venue} {book.symbol}")
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


@dataclass(slots=True)
class _Step:
    state: StreamState
    style: str
    reason: str
    symbols: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Story:
    """One "what happened" line: a fault or a drop on a venue, then how it recovered.

    Consecutive statuses of one state merge (``resynced 3 books``); a reason shows
    in short for the states that have one worth reading (reconnecting, resyncing).
    """

    venue: str
    at: float  # monotonic time of the last step
    head: Text
    steps: list[_Step] = field(default_factory=list)

    def add(self, event: StreamStatus, style: str) -> None:
        """Continue the story with ``event``."""
        self.at = time.monotonic()
        last = self.steps[-1] if self.steps else None
        if last is None or last.state is not event.state:
            # The reason's gist only: "checksum mismatch: kraken 123, local 456" → its head.
            reason = event.reason.split(":")[0].split(" (")[0]
            last = _Step(event.state, style, reason)
            self.steps.append(last)
        if event.symbol:
            last.symbols.append(event.symbol)

    def line(self) -> Text:
        """The story as one (wrappable) line of text."""
        line = self.head.copy()
        for index, step in enumerate(self.steps):
            if index or not line.plain.endswith(":"):
                line.append(" →")
            books = step.symbols
            which = f" {books[0]}" if len(books) == 1 else f" {len(books)} books" if books else ""
            line.append(f" {step.state.value}{which}", style=step.style)
            if step.reason and step.state in (StreamState.RECONNECTING, StreamState.RESYNCING):
                line.append(f" ({step.reason})", style="dim")
        return line
