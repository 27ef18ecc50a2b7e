"""Kraken v2 private wire messages: ``executions``, ``balances``, trading-method results.

The companion of :mod:`tickwire.adapters.kraken.schemas` (same conventions: venue field
names verbatim, ``Decimal`` numbers decoded from their digits, timestamps kept as RFC3339
strings, unknown fields ignored). Reference: ``shared/reference/kraken-ws-v2.md`` §7, §8.
Only the fields tickwire reads or checks are declared: msgspec skips the others
(``order_userref``, ``triggers``, a balance's ``wallets``, ``warnings``...) unparsed.

Execution reports are *sparse*: only ``exec_type``, ``order_id`` and ``timestamp`` are
reliably present, so every other field defaults to ``None`` and
:mod:`tickwire.adapters.kraken.private` merges reports into per-order state.
"""

from __future__ import annotations

from decimal import Decimal

from tickwire.adapters.kraken.schemas import (
    Count,
    HeartbeatMessage,
    MessageType,
    StatusMessage,
    _Channel,
    _Wire,
)

__all__ = [
    "BalanceData",
    "BalancesMessage",
    "BatchAddRow",
    "CancelAfterResult",
    "CountResult",
    "EchoedIdsResult",
    "ExecutionData",
    "ExecutionsMessage",
    "FeeData",
    "OrderIdResult",
    "PrivateMessage",
]


# --- executions ------------------------------------------------------------------------


class FeeData(_Wire, frozen=True, gc=False):
    """One fee of a fill, in ``asset``."""

    asset: str
    qty: Decimal


class ExecutionData(_Wire, frozen=True, gc=False):
    """One execution report: an order event (``exec_type``) with the fields it changed."""

    exec_type: str  # pending_new, new, trade, filled, canceled, expired, amended, restated...
    order_id: str
    timestamp: str
    cl_ord_id: str | None = None
    symbol: str | None = None
    side: str | None = None  # buy / sell
    order_type: str | None = None  # limit, market, stop-loss, ...
    order_qty: Decimal | None = None  # base units
    limit_price: Decimal | None = None
    order_status: str | None = None  # pending_new, new, partially_filled, filled, ...
    cum_qty: Decimal | None = None  # filled so far, base units
    cum_cost: Decimal | None = None  # filled so far, quote units
    avg_price: Decimal | None = None
    reason: str | None = None  # "User requested", "Post only order", ...
    cancel_reason: str | None = None  # deprecated alias of reason
    # trade reports only
    exec_id: str | None = None
    trade_id: Count | None = None
    last_qty: Decimal | None = None
    last_price: Decimal | None = None
    cost: Decimal | None = None  # last_qty * last_price
    fees: list[FeeData] | None = None


class ExecutionsMessage(_Channel, frozen=True, gc=False, tag="executions"):
    """``{"channel": "executions", ...}``; ``sequence`` counts this subscription's messages."""

    type: MessageType
    data: list[ExecutionData]
    sequence: Count


# --- balances --------------------------------------------------------------------------


class BalanceData(_Wire, frozen=True, gc=False):
    """A snapshot entry (asset, total, wallets) or an update's ledger entry.

    Snapshot entries carry ``asset``, ``asset_class``, ``balance`` and ``wallets``;
    ledger entries carry ``ledger_id``, ``ref_id``, ``type``, ``amount``, ``fee`` and the
    new ``balance``.
    """

    asset: str
    balance: Decimal
    timestamp: str | None = None
    amount: Decimal | None = None  # signed
    fee: Decimal | None = None


class BalancesMessage(_Channel, frozen=True, gc=False, tag="balances"):
    """``{"channel": "balances", ...}``: a snapshot of totals, then ledger entries."""

    type: MessageType
    data: list[BalanceData]
    sequence: Count


PrivateMessage = StatusMessage | HeartbeatMessage | ExecutionsMessage | BalancesMessage
"""Every channel message of the auth socket, keyed on ``channel``."""


# --- method results (``MethodResponse.result``) --------------------------------------


class OrderIdResult(_Wire, frozen=True, gc=False):
    """``add_order``, and ``edit_order`` (cancel and replace: the new order's): the venue's
    id (an echoed ``cl_ord_id`` is not read: the caller fixed it)."""

    order_id: str


class EchoedIdsResult(_Wire, frozen=True, gc=False):
    """``amend_order``, and ``cancel_order`` (one reply per order): the ids echoed, maybe
    only ``cl_ord_id`` (an amend's ``amend_id`` is not read)."""

    order_id: str | None = None
    cl_ord_id: str | None = None


class CountResult(_Wire, frozen=True, gc=False):
    """``cancel_all`` and documented ``batch_cancel``: how many orders were cancelled."""

    count: int


class CancelAfterResult(_Wire, frozen=True, gc=False):
    """``cancel_all_orders_after``: camelCase (its ``triggerTime`` is not read)."""

    currentTime: str


class BatchAddRow(_Wire, frozen=True, gc=False):
    """One row of ``batch_add``'s result array; a row the engine refused has ``error``."""

    order_id: str | None = None
    error: str | None = None
