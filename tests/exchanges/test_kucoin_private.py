"""The KuCoin emulator's private side, part 1: signatures, bullet-private, private topics.

Everything goes through a plain aiohttp client written here, which signs with its own
few lines of HMAC from the reference (§2): nothing goes through the adapter, so a
misreading shared by both sides cannot pass unnoticed. Shapes are compared with KuCoin's
sample frames (key sets and JSON value types, recursively). The helpers here are reused
by ``test_kucoin_private_orders.py``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from test_kucoin_emulator import Client, assert_like, sample

from tickwire.exchanges.kucoin import KucoinEmulator
from tickwire.exchanges.kucoin.keys import ApiKey

KEY, SECRET, PASSPHRASE = "kc-priv-key", "kc-priv-secret-Zq81", "kc-priv-pass-Wm42"
READ_ONLY, FENCED = "kc-read-only", "kc-fenced"
ORDERS = "/spotMarket/tradeOrdersV2"
BALANCE = "/account/balance"
PRIVATE = (ORDERS, "/spotMarket/tradeOrders", BALANCE)


def b64mac(secret: str, msg: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), msg.encode(), hashlib.sha256).digest()
    ).decode()


def sign(
    method: str,
    path: str,
    body: str = "",
    *,
    key: str = KEY,
    secret: str = SECRET,
    passphrase: str = PASSPHRASE,
    version: str = "2",
    ts: int | None = None,
) -> dict[str, str]:
    """KC-API-* headers as §2 describes them (key version 2/3: encrypted passphrase)."""
    stamp = str(ts if ts is not None else time.time_ns() // 1_000_000)
    return {
        "KC-API-KEY": key,
        "KC-API-SIGN": b64mac(secret, stamp + method + path + body),
        "KC-API-TIMESTAMP": stamp,
        "KC-API-PASSPHRASE": passphrase if version == "1" else b64mac(secret, passphrase),
        "KC-API-KEY-VERSION": version,
    }


class Rest:
    """Signed REST calls against one emulator; returns (HTTP status, decoded body)."""

    def __init__(self, http: aiohttp.ClientSession, ex: KucoinEmulator, key: str = KEY) -> None:
        self.http = http
        self.ex = ex
        self.key = key

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> tuple[int, Any]:
        text = "" if body is None else json.dumps(body, separators=(",", ":"))
        signed = headers if headers is not None else sign(method, path, text, key=self.key)
        if text:
            signed = {**signed, "Content-Type": "application/json"}
        async with asyncio.timeout(timeout):
            async with self.http.request(
                method, self.ex.rest_url + path, data=text.encode() or None, headers=signed
            ) as resp:
                return resp.status, await resp.json()

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, reply = await self.call(method, path, body)
        assert status == 200 and reply["code"] == "200000", reply
        return reply["data"]


class Push(Client):
    """One raw push connection (the emulator tests' client), subscribing private topics."""

    async def subscribe(self, topic: str, *, private: bool = True) -> Any:
        """Subscribe with a numeric id; return the reply (ack or error)."""
        return await self.request("subscribe", topic, private=private)


async def open_push(
    http: aiohttp.ClientSession, ex: KucoinEmulator, *, private: bool = True
) -> Push:
    """A push connection on a bullet-private (or -public) token, welcome consumed."""
    if private:
        data = await Rest(http, ex).ok("POST", "/api/v1/bullet-private")
    else:
        async with http.post(f"{ex.rest_url}/api/v1/bullet-public") as resp:
            data = (await resp.json())["data"]
    server = data["instanceServers"][0]
    ws = await http.ws_connect(f"{server['endpoint']}?token={data['token']}&connectId=p1")
    push = Push(ws)
    assert await push.recv() == {"id": "p1", "type": "welcome"}
    return push


def emulator(**kwargs: Any) -> KucoinEmulator:
    keys = {
        KEY: (SECRET, PASSPHRASE),
        READ_ONLY: (SECRET, PASSPHRASE, {"general"}),
        FENCED: ApiKey(SECRET, PASSPHRASE, ips=frozenset({"10.9.8.7"})),
    }
    return KucoinEmulator(seed=21, interval=None, api_keys=keys, **kwargs)


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with emulator() as ex:
        yield ex


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# -- signatures ------------------------------------------------------------------------

ORDER = {
    "clientOid": "sig-test-1",
    "symbol": "BTC-USDT",
    "side": "buy",
    "type": "limit",
    "price": "30000",
    "size": "0.001",
}
ORDER_TEXT = json.dumps(ORDER, separators=(",", ":"))


@pytest.mark.parametrize(
    ("how", "status", "code"),
    [
        ({}, 200, "200000"),
        ({"version": "3"}, 200, "200000"),
        ({"version": "1"}, 200, "200000"),
        (None, 400, "400001"),
        ({"ts": 1_000_000}, 400, "400002"),
        ({"key": "nobody"}, 401, "400003"),
        ({"passphrase": "wrong"}, 401, "400004"),
        ({"path": "/api/v1/hf/orders/sync"}, 401, "400005"),
        ({"body": ORDER_TEXT[:-1] + " }"}, 401, "400005"),
        ({"key": FENCED}, 403, "400006"),
        ({"key": READ_ONLY}, 403, "400007"),
    ],
    ids=[
        "v2",
        "v3",
        "v1-plain-passphrase",
        "missing-headers",
        "stale-timestamp",
        "unknown-key",
        "bad-passphrase",
        "signed-another-path",
        "body-not-the-signed-one",
        "ip-not-whitelisted",
        "no-spot-permission",
    ],
)
async def test_signature_checked_on_order_entry(kucoin, http, how, status, code) -> None:
    # Headers are made now, not at collection time: the timestamp must be fresh.
    if how is None:
        headers = {"KC-API-KEY": KEY}
    else:
        how = dict(how)
        path = how.pop("path", "/api/v1/hf/orders")
        headers = sign("POST", path, how.pop("body", ORDER_TEXT), **how)
    got_status, reply = await Rest(http, kucoin).call(
        "POST", "/api/v1/hf/orders", ORDER, headers=headers
    )
    assert (got_status, reply["code"]) == (status, code), reply
    if code == "200000":
        assert_like(reply, sample("hf_order_response.json"))
        assert kucoin.engine.order(client_id="sig-test-1") is not None
    else:
        assert set(reply) == {"code", "msg"}
        assert kucoin.engine.open_orders() == []  # a refused request places nothing
    if code in ("400004", "400005"):
        name = "rest_error_passphrase.json" if code == "400004" else "rest_error_signature.json"
        assert reply == sample(name)


async def test_signature_covers_the_decoded_query(kucoin, http) -> None:
    rest = Rest(http, kucoin)
    await rest.ok("POST", "/api/v1/hf/orders", ORDER | {"clientOid": "q-1"})
    # Signed over the un-encoded query, sent percent-encoded (§2).
    signed_path = "/api/v1/hf/orders/client-order/q-1?symbol=BTC-USDT"
    sent_path = "/api/v1/hf/orders/client-order/q-1?symbol=BTC%2DUSDT"
    status, reply = await rest.call("GET", sent_path, headers=sign("GET", signed_path))
    assert (status, reply["code"]) == (200, "200000"), reply
    # A signature over another query is refused.
    wrong = sign("GET", "/api/v1/hf/orders/client-order/q-1?symbol=ETH-USDT")
    status, reply = await rest.call("GET", signed_path, headers=wrong)
    assert (status, reply["code"]) == (401, "400005")


async def test_permissions_per_endpoint(kucoin, http) -> None:
    read_only = Rest(http, kucoin, READ_ONLY)
    # General is enough for the private token and for reading orders and balances...
    await read_only.ok("POST", "/api/v1/bullet-private")
    await read_only.ok("GET", "/api/v1/hf/orders/active?symbol=BTC-USDT")
    await read_only.ok("GET", "/api/v1/accounts")
    # ...but cancels and the dead-man switch need Spot trading.
    for method, path, body in [
        ("DELETE", "/api/v1/hf/orders?symbol=BTC-USDT", None),
        ("POST", "/api/v1/hf/orders/dead-cancel-all", {"timeout": 5}),
        ("POST", "/api/v1/hf/orders/alter", {"symbol": "BTC-USDT", "orderId": "x"}),
    ]:
        status, reply = await read_only.call(method, path, body)
        assert (status, reply["code"]) == (403, "400007"), (path, reply)


PRIVATE_ROUTES = [
    ("POST", "/api/v1/bullet-private"),
    ("POST", "/api/v1/hf/orders"),
    ("POST", "/api/v1/hf/orders/sync"),
    ("POST", "/api/v1/hf/orders/multi"),
    ("POST", "/api/v1/hf/orders/alter"),
    ("DELETE", "/api/v1/hf/orders/6720ecd9ec71f4000747731a?symbol=BTC-USDT"),
    ("DELETE", "/api/v1/hf/orders/client-order/x?symbol=BTC-USDT"),
    ("DELETE", "/api/v1/hf/orders/sync/6720ecd9ec71f4000747731a?symbol=BTC-USDT"),
    ("DELETE", "/api/v1/hf/orders/cancel/6720ecd9ec71f4000747731a?symbol=BTC-USDT"),
    ("DELETE", "/api/v1/hf/orders?symbol=BTC-USDT"),
    ("DELETE", "/api/v1/hf/orders/cancelAll"),
    ("GET", "/api/v1/hf/orders/6720ecd9ec71f4000747731a?symbol=BTC-USDT"),
    ("GET", "/api/v1/hf/orders/client-order/x?symbol=BTC-USDT"),
    ("GET", "/api/v1/hf/orders/active?symbol=BTC-USDT"),
    ("GET", "/api/v1/hf/orders/active/symbols"),
    ("POST", "/api/v1/hf/orders/dead-cancel-all"),
    ("GET", "/api/v1/hf/orders/dead-cancel-all/query"),
    ("GET", "/api/v1/accounts"),
]


async def test_every_private_route_is_signed(kucoin, http) -> None:
    for method, path in PRIVATE_ROUTES:
        async with http.request(method, kucoin.rest_url + path) as resp:
            assert resp.status == 400, path
            assert (await resp.json())["code"] == "400001", path
        stale = sign(method, path, ts=time.time_ns() // 1_000_000 - 6000)
        async with http.request(method, kucoin.rest_url + path, headers=stale) as resp:
            assert (resp.status, (await resp.json())["code"]) == (400, "400002"), path
    assert kucoin.engine.open_orders() == []


async def test_post_body_needs_json_content_type(kucoin, http) -> None:
    headers = sign("POST", "/api/v1/hf/orders", ORDER_TEXT) | {"Content-Type": "text/plain"}
    async with http.post(
        kucoin.rest_url + "/api/v1/hf/orders", data=ORDER_TEXT, headers=headers
    ) as resp:
        assert resp.status == 415
        assert (await resp.json())["code"] == "415000"
    assert kucoin.engine.open_orders() == []


async def test_secrets_never_shown(kucoin, http, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    key = ApiKey(SECRET, PASSPHRASE)
    assert SECRET not in repr(key) and PASSPHRASE not in repr(key)
    rest = Rest(http, kucoin)
    bodies = []
    for headers in (
        sign("POST", "/api/v1/hf/orders", ORDER_TEXT, secret="wrong"),
        sign("POST", "/api/v1/hf/orders", ORDER_TEXT, passphrase="wrong"),
    ):
        bodies.append(await rest.call("POST", "/api/v1/hf/orders", ORDER, headers=headers))
    text = json.dumps(bodies) + caplog.text
    for secret in (SECRET, PASSPHRASE, b64mac(SECRET, PASSPHRASE)):
        assert secret not in text


# -- bullet-private and private topics ---------------------------------------------------


async def test_bullet_private_is_signed_and_shaped(kucoin, http) -> None:
    rest = Rest(http, kucoin)
    status, reply = await rest.call("POST", "/api/v1/bullet-private")
    assert status == 200
    assert_like(reply, sample("bullet_private_response.json"))
    server = reply["data"]["instanceServers"][0]
    assert server["endpoint"] == kucoin.ws_url
    assert (server["pingInterval"], server["pingTimeout"]) == (18000, 10000)
    status, reply = await rest.call(
        "POST", "/api/v1/bullet-private", headers=sign("POST", "/api/v1/bullet-private", key="x")
    )
    assert (status, reply["code"]) == (401, "400003")
    async with http.post(kucoin.rest_url + "/api/v1/bullet-private") as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == "400001"


async def test_private_topics_need_a_private_token(kucoin, http) -> None:
    public = await open_push(http, kucoin, private=False)
    for topic in (ORDERS, BALANCE):
        reply = await public.subscribe(topic)
        assert reply["type"] == "error" and reply["code"] == 401, reply
        assert_like(reply, sample("error.json"))
    # Public topics still work on that connection.
    assert (await public.subscribe("/market/ticker:BTC-USDT", private=False))["type"] == "ack"

    private = await open_push(http, kucoin)
    reply = await private.subscribe(ORDERS, private=False)
    assert reply["type"] == "error" and reply["code"] == 400, reply
    for topic in (ORDERS, BALANCE, "/spotMarket/tradeOrders"):
        assert (await private.subscribe(topic))["type"] == "ack"
    # A private connection may also carry public topics.
    assert (await private.subscribe("/market/match:BTC-USDT", private=False))["type"] == "ack"

    await Rest(http, kucoin).ok("POST", "/api/v1/hf/orders", ORDER)  # rests: far below
    frames = await private.drain()
    kinds = {t: [f["data"].get("type") for f in frames if f["topic"] == t] for t in PRIVATE}
    assert kinds[ORDERS] == ["received", "open"]
    assert kinds["/spotMarket/tradeOrders"] == ["open"]  # V1 = V2 without 'received'
    assert len(kinds[BALANCE]) == 1  # the hold
    assert await public.drain() == []  # nothing private on the public socket


async def test_unsubscribe_stops_private_pushes(kucoin, http) -> None:
    push = await open_push(http, kucoin)
    assert (await push.subscribe(ORDERS))["type"] == "ack"
    await push.send(
        {
            "id": "u1",
            "type": "unsubscribe",
            "topic": ORDERS,
            "privateChannel": True,
            "response": True,
        }
    )
    assert await push.recv() == {"id": "u1", "type": "ack"}
    await Rest(http, kucoin).ok("POST", "/api/v1/hf/orders", ORDER)
    assert await push.drain() == []
