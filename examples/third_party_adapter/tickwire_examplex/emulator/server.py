"""``ExamplexEmulator``: the examplex venue on 127.0.0.1, as PROTOCOL.md describes it.

::

    async with ExamplexEmulator(seed=1) as ex:
        print(ex.endpoints)          # {"ws_url": "ws://127.0.0.1:PORT/ws"}
        await ex.step(10)            # ten market events, published now
        ex.skip_sequence()           # the next book delta is never sent
        await ex.drop_all()          # every socket cut

Built on tickwire's emulator parts: :class:`EmulatorServer` (the loopback server, one
ordered writer per socket, ``drop_all``) and :class:`SyntheticMarket` (a seeded random
walk with true books and trades). Never imports the adapter.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.core.config import Credentials
from tickwire.exchanges.base.market import MarketChange, SymbolSpec, SyntheticMarket
from tickwire.exchanges.base.server import Connection, EmulatorServer
from tickwire_examplex.emulator.accounts import Account, Refused

__all__ = ["MARKETS", "ExamplexEmulator"]

MARKETS = {
    "btc_usd": SymbolSpec(
        symbol="BTC/USD",
        base="BTC",
        quote="USD",
        price=Decimal("64210.0"),
        price_precision=1,
        qty_precision=4,
        level_qty=Decimal("0.8"),
        qty_min=Decimal("0.001"),
        cost_min=Decimal("1"),
        levels=60,
    ),
    "eth_usd": SymbolSpec(
        symbol="ETH/USD",
        base="ETH",
        quote="USD",
        price=Decimal("3105.00"),
        price_precision=2,
        qty_precision=3,
        level_qty=Decimal("9"),
        qty_min=Decimal("0.01"),
        cost_min=Decimal("1"),
        levels=60,
    ),
    "eth_btc": SymbolSpec(
        symbol="ETH/BTC",
        base="ETH",
        quote="BTC",
        price=Decimal("0.04870"),
        price_precision=5,
        qty_precision=3,
        level_qty=Decimal("5"),
        qty_min=Decimal("0.01"),
        cost_min=Decimal("0.0001"),
        levels=60,
    ),
}
"""Listed markets, by examplex name."""

STARTING_BALANCES = {"USD": Decimal(1_000_000), "BTC": Decimal(10), "ETH": Decimal(100)}
NONCE_WINDOW_MS = 30_000
PUBLIC_CHANNELS = ("ticker", "trades", "book")
ACCOUNT_CHANNELS = ("orders", "balances")


def _frame(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class ExamplexEmulator(EmulatorServer):
    """A local examplex venue: public market data, one paper account, fault hooks.

    ``seed`` fixes the market and the account's key; ``interval`` is the seconds between
    automatic market steps (``None``: only :meth:`step`); ``port`` 0 binds an ephemeral
    port. Optional hooks of the Emulator protocol: :meth:`drop_all` (inherited),
    :meth:`step`, :meth:`skip_sequence`, :meth:`credentials`.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        interval: float | None = 0.05,
        port: int = 0,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        super().__init__(port=port)
        self.interval = interval
        self.clock = clock
        self.market = SyntheticMarket(list(MARKETS.values()), seed, clock=clock)
        self._names = {spec.symbol: name for name, spec in MARKETS.items()}
        self.sequences = dict.fromkeys(MARKETS, 0)
        keys = random.Random(f"examplex-account/{seed}")
        self._credentials = Credentials(
            f"{keys.getrandbits(96):024x}", f"{keys.getrandbits(256):064x}"
        )
        self.account = Account(clock=clock, totals=dict(STARTING_BALANCES))
        self._subs: dict[Connection, set[tuple[str, str | None]]] = {}
        self._logged_in: set[Connection] = set()
        self._skips: dict[str | None, int] = {}

    # --- addresses and hooks ------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """The venue's one WebSocket."""
        return f"{self.ws_base}/ws"

    @property
    def endpoints(self) -> dict[str, str]:
        """Client config URL overrides."""
        return {"ws_url": self.ws_url}

    def credentials(self) -> Credentials:
        """The paper account's API key and secret."""
        return self._credentials

    async def step(self, n: int = 1) -> None:
        """Advance the market ``n`` events and publish them now."""
        for _ in range(n):
            self._publish(self.market.step())
        await asyncio.sleep(0)

    def skip_sequence(self, symbol: str | None = None) -> None:
        """Never send the next book delta of ``symbol`` (examplex name; None: any market)."""
        if symbol is not None and symbol not in MARKETS:
            raise KeyError(symbol)
        self._skips[symbol] = self._skips.get(symbol, 0) + 1

    # --- server ---------------------------------------------------------------------------

    def setup_routes(self, app: web.Application) -> None:
        """The one WebSocket route."""
        app.router.add_get("/ws", self._serve)

    async def on_start(self) -> None:
        """Step the market automatically unless ``interval`` is None."""
        if self.interval is not None:
            self.start_task(self._run(self.interval), name="examplex-market")

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._publish(self.market.step())

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        def on_open(conn: Connection) -> None:
            self._subs[conn] = set()
            conn.send(_frame({"t": "hello", "time": self.clock(), "markets": _listing()}))

        def on_close(conn: Connection) -> None:
            self._subs.pop(conn, None)
            self._logged_in.discard(conn)

        return await self.serve_websocket(
            request, self._on_message, on_open=on_open, on_close=on_close
        )

    # --- requests ---------------------------------------------------------------------------

    def _on_message(self, conn: Connection, data: bytes) -> None:
        try:
            request = json.loads(data)
            request_id = request["id"]
            if not isinstance(request, dict) or not isinstance(request_id, int):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            conn.send(_frame({"t": "err", "id": 0, "code": "bad_request", "msg": "not a request"}))
            return
        op = request.get("op")
        if op == "ping":
            conn.send(_frame({"t": "pong", "id": request_id}))
            return
        handlers = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "login": self._login,
            "place": self._place,
            "cancel": self._cancel,
            "cancel_all": self._cancel_all,
        }
        handler = handlers.get(op)  # type: ignore[arg-type]
        try:
            if handler is None:
                raise Refused("bad_request", f"unknown op {op!r}")
            if op in ("place", "cancel", "cancel_all") and conn not in self._logged_in:
                raise Refused("not_logged_in", f"{op} needs a login")
            result, after = handler(conn, request)
        except Refused as refusal:
            conn.send(
                _frame({"t": "err", "id": request_id, "code": refusal.code, "msg": refusal.message})
            )
            return
        conn.send(_frame({"t": "ok", "id": request_id, "result": result}))
        for frame in after:
            self._to_account(frame)
        if op == "subscribe":
            self._after_subscribe(conn, request)

    def _topic(self, conn: Connection, request: dict[str, Any]) -> tuple[str, str | None]:
        channel, market = request.get("channel"), request.get("market")
        if channel in ACCOUNT_CHANNELS:
            if conn not in self._logged_in:
                raise Refused("not_logged_in", f"the {channel} channel needs a login")
            return channel, None
        if channel not in PUBLIC_CHANNELS:
            raise Refused("unknown_channel", f"no channel {channel!r}")
        if market not in MARKETS:
            raise Refused("unknown_market", f"no market {market!r}")
        return channel, market

    def _subscribe(
        self, conn: Connection, request: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        self._subs[conn].add(self._topic(conn, request))
        return {}, []

    def _after_subscribe(self, conn: Connection, request: dict[str, Any]) -> None:
        channel, market = self._topic(conn, request)
        if channel == "book" and market is not None:
            bids, asks = self.market.book(MARKETS[market].symbol)
            conn.send(self._book_frame(market, "snapshot", bids, asks, self.clock()))
        elif channel == "balances":
            for asset in sorted(self.account.totals):
                conn.send(_frame(self.account.balance_frame(asset)))

    def _unsubscribe(
        self, conn: Connection, request: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        self._subs[conn].discard(self._topic(conn, request))
        return {}, []

    def _login(self, conn: Connection, request: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        key, nonce, sig = request.get("key"), request.get("nonce"), request.get("sig")
        if (
            key != self._credentials.api_key
            or not isinstance(nonce, int)
            or not isinstance(sig, str)
        ):
            raise Refused("auth", "unknown key")
        if abs(nonce - self.clock() // 1_000_000) > NONCE_WINDOW_MS:
            raise Refused("auth", "nonce outside the 30 s window")
        message = f"{nonce}:{key}".encode()
        expected = hmac.new(
            self._credentials.api_secret.encode(), message, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, sig):
            raise Refused("auth", "bad signature")
        self._logged_in.add(conn)
        return {}, []

    def _place(self, conn: Connection, request: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        market = request.get("market")
        if market not in MARKETS:
            raise Refused("invalid_order", f"no market {market!r}")
        spec = MARKETS[market]
        return self.account.place(market, spec, request, self.market.book(spec.symbol))

    def _cancel(
        self, conn: Connection, request: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        return self.account.cancel(request)

    def _cancel_all(
        self, conn: Connection, request: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Any]]:
        return self.account.cancel_all(request.get("market"))

    def _to_account(self, frame: dict[str, Any]) -> None:
        channel = "orders" if frame["t"] == "order" else "balances"
        data = _frame(frame)
        for conn in self._logged_in:
            if (channel, None) in self._subs.get(conn, ()):
                conn.send(data)

    # --- publication ------------------------------------------------------------------

    def _publish(self, change: MarketChange) -> None:
        market = self._names[change.symbol]
        if change.bids or change.asks:
            self.sequences[market] += 1
            subscribers = self._subscribers("book", market)
            if subscribers and not self._take_skip(market):
                frame = self._book_frame(market, "delta", change.bids, change.asks, change.ts)
                for conn in subscribers:
                    conn.send(frame)
        for trade in change.trades:
            frame = _frame(
                {
                    "t": "trade",
                    "market": market,
                    "tid": trade.trade_id,
                    "price": str(trade.price),
                    "qty": str(trade.qty),
                    "taker": trade.side,
                    "time": trade.ts,
                }
            )
            for conn in self._subscribers("trades", market):
                conn.send(frame)
        if change.top_changed or change.trades:
            subscribers = self._subscribers("ticker", market)
            if subscribers:
                frame = self._ticker_frame(market, change.ts)
                for conn in subscribers:
                    conn.send(frame)

    def _subscribers(self, channel: str, market: str) -> list[Connection]:
        return [conn for conn, topics in self._subs.items() if (channel, market) in topics]

    def _take_skip(self, market: str) -> bool:
        for key in (market, None):
            if self._skips.get(key, 0) > 0:
                self._skips[key] -= 1
                return True
        return False

    def _book_frame(self, market: str, kind: str, bids: Any, asks: Any, ts: int) -> bytes:
        return _frame(
            {
                "t": "book",
                "market": market,
                "kind": kind,
                "seq": self.sequences[market],
                "bids": [[str(p), str(q)] for p, q in bids],
                "asks": [[str(p), str(q)] for p, q in asks],
                "time": ts,
            }
        )

    def _ticker_frame(self, market: str, ts: int) -> bytes:
        bids, asks = self.market.book(MARKETS[market].symbol, 1)
        last = self.market.stats(MARKETS[market].symbol).last
        return _frame(
            {
                "t": "ticker",
                "market": market,
                "bid": str(bids[0][0]),
                "bid_qty": str(bids[0][1]),
                "ask": str(asks[0][0]),
                "ask_qty": str(asks[0][1]),
                "last": str(last),
                "time": ts,
            }
        )


def _listing() -> list[dict[str, str]]:
    return [
        {
            "market": name,
            "base": spec.base,
            "quote": spec.quote,
            "tick": str(spec.tick),
            "lot": str(spec.lot),
            "min_qty": str(spec.qty_min),
        }
        for name, spec in MARKETS.items()
    ]
