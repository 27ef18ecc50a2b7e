"""One Kraken WebSocket connection: requests in, acks, errors and snapshots out.

:class:`KrakenSocket` parses each client request and answers like Kraken Spot v2 does
(reference §2, §3, §5, §9): ``ping`` → ``pong``; ``subscribe``/``unsubscribe`` with one
ack per symbol; the documented error strings and quirks (``Subscription Not Found``
answered with ``method: "subscribe"``, a top-level ``symbol`` on per-symbol errors, the
host-mismatch refusals). The public host (``/v2``) serves market data; the auth host
(``/v2-auth``) refuses market data and hands private subscriptions and order methods to
:class:`~tickwire.exchanges.kraken.accounts.PrivateRouter` (each token's account).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken import frames
from tickwire.exchanges.kraken.accounts import PrivateRouter
from tickwire.exchanges.kraken.feed import Feed

__all__ = [
    "BOOK_DEPTHS",
    "EVENT_TRIGGERS",
    "OHLC_INTERVALS",
    "PRIVATE_CHANNELS",
    "PUBLIC_CHANNELS",
    "TRADING_METHODS",
    "KrakenSocket",
]

PUBLIC_CHANNELS = frozenset({"ticker", "book", "trade", "ohlc", "instrument"})
PRIVATE_CHANNELS = frozenset({"executions", "balances"})
TRADING_METHODS = frozenset(
    {
        "add_order",
        "amend_order",
        "edit_order",
        "cancel_order",
        "cancel_all",
        "cancel_all_orders_after",
        "batch_add",
        "batch_cancel",
    }
)
BOOK_DEPTHS = (10, 25, 100, 500, 1000)
OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
EVENT_TRIGGERS = ("trades", "bbo")

PRIVATE_ON_PUBLIC = (
    "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com"
)
PUBLIC_ON_PRIVATE = (
    "Public market data subscriptions are unavailable on this endpoint. Try ws.kraken.com"
)

# Params each public channel accepts besides `channel` (anything else is refused).
_PARAMS: dict[str, frozenset[str]] = {
    "ticker": frozenset({"symbol", "snapshot", "event_trigger"}),
    "book": frozenset({"symbol", "snapshot", "depth"}),
    "trade": frozenset({"symbol", "snapshot"}),
    "ohlc": frozenset({"symbol", "snapshot", "interval"}),
    "instrument": frozenset({"snapshot", "include_tokenized_assets"}),
}
_SNAPSHOT_DEFAULT = {"ticker": True, "book": True, "trade": False, "ohlc": True, "instrument": True}
_WARNINGS = {
    "ohlc": ["timestamp is deprecated, use interval_begin"],
    "instrument": ["tick_size is deprecated, use price_increment"],
}

_decode = msgspec.json.Decoder().decode

SubKey = tuple[str, str | None, int | None]
"""A live subscription: ``(channel, symbol, ohlc interval)``; book depth is not in it."""


class _Reject(Exception):
    """A request-level failure: one error reply, no per-symbol acks."""


class KrakenSocket:
    """The protocol state of one connection on the public or the auth host."""

    def __init__(
        self,
        conn: Connection,
        feed: Feed,
        *,
        auth_host: bool,
        clock: Callable[[], int],
        on_subscribe: Callable[[], None],
        trading: PrivateRouter | None = None,
    ) -> None:
        self.conn = conn
        self.trading = trading
        self.feed = feed
        self.auth_host = auth_host
        self.clock = clock
        self._on_subscribe = on_subscribe
        self.subscriptions: dict[SubKey, object] = {}
        """Live subscriptions: key → book depth / ticker trigger / ohlc interval / None."""

    def heartbeat(self, conn: Connection) -> bytes | None:
        """The writer's idle hook: heartbeats start with the first subscription."""
        private = self.trading is not None and self.trading.subscribed(conn)
        return frames.HEARTBEAT if self.subscriptions or private else None

    def close(self) -> None:
        """The socket closed: forget its subscriptions."""
        self.feed.remove_all(self.conn)
        self.subscriptions.clear()
        if self.trading is not None:
            self.trading.disconnect(self.conn)

    # -- dispatch --------------------------------------------------------------------

    def handle(self, data: bytes) -> Awaitable[None] | None:
        """Answer one client frame; an awaitable means: read nothing more until it is done."""
        time_in = self.clock()
        try:
            msg = _decode(data)
        except msgspec.DecodeError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("method"), str):
            self._error(None, "Unsupported event", None, time_in)
            return None
        method: str = msg["method"]
        raw_id = msg.get("req_id")
        req_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        extra = sorted(set(msg) - {"method", "params", "req_id"})
        if extra:
            self._unsupported_field(method, extra[0], method, req_id, time_in)
        elif method == "ping":
            if "params" in msg:
                self._unsupported_field(method, "params", method, req_id, time_in)
            else:
                self.conn.send(frames.pong(req_id, time_in, self.clock()))
        elif method in ("subscribe", "unsubscribe"):
            if method == "subscribe":
                self._on_subscribe()
            try:
                self._subscription(method, msg.get("params"), req_id, time_in)
            except _Reject as exc:
                self._error(method, str(exc), req_id, time_in)
        elif method in TRADING_METHODS:
            if self.auth_host and self.trading is not None:
                return self.trading.handle(self.conn, method, data, req_id, time_in)
            else:
                reason = "Token(s) not found" if self.auth_host else PRIVATE_ON_PUBLIC
                self._error(method, reason, req_id, time_in)
        else:
            self._error(method, "Unsupported event", req_id, time_in)
        return None

    def _error(
        self,
        method: str | None,
        message: str,
        req_id: int | None,
        time_in: int,
        **where: str,
    ) -> None:
        self.conn.send(frames.error(method, message, req_id, time_in, self.clock(), **where))

    def _unsupported_field(
        self, method: str, field: str, msg_type: str, req_id: int | None, time_in: int
    ) -> None:
        text = f"Unsupported field: '{field}' for the given msg type: {msg_type}"
        self._error(method, text, req_id, time_in)

    # -- subscribe / unsubscribe -----------------------------------------------------

    def _subscription(self, method: str, params: Any, req_id: int | None, time_in: int) -> None:
        if not isinstance(params, dict) or not isinstance(params.get("channel"), str):
            raise _Reject("Unsupported event")
        channel: str = params["channel"]
        if channel in PRIVATE_CHANNELS:
            if self.auth_host and self.trading is not None:
                self.trading.subscription(self.conn, method, params, req_id, time_in)
                return
            if self.auth_host:
                self._error(method, "ESession:Invalid session", req_id, time_in, channel=channel)
                return
            raise _Reject(PRIVATE_ON_PUBLIC)
        if channel not in PUBLIC_CHANNELS:
            raise _Reject("Subscription name invalid")
        if self.auth_host:
            raise _Reject(PUBLIC_ON_PRIVATE)
        unknown = sorted(set(params) - _PARAMS[channel] - {"channel"})
        if unknown:
            self._unsupported_field(method, unknown[0], method, req_id, time_in)
            return
        snapshot = params.get("snapshot", _SNAPSHOT_DEFAULT[channel])
        if not isinstance(snapshot, bool):
            raise _Reject("Unsupported event")
        param, extras = self._channel_param(channel, params)
        if channel == "instrument":
            symbols: list[str | None] = [None]
        else:
            raw = params.get("symbol")
            if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
                raise _Reject("Unsupported event")
            symbols = list(raw)
        for symbol in symbols:
            if method == "subscribe":
                self._subscribe_one(channel, symbol, param, snapshot, extras, req_id, time_in)
            else:
                self._unsubscribe_one(channel, symbol, param, extras, req_id, time_in)

    @staticmethod
    def _channel_param(channel: str, params: dict[str, Any]) -> tuple[object, dict[str, Any]]:
        """The parameter that keys a subscription, and the keys the ack echoes."""
        if channel == "book":
            depth = params.get("depth", 10)
            if type(depth) is not int or depth not in BOOK_DEPTHS:
                raise _Reject("EGeneral:Invalid arguments:depth")
            return depth, {"depth": depth}
        if channel == "ticker":
            trigger = params.get("event_trigger", "trades")
            if trigger not in EVENT_TRIGGERS:
                raise _Reject("EGeneral:Invalid arguments:event_trigger")
            return trigger, {"event_trigger": trigger}
        if channel == "ohlc":
            interval = params.get("interval", 1)
            if type(interval) is not int or interval not in OHLC_INTERVALS:
                raise _Reject("EGeneral:Invalid arguments:interval")
            return interval, {"interval": interval}
        return None, {}

    @staticmethod
    def _key(channel: str, symbol: str | None, param: object) -> SubKey:
        return (channel, symbol, param if channel == "ohlc" and isinstance(param, int) else None)

    def _subscribe_one(
        self,
        channel: str,
        symbol: str | None,
        param: object,
        snapshot: bool,
        extras: dict[str, Any],
        req_id: int | None,
        time_in: int,
    ) -> None:
        if symbol is not None and symbol not in self.feed.pairs:
            self._error(
                "subscribe",
                f"Currency pair not supported {symbol}",
                req_id,
                time_in,
                symbol=symbol,
            )
            return
        key = self._key(channel, symbol, param)
        if key in self.subscriptions:
            # Also when the book depth differs: one depth per symbol per connection.
            self._error("subscribe", "Already subscribed", req_id, time_in, **_at(symbol))
            return
        result: dict[str, Any] = {"channel": channel, **extras, "snapshot": snapshot}
        if symbol is not None:
            result["symbol"] = symbol
        if channel in _WARNINGS:
            result["warnings"] = _WARNINGS[channel]
        self.conn.send(frames.ack("subscribe", result, req_id, time_in, self.clock()))
        # Snapshot and registration with no await in between: no update can slip by.
        if snapshot:
            self.conn.send(self.feed.snapshot(channel, symbol, param))
        self.feed.add(self.conn, channel, symbol, param)
        self.subscriptions[key] = param

    def _unsubscribe_one(
        self,
        channel: str,
        symbol: str | None,
        param: object,
        extras: dict[str, Any],
        req_id: int | None,
        time_in: int,
    ) -> None:
        key = self._key(channel, symbol, param)
        if key not in self.subscriptions or self.subscriptions[key] != param:
            # Kraken's quirk: the failed *unsubscribe* is reported as method "subscribe".
            self._error("subscribe", "Subscription Not Found", req_id, time_in, **_at(symbol))
            return
        del self.subscriptions[key]
        self.feed.remove(self.conn, channel, symbol, param)
        result: dict[str, Any] = {"channel": channel, **extras}
        if symbol is not None:
            result["symbol"] = symbol
        self.conn.send(frames.ack("unsubscribe", result, req_id, time_in, self.clock()))


def _at(symbol: str | None) -> dict[str, str]:
    return {} if symbol is None else {"symbol": symbol}
