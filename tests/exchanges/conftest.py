"""Fixtures for the emulator tests: a running Kraken emulator and a plain aiohttp client.

The client here is deliberately dumb (JSON in, JSON out, numbers as Decimal): emulator
tests must not go through the adapter, or a shared misreading would pass unnoticed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tickwire.exchanges.kraken import KrakenEmulator

KRAKEN_FIXTURES = Path(__file__).parent.parent / "fixtures" / "kraken"
RECV_TIMEOUT = 3.0


def load_sample(name: str) -> Any:
    """A Kraken golden frame, numbers as Decimal (ints stay int)."""
    return json.loads((KRAKEN_FIXTURES / name).read_text(), parse_float=Decimal)


class KrakenWS:
    """A raw Kraken v2 WebSocket client for tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 1000
        self.raw: list[str] = []  # every text frame received, verbatim

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(msg))

    async def recv(self, timeout: float = RECV_TIMEOUT) -> Any:
        """The next frame, decoded; fails if none arrives in ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            msg = await self.ws.receive()
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        self.raw.append(msg.data)
        return json.loads(msg.data, parse_float=Decimal)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> int:
        """Send a request with a fresh ``req_id`` and return it."""
        self._next_id += 1
        msg: dict[str, Any] = {"method": method, "req_id": self._next_id}
        if params is not None:
            msg["params"] = params
        await self.send(msg)
        return self._next_id

    async def subscribe(self, params: dict[str, Any], *, snapshot: bool = True) -> list[Any]:
        """Subscribe and return the acks plus snapshots (one ack per symbol)."""
        req_id = await self.request("subscribe", params)
        symbols = params.get("symbol", [None])
        expected = len(symbols) * (2 if snapshot else 1)
        out = [await self.recv() for _ in range(expected)]
        assert all(m.get("req_id", req_id) == req_id for m in out if "method" in m)
        return out

    async def drain(self) -> list[Any]:
        """Everything queued so far: ping, and read up to the matching pong (excluded)."""
        req_id = await self.request("ping")
        frames = []
        while True:
            msg = await self.recv()
            if msg.get("method") == "pong" and msg.get("req_id") == req_id:
                return frames
            if msg.get("channel") != "heartbeat":
                frames.append(msg)


@pytest.fixture
def sample() -> Callable[[str], Any]:
    """``sample("book_update.json")`` loads a Kraken golden frame (see :func:`load_sample`)."""
    return load_sample


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    """A Kraken emulator that moves only when the test says so; fast heartbeats."""
    async with KrakenEmulator(seed=7, interval=None, heartbeat_interval=0.1) as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connect(
    http: aiohttp.ClientSession, kraken: KrakenEmulator
) -> AsyncIterator[Callable[..., Awaitable[KrakenWS]]]:
    """``await connect()`` opens ``kraken.ws_url`` and consumes the status banner."""
    opened: list[KrakenWS] = []

    async def _connect(url: str | None = None, *, read_status: bool = True) -> KrakenWS:
        ws = KrakenWS(await http.ws_connect(url or kraken.ws_url))
        opened.append(ws)
        if read_status:
            status = await ws.recv()
            assert status["channel"] == "status"
        return ws

    yield _connect
    # Close from the client side, so the server's shutdown need not wait for replies.
    for ws in opened:
        await ws.ws.close()


# -- the Kraken private side -------------------------------------------------------

KRAKEN_KEY = "tickwire-test-key"
KRAKEN_SECRET = base64.b64encode(bytes(range(64))).decode()
KRAKEN_TOKEN_PATH = "/0/private/GetWebSocketsToken"
# Keys that each lack one permission: "websocket" (token), "query" (private channels),
# "trade" (order methods).
KRAKEN_LIMITED = {
    "no-websocket": frozenset({"query", "trade"}),
    "no-query": frozenset({"websocket", "trade"}),
    "no-trade": frozenset({"websocket", "query"}),
}


def kraken_sign(secret: str, path: str, nonce: str, body: bytes) -> str:
    """``API-Sign`` written here from the reference, independently of the emulator."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class KrakenAuthWS(KrakenWS):
    """A raw auth-host socket plus the token it was opened with."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        super().__init__(ws)
        self.token = token

    async def call(self, method: str, **params: Any) -> int:
        """Send ``method`` with ``params`` plus this socket's token; return the req_id."""
        return await self.request(method, {**params, "token": self.token})


class KrakenAccount:
    """A test's view of the Kraken emulator's account: tokens and auth sockets.

    ``key``/``secret`` are the all-permission API key; :meth:`secret_of` gives the
    secret of a key from :data:`KRAKEN_LIMITED`; :meth:`skew` moves the emulator's
    clock forward (token lifetimes are measured on it).
    """

    key = KRAKEN_KEY
    secret = KRAKEN_SECRET

    def __init__(self, ex: KrakenEmulator, http: aiohttp.ClientSession, offset: list[int]) -> None:
        self.ex = ex
        self.http = http
        self._offset = offset
        self._nonces = itertools.count(time.time_ns())
        self.opened: list[KrakenAuthWS] = []

    @staticmethod
    def secret_of(key: str) -> str:
        return KRAKEN_SECRET if key == KRAKEN_KEY else _limited_secret(key)

    def skew(self, seconds: float) -> None:
        self._offset[0] += int(seconds * 1e9)

    def nonce(self) -> str:
        return str(next(self._nonces))

    async def token_call(
        self,
        key: str = KRAKEN_KEY,
        secret: str = KRAKEN_SECRET,
        *,
        nonce: str | None = None,
        as_json: bool = False,
        sign: str | None = None,
    ) -> Any:
        """POST GetWebSocketsToken; the decoded reply (whatever it says)."""
        nonce = self.nonce() if nonce is None else nonce
        if as_json:
            body, kind = json.dumps({"nonce": int(nonce)}).encode(), "application/json"
        else:
            body, kind = f"nonce={nonce}".encode(), "application/x-www-form-urlencoded"
        headers = {
            "API-Key": key,
            "API-Sign": sign or kraken_sign(secret, KRAKEN_TOKEN_PATH, nonce, body),
            "Content-Type": kind,
        }
        url = self.ex.rest_url + KRAKEN_TOKEN_PATH
        async with self.http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200
            return await resp.json()

    async def private(
        self, method: str, key: str = KRAKEN_KEY, *, as_json: bool = False, **fields: Any
    ) -> Any:
        """POST a signed ``/0/private/{method}`` with ``fields``; the decoded reply."""
        nonce = self.nonce()
        path = f"/0/private/{method}"
        if as_json:
            body = json.dumps({"nonce": int(nonce), **fields}).encode()
            kind = "application/json"
        else:
            form = {"nonce": nonce, **{k: str(v) for k, v in fields.items()}}
            body, kind = urlencode(form).encode(), "application/x-www-form-urlencoded"
        headers = {
            "API-Key": key,
            "API-Sign": kraken_sign(self.secret_of(key), path, nonce, body),
            "Content-Type": kind,
        }
        async with self.http.post(self.ex.rest_url + path, data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return json.loads(await resp.read(), parse_float=Decimal)

    async def token(self, key: str = KRAKEN_KEY) -> str:
        reply = await self.token_call(key, self.secret_of(key))
        token: str = reply["result"]["token"]
        return token

    async def connect(self, *, token: str | None = None) -> KrakenAuthWS:
        """An auth socket (status consumed) carrying ``token`` (default: a fresh one)."""
        token = token or await self.token()
        ws = KrakenAuthWS(await self.http.ws_connect(self.ex.ws_auth_url), token)
        self.opened.append(ws)
        assert (await ws.recv())["channel"] == "status"
        return ws


def _limited_secret(key: str) -> str:
    return base64.b64encode(key.encode() * 4).decode()


@pytest.fixture
async def kraken_account(http: aiohttp.ClientSession) -> AsyncIterator[KrakenAccount]:
    """A Kraken emulator with API keys and a paper account; fast dead man's switch."""
    offset = [0]
    keys: dict[str, Any] = {KRAKEN_KEY: KRAKEN_SECRET}
    keys.update({k: (_limited_secret(k), perms) for k, perms in KRAKEN_LIMITED.items()})
    balances = {"USD": Decimal("1000000"), "BTC": Decimal("5"), "ETH": Decimal("50")}
    async with KrakenEmulator(
        seed=7,
        interval=None,
        heartbeat_interval=0.1,
        api_keys=keys,
        balances=balances,
        dead_man_second=0.05,
        clock=lambda: time.time_ns() + offset[0],
    ) as ex:
        acct = KrakenAccount(ex, http, offset)
        yield acct
        for ws in acct.opened:
            await ws.ws.close()
