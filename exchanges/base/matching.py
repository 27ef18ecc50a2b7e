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
  all (``"fok"``). A post-only order that would take is refused
  (``"post_only_would_take"``), or with ``post_only_action="cancel"`` accepted and
  canceled at once (reason ``"post_only"``), as some venues do.
- A resting limit order fills, as maker at its own price, when a later market step
  puts opposite liquidity at or through its price (up to that liquidity's size), or
  when the market prints trades strictly through its price (up to their size; each
  print once per order: :mod:`~tickwire.exchanges.base.resting`).
- Funds are held when an order is accepted: a buy holds ``price * size * (1 + fee)``
  of the quote asset (``fee`` the larger of the two rates; a market buy prices its
  size by walking the book), a sell holds its size of the base asset. Fills settle
  from the hold; fees are charged in the quote asset; leftovers are released.
- Every operation emits one event list, order events each followed by the balance
  events they cause: ``new`` → (``fill``…) → ``open`` or ``filled``/``canceled``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Context, Decimal, localcontext

from tickwire.exchanges.base.admission import (
    MarketView,
    admit,
    check_price,
    check_size,
    crossing_levels,
)
from tickwire.exchanges.base.marketdata import Level, SymbolSpec
from tickwire.exchanges.base.paper import (
    BalanceEvent,
    Fill,
    OrderEvent,
    OrderSnapshot,
    PaperError,
    PaperOrder,
)
from tickwire.exchanges.base.resting import RestingOrders
from tickwire.exchanges.base.settlement import EngineEvent, Listener, Settlement

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
    resting fills to crossed displayed liquidity. ``post_only_action`` is
    ``"reject"`` or ``"cancel"`` (see the module docstring).
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
        post_only_action: str = "reject",
    ) -> None:
        if maker_fee < 0 or taker_fee < 0:
            raise ValueError("fee rates must not be negative")
        if post_only_action not in ("reject", "cancel"):
            raise ValueError("post_only_action is 'reject' or 'cancel'")
        self.market = market
        self.clock = clock
        self.fill_on_trades = fill_on_trades
        self.post_only_action = post_only_action
        self._s = Settlement(
            balances,
            maker_fee=maker_fee,
            taker_fee=taker_fee,
            order_id=order_id,
            trade_id=trade_id,
        )
        self.ledger = self._s.ledger
        self._resting = RestingOrders(market)

    # -- listeners and queries ------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each operation's event list; returns the remover."""
        listeners = self._s.listeners
        listeners.append(listener)

        def remove() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return remove

    def order(
        self, *, order_id: str | None = None, client_id: str | None = None
    ) -> PaperOrder | None:
        """An order, open or closed, by id or by client id (the latest with it)."""
        if order_id is None and client_id is not None:
            order_id = self._s.client_last.get(client_id)
        return None if order_id is None else self._s.orders.get(order_id)

    def orders_with(self, client_id: str) -> list[PaperOrder]:
        """Every order accepted with ``client_id`` (open or closed), oldest first."""
        return [o for o in self._s.orders.values() if o.client_id == client_id]

    def open_orders(self, symbol: str | None = None) -> list[PaperOrder]:
        """Open orders (of ``symbol``), oldest first."""
        return [o for o in self._s.open.values() if symbol is None or o.symbol == symbol]

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
        with self._operation():
            spec, levels, hold, crosses = self._admit(
                symbol, side, type, size, price, time_in_force, post_only, client_id, expire_at
            )
            return self._enter(
                spec, side, type, size, price, time_in_force, post_only, client_id,
                expire_at, levels, hold, crosses,
            )  # fmt: skip

    def replace(
        self,
        *,
        order_id: str | None = None,
        client_id: str | None = None,
        price: Decimal | None = None,
        size: Decimal | None = None,
        post_only: bool | None = None,
        new_client_id: str | None = None,
    ) -> PaperOrder:
        """Cancel an open limit order and place its successor, atomically (new id).

        ``size`` is the successor's size (default: the old order's remaining size);
        unset fields are taken from the old order. The successor is checked first,
        counting the old order's hold as available, so a refusal changes nothing. The
        old order is canceled with reason ``"replaced"``; one event list covers both.
        """
        with self._operation():
            old = self._s.find_open(order_id, client_id)
            assert old.price is not None
            new_price = old.price if price is None else price
            new_size = old.remaining if size is None else size
            new_post = old.post_only if post_only is None else post_only
            spec = self.market.spec(old.symbol)
            asset = spec.quote if old.side == "buy" else spec.base
            freed = self.ledger.held(old.order_id)

            def available(of: str) -> Decimal:
                return self.ledger.available(of) + (freed if of == asset else ZERO)

            admitted = admit(
                self.market, available, self._s.hold_rate, old.symbol, old.side, "limit",
                new_size, new_price, old.time_in_force, new_post, old.expire_at,
                post_only_rejects=self.post_only_action == "reject",
            )  # fmt: skip
            clash = self._s.client_open.get(new_client_id or "")
            if clash is not None and clash != old.order_id:
                raise PaperError("duplicate_client_id", "an open order already has this client id")
            _, levels, hold, crosses = admitted
            self._s.close(old, spec, "canceled", "replaced", self.clock())
            return self._enter(
                spec, old.side, "limit", new_size, new_price, old.time_in_force, new_post,
                new_client_id, old.expire_at, levels, hold, crosses,
            )  # fmt: skip

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
        with self._operation():
            order = self._s.find_open(order_id, client_id)
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
            target = self._s.hold_for(order.side, new_price, remaining)
            asset = spec.quote if order.side == "buy" else spec.base
            if target - self.ledger.held(order.order_id) > self.ledger.available(asset):
                raise PaperError("insufficient_funds", "not enough funds for the amended order")
            now = self.clock()
            order.price, order.size, order.updated = new_price, max(new_size, order.filled), now
            self._s.out.append(OrderEvent("amended", order.snapshot()))
            if completes:
                self._s.close(order, spec, "filled", "", now)
            else:
                self._s.set_hold(order, spec, target, now)
                self._take(order, spec, levels, now)
                self._s.rest(order, spec, now, placing=False)
            return order

    def cancel(self, *, order_id: str | None = None, client_id: str | None = None) -> PaperOrder:
        """Cancel one open order (``"unknown_order"`` if none is open under that id)."""
        with self._operation():
            order = self._s.find_open(order_id, client_id)
            self._s.close(order, self.market.spec(order.symbol), "canceled", "user", self.clock())
            return order

    def cancel_all(
        self, symbol: str | None = None, *, reason: str = "cancel_all"
    ) -> list[PaperOrder]:
        """Cancel every open order (of ``symbol``), oldest first, in one event list."""
        with self._operation():
            now = self.clock()
            orders = self.open_orders(symbol)
            for order in orders:
                self._s.close(order, self.market.spec(order.symbol), "canceled", reason, now)
            return orders

    def on_market_step(self) -> None:
        """Fill resting orders the market reached and expire due GTD orders."""
        if not self._s.open:
            return
        with self._operation():
            self._resting.step(
                self._s,
                self.clock(),
                fill_on_trades=self.fill_on_trades,
                lookback=self.TRADE_LOOKBACK,
            )

    # -- internals ------------------------------------------------------------------

    @contextmanager
    def _operation(self) -> Iterator[None]:
        # One operation = exact arithmetic and one event list, handed out even if a bug
        # raised half way (the changes made so far did happen).
        try:
            with localcontext(_EXACT):
                yield
        finally:
            self._s.flush()
            self._resting.prune(self._s.open)

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
    ) -> tuple[SymbolSpec, list[Level], Decimal, bool]:
        admitted = admit(
            self.market, self.ledger.available, self._s.hold_rate,
            symbol, side, type, size, price, tif, post_only, expire_at,
            post_only_rejects=self.post_only_action == "reject",
        )  # fmt: skip
        if client_id is not None and client_id in self._s.client_open:
            raise PaperError("duplicate_client_id", "an open order already has this client id")
        return admitted

    def _enter(
        self,
        spec: SymbolSpec,
        side: str,
        type: str,
        size: Decimal,
        price: Decimal | None,
        tif: str,
        post_only: bool,
        client_id: str | None,
        expire_at: int | None,
        levels: list[Level],
        hold: Decimal,
        crosses: bool,
    ) -> PaperOrder:
        now = self.clock()
        order = self._s.create(
            spec, side, type, size, price, time_in_force=tif, post_only=post_only,
            client_id=client_id, expire_at=expire_at, hold=hold, ts=now,
        )  # fmt: skip
        self._resting.start(order.order_id, spec.symbol)
        if post_only and crosses:
            self._s.close(order, spec, "canceled", "post_only", now)
        elif tif == "fok" and sum((q for _, q in levels), ZERO) < size:
            self._s.close(order, spec, "canceled", "fok", now)
        else:
            self._take(order, spec, levels, now)
            self._s.rest(order, spec, now, placing=True)
        return order

    def _crossing(self, symbol: str, side: str, limit: Decimal) -> list[Level]:
        return crossing_levels(self.market, symbol, side, limit, None)

    def _take(self, order: PaperOrder, spec: SymbolSpec, levels: list[Level], ts: int) -> None:
        for price, qty in levels:
            if not order.remaining:
                break
            self._s.fill(order, spec, price, min(qty, order.remaining), "taker", ts)
