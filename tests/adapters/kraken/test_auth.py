"""Kraken REST signing on the documented vector, the token call, and REST error mapping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from tickwire.adapters.kraken.auth import next_nonce, sign, signed_form
from tickwire.adapters.kraken.errors import ERRORS, error_key, to_error
from tickwire.adapters.kraken.rest import TOKEN_PATH, KrakenRest, WsToken
from tickwire.core.config import Credentials
from tickwire.core.errors import (
    AuthError,
    ConnectTimeout,
    DecodeError,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    TransportError,
    UnknownOrder,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"

# Kraken's worked example (docs.kraken.com, "Spot REST Authentication" → Examples):
# a limit buy of 1.25 XBTUSD at 37500 signed with a published, account-less secret.
DOC_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
DOC_NONCE = 1616492376594
DOC_BODY = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
DOC_PATH = "/0/private/AddOrder"
DOC_SIGNATURE = (
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
)

KEY = "public-key-AAAA"
SECRET = base64.b64encode(b"a very secret key, 64 bytes long........................").decode()
BASE = "https://api.kraken.test"


def test_sign_matches_the_documented_vector() -> None:
    assert sign(DOC_SECRET, DOC_PATH, DOC_NONCE, DOC_BODY) == DOC_SIGNATURE
    assert sign(DOC_SECRET, DOC_PATH, str(DOC_NONCE), DOC_BODY) == DOC_SIGNATURE


@pytest.mark.parametrize(
    ("path", "nonce", "body"),
    [
        ("/0/private/AddOrderX", DOC_NONCE, DOC_BODY),
        (DOC_PATH, DOC_NONCE + 1, DOC_BODY),
        (DOC_PATH, DOC_NONCE, DOC_BODY.replace("1.25", "1.26")),
    ],
)
def test_any_change_changes_the_signature(path: str, nonce: int, body: str) -> None:
    assert sign(DOC_SECRET, path, nonce, body) != DOC_SIGNATURE


def test_a_secret_that_is_not_base64_is_an_auth_error_without_the_secret() -> None:
    bad = "not*base64*secret"
    with pytest.raises(AuthError) as caught:
        sign(bad, DOC_PATH, DOC_NONCE, DOC_BODY)
    assert bad not in str(caught.value)
    assert bad not in repr(caught.value)


def test_signed_form_puts_the_nonce_first_and_signs_the_exact_body() -> None:
    credentials = Credentials(KEY, SECRET)
    headers, body = signed_form(credentials, TOKEN_PATH, {"otp": "123"}, 42)
    assert body == "nonce=42&otp=123"
    assert headers["API-Key"] == KEY
    assert headers["API-Sign"] == sign(SECRET, TOKEN_PATH, 42, body)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SECRET not in json.dumps(headers)


def test_nonces_strictly_increase() -> None:
    nonces = [next_nonce() for _ in range(1000)]
    assert nonces == sorted(set(nonces))


# --- the token call ------------------------------------------------------------------


def check_signature(request: httpx.Request) -> None:
    """Verify the request the way the venue does (independently of auth.sign)."""
    body = request.content.decode()
    nonce = parse_qs(body)["nonce"][0]
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(SECRET), request.url.path.encode() + digest, hashlib.sha512)
    assert request.headers["API-Sign"] == base64.b64encode(mac.digest()).decode()
    assert request.headers["API-Key"] == KEY


@respx.mock
async def test_websockets_token_is_signed_and_hidden_from_repr() -> None:
    sample = json.loads((FIXTURES / "rest_get_websockets_token_response.json").read_text())
    route = respx.post(BASE + TOKEN_PATH).mock(return_value=httpx.Response(200, json=sample))
    async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
        token = await rest.websockets_token()
        second = await rest.websockets_token()
    assert token == WsToken(token=sample["result"]["token"], expires=900)
    assert sample["result"]["token"] not in repr(token)
    assert route.call_count == 2
    for call in route.calls:
        check_signature(call.request)
    nonces = [parse_qs(c.request.content.decode())["nonce"][0] for c in route.calls]
    assert int(nonces[1]) > int(nonces[0])
    assert second.token == token.token


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ("EAPI:Invalid key", AuthError),
        ("EAPI:Invalid signature", AuthError),
        ("EAPI:Invalid nonce", AuthError),
        ("EGeneral:Permission denied", AuthError),
        ("EGeneral:Temporary lockout", AuthError),
        ("EAPI:Rate limit exceeded", RateLimited),
        ("EGeneral:Internal error:42", ExchangeError),
    ],
)
@respx.mock
async def test_rest_errors_map_to_core_errors_without_secrets(
    error: str, cls: type[ExchangeError]
) -> None:
    respx.post(BASE + TOKEN_PATH).mock(
        return_value=httpx.Response(200, json={"error": [error], "result": {}})
    )
    async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
        with pytest.raises(cls) as caught:
            await rest.websockets_token()
    assert type(caught.value) is cls
    assert caught.value.message == error
    for text in (str(caught.value), repr(caught.value)):
        assert SECRET not in text and KEY not in text


@pytest.mark.parametrize(
    ("response", "cls"),
    [
        (httpx.Response(429, text="slow down"), RateLimited),
        (httpx.Response(403, text="<html>forbidden</html>"), AuthError),
        (httpx.Response(502, text="bad gateway"), TransportError),
        (httpx.Response(200, text="not json"), DecodeError),
        (httpx.Response(200, json={"error": [], "result": {"expires": 900}}), DecodeError),
        (httpx.Response(200, json={"error": []}), DecodeError),
    ],
)
@respx.mock
async def test_rest_failures_without_a_kraken_error(
    response: httpx.Response, cls: type[Exception]
) -> None:
    respx.post(BASE + TOKEN_PATH).mock(return_value=response)
    async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
        with pytest.raises(cls):
            await rest.websockets_token()


@respx.mock
async def test_transport_errors_name_the_path_only() -> None:
    respx.post(BASE + TOKEN_PATH).mock(side_effect=httpx.ConnectTimeout("boom"))
    async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
        with pytest.raises(ConnectTimeout, match="GetWebSocketsToken"):
            await rest.websockets_token()
    respx.post(BASE + TOKEN_PATH).mock(side_effect=httpx.ReadError("reset"))
    async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
        with pytest.raises(TransportError, match="GetWebSocketsToken"):
            await rest.websockets_token()


def test_credentials_and_rest_reprs_hide_secrets() -> None:
    credentials = Credentials(KEY, SECRET)
    rest = KrakenRest(BASE, credentials=credentials, timeout=1)
    for text in (repr(credentials), str(credentials), repr(rest)):
        assert KEY not in text and SECRET not in text


@respx.mock
async def test_http_429_keeps_the_venues_retry_after() -> None:
    for response in (
        httpx.Response(429, text="slow down", headers={"Retry-After": "7"}),
        httpx.Response(
            429, json={"error": ["EAPI:Rate limit exceeded"]}, headers={"Retry-After": "7"}
        ),
    ):
        respx.post(BASE + TOKEN_PATH).mock(return_value=response)
        async with KrakenRest(BASE, credentials=Credentials(KEY, SECRET), timeout=5) as rest:
            with pytest.raises(RateLimited) as caught:
                await rest.websockets_token()
        assert caught.value.retry_after == 7


# --- the error table -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "key", "cls"),
    [
        ("EOrder:Insufficient funds", "EOrder:Insufficient funds", InsufficientFunds),
        ("EOrder:Invalid order", "EOrder:Invalid order", UnknownOrder),
        (
            "EGeneral:Invalid arguments:no_mpp order option is only available",
            "EGeneral:Invalid arguments",
            InvalidOrder,
        ),
        ("EOrder:Order minimum not met", "EOrder:Order minimum not met", InvalidOrder),
        ("EOrder:Invalid price:too many decimals", "EOrder:Invalid price", InvalidOrder),
        ("EOrder:Post only order", "EOrder:Post only order", InvalidOrder),
        ("EOrder:Rate limit exceeded", "EOrder:Rate limit exceeded", RateLimited),
        ("Token(s) not found", "Token(s) not found", AuthError),
        ("ESession:Invalid session", "ESession:Invalid session", AuthError),
        ("EAPI:Invalid token", "EAPI:Invalid token", AuthError),
        (
            "EOrder:Reduce only:No position exists",
            "EOrder:Reduce only:No position exists",
            InvalidOrder,
        ),
        ("Limit_price field must be a number_float", "EGeneral:Invalid arguments", InvalidOrder),
        (
            "Unsupported field: 'params' for the given msg type: ping",
            "Unsupported field",
            InvalidOrder,
        ),
        ("Currency pair not supported XBT/USD", "Currency pair not supported", InvalidOrder),
        ("EOrder:Insufficient fundsX", "EOrder:Insufficient fundsX", ExchangeError),
        ("Something new", "Something new", ExchangeError),
    ],
)
def test_error_table(error: str, key: str, cls: type[ExchangeError]) -> None:
    assert error_key(error) == key
    exc = to_error(error)
    assert type(exc) is cls
    assert (exc.venue, exc.code, exc.message) == ("kraken", key, error)


def test_every_fixture_error_string_maps_to_a_specific_class() -> None:
    # The order-path errors recorded live must never fall through to ExchangeError.
    for name in ("error_invalid_arguments.json", "error_permission_denied.json"):
        error = json.loads((FIXTURES / name).read_text())["error"]
        assert type(to_error(error)) is not ExchangeError
    assert all(issubclass(cls, ExchangeError) for cls in ERRORS.codes.values())
