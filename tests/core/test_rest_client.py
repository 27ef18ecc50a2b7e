"""core.rest_client: one HTTP client's lifecycle, against a loopback server."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from aiohttp import web

from tickwire.core.errors import AuthError, TransportError
from tickwire.core.ratelimit import Quota
from tickwire.core.rest import ErrorTable
from tickwire.core.rest_client import RestClient


class Toy(RestClient):
    venue = "toy"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({"path": request.path_qs, "body": body.decode()})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    await runner.cleanup()


async def test_send_reaches_the_base_url_and_stamps_the_response(server: str) -> None:
    before = time.time_ns()
    async with Toy(server, timeout=2.0) as rest:
        response = await rest.send("POST", "/a/b?x=1", "POST /a/b", content=b"{}")
        assert response.json() == {"path": "/a/b?x=1", "body": "{}"}
        assert rest.last_received >= before
    with pytest.raises(RuntimeError, match="closed"):
        await rest.send("GET", "/", "GET /")


async def test_a_transport_function_is_called_once_on_first_use(server: str) -> None:
    made: list[httpx.AsyncHTTPTransport] = []

    def transport() -> httpx.AsyncHTTPTransport:
        made.append(httpx.AsyncHTTPTransport())
        return made[-1]

    async with Toy(server, timeout=2.0, transport=transport) as rest:
        assert made == []  # chosen at first use, not at construction
        await rest.send("GET", "/1", "GET /1")
        await rest.send("GET", "/2", "GET /2")
    assert len(made) == 1


async def test_a_given_client_is_used_and_left_open(server: str) -> None:
    async with httpx.AsyncClient() as http:
        async with Toy(server, timeout=2.0, client=http) as rest:
            assert rest.http is http
            await rest.send("GET", "/", "GET /")
        assert not http.is_closed


async def test_a_refused_connection_is_a_transport_error_naming_only_what() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with Toy(f"http://127.0.0.1:{port}", timeout=2.0) as rest:
        with pytest.raises(TransportError, match="toy: GET /secret-free") as caught:
            await rest.send("GET", "/x?token=abc", "GET /secret-free")
    assert "token" not in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


class Enveloped(RestClient):
    """A venue whose every body is ``{"ok": bool, "data": ..., "code": ...}``."""

    venue = "env"
    quotas = {"env:public": Quota(10, 1.0)}
    errors = ErrorTable("env", {"E1": AuthError})

    def open_envelope(self, body: bytes, status: int) -> msgspec.Raw | tuple[str, str]:
        envelope = msgspec.json.decode(body, type=dict[str, msgspec.Raw])
        if msgspec.json.decode(envelope["ok"]):
            return envelope["data"]
        return msgspec.json.decode(envelope["code"]), "refused"


async def test_request_charges_the_pool_encodes_the_query_and_opens_the_envelope() -> None:
    def venue(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/bad":
            return httpx.Response(400, json={"ok": False, "code": "E1"})
        return httpx.Response(200, json={"ok": True, "data": str(request.url.query, "ascii")})

    transport = httpx.MockTransport(venue)
    async with Enveloped("http://venue", timeout=2.0, transport=transport) as rest:
        raw = await rest.request("GET", "/q", params={"a": "x y", "n": 1}, pool="env:public")
        assert msgspec.json.decode(raw) == "a=x+y&n=1"
        with pytest.raises(AuthError, match="refused"):
            await rest.request("GET", "/bad")
