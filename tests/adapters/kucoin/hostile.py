"""A KuCoin Spot venue of the tests' own, written from the docs, that lies on cue.

Not :mod:`tickwire.exchanges.kucoin`: an independent reading of
``shared/reference/kucoin-ws.md`` and its samples, so that a misreading cannot hide in
both the adapter and the emulator. It serves:

- ``POST /api/v1/bullet-public``: a token and this server's WebSocket endpoint (§3);
- ``GET /api/v1/market/orderbook/level2_100``: the public book snapshot the adapter
  syncs with when it has no credentials (§7), taken from this server's own book;
- the push socket: ``welcome`` on connect, an ``ack`` per (un)subscribe that asks for
  one, a ``pong`` per ``ping`` (§4).

One symbol, ``BTC-USDT``. A test drives it with :meth:`HostileKucoin.send_good` (a
valid ticker, match or level2 increment, its own book kept in step) and
:meth:`send_raw` (any bytes, as a text or binary frame), and awaits a subscribed
connection with :meth:`wait_subscribed`, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

NATIVE = "BTC-USDT"
SYMBOL = "BTC/USDT"
TOPICS = (f"/market/ticker:{NATIVE}", f"/market/match:{NATIVE}", f"/market/level2:{NATIVE}")
D = Decimal


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def message(topic: str, subject: str, data: Any) -> dict[str, Any]:
    """A data push (§4.5)."""
    return {"type": "message", "topic": topic, "subject": subject, "data": data}


class HostileKucoin:
    """The server; ``async with HostileKucoin() as venue: venue.rest_url``."""

    def __init__(self, seed: int = 8) -> None:
        self.random = random.Random(seed)
        self.sequence = 14_701_689_783  # level2 S, as in level2_update.json
        self.ticker_sequence = 1_621_383_371_852  # as in ticker.json
        self.match_sequence = 11_067_996_711_960_577  # as in match.json
        self.bids: dict[Decimal, Decimal] = {D(60000 - i): D(i + 1) for i in range(10)}
        self.asks: dict[Decimal, Decimal] = {D(60001 + i): D(i + 1) for i in range(10)}
        self.connections = 0
        self.fail_snapshots = 0  # answer this many snapshot requests with an HTTP 500
        self.snapshots = 0  # snapshot requests answered, failed ones included
        self.ws: web.WebSocketResponse | None = None
        self.topics: set[str] = set()  # subscribed on the current connection
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.rest_url = ""
        self.ws_url = ""

    async def __aenter__(self) -> HostileKucoin:
        app = web.Application()
        app.router.add_post("/api/v1/bullet-public", self._bullet)
        app.router.add_get("/api/v1/market/orderbook/level2_100", self._snapshot)
        app.router.add_get("/ws", self._socket)
        self._runner = runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.rest_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    # --- REST -----------------------------------------------------------------------

    async def _bullet(self, request: web.Request) -> web.Response:
        server = {
            "endpoint": self.ws_url,
            "encrypt": False,
            "protocol": "websocket",
            "pingInterval": 18000,
            "pingTimeout": 10000,
        }
        data = {"token": "hostile-token", "instanceServers": [server]}
        return web.json_response({"code": "200000", "data": data})

    async def _snapshot(self, request: web.Request) -> web.Response:
        assert request.query["symbol"] == NATIVE
        self.snapshots += 1
        if self.fail_snapshots > 0:
            self.fail_snapshots -= 1
            body = {"code": "500000", "msg": "Internal Server Error"}
            return web.json_response(body, status=500)
        data = {
            "time": now_ms(),
            "sequence": str(self.sequence),
            "bids": [[str(p), str(s)] for p, s in self.book()[0]],
            "asks": [[str(p), str(s)] for p, s in self.book()[1]],
        }
        return web.json_response({"code": "200000", "data": data})

    def book(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(bids best first, asks best first)."""
        return (
            sorted(self.bids.items(), reverse=True),
            sorted(self.asks.items()),
        )

    # --- the push socket ------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        async with self._changed:
            self.ws, self.topics = ws, set()
            self.connections += 1
            self._changed.notify_all()
        await ws.send_str(json.dumps({"id": request.query["connectId"], "type": "welcome"}))
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            msg = json.loads(frame.data)
            kind, msg_id = msg.get("type"), msg.get("id")
            if kind == "ping":
                await ws.send_str(json.dumps({"id": msg_id, "type": "pong"}))
                continue
            topics = msg["topic"].partition(":")
            for native in topics[2].split(","):
                topic = f"{topics[0]}:{native}"
                (self.topics.add if kind == "subscribe" else self.topics.discard)(topic)
            if msg.get("response"):
                await ws.send_str(json.dumps({"id": msg_id, "type": "ack"}))
            async with self._changed:
                self._changed.notify_all()
        return ws

    async def wait_subscribed(self, connections: int = 1) -> None:
        """Until the ``connections``-th connection has every topic of :data:`TOPICS`."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.connections >= connections and self.topics >= set(TOPICS)
            )

    async def drop(self) -> None:
        """Close the current connection, as a venue restarting a gateway would."""
        assert self.ws is not None
        await self.ws.close()

    async def send_raw(self, frame: bytes, *, binary: bool = False) -> None:
        """Send any bytes on the current connection."""
        assert self.ws is not None
        # send_frame: a text frame of these exact bytes, invalid UTF-8 included.
        await self.ws.send_frame(frame, WSMsgType.BINARY if binary else WSMsgType.TEXT)

    async def send_json(self, doc: Any) -> None:
        """Send ``doc`` as JSON text."""
        await self.send_raw(json.dumps(doc).encode())

    # --- good frames (the server's state advances with each) --------------------------

    def ticker(self) -> dict[str, Any]:
        """The next ``trade.ticker`` push (§6): best bid/ask from the book."""
        self.ticker_sequence += 1
        (bid, bid_size), (ask, ask_size) = self.book()[0][0], self.book()[1][0]
        data = {
            "bestAsk": str(ask),
            "bestAskSize": str(ask_size),
            "bestBid": str(bid),
            "bestBidSize": str(bid_size),
            "price": str(bid),
            "sequence": str(self.ticker_sequence),
            "size": "0.01",
            "time": now_ms(),
        }
        return message(TOPICS[0], "trade.ticker", data)

    def match(self) -> dict[str, Any]:
        """The next ``trade.l3match`` push (§6)."""
        self.match_sequence += 1
        data = {
            "makerOrderId": "671b5007389355000701b1d3",
            "price": "60000.5",
            "sequence": str(self.match_sequence),
            "side": self.random.choice(["buy", "sell"]),
            "size": "0.003",
            "symbol": NATIVE,
            "takerOrderId": "671b50161777ff00074c168d",
            "time": str(time.time_ns()),
            "tradeId": str(self.match_sequence),
            "type": "match",
        }
        return message(TOPICS[1], "trade.l3match", data)

    def increment(self) -> dict[str, Any]:
        """The next ``trade.l2update`` (§7): one level set or removed, applied here."""
        side, levels = self.random.choice([("bids", self.bids), ("asks", self.asks)])
        base = 59990 if side == "bids" else 60001
        price = D(base + self.random.randrange(10))
        size = D(self.random.randrange(0, 5))
        self.sequence += 1
        if size:
            levels[price] = size
        else:
            levels.pop(price, None)
        row = [str(price), str(size), str(self.sequence)]
        data = {
            "changes": {
                "asks": [row] if side == "asks" else [],
                "bids": [row] if side == "bids" else [],
            },
            "sequenceEnd": self.sequence,
            "sequenceStart": self.sequence,
            "symbol": NATIVE,
            "time": now_ms(),
        }
        return message(TOPICS[2], "trade.l2update", data)

    async def send_good(self, kind: str) -> None:
        """Send one valid ``ticker``, ``match`` or ``level2`` push."""
        doc = {"ticker": self.ticker, "match": self.match, "level2": self.increment}[kind]()
        await self.send_json(doc)
