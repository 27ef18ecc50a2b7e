"""The Kraken auth socket: token per connect, ``executions`` and ``balances``, trading replies.

On core's :class:`~tickwire.core.account.AccountSocket`: every connect fetches a fresh
token (REST ``GetWebSocketsToken``; kept out of every log, repr and error) and subscribes
``executions`` (always: order methods merge its sparse reports in core's OrderTracker and
reconcile by ``cl_ord_id`` in its snapshot; ``subscribe("orders")`` only decides whether
updates reach the stream) and ``balances`` if subscribed. A ``sequence`` gap resyncs
through core's :class:`~tickwire.core.sequences.ChannelSequences`. How each ``exec_type``
maps to a status is tabled in ``docs/venues/kraken.md`` (account and orders).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from time import time_ns
from typing import Any

import msgspec

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.errors import to_error
from tickwire.adapters.kraken.parse import ORDER_TYPES, SIDES, timestamp_ns, to_unified
from tickwire.adapters.kraken.rest import KrakenRest
from tickwire.adapters.kraken.schemas import MethodResponse
from tickwire.adapters.kraken.schemas_private import (
    BalancesMessage,
    ExecutionData,
    ExecutionsMessage,
)
from tickwire.core.account import AccountSocket
from tickwire.core.checks import Fields
from tickwire.core.context import AdapterContext
from tickwire.core.errors import (
    AuthError,
    DecodeError,
    ExchangeError,
    SubscriptionError,
)
from tickwire.core.order_tracker import OrderReport
from tickwire.core.sequences import ChannelSequences
from tickwire.core.session import Session
from tickwire.core.types import Channel, OrderStatus
from tickwire.core.validation import ZERO, check_signed

__all__ = ["AUTH_WS_URL", "PING", "PING_INTERVAL", "KrakenPrivate", "check_execution", "to_report"]

AUTH_WS_URL = "wss://ws-auth.kraken.com/v2"
PING_INTERVAL = 10.0  # Kraken drops idle sockets after about a minute
PING = b'{"method":"ping"}'  # no req_id: its pong has none either, and needs no matching

_encode = msgspec.json.Encoder(decimal_format="number").encode
_CHANNELS = {"executions": Channel.ORDERS, "balances": Channel.BALANCES}
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


class KrakenPrivate(AccountSocket):
    """The auth socket, on core's :class:`~tickwire.core.account.AccountSocket`:
    ``tracker`` holds every order's merged state, each connection's executions snapshot
    is :meth:`~tickwire.core.account.AccountSocket.synced`."""

    ping_frame = PING

    def __init__(self, context: AdapterContext, rest: KrakenRest) -> None:
        ping = context.config.heartbeat.ping_interval or PING_INTERVAL
        super().__init__(context, ping_interval=ping)
        self._url = context.config.ws_auth_url or AUTH_WS_URL
        # The client's REST client (its owner closes it): one limiter for the account's
        # API counter, which Kraken counts token fetches and one-shot calls against.
        self._rest = rest
        self._token = ""  # the current connection's token: never logged
        self._baseline_taken = False
        self.sequences = ChannelSequences(context, self._renew, _CHANNELS, "private")

    def __repr__(self) -> str:
        return f"KrakenPrivate({self._url!r})"

    # --- AccountSocket -------------------------------------------------------------------

    async def connect_url(self) -> str:
        """A fresh token (refused keys fail the first connect at once, as AuthError)."""
        self._token = (await self._rest.websockets_token()).token
        return self._url

    async def restore(self, session: Session) -> None:
        """Subscribe executions and wait for its snapshot; restore balances."""
        await self._channel_request("subscribe", "executions", snap_orders=True, snap_trades=True)
        if Channel.BALANCES in self.wanted:
            await self._channel_request("subscribe", "balances")
        # Ready means synced: order methods and reconciliation trust the tracker then.
        await self.wait_synced(self.generation - 1)

    async def send(self, channel: Channel, subscribe: bool) -> None:
        """``orders`` is always subscribed (as executions): subscribing it delivers the
        open orders; ``balances`` is (un)subscribed on the venue."""
        if channel is Channel.ORDERS:
            if subscribe:
                self.deliver(channel, self.tracker.current(time_ns()))
        elif subscribe:
            await self._channel_request("subscribe", "balances")
        else:
            self.sequences.forget("balances")
            await self._channel_request("unsubscribe", "balances")

    def on_close(self, reason: str) -> None:
        """The socket is gone: its sequences and token are void."""
        super().on_close(reason)
        self.sequences.forget()
        self._token = ""

    # --- frames ------------------------------------------------------------------------

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and act on it; a bad frame becomes one StreamError."""
        try:
            message = parse.decode_private_frame(frame)
            kind = type(message)
            if kind is ExecutionsMessage:
                self._on_executions(message, received)  # type: ignore[arg-type]
            elif kind is BalancesMessage:
                self._on_balances(message, received)  # type: ignore[arg-type]
            elif kind is MethodResponse:
                self._on_response(message)  # type: ignore[arg-type]
        except DecodeError as exc:
            self.report(exc, "decode", frame)

    def _on_response(self, response: MethodResponse) -> None:
        req_id = response.req_id
        if req_id is None or self.session.pending.resolve(req_id, response):
            return  # a keepalive's pong has no req_id
        raise parse.unmatched(response)  # an order reply nobody reads

    def _on_executions(self, message: ExecutionsMessage, received: int) -> None:
        snapshot = message.type == "snapshot"
        convert = partial(_reports, message, received)
        reports = self.sequences.accept("executions", message.sequence, snapshot, convert)
        if snapshot:
            baseline = not self._baseline_taken
            self._baseline_taken = True
            updates = self.tracker.apply_snapshot(reports, received, baseline=baseline)
        else:
            found = (self.tracker.apply(report, received) for report in reports)
            updates = [update for update in found if update is not None]
        self.deliver(Channel.ORDERS, updates)
        if snapshot:
            self.synced()

    def _on_balances(self, message: BalancesMessage, received: int) -> None:
        snapshot = message.type == "snapshot"
        convert = partial(parse.to_balances, message, received)
        balances = self.sequences.accept("balances", message.sequence, snapshot, convert)
        self.deliver(Channel.BALANCES, balances)

    # --- requests ---------------------------------------------------------------------

    def message(self, method: str, params: dict[str, Any]) -> Callable[[int], bytes]:
        """A request with the connection's token (Decimals as JSON numbers), for a
        ``req_id``: what :meth:`~tickwire.core.account.AccountSocket.request` sends."""
        return lambda req_id: _encode(
            {"method": method, "params": {**params, "token": self._token}, "req_id": req_id}
        )

    async def _channel_request(self, method: str, channel: str, **params: Any) -> None:
        """Subscribe or unsubscribe one private channel (also while restoring, before the
        socket is ready); a refusal raises."""
        build = self.message(method, {"channel": channel, **params})
        reply: MethodResponse = await self.ask(build, f"kraken {method} {channel}")
        if reply.success is not True:
            error = to_error(reply.error or "refused")
            if isinstance(error, AuthError):
                self.refused(error)
                raise error
            code = error.code if isinstance(error, ExchangeError) else "refused"
            raise SubscriptionError("kraken", code, reply.error or "refused")

    async def _renew(self, channel: str) -> None:
        """Unsubscribe and subscribe again: Kraken's way to a fresh snapshot."""
        snaps = {"snap_orders": True, "snap_trades": True} if channel == "executions" else {}
        await self._channel_request("unsubscribe", channel)
        await self._channel_request("subscribe", channel, **snaps)


# --- execution reports ------------------------------------------------------------------


def _reports(message: ExecutionsMessage, received: int) -> list[OrderReport]:
    for report in message.data:  # every report, before any is merged
        check_execution(report)
    return [to_report(report, received) for report in message.data]


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
    sizes=("order_qty", "cum_qty", "cum_cost", "last_qty", "cost"),
)


def check_execution(report: ExecutionData) -> None:
    """Raise :class:`~tickwire.core.errors.DecodeError` if an execution report breaks
    the value rules (as ``_VALUES`` lists them: 0 is a market order's price and an
    unfilled order's average; a fee is signed, a rebate negative) or has a bad
    ``timestamp``; call it on every report of a message before merging any."""
    what = f"kraken: execution {report.order_id!r}"
    timestamp_ns(report.timestamp, 0)
    _VALUES.check(report, what)
    for fee in report.fees or ():
        check_signed(fee.qty, f"{what} fee {fee.asset!r}")
