"""Kraken ``executions`` reports and ``balances`` entries, built from the reference alone.

Reference §7 and the samples in ``tests/fixtures/kraken`` (``executions_*.json``,
``balances_*.json``). Reports are sparse: ``pending_new`` carries the full order, the
later ones only what changed (each keeps ``order_id``, ``order_userref``, ``exec_type``
and ``timestamp``; ``cl_ord_id`` rides along when the order has one). Numbers are JSON
numbers at the instrument's precision: sizes at ``qty_precision``, prices at
``price_precision``, costs at ``cost_precision``, fees at the fee asset's precision.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.paper import Fill, OrderSnapshot
from tickwire.exchanges.kraken.frames import num, rfc3339
from tickwire.exchanges.kraken.instruments import KrakenPair, asset_for

__all__ = [
    "Report",
    "amended",
    "balance_entry",
    "canceled",
    "channel_message",
    "closed",
    "ledger_entry",
    "method_ack",
    "new",
    "open_order",
    "pending_new",
    "snapshot_trade",
    "trade",
]

Report = dict[str, Any]
"""One entry of an ``executions`` message's ``data`` list."""

_encode = msgspec.json.Encoder().encode
_USD_PLACES = asset_for("USD").precision


def channel_message(channel: str, kind: str, data: list[Any], sequence: int) -> bytes:
    """``{"channel", "type", "data", "sequence"}`` of a private channel."""
    return _encode({"channel": channel, "type": kind, "data": data, "sequence": sequence})


def method_ack(
    method: str,
    result: Any,
    req_id: int | None,
    time_in: int,
    time_out: int,
    **top: Any,
) -> bytes:
    """A successful method response; ``result`` may be a list (``batch_add``) or
    ``None`` with ``top``-level keys instead (the observed ``batch_cancel`` form)."""
    msg: dict[str, Any] = {"method": method, **top}
    if req_id is not None:
        msg["req_id"] = req_id
    if result is not None:
        msg["result"] = result
    msg["success"] = True
    msg["time_in"] = rfc3339(time_in)
    msg["time_out"] = rfc3339(time_out)
    return _encode(msg)


def _ids(report: Report, o: OrderSnapshot, userref: int) -> Report:
    if o.client_id is not None:
        report["cl_ord_id"] = o.client_id
    report["order_userref"] = userref
    report["order_id"] = o.order_id
    return report


def _qty(pair: KrakenPair, value: Decimal) -> msgspec.Raw:
    return num(value, pair.spec.qty_precision)


def _price(pair: KrakenPair, value: Decimal) -> msgspec.Raw:
    return num(value, pair.spec.price_precision)


def _cost(pair: KrakenPair, value: Decimal) -> msgspec.Raw:
    return num(value, pair.cost_precision)


def _totals(pair: KrakenPair, o: OrderSnapshot, fee_usd: Decimal) -> Report:
    return {
        "cum_qty": _qty(pair, o.filled),
        "cum_cost": _cost(pair, o.cost),
        "fee_usd_equiv": num(fee_usd, _USD_PLACES),
        "avg_price": _price(pair, o.avg_price),
    }


def _detail(pair: KrakenPair, o: OrderSnapshot) -> Report:
    """The full order description ``pending_new`` and snapshot entries carry."""
    report: Report = {
        "symbol": o.symbol,
        "order_qty": _qty(pair, o.size),
        "cum_cost": _cost(pair, o.cost),
        "time_in_force": o.time_in_force.upper(),
        "side": o.side,
        "order_type": o.type,
    }
    if o.price is not None:
        report["limit_price_type"] = "static"
        report["limit_price"] = _price(pair, o.price)
        report["stop_price"] = _price(pair, Decimal(0))  # deprecated, still sent
    if o.post_only:
        report["post_only"] = True
    if o.expire_at is not None:
        report["expire_time"] = rfc3339(o.expire_at, 0)
    return report


def pending_new(pair: KrakenPair, o: OrderSnapshot, userref: int, ts: int) -> Report:
    """The first report of an order: validated, not live yet; full detail."""
    report = _ids({}, o, userref)
    report.update(_detail(pair, o))
    report["exec_type"] = "pending_new"
    report["order_status"] = "pending_new"
    report["fee_usd_equiv"] = num(Decimal(0), _USD_PLACES)
    report["fee_ccy_pref"] = "fciq"
    report["timestamp"] = rfc3339(ts)
    return report


def new(o: OrderSnapshot, userref: int, ts: int) -> Report:
    """The order is live (sparse)."""
    report: Report = {"timestamp": rfc3339(ts), "order_status": "new", "exec_type": "new"}
    return _ids(report, o, userref)


def trade(
    pair: KrakenPair,
    o: OrderSnapshot,
    fill: Fill,
    userref: int,
    exec_id: str,
    trade_id: int,
    fee_usd: Decimal,
    ts: int,
) -> Report:
    """One fill. ``order_status`` stays ``partially_filled``: ``filled`` comes apart."""
    report = _ids({}, o, userref)
    report.update(
        exec_id=exec_id,
        exec_type="trade",
        trade_id=trade_id,
        symbol=o.symbol,
        side=o.side,
        last_qty=_qty(pair, fill.size),
        last_price=_price(pair, fill.price),
        liquidity_ind="m" if fill.liquidity == "maker" else "t",
        cost=_cost(pair, fill.cost),
        order_type=o.type,
        timestamp=rfc3339(ts),
        order_status="partially_filled",
        cum_qty=_qty(pair, o.filled),
        cum_cost=_cost(pair, o.cost),
        avg_price=_price(pair, o.avg_price),
        fee_usd_equiv=num(fee_usd, _USD_PLACES),
        fees=[{"asset": fill.fee_asset, "qty": num(fill.fee, asset_for(fill.fee_asset).precision)}],
    )
    return report


def snapshot_trade(report: Report, order_status: str) -> Report:
    """A trade report as the ``snap_trades`` snapshot lists it: no running totals."""
    entry = {k: v for k, v in report.items() if k not in ("cum_qty", "cum_cost", "avg_price")}
    entry["order_status"] = order_status
    return entry


def closed(
    pair: KrakenPair,
    o: OrderSnapshot,
    userref: int,
    exec_type: str,
    fee_usd: Decimal,
    ts: int,
) -> Report:
    """A terminal ``filled`` or ``expired`` report with the final totals."""
    report: Report = {"timestamp": rfc3339(ts), "order_status": exec_type, "exec_type": exec_type}
    report.update(_totals(pair, o, fee_usd))
    return _ids(report, o, userref)


def canceled(
    pair: KrakenPair, o: OrderSnapshot, userref: int, reason: str, fee_usd: Decimal, ts: int
) -> Report:
    """A ``canceled`` report: totals, and the reason under both its names."""
    report: Report = {"timestamp": rfc3339(ts), "order_status": "canceled", "exec_type": "canceled"}
    report.update(_totals(pair, o, fee_usd))
    report["cancel_reason"] = reason  # deprecated name, still sent
    report["reason"] = reason
    return _ids(report, o, userref)


def amended(pair: KrakenPair, o: OrderSnapshot, userref: int, ts: int) -> Report:
    """A user amend applied in place (``amended: true``)."""
    report: Report = {
        "timestamp": rfc3339(ts),
        "exec_type": "amended",
        "order_status": "partially_filled" if o.filled else "new",
        "cum_qty": _qty(pair, o.filled),
        "reason": "User requested",
        "amended": True,
        "order_qty": _qty(pair, o.size),
    }
    if o.price is not None:
        report["limit_price"] = _price(pair, o.price)
        report["limit_price_type"] = "static"
    return _ids(report, o, userref)


def open_order(
    pair: KrakenPair, o: OrderSnapshot, userref: int, fee_usd: Decimal, ts: int
) -> Report:
    """An open order in the ``snap_orders`` snapshot: full detail and running totals."""
    report = _ids({}, o, userref)
    report.update(_detail(pair, o))
    report["exec_type"] = "new"
    report["order_status"] = "partially_filled" if o.filled else "new"
    report.update(_totals(pair, o, fee_usd))
    report["fee_ccy_pref"] = "fciq"
    report["timestamp"] = rfc3339(ts)
    return report


def balance_entry(asset: str, total: Decimal) -> Report:
    """One asset of the ``balances`` snapshot (everything sits in the spot wallet)."""
    amount = num(total, asset_for(asset).precision)
    return {
        "asset": asset,
        "asset_class": "currency",
        "balance": amount,
        "wallets": [{"type": "spot", "id": "main", "balance": amount}],
    }


def ledger_entry(
    ledger_id: str,
    ref_id: str,
    ts: int,
    asset: str,
    amount: Decimal,
    fee: Decimal,
    balance: Decimal,
) -> Report:
    """One ``balances`` update entry: a trade ledger line of one asset."""
    places = asset_for(asset).precision
    return {
        "ledger_id": ledger_id,
        "ref_id": ref_id,
        "timestamp": rfc3339(ts),
        "type": "trade",
        "asset": asset,
        "asset_class": "currency",
        "category": "trade",
        "wallet_type": "spot",
        "wallet_id": "main",
        "amount": num(amount, places),
        "fee": num(fee, places),
        "balance": num(balance, places),
    }
