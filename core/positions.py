"""Positions and P&L from the account's own events, on any venue.

A :class:`PositionTracker` reads :class:`~tickwire.core.types.OrderUpdate` events (a fill
is an update whose cumulative ``filled`` grew) and keeps, per symbol, the position, the
average entry price, realized P&L, fees by asset and — given a mark price — unrealized
P&L. Exact ``Decimal`` arithmetic throughout; a repeated report (after a reconnect, say)
changes nothing::

    tracker = PositionTracker()
    tracker.seed(await client.fetch_fills())   # history first: right after a restart
    client.on_event(tracker.on_event, types=[OrderUpdate])
    ...
    position = tracker["BTC/USD"]
    position.size, position.entry, position.realized, position.unrealized(mark)

Spot venues have no positions of their own: here a position is the base asset bought
minus sold through the tracked fills (long when positive), its entry the average price of
what is held, and realized P&L the quote earned on what was closed (before fees).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

import msgspec

from tickwire.core.types import Event, OrderUpdate, Side

__all__ = ["Fill", "Position", "PositionTracker"]

ZERO = Decimal(0)


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """One execution of one of our orders."""

    symbol: str
    order_id: str
    side: Side
    price: Decimal
    size: Decimal
    fee: Decimal = ZERO
    fee_asset: str | None = None  # None: the venue did not say (taken as the quote)
    ts: int = 0


class Position:
    """One symbol's position, entry, realized P&L and fees (see the module)."""

    __slots__ = (
        "base_asset",
        "cash",
        "entry",
        "fees",
        "fills",
        "quote_asset",
        "realized",
        "size",
        "symbol",
    )

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        base, _, quote = symbol.partition("/")
        self.base_asset = base
        self.quote_asset = quote
        self.size = ZERO
        """Base bought minus base sold: positive long, negative short."""
        self.entry = ZERO
        """The average price of what is held now (0 when flat)."""
        self.realized = ZERO
        """Quote earned on closed inventory, before fees."""
        self.fees: dict[str, Decimal] = {}
        """Fees paid, by asset."""
        self.cash = ZERO
        """Quote paid (negative) and received for the fills, before fees."""
        self.fills = 0
        """How many fills were booked."""

    def __repr__(self) -> str:
        return (
            f"Position({self.symbol} {self.size:+f} @ {self.entry:f}, "
            f"realized {self.realized:+f}, fees {self.fees})"
        )

    @property
    def base_change(self) -> Decimal:
        """What the fills did to the base balance: the position, less base-asset fees."""
        return self.size - self.fees.get(self.base_asset, ZERO)

    @property
    def quote_change(self) -> Decimal:
        """What the fills did to the quote balance: the cash, less quote-asset fees."""
        return self.cash - self.fees.get(self.quote_asset, ZERO)

    def unrealized(self, mark: Decimal) -> Decimal:
        """P&L of what is held, if closed at ``mark`` (before fees)."""
        return (mark - self.entry) * self.size

    def fees_in_quote(self, mark: Decimal | None = None) -> Decimal:
        """Every fee in the quote asset (base-asset fees valued at ``mark``, or entry)."""
        price = mark if mark is not None else self.entry
        total = self.fees.get(self.quote_asset, ZERO)
        return total + self.fees.get(self.base_asset, ZERO) * price

    def add(self, fill: Fill) -> None:
        """Book one fill."""
        signed = fill.size if fill.side is Side.BUY else -fill.size
        held = self.size
        if not held or (held > 0) == (signed > 0):  # opening or adding: a new average
            self.entry = (self.entry * abs(held) + fill.price * fill.size) / (abs(held) + fill.size)
        else:  # reducing, perhaps through zero to the other side
            closed = min(fill.size, abs(held))
            self.realized += closed * (fill.price - self.entry) * (1 if held > 0 else -1)
            if fill.size > abs(held):
                self.entry = fill.price
            elif fill.size == abs(held):
                self.entry = ZERO
        self.size += signed
        self.cash -= signed * fill.price
        asset = fill.fee_asset or self.quote_asset
        self.fees[asset] = self.fees.get(asset, ZERO) + fill.fee
        self.fills += 1


class PositionTracker(Mapping[str, Position]):
    """Positions by symbol, kept from fills (a read-only mapping of :class:`Position`)."""

    def __init__(self) -> None:
        self._positions: dict[str, Position] = {}
        self._filled: dict[str, Decimal] = {}  # order id -> cumulative size counted
        self._avg: dict[str, Decimal] = {}  # order id -> average fill price counted

    def __getitem__(self, symbol: str) -> Position:
        return self._positions[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def position(self, symbol: str) -> Position:
        """``symbol``'s position, kept from now on (flat until its first fill)."""
        position = self._positions.get(symbol)
        if position is None:
            position = self._positions[symbol] = Position(symbol)
        return position

    def seed(self, fills: Iterable[Fill]) -> None:
        """Book past fills (a venue's fill history), so a restarted program is right.

        Orders whose fills are seeded count from there: their later updates add only
        what is new.
        """
        for fill in sorted(fills, key=lambda f: f.ts):
            self.add(fill)
            done = self._filled.get(fill.order_id, ZERO)
            avg = self._avg.get(fill.order_id, ZERO)
            total = done + fill.size
            self._avg[fill.order_id] = (avg * done + fill.price * fill.size) / total
            self._filled[fill.order_id] = total

    def add(self, fill: Fill) -> None:
        """Book one fill."""
        self.position(fill.symbol).add(fill)

    def on_event(self, event: Event) -> None:
        """Book the fill an event reports, if any (a callback for ``client.on_event``)."""
        self.book(event)

    def book(self, event: Event) -> Fill | None:
        """Book the fill an event reports, if any; returns it."""
        if type(event) is not OrderUpdate or event.side is None:
            return None
        counted = self._filled.get(event.order_id, ZERO)
        size = event.filled - counted
        if size <= 0:
            return None  # nothing new: a repeat, or a state change without a fill
        price = self._price(event, counted, size)
        if price is None:
            return None  # a fill reported without its price: nothing exact to book
        fill = Fill(
            symbol=event.symbol, order_id=event.order_id, side=event.side, price=price,
            size=size, fee=event.fee or ZERO, fee_asset=event.fee_asset, ts=event.ts,
        )  # fmt: skip
        self._filled[event.order_id] = event.filled
        if event.avg_price is not None:
            self._avg[event.order_id] = event.avg_price
        self.add(fill)
        return fill

    def _price(self, event: OrderUpdate, counted: Decimal, size: Decimal) -> Decimal | None:
        if event.last_fill_price is not None and event.last_fill_size == size:
            return event.last_fill_price
        if event.avg_price is not None:
            # More than one fill since the last update we saw (a missed report): their
            # average price, from the change in the order's average.
            before = self._avg.get(event.order_id, ZERO) * counted
            return (event.avg_price * event.filled - before) / size
        return event.last_fill_price
