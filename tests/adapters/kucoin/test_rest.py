"""KucoinRest against respx: parsing of the golden bodies, and venue errors → core errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from tickwire.adapters.kucoin.rest import BulletToken, KucoinRest
from tickwire.core.errors import (
    AuthError,
    ConnectTimeout,
    DecodeError,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    RequestTimeout,
    SubscriptionError,
    TransportError,
    UnknownOrder,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"
BASE = "https://api.kucoin.test"
TOKEN_PREFIX = "2neAiuYvAU61ZDXANAGAsiL4"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
async def rest() -> AsyncIterator[KucoinRest]:
    async with KucoinRest(BASE + "/", timeout=3.5) as client:
        yield client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


# --- successful calls --------------------------------------------------------------------


async def test_bullet_public(rest: KucoinRest, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/bullet-public").respond(
        200, content=body("bullet_public_response.json")
    )
    bullet = await rest.bullet_public()
    assert bullet.token.startswith(TOKEN_PREFIX) and bullet.token.endswith("yA==")
    assert bullet.endpoint == "wss://ws-api-spot.kucoin.com/"
    assert (bullet.ping_interval, bullet.ping_timeout) == (18.0, 10.0)
    assert TOKEN_PREFIX not in repr(bullet)
    request = route.calls.last.request
    assert request.content == b""  # no body on bullet calls
    assert request.extensions["timeout"]["read"] == 3.5


def test_bullet_url_carries_token_and_connect_id() -> None:
    bullet = BulletToken("a+b=", "wss://ws.test/endpoint", 18.0, 10.0)
    url = httpx.URL(bullet.url("42"))
    assert (url.scheme, url.host, url.path) == ("wss", "ws.test", "/endpoint")
    assert dict(url.params) == {"token": "a+b=", "connectId": "42"}


async def test_bullet_picks_the_first_instance_server(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    servers = [
        {"endpoint": f"wss://ws{i}.test/", "encrypt": True, "protocol": "websocket",
         "pingInterval": 1000 * i, "pingTimeout": 500}
        for i in (1, 2)
    ]  # fmt: skip
    mock.post("/api/v1/bullet-public").respond(
        200, json={"code": "200000", "data": {"token": "t", "instanceServers": servers}}
    )
    bullet = await rest.bullet_public()
    assert (bullet.endpoint, bullet.ping_interval, bullet.ping_timeout) == (
        "wss://ws1.test/",
        1.0,
        0.5,
    )


async def test_bullet_without_servers_is_a_decode_error(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    mock.post("/api/v1/bullet-public").respond(
        200, json={"code": "200000", "data": {"token": "t", "instanceServers": []}}
    )
    with pytest.raises(DecodeError, match="no instance server") as info:
        await rest.bullet_public()
    assert info.value.frame == ""  # nothing of the body (it holds the token) is kept


async def test_a_malformed_bullet_never_echoes_the_token(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    mock.post("/api/v1/bullet-public").respond(
        200, json={"code": "200000", "data": {"token": "SECRET", "instanceServers": [{}]}}
    )
    with pytest.raises(DecodeError) as info:
        await rest.bullet_public()
    assert "SECRET" not in info.value.frame and "SECRET" not in str(info.value)


async def test_symbols(rest: KucoinRest, mock: respx.MockRouter) -> None:
    mock.get("/api/v2/symbols").respond(200, content=body("symbols_response_excerpt.json"))
    (instrument,) = await rest.symbols()
    assert (instrument.symbol, instrument.native_symbol) == ("BTC/USDT", "BTC-USDT")
    assert (instrument.price_precision, instrument.size_precision) == (1, 8)
    assert instrument.min_size == Decimal("0.00001")


@pytest.mark.parametrize(
    ("depth", "path"),
    [
        (20, "/api/v1/market/orderbook/level2_20"),
        (100, "/api/v1/market/orderbook/level2_100"),
        (None, "/api/v1/market/orderbook/level2_100"),  # full depth needs signing: not yet
    ],
)
async def test_level2_snapshot(
    rest: KucoinRest, mock: respx.MockRouter, depth: int | None, path: str
) -> None:
    route = mock.get(path, params={"symbol": "BTC-USDT"}).respond(
        200, content=body("level2_part_snapshot_rest.json")
    )
    snapshot = await rest.level2_snapshot("BTC-USDT", depth)  # type: ignore[arg-type]
    assert (snapshot.sequence, snapshot.time) == ("14610502970", 1729176273859)
    assert snapshot.bids[0] == (Decimal("66976.4"), Decimal("0.69109872"))
    assert snapshot.asks[-1] == (Decimal("66976.8"), Decimal("0.0005"))
    assert route.called


async def test_level2_snapshot_rejects_other_depths(rest: KucoinRest) -> None:
    with pytest.raises(ValueError, match="20, 100 or None"):
        await rest.level2_snapshot("BTC-USDT", 50)  # type: ignore[arg-type]


async def test_server_time(rest: KucoinRest, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/timestamp").respond(200, content=body("server_time_response.json"))
    assert (await rest.measure_clock()).server == 1729100692873 * 1_000_000


# --- envelope errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("429000", RateLimited),
        *[(f"40000{i}", AuthError) for i in range(1, 8)],
        ("411100", AuthError),
        ("900001", SubscriptionError),
        ("400100", InvalidOrder),
        ("400600", InvalidOrder),
        ("200004", InsufficientFunds),
        ("126013", InsufficientFunds),
        ("404000", ExchangeError),
        ("123456", ExchangeError),
    ],
)
async def test_envelope_codes_map_to_core_errors(
    rest: KucoinRest, mock: respx.MockRouter, code: str, error: type[ExchangeError]
) -> None:
    mock.get("/api/v1/timestamp").respond(200, json={"code": code, "msg": "nope"})
    with pytest.raises(ExchangeError) as info:
        await rest.measure_clock()
    assert type(info.value) is error
    assert (info.value.venue, info.value.code, info.value.message) == ("kucoin", code, "nope")


@pytest.mark.parametrize(
    ("name", "status", "error", "code"),
    [
        ("rest_error_rate_limit.json", 429, RateLimited, "429000"),
        ("rest_error_passphrase.json", 401, AuthError, "400004"),
        ("rest_error_signature.json", 200, AuthError, "400005"),
        ("rest_error_cancel_unknown.json", 200, UnknownOrder, "400100"),
    ],
)
async def test_golden_error_bodies(
    rest: KucoinRest,
    mock: respx.MockRouter,
    name: str,
    status: int,
    error: type[ExchangeError],
    code: str,
) -> None:
    mock.get("/api/v2/symbols").respond(status, content=body(name))
    with pytest.raises(error) as info:
        await rest.symbols()
    assert info.value.code == code


async def test_rate_limit_carries_retry_after(rest: KucoinRest, mock: respx.MockRouter) -> None:
    mock.get("/api/v2/symbols").respond(
        429, content=body("rest_error_rate_limit.json"), headers={"gw-ratelimit-reset": "1500"}
    )
    with pytest.raises(RateLimited) as info:
        await rest.symbols()
    assert info.value.retry_after == 1.5 and info.value.message == "Too Many Requests"


async def test_http_429_without_envelope(rest: KucoinRest, mock: respx.MockRouter) -> None:
    mock.get("/api/v2/symbols").respond(429, text="<html>slow down</html>")
    with pytest.raises(RateLimited) as info:
        await rest.symbols()
    assert info.value.code == 429 and info.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "content", "error"),
    [
        (500, b"<html>oops</html>", TransportError),
        (503, b'{"code":"500000","msg":"internal error"}', TransportError),
        (502, b"", TransportError),
        (401, b"Unauthorized", AuthError),
        (403, b"<html>cloudflare</html>", AuthError),
        (200, b"not json", DecodeError),
        (200, b"[1, 2]", DecodeError),
        (404, b"<html>no such page</html>", DecodeError),
        (200, b'{"code":"200000","data":{"unexpected":true}}', DecodeError),
        (200, b'{"code":"200000"}', DecodeError),  # success without data
        (500, b'{"code":"200000","data":1}', TransportError),  # success code, error status
    ],
)
async def test_non_envelope_responses(
    rest: KucoinRest,
    mock: respx.MockRouter,
    status: int,
    content: bytes,
    error: type[Exception],
) -> None:
    mock.get("/api/v1/market/orderbook/level2_20").respond(status, content=content)
    with pytest.raises(error) as info:
        await rest.level2_snapshot("BTC-USDT", 20)
    assert type(info.value) is error
    assert "symbol=" not in str(info.value)  # no query strings in messages


async def test_unknown_code_on_http_429_is_rate_limited(
    rest: KucoinRest, mock: respx.MockRouter
) -> None:
    mock.get("/api/v1/timestamp").respond(429, json={"code": "123", "msg": "busy"})
    with pytest.raises(RateLimited):
        await rest.measure_clock()


async def test_rate_limited_envelope_on_http_200(rest: KucoinRest, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/timestamp").respond(200, json={"code": 429000, "msg": "busy"})
    with pytest.raises(RateLimited) as info:
        await rest.measure_clock()
    assert info.value.code == "429000"  # an int code is tolerated, normalized to the string


# --- transport errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectError("refused"), TransportError),
        (httpx.ReadTimeout("slow"), RequestTimeout),  # core's boundary: sent, no answer
        (httpx.RemoteProtocolError("bad"), TransportError),
        (httpx.ConnectTimeout("slow"), ConnectTimeout),
    ],
)
async def test_transport_errors(
    rest: KucoinRest, mock: respx.MockRouter, raised: Exception, error: type[Exception]
) -> None:
    mock.get("/api/v1/market/orderbook/level2_100").mock(side_effect=raised)
    with pytest.raises(error) as info:
        await rest.level2_snapshot("BTC-USDT", 100)
    assert type(info.value) is error
    # What failed and where (the URL, never its query): one line a person can act on.
    where = f"kucoin: GET /api/v1/market/orderbook/level2_100 {BASE}/api/v1/market/orderbook"
    assert str(info.value).startswith(where)
    assert "BTC-USDT" not in str(info.value)
    assert info.value.__cause__ is raised


# --- client ownership ----------------------------------------------------------------------


async def test_a_given_client_is_used_and_left_open(mock: respx.MockRouter) -> None:
    mock.get("/api/v1/timestamp").respond(200, content=body("server_time_response.json"))
    async with httpx.AsyncClient() as http:
        rest = KucoinRest(BASE, timeout=1.0, client=http)
        assert (await rest.measure_clock()).server == 1729100692873 * 1_000_000
        await rest.aclose()
        assert not http.is_closed


async def test_an_owned_client_is_closed() -> None:
    rest = KucoinRest(BASE, timeout=1.0)
    await rest.aclose()
    with pytest.raises(RuntimeError):
        await rest.measure_clock()
