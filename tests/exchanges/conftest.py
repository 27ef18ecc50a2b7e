"""Fixtures for the emulator tests: a running Kraken emulator and a plain aiohttp client.

The client here is deliberately dumb (JSON in, JSON out, numbers as Decimal): emulator
tests must not go through the adapter, or a shared misreading would pass unnoticed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

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
