"""Market maker: a bid and an ask around the mid, on whichever venue the config names.

    cd examples
    python market_maker.py configs/market_maker.toml --offline --duration 60

One config file for every venue: its ``venue`` line alone picks the venue (and the
``[credentials.<venue>]`` table naming the API key variables); ``[app] market`` is the
market, venue-neutral (``BTC/USD`` is quoted as ``BTC/USDT`` where only that is listed);
``[options] dead_man_switch`` keeps the venue's ``cancel_all_after`` armed while the
connection is healthy, so if this program dies the venue cancels its quotes.
``--offline`` runs against the venue's emulator and its paper account.

- It quotes ``--size`` on each side, ``--spread-bps`` apart around the mid, post-only (it
  never takes liquidity), every order with a client id of its own.
- When the mid moves more than ``--requote-bps`` from where a quote was priced, it moves
  that quote (``amend_order``); a side that filled or was canceled is placed again; past
  ``--max-position`` of inventory it stops quoting the side that would add to it.
- It learns its fills only from ``OrderUpdate`` events and its balances only from
  ``Balance`` events, never by asking the venue, and keeps its position from them with
  tickwire's ``PositionTracker``: size, entry price, realized P&L, fees, and what the
  fills did to the base and quote balances.
- On exit (``--duration``, Ctrl-C) it cancels every order, waits until the venue has
  confirmed each one closed, and prints a summary.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from venues import arguments, open_clients

from tickwire.core import (
    Balance,
    BookUpdate,
    Channel,
    Event,
    Fill,
    Instrument,
    OrderRequest,
    OrderUpdate,
    Position,
    PositionTracker,
    Side,
    StreamClient,
    StreamStatus,
    TickwireError,
    UnknownOrder,
    load_config,
)
from tickwire.core.ids import new_client_id
from tickwire.core.program import run

BPS = Decimal("0.0001")
DOLLARS = ("USD", "USDT", "USDC")  # one currency to a market maker; preferred in this order
CALL_TIMEOUT = 5.0  # seconds: every order call resolves (or raises) within this
CLOSE_TIMEOUT = 10.0  # seconds to wait, on exit, for the venue to confirm the cancels


def describe(p: Position) -> str:
    """A position in one line: balance changes, fees, size at entry, realized P&L."""
    fees = ", ".join(f"{_num(v)} {k}" for k, v in sorted(p.fees.items())) or "none"
    return (
        f"{_num(p.base_change, '+')} {p.base_asset}, {_num(p.quote_change, '+')} "
        f"{p.quote_asset}, fees {fees}; size {_num(p.size, '+')} at "
        f"{_num(round(p.entry, 8))}, realized {_num(round(p.realized, 8), '+')}"
    )


def _num(value: Decimal, sign: str = "") -> str:
    """``value`` in plain notation without trailing zeros (``+`` sign on request)."""
    return f"{value.normalize():{sign}f}"


@dataclass(frozen=True)
class Params:
    """The strategy's knobs (command-line options)."""

    size: Decimal  # base asset, each side
    spread: Decimal  # bid-ask distance, as a fraction of the mid
    requote: Decimal  # how far the mid may move before a quote follows it
    max_position: Decimal  # inventory, in base, beyond which one side stops quoting


@dataclass
class Quote:
    """One of our resting orders: its id, its price, and the mid it was priced from."""

    order_id: str
    price: Decimal
    mid: Decimal


class MarketMaker:
    """Quotes one symbol; keeps its fills, position and balances from the event stream."""

    def __init__(self, client: StreamClient, instrument: Instrument, params: Params) -> None:
        self.client = client
        self.instrument = instrument
        self.symbol = instrument.symbol
        self.params = params
        self.tracker = PositionTracker()
        self.position: Position = self.tracker.position(instrument.symbol)
        self.fills: list[Fill] = []  # ours, in the order the venue reported them
        self.balances: dict[str, Decimal] = {}  # asset -> total, from Balance events
        self.quotes: dict[Side, Quote] = {}
        self.client_ids: set[str] = set()  # every order we ever placed
        self.open_ids: set[str] = set()  # our orders the venue reports open
        self.closed_ids: set[str] = set()  # our orders the venue reports closed
        self.counts: Counter[str] = Counter()  # placed, amended, refused...
        self.stopping = False
        self._wake = asyncio.Event()  # the book moved, or a quote closed
        self._order_seen = asyncio.Event()  # an update of one of our orders arrived

    # --- the event stream: the only source of fills, position and balances ------------

    def on_event(self, event: Event) -> None:
        """The client's callback: every event of every socket, in order."""
        match event:
            case BookUpdate(symbol=self.symbol):
                self._wake.set()
            case OrderUpdate(client_id=client_id) if client_id in self.client_ids:
                self._on_order(event)
            case Balance(asset=asset, total=total):
                self.balances[asset] = total
            case StreamStatus(state=state, reason=reason) if not self.stopping:
                print(f"stream {state} {reason}".rstrip(), flush=True)

    def _on_order(self, update: OrderUpdate) -> None:
        # A fill is an update whose cumulative size filled grew: the tracker books each
        # once, so a repeated report (after a reconnect, say) changes nothing.
        fill = self.tracker.book(update)
        if fill is not None:
            self.fills.append(fill)
            print(
                f"fill: {fill.side} {fill.size} @ {fill.price} → {describe(self.position)}",
                flush=True,
            )
        if update.status.is_terminal:
            self.closed_ids.add(update.order_id)
            self.open_ids.discard(update.order_id)
            for side, quote in list(self.quotes.items()):
                if quote.order_id == update.order_id:
                    del self.quotes[side]  # filled or canceled: the side is free again
                    self._wake.set()
        elif update.order_id not in self.closed_ids:
            self.open_ids.add(update.order_id)
        self._order_seen.set()

    # --- quoting ----------------------------------------------------------------------

    async def run(self) -> None:
        """Requote on every book move until :meth:`stop`; one order call at a time."""
        while not self.stopping:
            await self._wake.wait()
            self._wake.clear()
            if not self.stopping:
                await self.requote()

    async def requote(self) -> None:
        """Bring both sides in line with the current mid."""
        book = self.client.book(self.symbol)
        bid, ask = book.best_bid, book.best_ask
        if not book.synced or bid is None or ask is None:
            return
        mid = (bid.price + ask.price) / 2
        for side in (Side.BUY, Side.SELL):
            quote = self.quotes.get(side)
            if not self._may_add(side):
                if quote is not None:
                    await self._cancel(side, quote)
            elif quote is None:
                await self._place(side, mid)
            elif abs(mid - quote.mid) > mid * self.params.requote:
                await self._amend(side, quote, mid)

    def _may_add(self, side: Side) -> bool:
        limit = self.params.max_position
        base = self.position.base_change
        return base < limit if side is Side.BUY else base > -limit

    def price(self, side: Side, mid: Decimal) -> Decimal:
        """Half the spread away from ``mid``, on the tick grid, strictly off the mid."""
        tick = self.instrument.price_increment
        half = mid * self.params.spread / 2
        if side is Side.BUY:
            price = ((mid - half) / tick).to_integral_value(ROUND_FLOOR) * tick
            return price - tick if price >= mid else price
        price = ((mid + half) / tick).to_integral_value(ROUND_CEILING) * tick
        return price + tick if price <= mid else price

    async def _place(self, side: Side, mid: Decimal) -> None:
        client_id = new_client_id()  # ours before it is sent: its events are recognized
        self.client_ids.add(client_id)
        price = self.price(side, mid)
        request = OrderRequest(
            symbol=self.symbol,
            side=side,
            size=self.params.size,
            price=price,
            post_only=True,
            client_id=client_id,
        )
        try:
            ack = await self.client.place_order(request, timeout=CALL_TIMEOUT)
        except TickwireError as exc:
            self._refused(f"place {side}", exc)
            return
        self.counts["placed"] += 1
        self._adopt(side, Quote(ack.order_id, price, mid))

    async def _amend(self, side: Side, quote: Quote, mid: Decimal) -> None:
        price = self.price(side, mid)
        if price == quote.price:
            quote.mid = mid
            return
        try:
            ack = await self.client.amend_order(
                self.symbol, order_id=quote.order_id, price=price, timeout=CALL_TIMEOUT
            )
        except UnknownOrder:
            self._drop(side, quote)  # it filled or closed meanwhile: its update says how
            return
        except TickwireError as exc:
            self._refused(f"amend {side}", exc)  # it stays where it was
            return
        self.counts["amended"] += 1
        # Some venues amend in place, others replace the order (a new order id, the
        # same client id): either way the quote is now the order the ack names.
        self._adopt(side, Quote(ack.order_id, price, mid))

    async def _cancel(self, side: Side, quote: Quote) -> None:
        try:
            await self.client.cancel_order(
                self.symbol, order_id=quote.order_id, timeout=CALL_TIMEOUT
            )
        except UnknownOrder:
            pass  # already closed
        except TickwireError as exc:
            self._refused(f"cancel {side}", exc)
            return
        self._drop(side, quote)

    def _adopt(self, side: Side, quote: Quote) -> None:
        # The order's updates may have come before the reply: it may be closed already.
        if quote.order_id in self.closed_ids:
            self.quotes.pop(side, None)
        else:
            self.quotes[side] = quote
            self.open_ids.add(quote.order_id)

    def _drop(self, side: Side, quote: Quote) -> None:
        if self.quotes.get(side) is quote:
            del self.quotes[side]

    def _refused(self, what: str, exc: TickwireError) -> None:
        # Typed errors: InvalidOrder, InsufficientFunds, RateLimited, RequestTimeout...
        self.counts["refused"] += 1
        print(f"{what}: {type(exc).__name__}: {exc}", flush=True)

    # --- the end ----------------------------------------------------------------------

    async def stop(self, quoting: asyncio.Task[None]) -> None:
        """Finish the call in flight, cancel everything, wait for the venue to confirm."""
        self.stopping = True
        self._wake.set()
        try:
            await quoting
        finally:
            try:
                await self.client.cancel_all(self.symbol, timeout=CALL_TIMEOUT)
                await self._all_closed()
            except (TickwireError, TimeoutError) as exc:
                # The dead man's switch cancels what is left once refreshing stops.
                print(f"cancel on exit incomplete ({exc!r}): the dead man's switch fires")

    async def _all_closed(self) -> None:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            while self.open_ids - self.closed_ids:
                self._order_seen.clear()
                await self._order_seen.wait()

    def summary(self) -> str:
        """What happened, from our own bookkeeping."""
        p, venue, fills = self.position, self.client.venue, self.fills
        buys = sum(1 for f in fills if f.side is Side.BUY)
        known = {asset: _num(total) for asset, total in self.balances.items()}
        balances = (f"{a} {known.get(a, '?')}" for a in (p.base_asset, p.quote_asset))
        return (
            f"{venue} {self.symbol}: {len(fills)} fills ({buys} buys, "
            f"{len(fills) - buys} sells); {self.counts['placed']} quotes placed, "
            f"{self.counts['amended']} amended, {self.counts['refused']} refused\n"
            f"  position: {describe(p)}\n"
            f"  balances (last Balance events): {', '.join(balances)}"
        )


def venue_symbol(market: str, listed: Collection[str]) -> str | None:
    """``market`` as the venue lists it: itself, else the same base with a dollar quote."""
    base, _, quote = market.upper().partition("/")
    candidates = [f"{base}/{q}" for q in DOLLARS] if quote in DOLLARS else []
    return next((s for s in [f"{base}/{quote}", *candidates] if s in listed), None)


async def start(client: StreamClient, market: str, params: Params) -> MarketMaker:
    """A market maker for ``market`` on the client's venue, its book subscribed."""
    instruments = await client.instruments()
    symbol = venue_symbol(market, instruments)
    if symbol is None:
        raise SystemExit(f"{client.venue} lists no {market} (nor with another dollar quote)")
    maker = MarketMaker(client, instruments[symbol], params)
    client.on_event(maker.on_event)
    await client.subscribe(Channel.BOOK, [symbol], depth=10)
    return maker


async def main(argv: Sequence[str] | None = None) -> MarketMaker:
    """Make a market until ``--duration`` ends (or Ctrl-C); returns the market maker."""
    parser = arguments(__doc__.splitlines()[0], configs=1)
    parser.add_argument("--size", type=Decimal, default=Decimal("0.001"), help="(0.001)")
    parser.add_argument(
        "--spread-bps", type=Decimal, default=Decimal(0), help="(0: as tight as the tick allows)"
    )
    parser.add_argument("--requote-bps", type=Decimal, default=Decimal("0.5"), help="(0.5)")
    parser.add_argument("--max-position", type=Decimal, help="inventory cap in base (10 x size)")
    args = parser.parse_args(argv)
    params = Params(
        size=args.size,
        spread=args.spread_bps * BPS,
        requote=args.requote_bps * BPS,
        max_position=args.max_position or args.size * 10,
    )
    market = str(load_config(args.config[0], secrets=False).app.get("market", "BTC/USD"))
    async with open_clients(args.config, offline=args.offline) as (client,):
        maker = await start(client, market, params)
        quoting = asyncio.create_task(maker.run(), name="quoting")
        try:
            await asyncio.wait([quoting], timeout=args.duration)  # None: until Ctrl-C
        finally:
            await maker.stop(quoting)
            print(maker.summary(), flush=True)
    return maker


if __name__ == "__main__":
    run(main(sys.argv[1:]))  # one line per failure (TICKWIRE_DEBUG=1: the traceback)
