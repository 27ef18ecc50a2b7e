"""The venue side of the floor server's sockets: KuCoin's and Kraken v2's handshakes.

Just enough of each protocol for the real clients to subscribe (see ``floor_server``);
the frames of a stream are the server's business. A socket that has subscribed a stream
is handed to the server (``arm``), which writes that stream's frames when told to.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from floor_streams import KRAKEN_INSTRUMENTS

if TYPE_CHECKING:
    from floor_server import Server

__all__ = ["KrakenSocket", "KucoinSocket", "kraken_status", "ws_frame"]

# Which subscription is which stream (venue, channel, native symbol).
KUCOIN_TOPICS = {
    "/market/ticker:BTC-USDT": "kucoin-ticker",
    "/market/level2:ETH-USDT": "kucoin-l2",
}
KRAKEN_STREAMS = {("ticker", "BTC/USD"): "kraken-ticker", ("book", "ETH/USD"): "kraken-book"}


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, final server frame (text by default)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def _now_rfc3339() -> str:
    ns = time.time_ns()
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns // 1000 % 10**6:06d}Z"
    )


class _Socket:
    """One upgraded socket: what it sends back."""

    def __init__(self, server: Server, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.writer = writer

    def send_raw(self, payload: bytes) -> None:
        self.writer.write(ws_frame(payload))

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message, separators=(",", ":")).encode())


class KucoinSocket(_Socket):
    """KuCoin's push socket: welcome was sent; subscribe/unsubscribe and ping."""

    def on_message(self, message: dict[str, Any]) -> None:
        kind, msg_id = message.get("type"), str(message.get("id", ""))
        if kind == "ping":
            self.send({"id": msg_id, "type": "pong"})
        elif kind == "subscribe":
            stream = KUCOIN_TOPICS.get(message.get("topic", ""))
            if stream is None:
                self.send({"id": msg_id, "type": "error", "code": 404, "data": "topic not found"})
                return
            replay = self.server.replays[stream]
            if message.get("response"):
                self.send({"id": msg_id, "type": "ack"})
            self.server.arm(self.writer, replay)
        elif kind == "unsubscribe" and message.get("response"):
            self.send({"id": msg_id, "type": "ack"})


class KrakenSocket(_Socket):
    """Kraken v2's public socket: status was sent; subscribe/unsubscribe and ping."""

    def on_message(self, message: dict[str, Any]) -> None:
        method, req_id = message.get("method"), message.get("req_id")
        params = message.get("params", {})
        if method == "ping":
            self.send({"method": "pong", "req_id": req_id, **_times()})
        elif method == "subscribe" and params.get("channel") == "instrument":
            result = {"channel": "instrument", "snapshot": True}
            self.send(
                {
                    "method": "subscribe",
                    "req_id": req_id,
                    "result": result,
                    "success": True,
                    **_times(),
                }
            )
            self.send_raw(KRAKEN_INSTRUMENTS)
        elif method in ("subscribe", "unsubscribe"):
            channel = params.get("channel")
            for symbol in params.get("symbol", []):
                stream = KRAKEN_STREAMS.get((channel, symbol))
                reply: dict[str, Any] = {"method": method, "req_id": req_id, **_times()}
                if stream is None:
                    error = f"Currency pair not supported {symbol}"
                    self.send({**reply, "success": False, "error": error, "symbol": symbol})
                    continue
                result = {"channel": channel, "snapshot": True, "symbol": symbol}
                result |= {"depth": params.get("depth", 10)} if channel == "book" else {}
                result |= {"event_trigger": "trades"} if channel == "ticker" else {}
                self.send({**reply, "result": result, "success": True})
                if method == "subscribe":
                    replay = self.server.replays[stream]
                    self.send_raw(replay.snapshot)
                    self.server.arm(self.writer, replay)


def _times() -> dict[str, str]:
    """Kraken's ``time_in``/``time_out``: now."""
    now = _now_rfc3339()
    return {"time_in": now, "time_out": now}


def kraken_status() -> bytes:
    """The ``status`` frame Kraken sends when a socket opens."""
    data = {"api_version": "v2", "connection_id": 18125794168470749634, "system": "online"}
    data |= {"version": "2.0.10", "upcoming_maintenance": [], "emergency": []}
    return json.dumps({"channel": "status", "type": "update", "data": [data]}).encode()
