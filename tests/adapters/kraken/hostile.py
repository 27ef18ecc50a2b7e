"""A Kraken v2 public socket of the tests' own, written from the docs, that lies on cue.

Not :mod:`tickwire.exchanges.kraken`: an independent reading of
``shared/reference/kraken-ws-v2.md`` (status on connect, one ack per symbol echoing
``req_id``, ``pong``, book snapshot + updates with the §6.2 CRC32 computed here from
its own book), so a misreading cannot hide in both the adapter and the emulator.

It serves one pair, ``BTC/USD`` (price precision 1, qty precision 8, as Kraken lists
it), and a depth-10 book. A test drives it with :meth:`HostileKraken.send_good` (a
valid ticker, trade or book update, the book kept in step) and :meth:`send_raw` (any
bytes, as a text or binary frame), and awaits subscriptions with
:meth:`wait_subscribed` / :meth:`wait_book_resubscribed`, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

SYMBOL = "BTC/USD"
PRICE_PRECISION = 1
QTY_PRECISION = 8
DEPTH = 10
D = Decimal
CHANNELS = ("ticker", "trade", "book")

INSTRUMENT_SNAPSHOT = {
    "channel": "instrument",
    "type": "snapshot",
    "data": {
        "assets": [
            {"id": "BTC", "status": "enabled", "precision": 10, "precision_display": 5},
            {"id": "USD", "status": "enabled", "precision": 4, "precision_display": 2},
        ],
        "pairs": [
            {
                "symbol": SYMBOL,
                "base": "BTC",
                "quote": "USD",
                "status": "online",
                "qty_precision": QTY_PRECISION,
                "qty_increment": 0.00000001,
                "price_precision": PRICE_PRECISION,
                "price_increment": 0.1,
                "qty_min": 0.0001,
                "cost_min": 0.5,
                "cost_precision": 5,
            }
        ],
    },
}


def fmt(value: Decimal, places: int) -> str:
    """The docs' checksum text: exactly ``places`` decimals, no ``.``, no leading zeros."""
    return f"{value:.{places}f}".replace(".", "").lstrip("0")


def crc32(bids: dict[Decimal, Decimal], asks: dict[Decimal, Decimal]) -> int:
    """§6.2: the 10 best asks (lowest first), then the 10 best bids (highest first)."""
    text = "".join(
        fmt(p, PRICE_PRECISION) + fmt(asks[p], QTY_PRECISION) for p in sorted(asks)[:10]
    ) + "".join(
        fmt(p, PRICE_PRECISION) + fmt(bids[p], QTY_PRECISION)
        for p in sorted(bids, reverse=True)[:10]
    )
    return zlib.crc32(text.encode())


def stamp(i: int) -> str:
    """A valid RFC3339 µs timestamp that moves with ``i``."""
    minutes, seconds, micros = i // 60_000_000 % 60, i // 1_000_000 % 60, i % 1_000_000
    return f"2026-09-25T17:{minutes:02d}:{seconds:02d}.{micros:06d}Z"


def number(value: Decimal) -> Any:
    """A JSON number with the value's exact digits (json writes a float's repr)."""
    return float(value)


class HostileKraken:
    """The public socket; ``async with HostileKraken() as server: server.url``."""

    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._ws: web.WebSocketResponse | None = None
        self.connections = 0
        self.pings = 0
        self.book_subscribes = 0  # book subscribe requests answered (each sends a snapshot)
        self._subscribed: set[str] = set()
        self._changed = asyncio.Condition()
        self._i = 0  # good frames sent: drives prices, ids and times
        self.bids = {D(50_000) - D(i) / 10: D(1) + D(i) for i in range(DEPTH)}
        self.asks = {D(50_001) + D(i) / 10: D(2) + D(i) for i in range(DEPTH)}
        self.sent: dict[str, int] = {"ticker": 0, "trade": 0, "book": 0}

    async def __aenter__(self) -> HostileKraken:
        app = web.Application()
        app.router.add_get("/v2", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/v2"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    # --- the socket -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        self._subscribed = set()
        await self._json(
            {
                "channel": "status",
                "type": "update",
                "data": [
                    {
                        "api_version": "v2",
                        "connection_id": 18125794168470749634,
                        "system": "online",
                        "version": "2.0.10",
                    }
                ],
            }
        )
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await self._on_request(json.loads(message.data))
        return ws

    async def _on_request(self, request: dict[str, Any]) -> None:
        method, req_id = request["method"], request.get("req_id")
        times = {"time_in": stamp(0), "time_out": stamp(1)}
        if method == "ping":
            await self._json({"method": "pong", "req_id": req_id, **times})
            async with self._changed:
                self.pings += 1
                self._changed.notify_all()
            return
        params = request["params"]
        channel = params["channel"]
        if channel == "instrument":
            result = {"channel": "instrument", "snapshot": True}
            await self._json({"method": method, "req_id": req_id, "result": result, **times})
            if method == "subscribe":
                await self._json(INSTRUMENT_SNAPSHOT)
            return
        for symbol in params["symbol"]:
            result = {"channel": channel, "symbol": symbol}
            if channel == "book":
                result["depth"] = params.get("depth", DEPTH)
            ack = {"method": method, "req_id": req_id, "result": result, "success": True}
            await self._json({**ack, **times})
            if method == "subscribe" and channel == "book":
                self.book_subscribes += 1
                await self._json(self._book("snapshot", self.bids, self.asks))
        async with self._changed:
            if method == "subscribe":
                self._subscribed.add(channel)
            else:
                self._subscribed.discard(channel)
            self._changed.notify_all()

    async def _json(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(message).encode())

    # --- what a test drives -----------------------------------------------------------

    async def send_raw(self, frame: bytes, *, binary: bool = False) -> None:
        """Send ``frame`` as it is, in a text frame (even if not UTF-8) or a binary one."""
        assert self._ws is not None
        if binary:
            await self._ws.send_bytes(frame)
        else:
            # aiohttp would encode a str; this writes the bytes unchecked as TEXT.
            await self._ws.send_frame(frame, WSMsgType.TEXT)

    async def wait_subscribed(self, connection: int = 1) -> None:
        """Until connection number ``connection`` (or a later one) subscribed every channel."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.connections >= connection and self._subscribed >= set(CHANNELS)
            )

    async def wait_pings(self, n: int) -> None:
        """Until ``n`` pings were answered with their pong."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.pings >= n)

    async def wait_book_resubscribed(self, after: int) -> None:
        """Until more than ``after`` book subscriptions were answered (a resync's snapshot)."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.book_subscribes > after and "book" in self._subscribed
            )

    def ticker(self, i: int) -> dict[str, Any]:
        """The ``i``-th good ticker: ``last`` is 1000 + i, a marker the test reads back."""
        entry = {
            "symbol": SYMBOL,
            "bid": 49_999.9,
            "bid_qty": 0.5,
            "ask": 50_001.0,
            "ask_qty": 0.25,
            "last": 1000 + i,
            "volume": 3156.8478211,
            "vwap": 50_000.2,
            "low": 49_000.0,
            "high": 51_000.0,
            "change": 12.5,
            "change_pct": 0.02,
            "timestamp": stamp(i),
        }
        return {"channel": "ticker", "type": "update", "data": [entry]}

    def trade(self, i: int) -> dict[str, Any]:
        """The ``i``-th good trade: ``trade_id`` is ``i``."""
        entry = {
            "symbol": SYMBOL,
            "side": "buy" if i % 2 else "sell",
            "price": 50_000.5,
            "qty": 0.0001 * (1 + i % 7),
            "ord_type": "limit",
            "trade_id": i,
            "timestamp": stamp(i),
        }
        return {"channel": "trade", "type": "update", "data": [entry]}

    def book_update(self, i: int) -> dict[str, Any]:
        """Change the server's book (a size, and every 5th time a level out and one in)."""
        side = self.bids if i % 2 else self.asks
        prices = sorted(side)
        rows: list[tuple[Decimal, Decimal]] = []
        price = prices[i % len(prices)]
        rows.append((price, D(i % 97 + 1) / 8))
        if i % 5 == 0:
            worst = prices[0] if side is self.bids else prices[-1]
            step = D(-1) / 10 if side is self.bids else D(1) / 10
            rows.append((worst, D(0)))
            rows.append((worst + step * 2, D(i % 13 + 1)))
        for p, q in rows:
            if q:
                side[p] = q
            else:
                side.pop(p, None)
        levels = [{"price": number(p), "qty": number(q)} for p, q in rows]
        bids, asks = (levels, []) if side is self.bids else ([], levels)
        return self._book("update", {}, {}, bids, asks, i)

    def _book(
        self,
        kind: str,
        bids: dict[Decimal, Decimal],
        asks: dict[Decimal, Decimal],
        bid_rows: list[dict[str, Any]] | None = None,
        ask_rows: list[dict[str, Any]] | None = None,
        i: int = 0,
    ) -> dict[str, Any]:
        if kind == "snapshot":
            bid_rows = [
                {"price": number(p), "qty": number(bids[p])} for p in sorted(bids, reverse=True)
            ]
            ask_rows = [{"price": number(p), "qty": number(asks[p])} for p in sorted(asks)]
        entry = {
            "symbol": SYMBOL,
            "bids": bid_rows,
            "asks": ask_rows,
            "checksum": crc32(self.bids, self.asks),
            "timestamp": stamp(i),
        }
        return {"channel": "book", "type": kind, "data": [entry]}

    async def send_good(self, channel: str) -> int:
        """Send the next good frame of ``channel``; returns its index (the marker)."""
        self._i += 1
        i = self._i
        build = {"ticker": self.ticker, "trade": self.trade, "book": self.book_update}[channel]
        await self._json(build(i))
        self.sent[channel] += 1
        return i

    def book_levels(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The server's book, best first per side."""
        bids = [(p, self.bids[p]) for p in sorted(self.bids, reverse=True)]
        asks = [(p, self.asks[p]) for p in sorted(self.asks)]
        return bids, asks
