"""Kraken execution reports → core :class:`~tickwire.core.order_tracker.OrderReport` s.

Kraken's ``executions`` reports are sparse (only what changed): :func:`to_report` maps
each to core terms and core's :class:`~tickwire.core.order_tracker.OrderTracker` merges
it into the order's state, so every update is complete (symbol, side, type, price,
size, filled, remaining, average price).

The one lifecycle tickwire shares with KuCoin:

================  ====================  ==================================================
``exec_type``     status                notes
================  ====================  ==================================================
``pending_new``   ``PENDING``           full order detail
``new``           ``OPEN``
``trade``         ``PARTIALLY_FILLED``  every fill, even the one that completes the order:
                                        ``last_fill_*``, that fill's ``fee``, cumulative
                                        ``filled`` and ``avg_price``
``filled``        ``FILLED``            the separate terminal report
``canceled``      ``CANCELED``          ``reason``; a post-only order refused for taking
                                        liquidity (``Post only order``) is ``REJECTED``
``expired``       ``EXPIRED``
``amended``,      ``OPEN`` or           new price/size; ``PARTIALLY_FILLED`` once filled
``restated``      ``PARTIALLY_FILLED``
================  ====================  ==================================================

Reports whose ``exec_type`` says nothing about the status (snapshot entries of open
orders, iceberg refills, status changes) are read by their ``order_status``.
"""

from __future__ import annotations

from tickwire.adapters.kraken.parse import ORDER_TYPES, SIDES, VENUE, timestamp_ns, to_unified
from tickwire.adapters.kraken.schemas_private import ExecutionData
from tickwire.core.checks import Fields
from tickwire.core.order_tracker import OrderReport, OrderTracker
from tickwire.core.types import OrderStatus
from tickwire.core.validation import ZERO, check_signed

__all__ = ["check_execution", "new_tracker", "to_report"]

_BY_EXEC_TYPE = {
    "pending_new": OrderStatus.PENDING,
    "new": OrderStatus.OPEN,
    "trade": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
# Kraken's order_status: named like exec_type, but for the fills.
_BY_ORDER_STATUS = {
    ("partially_filled" if name == "trade" else name): status
    for name, status in _BY_EXEC_TYPE.items()
}
_REJECT_REASONS = frozenset({"Post only order"})


def new_tracker() -> OrderTracker:
    """A core order tracker for Kraken's orders."""
    return OrderTracker(VENUE)


def to_report(r: ExecutionData, received: int) -> OrderReport:
    """One execution report in core terms (checked first by :func:`check_execution`)."""
    reason = r.reason or r.cancel_reason
    status = _BY_EXEC_TYPE.get(r.exec_type)  # None: amended, restated, iceberg_refill, status
    if status is OrderStatus.CANCELED and reason in _REJECT_REASONS:
        status = OrderStatus.REJECTED  # a post-only order refused for taking liquidity
    fill = r.exec_type == "trade"
    fill_id = r.exec_id or (f"{r.symbol}/{r.trade_id}" if r.trade_id else None)
    fees = r.fees if fill else None
    return OrderReport(
        order_id=r.order_id,
        ts=timestamp_ns(r.timestamp, received),
        status=status,
        order_status=_BY_ORDER_STATUS.get(r.order_status or ""),
        client_id=r.cl_ord_id,
        symbol=None if r.symbol is None else to_unified(r.symbol),
        side=SIDES.get(r.side or ""),
        order_type=ORDER_TYPES.get(r.order_type or ""),
        price=r.limit_price or None,  # market orders may report 0: they have no price
        size=r.order_qty,
        filled=r.cum_qty,
        cum_cost=r.cum_cost,
        avg_price=r.avg_price or None,  # 0 until something filled
        reason=reason,
        fill=fill,
        fill_id=fill_id,
        fill_price=r.last_price,
        fill_size=r.last_qty,
        fill_cost=r.cost,
        fee=sum((f.qty for f in fees), ZERO) if fees else None,
        fee_asset=fees[0].asset if fees else None,
    )


_VALUES = Fields(
    zero_prices=("limit_price", "avg_price"),  # a market order reports 0 for both
    prices=("last_price",),
    sizes=("order_qty", "cash_order_qty", "display_qty", "cum_qty", "cum_cost", "last_qty",
           "cost"),
    signed=("fee_usd_equiv",),
)  # fmt: skip


def check_execution(report: ExecutionData) -> None:
    """Raise :class:`~tickwire.core.errors.DecodeError` if an execution report breaks
    the value rules; call it on every report of a message before merging any.

    Quantities and costs must be finite and >= 0; ``limit_price`` and ``avg_price``
    finite and >= 0 (Kraken reports 0 for a market order's price and an unfilled
    order's average); a trade's ``last_price`` finite and > 0; fees finite (signed: a
    rebate is negative); ``timestamp`` valid.
    """
    what = f"kraken: execution {report.order_id!r}"
    timestamp_ns(report.timestamp, 0)
    _VALUES.check(report, what)
    for fee in report.fees or ():
        check_signed(fee.qty, f"{what} fee {fee.asset!r}")
