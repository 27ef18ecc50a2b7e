"""KuCoin request signing: the documented worked example, an independent HMAC, and the
signed REST call (headers, exact bytes, error mapping) against respx."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from urllib.parse import unquote

import httpx
import pytest
import respx

from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.signing import (
    KEY_VERSION,
    encrypt_passphrase,
    sign,
    sign_headers,
)
from tickwire.core.config import Credentials
from tickwire.core.errors import AuthError, RateLimited, TransportError

BASE = "https://api.kucoin.test"

# KuCoin's worked example (docs "Signing a Message"; the same values in every language of
# the 2019-2023 docs and the kucoin-python SDK's docstring).
DOC_SECRET = "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3"
DOC_PREHASH = '1547015186532POST/api/v1/deposit-addresses{"currency":"BTC"}'
DOC_SIGN = "7QP/oM0ykidMdrfNEUmng8eZjg/ZvPafjIqmxiVfYu4="

KEYS = Credentials("k-123", "s3cr3t-value-xyz", "pa55-phrase")


def rfc2104_hmac_sha256_b64(key: bytes, message: bytes) -> str:
    """HMAC built by hand from SHA-256 (RFC 2104), independent of the hmac module."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).digest()
    return base64.b64encode(outer).decode()


def test_the_documented_worked_example() -> None:
    assert sign(DOC_SECRET, DOC_PREHASH) == DOC_SIGN
    headers = sign_headers(
        Credentials("5c2db93503aa674c74a31734", DOC_SECRET, "x"),
        "post",
        "/api/v1/deposit-addresses",
        '{"currency":"BTC"}',
        timestamp_ms=1547015186532,
    )
    assert headers["KC-API-SIGN"] == DOC_SIGN
    assert headers["KC-API-TIMESTAMP"] == "1547015186532"


def test_the_reference_hmac_agrees_with_the_documented_example() -> None:
    # Proves the hand-built HMAC below is a valid oracle for the passphrase vectors.
    assert rfc2104_hmac_sha256_b64(DOC_SECRET.encode(), DOC_PREHASH.encode()) == DOC_SIGN


@pytest.mark.parametrize(
    ("secret", "passphrase"),
    [
        (DOC_SECRET, "Abc123456"),  # the docs' passphrase for this key
        ("s3cr3t-value-xyz", "pa55-phrase"),
        ("k" * 100, "ünïcödé passphrase"),  # a key longer than the block, UTF-8 text
        ("secret", ""),
    ],
)
def test_passphrase_encryption_matches_an_independent_hmac(secret: str, passphrase: str) -> None:
    expected = rfc2104_hmac_sha256_b64(secret.encode(), passphrase.encode())
    assert encrypt_passphrase(secret, passphrase) == expected
    headers = sign_headers(Credentials("k", secret, passphrase), "GET", "/x", timestamp_ms=1)
    assert headers["KC-API-PASSPHRASE"] == expected


def test_header_set() -> None:
    headers = sign_headers(KEYS, "delete", "/api/v1/hf/orders?symbol=BTC-USDT", timestamp_ms=42)
    assert set(headers) == {
        "KC-API-KEY",
        "KC-API-TIMESTAMP",
        "KC-API-SIGN",
        "KC-API-PASSPHRASE",
        "KC-API-KEY-VERSION",
    }
    assert headers["KC-API-KEY"] == "k-123"
    assert headers["KC-API-KEY-VERSION"] == KEY_VERSION == "2"
    prehash = "42DELETE/api/v1/hf/orders?symbol=BTC-USDT"
    assert headers["KC-API-SIGN"] == rfc2104_hmac_sha256_b64(
        KEYS.api_secret.encode(), prehash.encode()
    )
    assert KEYS.api_secret not in str(headers) and KEYS.passphrase not in str(headers)


def test_credentials_never_show_in_a_repr() -> None:
    assert KEYS.api_secret not in repr(KEYS) and KEYS.passphrase not in repr(KEYS)  # type: ignore[operator]
    assert KEYS.api_key not in repr(KEYS)


# --- the signed call over HTTP ---------------------------------------------------------------


@pytest.fixture
async def rest() -> AsyncIterator[KucoinRest]:
    async with KucoinRest(BASE, timeout=2.0, credentials=KEYS) as client:
        yield client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


def verify(request: httpx.Request, credentials: Credentials) -> None:
    """Check a request as the venue does: over the percent-decoded target and raw body."""
    stamp = request.headers["KC-API-TIMESTAMP"]
    target = unquote(request.url.raw_path.decode())
    prehash = stamp + request.method + target + request.content.decode()
    secret = credentials.api_secret.encode()
    assert request.headers["KC-API-SIGN"] == rfc2104_hmac_sha256_b64(secret, prehash.encode())
    passphrase = (credentials.passphrase or "").encode()
    assert request.headers["KC-API-PASSPHRASE"] == rfc2104_hmac_sha256_b64(secret, passphrase)
    assert request.headers["KC-API-KEY-VERSION"] == "2"


async def test_a_signed_post_signs_the_exact_body(rest: KucoinRest, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/hf/orders").respond(
        200, json={"code": "200000", "data": {"orderId": "1", "clientOid": "c"}}
    )
    body = (
        b'{"clientOid":"c","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1","size":"2"}'
    )
    raw = await rest.call("POST", "/api/v1/hf/orders", signed=True, body=body, timeout=1.5)
    assert bytes(raw) == b'{"orderId":"1","clientOid":"c"}'
    request = route.calls.last.request
    assert request.content == body
    assert request.headers["Content-Type"] == "application/json"
    assert request.extensions["timeout"]["read"] == 1.5
    verify(request, KEYS)


async def test_a_signed_get_signs_the_query_unencoded(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    route = mock.get("/api/v1/hf/orders/client-order/abc").respond(
        200, json={"code": "200000", "data": None}
    )
    params = {"symbol": "BTC-USDT", "note": "a b&c=d!"}
    await rest.call("GET", "/api/v1/hf/orders/client-order/abc", signed=True, params=params)
    request = route.calls.last.request
    assert request.url.params["note"] == "a b&c=d!"  # encoded on the wire
    stamp = request.headers["KC-API-TIMESTAMP"]
    prehash = f"{stamp}GET/api/v1/hf/orders/client-order/abc?symbol=BTC-USDT&note=a b&c=d!"
    assert request.headers["KC-API-SIGN"] == sign(KEYS.api_secret, prehash)
    assert request.content == b"" and "Content-Type" not in request.headers


async def test_a_body_less_post_signs_an_empty_body(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    route = mock.post("/api/v1/bullet-private").respond(
        200,
        json={
            "code": "200000",
            "data": {
                "token": "TOKEN-SECRET",
                "instanceServers": [
                    {"endpoint": "wss://ws.test/", "encrypt": True, "protocol": "websocket",
                     "pingInterval": 18000, "pingTimeout": 10000}
                ],
            },
        },
    )  # fmt: skip
    bullet = await rest.bullet_private()
    assert bullet.endpoint == "wss://ws.test/" and "TOKEN-SECRET" not in repr(bullet)
    request = route.calls.last.request
    assert request.content == b""
    verify(request, KEYS)


@pytest.mark.parametrize(
    ("status", "code", "msg"),
    [
        (401, "400005", "Invalid KC-API-SIGN"),
        (401, "400004", "Invalid KC-API-PASSPHRASE"),
        (401, "400003", "KC-API-KEY not exists"),
        (400, "400002", "Invalid KC-API-TIMESTAMP"),
        (403, "400007", "Access denied, require more permission."),
    ],
)
async def test_auth_failures_are_auth_errors_without_secrets(
    rest: KucoinRest, mock: respx.MockRouter, status: int, code: str, msg: str
) -> None:
    route = mock.post("/api/v1/bullet-private").respond(status, json={"code": code, "msg": msg})
    if code == "400002":  # retried once, after measuring the venue's clock
        now = {"code": "200000", "data": 1_700_000_000_000}
        mock.get("/api/v1/timestamp").respond(json=now)
    with pytest.raises(AuthError) as info:
        await rest.bullet_private()
    assert (info.value.code, info.value.message) == (code, msg)
    assert route.call_count == (2 if code == "400002" else 1)
    text = str(info.value) + repr(info.value) + repr(info.value.args)
    for secret in (KEYS.api_secret, KEYS.passphrase or "", KEYS.api_key):
        assert secret not in text


async def test_rate_limit_and_transport_errors(rest: KucoinRest, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/hf/orders/active")
    route.respond(429, json={"code": "429000", "msg": "Too Many Requests"},
                  headers={"gw-ratelimit-reset": "1500"})  # fmt: skip
    with pytest.raises(RateLimited) as limited:
        await rest.call("GET", "/api/v1/hf/orders/active", signed=True, params={"symbol": "X-Y"})
    assert limited.value.retry_after == 1.5
    route.side_effect = httpx.ReadError("connection reset")
    with pytest.raises(TransportError) as lost:
        await rest.call("GET", "/api/v1/hf/orders/active", signed=True, params={"symbol": "X-Y"})
    assert isinstance(lost.value.__cause__, httpx.ReadError)  # callers tell "maybe sent"
    assert "symbol" not in str(lost.value)  # no query in messages
