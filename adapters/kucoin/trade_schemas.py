"""KuCoin's REST bodies for HF orders (``shared/reference/kucoin-ws.md`` §9) and the
one-shot calls (:mod:`.fetch`), venue names verbatim.

Like :mod:`tickwire.adapters.kucoin.schemas`, this module only describes the venue: the
request body of a placement (:class:`HfOrder`, encoded with ``omit_defaults`` so only
what the caller set is sent) and the ``data`` of each reply. Decimals travel as JSON
strings both ways; times are range-checked while decoding (:mod:`tickwire.core.validation`).
Each reply Struct names its endpoint; book snapshots are
:class:`~tickwire.adapters.kucoin.schemas.Level2Snapshot`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from tickwire.core.validation import TimestampMs, TimestampNs

__all__ = [
    "AccountRow",
    "ActiveSymbols",
    "AlterData",
    "CancelAllData",
    "CandleRow",
    "ClientOidData",
    "DcpData",
    "FailedSymbol",
    "FillRow",
    "FillsPage",
    "HfOrder",
    "HistoryTrade",
    "MultiOrderResult",
    "OrderDetail",
    "OrderIdData",
]


class _Wire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """Base of the reply Structs: immutable, KuCoin's camelCase names, unknown fields ignored."""


class HfOrder(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """The body of ``POST /api/v1/hf/orders`` (one entry of ``orderList`` in ``/multi``)."""

    client_oid: str  # ≤ 40 of [A-Za-z0-9_-], unique per account
    symbol: str  # "BTC-USDT"
    side: str  # "buy" / "sell"
    type: str  # "limit" / "market"
    price: str | None = None  # limit only
    size: str | None = None  # base quantity
    time_in_force: str | None = None  # "GTC" (default), "GTT", "IOC", "FOK"
    post_only: bool | None = None  # ignored by KuCoin with IOC/FOK


class OrderIdData(_Wire, frozen=True, gc=False):
    """``data`` of a placement (``{"orderId", "clientOid"}``) and of a cancel by order id."""

    order_id: str
    client_oid: str | None = None


class ClientOidData(_Wire, frozen=True, gc=False):
    """``data`` of ``DELETE /api/v1/hf/orders/client-order/{clientOid}``."""

    client_oid: str


class AlterData(_Wire, frozen=True, gc=False):
    """``data`` of ``POST /api/v1/hf/orders/alter``: the replacing order (cancel + new)."""

    new_order_id: str
    client_oid: str | None = None


class MultiOrderResult(_Wire, frozen=True, gc=False):
    """One entry of ``data`` of ``POST /api/v1/hf/orders/multi``, in request order."""

    success: bool
    order_id: str | None = None
    client_oid: str | None = None
    fail_msg: str | None = None  # why this one was refused


class FailedSymbol(_Wire, frozen=True, gc=False):
    """A symbol whose orders ``cancelAll`` could not cancel."""

    symbol: str
    error: str | None = None


class CancelAllData(_Wire, frozen=True, gc=False):
    """``data`` of ``DELETE /api/v1/hf/orders/cancelAll``."""

    failed_symbols: list[FailedSymbol] = []


class ActiveSymbols(_Wire, frozen=True, gc=False):
    """``data`` of ``GET /api/v1/hf/orders/active/symbols``: symbols with open orders."""

    symbols: list[str] = []


class DcpData(_Wire, frozen=True, gc=False):
    """``data`` of ``POST /api/v1/hf/orders/dead-cancel-all``, in *seconds*; empty
    (``{}``) when the switch is disarmed."""

    current_time: int | None = None
    trigger_time: int | None = None


class OrderDetail(_Wire, frozen=True, gc=False):
    """One order of ``GET /api/v1/hf/orders/{orderId}``, ``/client-order/{clientOid}`` or
    ``/active`` (REST spells ``cancelled…``; the push spells ``canceled…``)."""

    id: str
    symbol: str
    side: str
    type: str
    client_oid: str | None = None
    price: Decimal | None = None
    size: Decimal | None = None
    deal_size: Decimal | None = None  # filled so far
    deal_funds: Decimal | None = None  # quote value filled so far
    remain_size: Decimal | None = None
    cancelled_size: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    active: bool | None = None  # still open
    cancel_exist: bool | None = None  # something was canceled
    created_at: int | None = None  # ms
    last_updated_at: int | None = None  # ms


# --- the one-shot calls ------------------------------------------------------------------


class AccountRow(_Wire, frozen=True, gc=False):
    """``GET /api/v1/accounts``: one currency in one account (``trade``, ``trade_hf``...)."""

    currency: str
    type: str
    balance: Decimal  # total
    available: Decimal
    holds: Decimal


class HistoryTrade(_Wire, frozen=True, gc=False):
    """One public trade of ``/market/histories`` (the latest 100 of a symbol)."""

    sequence: str
    price: Decimal
    size: Decimal
    side: Literal["buy", "sell"]  # the taker's side
    time: TimestampNs  # ns since the epoch, as a number here (a string in the push)


CandleRow = tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]
"""One bar of ``GET /api/v1/market/candles`` (newest first): ``[start (s), open, close,
high, low, volume (base), turnover (quote)]`` (close before high and low, as in the push)."""


class FillRow(_Wire, frozen=True, gc=False):
    """One of our executions, from ``/api/v1/hf/fills``."""

    order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    price: Decimal
    size: Decimal
    created_at: TimestampMs
    fee: Decimal = Decimal(0)
    fee_currency: str | None = None


class FillsPage(_Wire, frozen=True, gc=False):
    """``data`` of ``/api/v1/hf/fills``: newest first; ``lastId`` asks for older ones."""

    items: list[FillRow] = []
    last_id: int | None = None
