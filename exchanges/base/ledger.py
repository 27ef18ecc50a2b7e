"""Paper balances and per-order holds for the matching engine.

:class:`Ledger` is the only place balances change. Every change appends a
:class:`~tickwire.exchanges.base.paper.BalanceEvent` to the event list it was given,
so balance events interleave with the engine's order events in the order they happen::

    events: list[object] = []
    ledger = Ledger({"USD": Decimal(100)}, events)
    ledger.set_hold("O1", "USD", Decimal(40), ts=0)   # available 60, hold 40
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tickwire.exchanges.base.paper import BalanceEvent, Fill

__all__ = ["Ledger"]

ZERO = Decimal(0)


class Ledger:
    """Totals and holds per asset (``available = total - hold``), holds per order."""

    def __init__(self, balances: Mapping[str, Decimal], sink: list[Any]) -> None:
        self._bal: dict[str, list[Decimal]] = {}  # asset -> [total, hold]
        for asset, amount in balances.items():
            if not Decimal(amount).is_finite() or amount < 0:
                raise ValueError(f"bad starting balance for {asset}")
            self._bal[asset] = [Decimal(amount), ZERO]
        self._held: dict[str, tuple[str, Decimal]] = {}  # order id -> (asset, amount)
        self._sink = sink

    def balances(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """``asset -> (total, available, hold)``."""
        return {a: (t, t - h, h) for a, (t, h) in self._bal.items()}

    def available(self, asset: str) -> Decimal:
        """What ``asset`` has free (0 for an asset never seen)."""
        total, hold = self._bal.get(asset, (ZERO, ZERO))
        return total - hold

    def held(self, order_id: str) -> Decimal:
        """What ``order_id`` still holds (0 when nothing)."""
        return self._held.get(order_id, ("", ZERO))[1]

    def set_hold(self, order_id: str, asset: str, target: Decimal, ts: int) -> None:
        """Make ``order_id`` hold exactly ``target`` of ``asset`` (0 forgets the order)."""
        delta = target - self.held(order_id)
        if target:
            self._held[order_id] = (asset, target)
        else:
            self._held.pop(order_id, None)
        reason = "hold" if delta > 0 else "release"
        self._move(asset, ZERO, delta, reason, order_id, ts)

    def settle(self, fill: Fill, base: str, quote: str) -> None:
        """Book one fill: the legs come out of the order's hold, the fee out of quote."""
        value, fee, qty, tid, ts = fill.cost, fill.fee, fill.size, fill.trade_id, fill.ts
        asset, held = self._held[fill.order_id]
        if fill.side == "buy":
            self._held[fill.order_id] = (asset, held - value - fee)
            self._move(base, qty, ZERO, "trade", tid, ts)
            self._move(quote, -value, -value, "trade", tid, ts)
            self._move(quote, -fee, -fee, "fee", tid, ts)
        else:
            self._held[fill.order_id] = (asset, held - qty)
            self._move(base, -qty, -qty, "trade", tid, ts)
            self._move(quote, value, ZERO, "trade", tid, ts)
            self._move(quote, -fee, ZERO, "fee", tid, ts)

    def _move(
        self, asset: str, d_total: Decimal, d_hold: Decimal, reason: str, ref: str, ts: int
    ) -> None:
        if not d_total and not d_hold:
            return
        bal = self._bal.setdefault(asset, [ZERO, ZERO])
        bal[0] += d_total
        bal[1] += d_hold
        total, hold = bal
        self._sink.append(
            BalanceEvent(
                asset=asset,
                total=total,
                available=total - hold,
                hold=hold,
                delta_total=d_total,
                delta_available=d_total - d_hold,
                delta_hold=d_hold,
                reason=reason,
                ref=ref,
                ts=ts,
            )
        )
