"""Private KuCoin frames and order REST bodies, from the protocol reference alone (§8, §9).

Nothing here comes from the adapter; key names and JSON types are checked against the
samples in ``tests/fixtures/kucoin`` (``tradeOrdersV2_*``, ``balance*``, ``order_detail_*``,
``hf_order_*``, ``cancel_*``). Decimals are strings without trailing zeros (:func:`dec`);
``orderTime`` is ms (the current schema), ``ts`` ns; REST spells ``cancelled…`` where the
push spells ``canceled…``.

:class:`KcOrder` is the venue-side part of an order the engine does not keep: the size
the user submitted, the cumulative canceled size, the time in force as spelled on the
wire (``GTT`` is the engine's ``gtd``), and the free-text fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.matching import Fill, OrderSnapshot
from tickwire.exchanges.kucoin.frames import dec

__all__ = [
    "KcOrder",
    "balance_change",
    "cancel_sync_body",
    "order_change",
    "order_detail",
    "place_sync_body",
]

_encode = msgspec.json.Encoder().encode
_ZERO = Decimal(0)
_OPEN_STATES = frozenset({"new", "open", "partially_filled"})


@dataclass(slots=True)
class KcOrder:
    """What KuCoin shows about an order beyond the engine's record."""

    order_id: str
    client_oid: str
    symbol: str  # KuCoin spelling, BTC-USDT
    origin_size: Decimal
    time_in_force: str  # GTC | GTT | IOC | FOK
    cancel_after: int = 0
    remark: str | None = None
    tags: str | None = None
    hidden: bool = False
    iceberg: bool = False
    canceled: Decimal = _ZERO
    """Cumulative canceled size: partial cancels plus the rest canceled at the end."""
    size: Decimal = _ZERO
    """The order's size as last pushed (the ``oldSize`` of the next ``update``)."""


def _active(snap: OrderSnapshot) -> bool:
    return snap.state in _OPEN_STATES


def _remain(snap: OrderSnapshot) -> Decimal:
    return snap.size - snap.filled if _active(snap) else _ZERO


# -- pushes ------------------------------------------------------------------------------


def order_change(
    topic: str,
    user_id: str,
    rec: KcOrder,
    snap: OrderSnapshot,
    event: str,
    status: str,
    ts: int,
    *,
    fill: Fill | None = None,
    trade_id: str | None = None,
    old_size: Decimal | None = None,
) -> bytes:
    """A ``/spotMarket/tradeOrdersV2`` (or V1) ``orderChange`` push.

    ``received`` carries only the identity fields and ``originSize``; the other events
    add the size fields; ``match`` adds the fill (``tradeId``, ``liquidity``,
    ``feeType``), ``update`` adds ``oldSize``. ``price`` is absent for market orders.
    """
    data: dict[str, Any] = {
        "clientOid": rec.client_oid,
        "orderId": rec.order_id,
        "orderTime": snap.created // 1_000_000,
        "orderType": snap.type,
        "originSize": dec(rec.origin_size),
        "side": snap.side,
        "status": status,
        "symbol": rec.symbol,
        "ts": ts,
        "type": event,
    }
    if snap.price is not None:
        data["price"] = dec(snap.price)
    if event != "received":
        data["size"] = dec(snap.size)
        data["filledSize"] = dec(snap.filled)
        data["remainSize"] = dec(_remain(snap))
        data["canceledSize"] = dec(rec.canceled)
    if fill is not None:
        data["matchPrice"] = dec(fill.price)
        data["matchSize"] = dec(fill.size)
        data["tradeId"] = trade_id or fill.trade_id
        data["liquidity"] = fill.liquidity
        data["feeType"] = "makerFee" if fill.liquidity == "maker" else "takerFee"
    if old_size is not None:
        data["oldSize"] = dec(old_size)
    msg = {
        "topic": topic,
        "type": "message",
        "subject": "orderChange",
        "userId": user_id,
        "channelType": "private",
        "data": data,
    }
    return _encode(msg)


def balance_change(
    user_id: str,
    event_id: str,
    account_id: str,
    currency: str,
    total: Decimal,
    available: Decimal,
    hold: Decimal,
    available_change: Decimal,
    hold_change: Decimal,
    relation_event: str,
    context: dict[str, str],
    time_ms: int,
) -> bytes:
    """An ``/account/balance`` push (``account.balance``): signed change strings."""
    data = {
        "accountId": account_id,
        "currency": currency,
        "total": dec(total),
        "available": dec(available),
        "hold": dec(hold),
        "availableChange": dec(available_change),
        "holdChange": dec(hold_change),
        "relationContext": context,
        "relationEvent": relation_event,
        "relationEventId": event_id,
        "time": str(time_ms),
    }
    msg = {
        "topic": "/account/balance",
        "type": "message",
        "subject": "account.balance",
        "id": event_id,
        "userId": user_id,
        "channelType": "private",
        "data": data,
    }
    return _encode(msg)


# -- REST bodies -------------------------------------------------------------------------


def order_detail(rec: KcOrder, snap: OrderSnapshot) -> dict[str, Any]:
    """``GET /api/v1/hf/orders/{orderId}`` data (also the rows of ``/active``)."""
    limit = snap.price is not None
    price = snap.price if snap.price is not None else _ZERO
    funds = price * snap.size if limit else _ZERO
    active = _active(snap)
    return {
        "id": rec.order_id,
        "clientOid": rec.client_oid,
        "symbol": rec.symbol,
        "opType": "DEAL",
        "type": snap.type,
        "side": snap.side,
        "price": dec(price),
        "size": dec(snap.size),
        "funds": dec(funds),
        "dealSize": dec(snap.filled),
        "dealFunds": dec(snap.cost),
        "remainSize": dec(_remain(snap)),
        "remainFunds": dec(max(funds - snap.cost, _ZERO) if limit and active else _ZERO),
        "cancelledSize": dec(rec.canceled),
        "cancelledFunds": dec(rec.canceled * price),
        "fee": dec(snap.fee),
        "feeCurrency": snap.fee_asset,
        "stp": None,
        "timeInForce": rec.time_in_force,
        "postOnly": snap.post_only,
        "hidden": rec.hidden,
        "iceberg": rec.iceberg,
        "visibleSize": "0",
        "cancelAfter": rec.cancel_after,
        "channel": "API",
        "remark": rec.remark,
        "tags": rec.tags,
        "cancelExist": rec.canceled > 0,
        "tradeType": "TRADE",
        "inOrderBook": active and snap.state != "new",
        "active": active,
        "tax": "0",
        "createdAt": snap.created // 1_000_000,
        "lastUpdatedAt": snap.updated // 1_000_000,
    }


def place_sync_body(rec: KcOrder, snap: OrderSnapshot, match_ns: int) -> dict[str, Any]:
    """``POST /api/v1/hf/orders/sync`` data: the order's state once matching is done."""
    return {
        "orderId": rec.order_id,
        "clientOid": rec.client_oid,
        "orderTime": snap.created // 1_000_000,
        "originSize": dec(rec.origin_size),
        "dealSize": dec(snap.filled),
        "remainSize": dec(_remain(snap)),
        "canceledSize": dec(rec.canceled),
        "status": "open" if _active(snap) else "done",
        "matchTime": match_ns // 1_000_000,
    }


def cancel_sync_body(rec: KcOrder, snap: OrderSnapshot, *, by_client: bool) -> dict[str, Any]:
    """``DELETE /api/v1/hf/orders/sync/...`` data, keyed by ``orderId`` or ``clientOid``."""
    key = {"clientOid": rec.client_oid} if by_client else {"orderId": rec.order_id}
    return key | {
        "originSize": dec(rec.origin_size),
        "dealSize": dec(snap.filled),
        "remainSize": dec(_remain(snap)),
        "canceledSize": dec(rec.canceled),
        "status": "open" if _active(snap) else "done",
    }
