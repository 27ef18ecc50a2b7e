"""Value types of the paper matching engine: orders, fills, events, errors.

Venue-neutral and JSON-free; :mod:`tickwire.exchanges.base.matching` produces them and
re-exports them, so ``from tickwire.exchanges.base.matching import PaperOrder`` works.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

__all__ = [
    "BalanceEvent",
    "Fill",
    "OrderEvent",
    "OrderSnapshot",
    "PaperError",
    "PaperOrder",
]

ZERO = Decimal(0)


class PaperError(Exception):
    """A request the engine refuses; nothing changed.

    ``code`` is one of ``"insufficient_funds"``, ``"invalid_order"``,
    ``"post_only_would_take"``, ``"unknown_order"``, ``"duplicate_client_id"``,
    ``"unknown_symbol"``. For ``"invalid_order"``, ``detail`` says what was wrong so a
    venue can pick its own wording: ``"param"`` (side, type, time in force),
    ``"size"`` (not positive or off the lot grid), ``"min_size"``, ``"min_cost"``,
    ``"price"`` (missing, not positive), ``"tick"`` (off the tick grid).
    """

    def __init__(self, code: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.detail = detail


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """A frozen copy of a :class:`PaperOrder` at the moment an event happened."""

    order_id: str
    client_id: str | None
    symbol: str
    side: str
    type: str
    price: Decimal | None
    size: Decimal
    filled: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    time_in_force: str
    post_only: bool
    state: str
    created: int
    updated: int
    expire_at: int | None

    @property
    def remaining(self) -> Decimal:
        """Size not filled yet (0 once the order is closed by a fill)."""
        return self.size - self.filled

    @property
    def avg_price(self) -> Decimal:
        """Average fill price (0 before the first fill)."""
        return self.cost / self.filled if self.filled else ZERO


@dataclass(slots=True)
class PaperOrder:
    """The engine's live, mutable record of one order.

    ``side`` is ``"buy"|"sell"``; ``type`` ``"limit"|"market"``; ``time_in_force``
    ``"gtc"|"ioc"|"fok"|"gtd"`` (``gtd`` expires at ``expire_at``, ns); ``state`` one
    of ``"new"``, ``"open"``, ``"partially_filled"``, ``"filled"``, ``"canceled"``,
    ``"expired"``, ``"rejected"``. ``cost`` is the quote value of the fills, without
    fees; ``fee`` the fees so far, in ``fee_asset`` (the quote asset). Times are ns.
    """

    order_id: str
    client_id: str | None
    symbol: str
    side: str
    type: str
    price: Decimal | None
    size: Decimal
    filled: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    time_in_force: str
    post_only: bool
    state: str
    created: int
    updated: int
    expire_at: int | None = None

    @property
    def remaining(self) -> Decimal:
        """Size not filled yet."""
        return self.size - self.filled

    @property
    def is_open(self) -> bool:
        """Whether the order still rests (or is about to rest) on the book."""
        return self.state in ("new", "open", "partially_filled")

    def snapshot(self) -> OrderSnapshot:
        """A frozen copy, safe to hand to listeners and keep."""
        return OrderSnapshot(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of a paper order; ``side`` is the order's side, ``ts`` in ns."""

    trade_id: str
    order_id: str
    symbol: str
    side: str
    price: Decimal
    size: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: str  # "maker" | "taker"
    ts: int

    @property
    def cost(self) -> Decimal:
        """Quote value of the fill, without the fee."""
        return self.price * self.size


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """A change of one order.

    ``kind``: ``"new"`` (accepted), ``"open"`` (now resting), ``"fill"`` (one
    execution, see ``fill``), ``"amended"``, ``"filled"`` (completely filled; always
    after the completing ``"fill"``), ``"canceled"``, ``"expired"``. ``reason`` says why
    an order was canceled: ``"user"``, ``"cancel_all"``, ``"ioc"`` (rest of an IOC),
    ``"fok"`` (a FOK that could not fill at once), ``"market"`` (a market order's
    unfilled rest: the book ran dry), ``"gtd"`` (expired).
    """

    kind: str
    order: OrderSnapshot
    fill: Fill | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    """A change of one asset's balance; ``total``, ``available``, ``hold`` are *after* it.

    ``reason``: ``"hold"`` (funds reserved for an order), ``"release"`` (reserved funds
    freed), ``"trade"`` (a fill's settlement), ``"fee"``. ``ref`` is the order id for
    holds and releases, the fill's trade id for trades and fees.
    """

    asset: str
    total: Decimal
    available: Decimal
    hold: Decimal
    delta_total: Decimal
    delta_available: Decimal
    delta_hold: Decimal
    reason: str
    ref: str
    ts: int
