"""What a market step does to the orders resting on the paper book: expiry and maker fills.

Paper trading never mutates the public market, so a resting order is not filled by a
counterparty but by what the market shows it: the displayed opposite liquidity at or
through its price at this step, plus (when trades count) the size of the trades printed
strictly through its price. Each order keeps a *mark*, the id of the last market trade
it has seen, so one print fills an order at most once however many later steps look
back over it; an order placed now sees only trades printed after it. A GTD order whose
time has come expires instead.

Kept apart from :mod:`~tickwire.exchanges.base.matching` (order entry, taking
liquidity) because it is driven by the market rather than by a request, and its marks
are the one piece of per-order state kept for the market's sake rather than the
account's (:mod:`~tickwire.exchanges.base.settlement` keeps that).
"""

from __future__ import annotations

from collections.abc import Container
from decimal import Decimal

from tickwire.exchanges.base.admission import MarketView, crossing_levels, traded_through
from tickwire.exchanges.base.marketdata import MarketTrade
from tickwire.exchanges.base.paper import PaperOrder
from tickwire.exchanges.base.settlement import Settlement

__all__ = ["RestingOrders"]

ZERO = Decimal(0)


class RestingOrders:
    """Steps the open orders of a :class:`Settlement` against ``market``."""

    def __init__(self, market: MarketView) -> None:
        self.market = market
        self._mark: dict[str, int] = {}  # order id -> last market trade id it has seen

    def start(self, order_id: str, symbol: str) -> None:
        """Order ``order_id`` on ``symbol`` was just accepted: it sees later trades only."""
        last = self.market.recent_trades(symbol, 1)
        self._mark[order_id] = last[-1].trade_id if last else 0

    def step(self, s: Settlement, now: int, *, fill_on_trades: bool, lookback: int) -> None:
        """Expire due GTD orders of ``s`` and fill, as maker, those the market reached.

        With ``fill_on_trades``, the last ``lookback`` trades of each symbol count too.
        """
        trades: dict[str, list[MarketTrade]] = {}
        if fill_on_trades:
            for symbol in {o.symbol for o in s.open.values()}:
                trades[symbol] = self.market.recent_trades(symbol, lookback)
        for order in list(s.open.values()):
            spec = self.market.spec(order.symbol)
            if order.expire_at is not None and now >= order.expire_at:
                s.close(order, spec, "expired", "gtd", now)
                continue
            assert order.price is not None
            qty = self._reachable(order, trades.get(order.symbol, []))
            if qty > 0:
                s.fill(order, spec, order.price, min(qty, order.remaining), "maker", now)
                if not order.remaining:
                    s.close(order, spec, "filled", "", now)

    def prune(self, open_orders: Container[str]) -> None:
        """Forget the marks of orders no longer in ``open_orders`` (ids)."""
        for order_id in [o for o in self._mark if o not in open_orders]:
            del self._mark[order_id]

    def _reachable(self, order: PaperOrder, seen: list[MarketTrade]) -> Decimal:
        # The crossed displayed levels, plus what ``seen`` printed through the order's
        # price since its mark, which then moves past them.
        assert order.price is not None
        crossing = crossing_levels(self.market, order.symbol, order.side, order.price, None)
        qty = sum((q for _, q in crossing), ZERO)
        if seen:
            mark = self._mark.get(order.order_id, 0)
            qty += traded_through(order.side, order.price, seen, mark)
            self._mark[order.order_id] = max(mark, seen[-1].trade_id)
        return qty
