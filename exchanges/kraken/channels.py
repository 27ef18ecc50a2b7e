"""The ``executions`` and ``balances`` subscriptions on the auth host (reference §7).

A subscription needs a valid token (``ESession:Invalid session``) whose key has the
``query`` permission (``EGeneral:Permission denied``), then known params; the ack goes
out before the snapshot (sequence 1). A failed unsubscribe is reported as ``subscribe``,
as Kraken does.
"""

from __future__ import annotations

from typing import Any

from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken import frames
from tickwire.exchanges.kraken.auth import PERMISSION_DENIED
from tickwire.exchanges.kraken.orderparams import Refuse, boolean
from tickwire.exchanges.kraken.private import PrivateDesk

__all__ = ["INVALID_SESSION", "subscription"]

INVALID_SESSION = "ESession:Invalid session"
_EXECUTIONS_PARAMS = frozenset(
    {"channel", "token", "snap_orders", "snap_trades", "order_status", "ratecounter",
     "snapshot", "users", "rebased"}
)  # fmt: skip
_BALANCES_PARAMS = frozenset({"channel", "token", "snapshot", "users", "rebased"})


def subscription(
    desk: PrivateDesk, conn: Connection, method: str, params: dict[str, Any],
    req_id: int | None, time_in: int,
) -> None:  # fmt: skip
    """Answer a ``subscribe``/``unsubscribe`` to ``executions`` or ``balances``."""
    channel = params["channel"]
    try:
        _subscribe(desk, conn, method, channel, params, req_id, time_in)
    except Refuse as exc:
        # Kraken's quirk: a failed unsubscribe is also reported as "subscribe".
        frame = frames.error("subscribe", str(exc), req_id, time_in, desk.clock(), channel=channel)
        conn.send(frame)


def _subscribe(
    desk: PrivateDesk, conn: Connection, method: str, channel: str, params: dict[str, Any],
    req_id: int | None, time_in: int,
) -> None:  # fmt: skip
    key = desk.key_for(params.get("token"), conn)
    if key is None:
        raise Refuse(INVALID_SESSION)
    if not key.allows("query"):
        raise Refuse(PERMISSION_DENIED)
    allowed = _EXECUTIONS_PARAMS if channel == "executions" else _BALANCES_PARAMS
    unknown = sorted(set(params) - allowed)
    if unknown:
        text = f"Unsupported field: '{unknown[0]}' for the given msg type: {method}"
        conn.send(frames.error(method, text, req_id, time_in, desk.clock()))
        return
    desk.tokens.mark_used(params["token"], conn.id)
    if method == "unsubscribe":
        if not desk.unsubscribe(conn, channel):
            raise Refuse("Subscription Not Found")
        conn.send(frames.ack(method, {"channel": channel}, req_id, time_in, desk.clock()))
        return
    subs = desk.executions if channel == "executions" else desk.balances
    if conn in subs:
        raise Refuse("Already subscribed")
    if channel == "executions":
        snap_orders = boolean(params, "snap_orders", True)
        snap_trades = boolean(params, "snap_trades", False)
        order_status = boolean(params, "order_status", True)
        boolean(params, "ratecounter")
        result = {
            "channel": channel,
            "maxratecount": 125,
            "snap_orders": snap_orders,
            "snap_trades": snap_trades,
        }
        conn.send(frames.ack("subscribe", result, req_id, time_in, desk.clock()))
        desk.subscribe_executions(
            conn, snap_orders=snap_orders, snap_trades=snap_trades, order_status=order_status
        )
    else:
        snapshot = boolean(params, "snapshot", True)
        result = {"channel": channel, "snapshot": snapshot}
        conn.send(frames.ack("subscribe", result, req_id, time_in, desk.clock()))
        desk.subscribe_balances(conn, snapshot=snapshot)
