"""The KuCoin emulator against KuCoin's own sample frames, with a plain aiohttp client.

Shape = key sets and JSON value types (string vs integer vs float vs boolean vs null),
recursively. The client here is deliberately dumb (JSON in, JSON out) and signs requests
with its own few lines of HMAC: nothing goes through the adapter, so a misreading shared
by both sides cannot pass unnoticed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tickwire.core.registry import Registry
from tickwire.exchanges.kucoin import KucoinEmulator

FIXTURES = Path(__file__).parent.parent / "fixtures" / "kucoin"
KEY, SECRET, PASSPHRASE = "kc-test-key", "kc-test-secret", "kc-test-pass"


def sample(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def assert_like(actual: Any, expected: Any, path: str = "$") -> None:
    """``actual`` has ``expected``'s key sets and JSON value types, recursively."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        assert set(actual) == set(expected), (
            f"{path}: keys differ: extra {sorted(set(actual) - set(expected))}, "
            f"missing {sorted(set(expected) - set(actual))}"
        )
        for key in expected:
            assert_like(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not an array"
        if expected:
            # Rows of one array share a shape (a flat [price, size] pair as well).
            for i, item in enumerate(actual):
                assert_like(item, expected[min(i, len(expected) - 1)], f"{path}[{i}]")
    else:
        assert type(actual) is type(expected), (
            f"{path}: {actual!r} is {type(actual).__name__}, sample {type(expected).__name__}"
        )


def signed_headers(method: str, path: str, body: str = "", *, ts: int | None = None) -> dict:
    """KuCoin v2 key headers, computed here from the reference, not by the adapter."""
    stamp = str(ts if ts is not None else time.time_ns() // 1_000_000)

    def b64mac(msg: str) -> str:
        return base64.b64encode(
            hmac.new(SECRET.encode(), msg.encode(), hashlib.sha256).digest()
        ).decode()

    return {
        "KC-API-KEY": KEY,
        "KC-API-SIGN": b64mac(stamp + method + path + body),
        "KC-API-TIMESTAMP": stamp,
        "KC-API-PASSPHRASE": b64mac(PASSPHRASE),
        "KC-API-KEY-VERSION": "2",
    }


class Client:
    """One raw push connection."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = 0

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(msg))

    async def recv(self, timeout: float = 3.0) -> Any:
        async with asyncio.timeout(timeout):
            msg = await self.ws.receive()
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        return json.loads(msg.data)

    async def request(
        self, kind: str, topic: str | None = None, *, private: bool = False, **extra: Any
    ) -> Any:
        """Send subscribe/unsubscribe/ping with a numeric id; return its reply."""
        self._ids += 1
        msg: dict[str, Any] = {"id": self._ids, "type": kind, **extra}
        if topic is not None:
            msg.update(topic=topic, privateChannel=private, response=True)
        await self.send(msg)
        reply = await self.recv()
        assert reply["id"] == str(self._ids), reply
        return reply

    async def drain(self) -> list[Any]:
        """Every frame queued so far: ping, and read up to the pong (excluded)."""
        self._ids += 1
        await self.send({"id": f"barrier-{self._ids}", "type": "ping"})
        out = []
        while (msg := await self.recv())["type"] != "pong":
            out.append(msg)
        assert msg["id"] == f"barrier-{self._ids}"
        return out


async def bullet(http: aiohttp.ClientSession, ex: KucoinEmulator) -> dict[str, Any]:
    async with http.post(f"{ex.rest_url}/api/v1/bullet-public") as resp:
        assert resp.status == 200
        return await resp.json()


async def connect(http: aiohttp.ClientSession, ex: KucoinEmulator, cid: str = "c1") -> Client:
    data = (await bullet(http, ex))["data"]
    server = data["instanceServers"][0]
    ws = await http.ws_connect(f"{server['endpoint']}?token={data['token']}&connectId={cid}")
    client = Client(ws)
    assert await client.recv() == {"id": cid, "type": "welcome"}
    return client


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=3, interval=None, api_keys={KEY: (SECRET, PASSPHRASE)}) as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# -- REST --------------------------------------------------------------------------


async def test_rest_bodies_match_samples(kucoin, http) -> None:
    body = await bullet(http, kucoin)
    assert_like(body, sample("bullet_public_response.json"))
    server = body["data"]["instanceServers"][0]
    assert server["endpoint"].startswith(f"ws://127.0.0.1:{kucoin.port}/")
    assert (server["pingInterval"], server["pingTimeout"]) == (18000, 10000)
    assert kucoin.endpoints == {"rest_url": kucoin.rest_url}

    cases = [
        ("/api/v1/timestamp", "server_time_response.json"),
        ("/api/v2/symbols", "symbols_response_excerpt.json"),
        ("/api/v1/market/orderbook/level2_20?symbol=BTC-USDT", "level2_part_snapshot_rest.json"),
        ("/api/v1/market/orderbook/level2_100?symbol=ETH-BTC", "level2_part_snapshot_rest.json"),
    ]
    for path, name in cases:
        async with http.get(kucoin.rest_url + path) as resp:
            assert resp.status == 200
            assert_like(await resp.json(), sample(name))
    async with http.get(
        kucoin.rest_url + "/api/v1/market/orderbook/level2_20?symbol=BTC-USDT"
    ) as r:
        part = (await r.json())["data"]
    assert len(part["bids"]) == len(part["asks"]) == 20

    path = "/api/v3/market/orderbook/level2?symbol=SOL-USDT"
    async with http.get(kucoin.rest_url + path, headers=signed_headers("GET", path)) as resp:
        assert resp.status == 200
        assert int(resp.headers["gw-ratelimit-limit"]) > int(resp.headers["gw-ratelimit-remaining"])
        assert_like(await resp.json(), sample("level2_snapshot_rest.json"))

    kucoin.rate_limit_next("request")
    async with http.get(kucoin.rest_url + "/api/v1/timestamp") as resp:
        assert resp.status == 429
        assert await resp.json() == sample("rest_error_rate_limit.json")


async def test_symbols_carry_kucoin_increments(kucoin, http) -> None:
    async with http.get(kucoin.rest_url + "/api/v2/symbols") as resp:
        rows = {row["symbol"]: row for row in (await resp.json())["data"]}
    assert {"BTC-USDT", "ETH-USDT", "SOL-USDT", "ETH-BTC"} <= set(rows)
    btc = rows["BTC-USDT"]
    assert (btc["priceIncrement"], btc["baseIncrement"], btc["baseMinSize"]) == (
        "0.1",
        "0.00000001",
        "0.00001",
    )
    assert rows["ETH-BTC"]["market"] == "BTC"
    # Every book level lies on the instrument's grid.
    bids, asks = kucoin.book("ETH-BTC", 50)
    tick = Decimal(rows["ETH-BTC"]["priceIncrement"])
    assert all(p % tick == 0 for p, _ in bids + asks)


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda h: h.pop("KC-API-SIGN"), 400, "400001"),
        (lambda h: h.update({"KC-API-KEY": "nobody"}), 401, "400003"),
        (lambda h: h.update({"KC-API-PASSPHRASE": "plain"}), 401, "400004"),
        (lambda h: h.update({"KC-API-SIGN": "AAAA"}), 401, "400005"),
    ],
)
async def test_signed_snapshot_refuses_bad_credentials(kucoin, http, mutate, status, code) -> None:
    path = "/api/v3/market/orderbook/level2?symbol=BTC-USDT"
    headers = signed_headers("GET", path)
    mutate(headers)
    async with http.get(kucoin.rest_url + path, headers=headers) as resp:
        body = await resp.json()
    assert (resp.status, body["code"]) == (status, code)
    assert set(body) == {"code", "msg"}


async def test_signed_snapshot_timestamp_window(kucoin, http) -> None:
    path = "/api/v3/market/orderbook/level2?symbol=BTC-USDT"
    stale = time.time_ns() // 1_000_000 - 6000
    async with http.get(kucoin.rest_url + path, headers=signed_headers("GET", path, ts=stale)) as r:
        assert (r.status, (await r.json())["code"]) == (400, "400002")
    passphrase = sample("rest_error_passphrase.json")
    headers = signed_headers("GET", path)
    headers["KC-API-PASSPHRASE"] = PASSPHRASE
    async with http.get(kucoin.rest_url + path, headers=headers) as resp:
        assert await resp.json() == passphrase


async def test_unknown_symbol_and_path(kucoin, http) -> None:
    async with http.get(kucoin.rest_url + "/api/v1/market/orderbook/level2_20?symbol=BSV-BTC") as r:
        assert (await r.json())["code"] == "900001"
    async with http.get(kucoin.rest_url + "/api/v1/nothing") as resp:
        assert resp.status == 404
        assert (await resp.json())["code"] == "404000"


def test_registered_as_plugin() -> None:
    spec = Registry().emulator("kucoin")
    assert spec.venue == "kucoin" and spec.factory is KucoinEmulator


# -- control frames ------------------------------------------------------------------


async def test_control_frames_match_samples(kucoin, http) -> None:
    client = await connect(http, kucoin, cid="hQvf8jkno")  # welcome checked in connect()
    ack = await client.request("subscribe", "/market/ticker:BTC-USDT,ETH-USDT")
    assert_like(ack, sample("ack.json"))
    assert_like(await client.request("ping"), sample("pong.json"))
    assert_like(await client.request("unsubscribe", "/market/ticker:ETH-USDT"), sample("ack.json"))

    errors = {
        "error_topic_not_exist.json": await client.request("subscribe", "/market/nothing:BTC-USDT"),
        "error_topic_not_found.json": await client.request("subscribe", "/market/level2:BSV-BTC"),
        "error_type_not_supported.json": await client.request("openTunnel", newTunnelId="bt1"),
        "error_batch_limit.json": await client.request(
            "subscribe", "/market/ticker:" + ",".join(f"S{i}-USDT" for i in range(101))
        ),
    }
    for name, frame in errors.items():
        expected = sample(name)
        assert_like(frame, expected)
        assert (frame["code"], frame["data"].split(" ")[0]) == (
            expected["code"],
            expected["data"].split(" ")[0],
        )
    assert (
        errors["error_topic_not_found.json"]["data"] == "topic /market/level2:BSV-BTC is not found"
    )
    assert errors["error_batch_limit.json"]["data"] == sample("error_batch_limit.json")["data"]

    kucoin.rate_limit_next("subscribe")
    refused = await client.request("subscribe", "/market/match:BTC-USDT")
    assert_like(refused, sample("error.json"))
    assert refused["data"] == "exceed max permits per 10 seconds"
    assert_like(await client.request("subscribe", "/market/match:BTC-USDT"), sample("ack.json"))
    await client.ws.close()


async def test_refused_token_frame(kucoin, http) -> None:
    ws = await http.ws_connect(f"{kucoin.ws_url}?token=forged&connectId=x")
    msg = await ws.receive()
    assert_like(json.loads(msg.data), sample("error_token_expired.json"))
    assert (await ws.receive()).type is aiohttp.WSMsgType.CLOSE


# -- data frames ---------------------------------------------------------------------

TOPICS = {
    "/market/ticker:BTC-USDT": "ticker.json",
    "/market/ticker:all": "ticker_all.json",
    "/market/snapshot:BTC-USDT": "snapshot.json",
    "/market/match:BTC-USDT": "match.json",
    "/market/level2:BTC-USDT": "level2_update_multi.json",
    "/spotMarket/level2Depth5:BTC-USDT": "level2_depth5.json",
    "/spotMarket/level2Depth50:BTC-USDT": "level2_depth50.json",
    "/spotMarket/level1:BTC-USDT": "level1.json",
    "/market/candles:BTC-USDT_1hour": "candles.json",
}


async def test_data_frames_match_samples(kucoin, http) -> None:
    client = await connect(http, kucoin)
    for topic in TOPICS:
        assert (await client.request("subscribe", topic))["type"] == "ack"
    for topic in TOPICS:
        await kucoin.burst(topic.split(":")[0], "BTC-USDT", 3)
    await kucoin.step(200, "BTC-USDT")
    seen: dict[str, list[Any]] = {}
    for frame in await client.drain():
        seen.setdefault(frame["topic"], []).append(frame)
    assert set(seen) == set(TOPICS)
    for topic, name in TOPICS.items():
        expected = sample(name)
        for frame in seen[topic]:
            assert_like(frame, expected)
            assert frame["subject"] == (
                expected["subject"] if topic != "/market/ticker:all" else "BTC-USDT"
            )
    assert len(seen["/spotMarket/level2Depth50:BTC-USDT"][0]["data"]["asks"]) == 50
    assert len(seen["/spotMarket/level2Depth5:BTC-USDT"][0]["data"]["bids"]) == 5
    for frame in seen["/market/level2:BTC-USDT"]:
        assert_like(frame, sample("level2_update.json"))  # and the one-row sample
    await client.ws.close()


async def test_multi_symbol_subscription_pushes_single_symbol_topics(kucoin, http) -> None:
    client = await connect(http, kucoin)
    await client.request("subscribe", "/market/level2:BTC-USDT,ETH-USDT")
    await kucoin.step(5, "BTC-USDT")
    await kucoin.step(5, "ETH-USDT")
    topics = {f["topic"] for f in await client.drain()}
    assert topics == {"/market/level2:BTC-USDT", "/market/level2:ETH-USDT"}
    await client.request("unsubscribe", "/market/level2:BTC-USDT")
    await kucoin.step(5, "BTC-USDT")
    assert await client.drain() == []
    await client.ws.close()


async def test_same_seed_same_market() -> None:
    results = []
    for _ in range(2):
        async with KucoinEmulator(seed=11, interval=None) as ex:
            await ex.burst("/market/level2", "ETH-USDT", 300)
            results.append((ex.sequence("ETH-USDT"), ex.book("ETH-USDT", 20)))
    assert results[0] == results[1]


# -- level2 sync, written from the documented procedure (reference §7) ---------------


class LocalBook:
    """A client's book built by KuCoin's calibration procedure, independently of tickwire."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.seq = int(snapshot["sequence"])
        self.sides = {
            side: {Decimal(p): Decimal(s) for p, s in snapshot[side]} for side in ("bids", "asks")
        }

    def apply(self, data: dict[str, Any]) -> None:
        if data["sequenceEnd"] <= self.seq:
            return  # already inside the snapshot
        if data["sequenceStart"] > self.seq + 1:
            raise LookupError(f"gap: have {self.seq}, message starts {data['sequenceStart']}")
        for side in ("bids", "asks"):
            for price, size, seq in data["changes"][side]:
                if int(seq) <= self.seq or price == "0":
                    continue
                if Decimal(size) == 0:
                    self.sides[side].pop(Decimal(price), None)
                else:
                    self.sides[side][Decimal(price)] = Decimal(size)
        self.seq = data["sequenceEnd"]

    def levels(self) -> tuple[tuple[tuple[Decimal, Decimal], ...], ...]:
        bids = tuple(sorted(self.sides["bids"].items(), reverse=True))
        asks = tuple(sorted(self.sides["asks"].items()))
        return bids, asks


async def full_snapshot(http: aiohttp.ClientSession, ex: KucoinEmulator, symbol: str) -> Any:
    path = f"/api/v3/market/orderbook/level2?symbol={symbol}"
    async with http.get(ex.rest_url + path, headers=signed_headers("GET", path)) as resp:
        return (await resp.json())["data"]


async def test_snapshot_plus_buffered_increments_equals_true_book(kucoin, http) -> None:
    client = await connect(http, kucoin)
    await client.request("subscribe", "/market/level2:BTC-USDT")
    await kucoin.burst("/market/level2", "BTC-USDT", 150)  # buffered before the snapshot
    snapshot = await full_snapshot(http, kucoin, "BTC-USDT")
    # The snapshot sits exactly on the last published increment, with the true book.
    assert int(snapshot["sequence"]) == kucoin.sequence("BTC-USDT")
    local = LocalBook(snapshot)
    assert local.levels() == kucoin.book("BTC-USDT")
    await kucoin.burst("/market/level2", "BTC-USDT", 1500)
    await kucoin.step(200)  # other symbols too: only BTC-USDT reaches this client

    messages = [f["data"] for f in await client.drain()]
    assert messages[0]["sequenceEnd"] <= int(snapshot["sequence"])  # some are dropped
    for data in messages:
        local.apply(data)
    assert local.seq == kucoin.sequence("BTC-USDT")
    assert local.levels() == kucoin.book("BTC-USDT")

    # What a realistic generator shows (reference §14): contiguous messages, several rows
    # in one, sequence numbers skipped inside one, deletions, sequence-only rows.
    for prev, nxt in itertools.pairwise(messages):
        assert nxt["sequenceStart"] == prev["sequenceEnd"] + 1
    rows = [(m, r) for m in messages for side in ("bids", "asks") for r in m["changes"][side]]
    assert any(len(m["changes"]["bids"]) + len(m["changes"]["asks"]) > 1 for m in messages)
    assert any(
        len({int(r[2]) for r in m["changes"]["bids"] + m["changes"]["asks"]})
        < m["sequenceEnd"] - m["sequenceStart"] + 1
        for m in messages
    )
    assert any(r[1] == "0" and r[0] != "0" for _, r in rows)
    assert any(r[0] == "0" for _, r in rows)
    for m, r in rows:
        assert m["sequenceStart"] <= int(r[2]) <= m["sequenceEnd"]
    await client.ws.close()


async def test_part_snapshot_is_the_true_top(kucoin, http) -> None:
    await kucoin.step(50)
    async with http.get(
        f"{kucoin.rest_url}/api/v1/market/orderbook/level2_100?symbol=ETH-USDT"
    ) as r:
        data = (await r.json())["data"]
    assert int(data["sequence"]) == kucoin.sequence("ETH-USDT")
    bids, asks = kucoin.book("ETH-USDT", 100)
    # KuCoin spelling: plain decimals without trailing zeros ("67997", "0.1503747").
    for p, q in data["bids"] + data["asks"]:
        for text in (p, q):
            assert "E" not in text and not (text.endswith("0") and "." in text), text
    assert [(Decimal(p), Decimal(s)) for p, s in data["bids"]] == list(bids)
    assert [(Decimal(p), Decimal(s)) for p, s in data["asks"]] == list(asks)


async def test_skip_sequence_leaves_a_detectable_gap(kucoin, http) -> None:
    client = await connect(http, kucoin)
    await client.request("subscribe", "/market/level2:SOL-USDT")
    local = LocalBook(await full_snapshot(http, kucoin, "SOL-USDT"))
    await kucoin.burst("/market/level2", "SOL-USDT", 5)
    before = kucoin.sequence("SOL-USDT")
    kucoin.skip_sequence("SOL-USDT")
    await kucoin.burst("/market/level2", "SOL-USDT", 5)
    messages = [f["data"] for f in await client.drain()]
    assert len(messages) == 10
    assert kucoin.sequence("SOL-USDT") > before  # the true book moved on
    for data in messages[:5]:
        local.apply(data)
    with pytest.raises(LookupError, match="gap"):
        local.apply(messages[5])
    # A fresh snapshot resynchronises.
    resync = LocalBook(await full_snapshot(http, kucoin, "SOL-USDT"))
    assert resync.levels() == kucoin.book("SOL-USDT")
    await client.ws.close()
