"""The paper matching engine both venue emulators share.

:class:`MatchingEngine` keeps paper orders and balances against a
:class:`~tickwire.exchanges.base.market.SyntheticMarket` and reports every change as a
list of venue-neutral events; an emulator translates them into its own frames::

    engine = MatchingEngine(market, balances={"USD": Decimal(10_000)})
    remove = engine.add_listener(lambda events: print(events))
    order = engine.place("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("30000"))
    engine.on_market_step()          # after every market step: resting orders may fill
    engine.cancel(order_id=order.order_id)

Rules (paper trading: the public market is never mutated, so our fills do not move
it and the same displayed liquidity may fill several of our orders):

- A taker order matches the displayed levels of the opposite side best-first, at the
  level prices, up to the level sizes; a market order's unfilled rest is canceled
  (reason ``"market"``), an IOC's rest too (``"ioc"``), a FOK fills entirely or not at
  all (``"fok"``); a post-only order that would take is refused.
- A resting limit order fills, as maker at its own price, when a later market step
  puts opposite liquidity at or through its price (up to that liquidity's size), or
  when the market prints trades strictly through its price (up to their size).
- Funds are held when an order is accepted: a buy holds ``price * size * (1 + fee)``
  of the quote asset (``fee`` the larger of the two rates; a market buy prices its
  size by walking the book), a sell holds its size of the base asset. Fills settle
  from the hold; fees are charged in the quote asset; leftovers are released.
- Every operation emits one event list, order events each followed by the balance
  events they cause: ``new`` → (``fill``…) → ``open`` or ``filled``/``canceled``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Context, Decimal, localcontext

from tickwire.exchanges.base.admission import (
    MarketView,
    admit,
    check_price,
    check_size,
    crossing_levels,
)
from tickwire.exchanges.base.ledger import Ledger
from tickwire.exchanges.base.marketdata import Level, MarketTrade, SymbolSpec
from tickwire.exchanges.base.paper import (
    BalanceEvent,
    Fill,
    OrderEvent,
    OrderSnapshot,
    PaperError,
    PaperOrder,
)

__all__ = [
    "BalanceEvent",
    "EngineEvent",
    "Fill",
    "MarketView",
    "MatchingEngine",
    "OrderEvent",
    "OrderSnapshot",
    "PaperError",
    "PaperOrder",
]

EngineEvent = OrderEvent | BalanceEvent
"""What a listener receives, in lists."""

ZERO = Decimal(0)
# Exact arithmetic: products of price, size and fee rate never need rounding at 60 digits.
_EXACT = Context(prec=60)


def _order_id(n: int) -> str:
    return f"O{n:08d}"


def _trade_id(n: int) -> str:
    return f"T{n:08d}"


class MatchingEngine:
    """Paper orders and balances over a synthetic market; see the module docstring.

    ``balances`` are the starting totals (nothing held). ``order_id``/``trade_id``
    turn a per-engine sequence number (1, 2, ...) into an id, so a venue can mint ids
    in its own shape; they must be injective. ``fill_on_trades=False`` restricts
    resting fills to crossed displayed liquidity.
    """

    #: How many recent market trades a step looks at for trade-through fills.
    TRADE_LOOKBACK = 100

    def __init__(
        self,
        market: MarketView,
        *,
        balances: Mapping[str, Decimal],
        maker_fee: Decimal = Decimal("0.001"),
        taker_fee: Decimal = Decimal("0.002"),
        clock: Callable[[], int] = time.time_ns,
        order_id: Callable[[int], str] = _order_id,
        trade_id: Callable[[int], str] = _trade_id,
        fill_on_trades: bool = True,
    ) -> None:
        if maker_fee < 0 or taker_fee < 0:
            raise ValueError("fee rates must not be negative")
        self.market = market
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee
        self.clock = clock
        self.fill_on_trades = fill_on_trades
        self._hold_rate = 1 + max(maker_fee, taker_fee)
        self._new_order_id = order_id
        self._new_trade_id = trade_id
        self._order_seq = 0
        self._trade_seq = 0
        self._orders: dict[str, PaperOrder] = {}  # every order ever accepted
        self._open: dict[str, PaperOrder] = {}  # insertion order = time priority
        self._client_open: dict[str, str] = {}  # client id -> open order id
        self._client_last: dict[str, str] = {}  # client id -> latest order id
        self._mark: dict[str, int] = {}  # order id -> last market trade id it has seen
        self._listeners: list[Callable[[list[EngineEvent]], None]] = []
        self._out: list[EngineEvent] = []  # the operation's events so far
        self.ledger = Ledger(balances, self._out)

    # -- listeners and queries ------------------------------------------------------

    def add_listener(self, listener: Callable[[list[EngineEvent]], None]) -> Callable[[], None]:
        """Call ``listener`` with each operation's event list; returns the remover."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def order(
        self, *, order_id: str | None = None, client_id: str | None = None
    ) -> PaperOrder | None:
        """An order, open or closed, by id or by client id (the latest with it)."""
        if order_id is None and client_id is not None:
            order_id = self._client_last.get(client_id)
        return None if order_id is None else self._orders.get(order_id)

    def open_orders(self, symbol: str | None = None) -> list[PaperOrder]:
        """Open orders (of ``symbol``), oldest first."""
        return [o for o in self._open.values() if symbol is None or o.symbol == symbol]

    def balances(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """``asset -> (total, available, hold)``."""
        return self.ledger.balances()

    # -- order entry ----------------------------------------------------------------

    def check(
        self,
        symbol: str,
        side: str,
        type: str,
        size: Decimal,
        price: Decimal | None = None,
        *,
        time_in_force: str = "gtc",
        post_only: bool = False,
        client_id: str | None = None,
        expire_at: int | None = None,
    ) -> None:
        """Raise the :class:`PaperError` :meth:`place` would raise, changing nothing."""
        with localcontext(_EXACT):
            self._admit(
                symbol, side, type, size, price, time_in_force, post_only, client_id, expire_at
            )

    def place(
        self,
        symbol: str,
        side: str,
        type: str,
        size: Decimal,
        price: Decimal | None = None,
        *,
        time_in_force: str = "gtc",
        post_only: bool = False,
        client_id: str | None = None,
        expire_at: int | None = None,
    ) -> PaperOrder:
        """Accept an order, take what it can, rest the rest (limit GTC/GTD).

        Raises :class:`PaperError` (and changes nothing) when the order is refused.
        ``expire_at`` (ns) is required with ``time_in_force="gtd"``.
        """
        with localcontext(_EXACT):
            spec, levels, hold = self._admit(
                symbol, side, type, size, price, time_in_force, post_only, client_id, expire_at
            )
            now = self.clock()
            self._order_seq += 1
            order = PaperOrder(
                order_id=self._new_order_id(self._order_seq),
                client_id=client_id,
                symbol=symbol,
                side=side,
                type=type,
                price=price,
                size=size,
                filled=ZERO,
                cost=ZERO,
                fee=ZERO,
                fee_asset=spec.quote,
                time_in_force=time_in_force,
                post_only=post_only,
                state="new",
                created=now,
                updated=now,
                expire_at=expire_at,
            )
            self._orders[order.order_id] = order
            self._open[order.order_id] = order
            if client_id is not None:
                self._client_open[client_id] = self._client_last[client_id] = order.order_id
            self._mark[order.order_id] = self._last_trade_id(symbol)
            self._out.append(OrderEvent("new", order.snapshot()))
            self._set_hold(order, spec, hold, now)
            if time_in_force == "fok" and sum(q for _, q in levels) < size:
                self._close(order, spec, "canceled", "fok", now)
            else:
                self._take(order, spec, levels, now)
                self._after_take(order, spec, now, placing=True)
            self._flush()
            return order

    def amend(
        self,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        price: Decimal | None = None,
        size: Decimal | None = None,
        post_only: bool = False,
    ) -> PaperOrder:
        """Change an open limit order in place; it keeps its id.

        A ``size`` at or below what is filled completes the order. A ``price`` that now
        crosses the book takes liquidity at once, unless ``post_only`` (or the order's
        own post-only flag) makes that a ``"post_only_would_take"`` refusal.
        """
        with localcontext(_EXACT):
            order = self._find_open(order_id, client_id)
            spec = self.market.spec(order.symbol)
            new_price = order.price if price is None else price
            new_size = order.size if size is None else size
            assert new_price is not None  # only limit orders rest
            check_price(spec, new_price)
            check_size(spec, new_size)
            completes = new_size <= order.filled
            levels = [] if completes else self._crossing(order.symbol, order.side, new_price)
            if levels and (post_only or order.post_only):
                raise PaperError("post_only_would_take", "the new price would take liquidity")
            remaining = max(new_size - order.filled, ZERO)
            target = self._hold_for(order.side, new_price, remaining)
            extra = target - self.ledger.held(order.order_id)
            if extra > self.ledger.available(self._hold_asset(order, spec)):
                raise PaperError("insufficient_funds", "not enough funds for the amended order")
            now = self.clock()
            order.price, order.size, order.updated = new_price, max(new_size, order.filled), now
            self._out.append(OrderEvent("amended", order.snapshot()))
            if completes:
                self._close(order, spec, "filled", "", now)
            else:
                self._set_hold(order, spec, target, now)
                self._take(order, spec, levels, now)
                self._after_take(order, spec, now, placing=False)
            self._flush()
            return order

    def cancel(self, *, order_id: str | None = None, client_id: str | None = None) -> PaperOrder:
        """Cancel one open order (``"unknown_order"`` if none is open under that id)."""
        with localcontext(_EXACT):
            order = self._find_open(order_id, client_id)
            self._close(order, self.market.spec(order.symbol), "canceled", "user", self.clock())
            self._flush()
            return order

    def cancel_all(self, symbol: str | None = None) -> list[PaperOrder]:
        """Cancel every open order (of ``symbol``), oldest first, in one event list."""
        with localcontext(_EXACT):
            now = self.clock()
            orders = self.open_orders(symbol)
            for order in orders:
                self._close(order, self.market.spec(order.symbol), "canceled", "cancel_all", now)
            self._flush()
            return orders

    def on_market_step(self) -> None:
        """Fill resting orders the market reached and expire due GTD orders."""
        if not self._open:
            return
        with localcontext(_EXACT):
            now = self.clock()
            trades: dict[str, list[MarketTrade]] = {}
            if self.fill_on_trades:
                for symbol in {o.symbol for o in self._open.values()}:
                    trades[symbol] = self.market.recent_trades(symbol, self.TRADE_LOOKBACK)
            for order in list(self._open.values()):
                spec = self.market.spec(order.symbol)
                if order.expire_at is not None and now >= order.expire_at:
                    self._close(order, spec, "expired", "gtd", now)
                    continue
                assert order.price is not None
                qty = sum(
                    (q for _, q in self._crossing(order.symbol, order.side, order.price)), ZERO
                )
                qty += self._traded_through(order, trades.get(order.symbol, []))
                if qty > 0:
                    self._fill(order, spec, order.price, min(qty, order.remaining), "maker", now)
                    if not order.remaining:
                        self._close(order, spec, "filled", "", now)
            self._flush()

    # -- internals ------------------------------------------------------------------

    def _admit(
        self,
        symbol: str,
        side: str,
        type: str,
        size: Decimal,
        price: Decimal | None,
        tif: str,
        post_only: bool,
        client_id: str | None,
        expire_at: int | None,
    ) -> tuple[SymbolSpec, list[Level], Decimal]:
        admitted = admit(
            self.market, self.ledger.available, self._hold_rate,
            symbol, side, type, size, price, tif, post_only, expire_at,
        )  # fmt: skip
        if client_id is not None and client_id in self._client_open:
            raise PaperError("duplicate_client_id", "an open order already has this client id")
        return admitted

    def _crossing(self, symbol: str, side: str, limit: Decimal) -> list[Level]:
        return crossing_levels(self.market, symbol, side, limit, None)

    def _hold_for(self, side: str, price: Decimal, remaining: Decimal) -> Decimal:
        return price * remaining * self._hold_rate if side == "buy" else remaining

    @staticmethod
    def _hold_asset(order: PaperOrder, spec: SymbolSpec) -> str:
        return spec.quote if order.side == "buy" else spec.base

    def _find_open(self, order_id: str | None, client_id: str | None) -> PaperOrder:
        if (order_id is None) == (client_id is None):
            raise PaperError(
                "invalid_order", "give exactly one of order_id, client_id", detail="param"
            )
        if order_id is None:
            order_id = self._client_open.get(client_id or "")
        order = self._open.get(order_id or "")
        if order is None:
            raise PaperError("unknown_order", "no open order with that id")
        return order

    # -- internals: state changes ---------------------------------------------------

    def _set_hold(self, order: PaperOrder, spec: SymbolSpec, target: Decimal, ts: int) -> None:
        self.ledger.set_hold(order.order_id, self._hold_asset(order, spec), target, ts)

    def _take(self, order: PaperOrder, spec: SymbolSpec, levels: list[Level], ts: int) -> None:
        for price, qty in levels:
            if not order.remaining:
                break
            self._fill(order, spec, price, min(qty, order.remaining), "taker", ts)

    def _after_take(self, order: PaperOrder, spec: SymbolSpec, ts: int, placing: bool) -> None:
        """Decide what a just-placed (or re-priced) order does after taking."""
        if not order.remaining:
            self._close(order, spec, "filled", "", ts)
        elif order.type == "market":
            self._close(order, spec, "canceled", "market", ts)
        elif order.time_in_force in ("ioc", "fok"):
            self._close(order, spec, "canceled", order.time_in_force, ts)
        else:
            if placing:
                order.state = "partially_filled" if order.filled else "open"
                self._out.append(OrderEvent("open", order.snapshot()))
            assert order.price is not None
            self._set_hold(
                order, spec, self._hold_for(order.side, order.price, order.remaining), ts
            )

    def _fill(
        self,
        order: PaperOrder,
        spec: SymbolSpec,
        price: Decimal,
        qty: Decimal,
        liquidity: str,
        ts: int,
    ) -> None:
        value = price * qty
        fee = value * (self.maker_fee if liquidity == "maker" else self.taker_fee)
        self._trade_seq += 1
        fill = Fill(
            self._new_trade_id(self._trade_seq),
            order.order_id,
            order.symbol,
            order.side,
            price,
            qty,
            fee,
            spec.quote,
            liquidity,
            ts,
        )
        order.filled += qty
        order.cost += value
        order.fee += fee
        order.updated = ts
        order.state = "partially_filled" if order.remaining else "filled"
        self._out.append(OrderEvent("fill", order.snapshot(), fill))
        self.ledger.settle(fill, spec.base, spec.quote)

    def _close(self, order: PaperOrder, spec: SymbolSpec, state: str, reason: str, ts: int) -> None:
        order.state = state
        order.updated = ts
        del self._open[order.order_id]
        if order.client_id is not None:
            self._client_open.pop(order.client_id, None)
        kind = {"filled": "filled", "canceled": "canceled", "expired": "expired"}[state]
        self._out.append(OrderEvent(kind, order.snapshot(), reason=reason))
        self._set_hold(order, spec, ZERO, ts)
        self._mark.pop(order.order_id, None)

    def _flush(self) -> None:
        # The ledger appends to the same list object: copy and clear, never rebind.
        events = self._out[:]
        self._out.clear()
        if events:
            for listener in list(self._listeners):
                listener(events)

    # -- internals: trade-through ---------------------------------------------------

    def _last_trade_id(self, symbol: str) -> int:
        last = self.market.recent_trades(symbol, 1)
        return last[-1].trade_id if last else 0

    def _traded_through(self, order: PaperOrder, trades: list[MarketTrade]) -> Decimal:
        """Size the market printed through ``order``'s price since it last looked."""
        mark = self._mark.get(order.order_id, 0)
        if trades:
            self._mark[order.order_id] = max(mark, trades[-1].trade_id)
        # A sell print below our bid (a buy print above our ask) swept through our price,
        # so an order resting there would have been filled first.
        assert order.price is not None
        price, buy = order.price, order.side == "buy"
        return sum(
            (
                t.qty
                for t in trades
                if t.trade_id > mark
                and (t.price < price if buy else t.price > price)
                and t.side != order.side
            ),
            ZERO,
        )
