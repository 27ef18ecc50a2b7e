"""KuCoin's REST replies for the one-shot calls (:mod:`.fetch`): venue field names
verbatim (camelCase), numbers as ``Decimal`` decoded from their strings, times range-checked
while decoding (:mod:`tickwire.core.validation`).

=========================================  ============================================
``GET /api/v1/accounts``                   ``list[AccountRow]``
``GET /api/v1/hf/fills``                   :class:`FillsPage`
``GET /api/v1/market/histories``           ``list[HistoryTrade]``
``GET /api/v1/market/candles``             ``list[CandleRow]``, newest first
=========================================  ============================================

Orders (``/api/v1/hf/orders/...``) reuse
:class:`~tickwire.adapters.kucoin.trade_schemas.OrderDetail`; book snapshots
:class:`~tickwire.adapters.kucoin.schemas.Level2Snapshot`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from tickwire.core.validation import TimestampMs, TimestampNs

__all__ = ["AccountRow", "CandleRow", "FillRow", "FillsPage", "HistoryTrade"]


class _Wire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """Base of these replies: immutable, KuCoin's camelCase names, unknown fields ignored."""


class AccountRow(_Wire, frozen=True, gc=False):
    """One currency in one account (``trade``, ``trade_hf``, ``main``, ``margin``...)."""

    currency: str
    type: str
    balance: Decimal  # total
    available: Decimal
    holds: Decimal
    id: str | None = None


class HistoryTrade(_Wire, frozen=True, gc=False):
    """One public trade of ``/market/histories`` (the latest 100 of a symbol)."""

    sequence: str
    price: Decimal
    size: Decimal
    side: Literal["buy", "sell"]  # the taker's side
    time: TimestampNs  # ns since the epoch, as a number here (a string in the push)


CandleRow = tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]
"""``[start (s), open, close, high, low, volume (base), turnover (quote)]`` (close
before high and low, as in the push)."""


class FillRow(_Wire, frozen=True, gc=False):
    """One of our executions, from ``/api/v1/hf/fills``."""

    id: int  # grows with time: the key ``lastId`` pages by
    order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    price: Decimal
    size: Decimal
    created_at: TimestampMs
    trade_id: int | str | None = None
    fee: Decimal = Decimal(0)
    fee_currency: str | None = None
    liquidity: str | None = None  # "maker" | "taker"


class FillsPage(_Wire, frozen=True, gc=False):
    """``data`` of ``/api/v1/hf/fills``: newest first; ``lastId`` asks for older ones."""

    items: list[FillRow] = []
    last_id: int | None = None
