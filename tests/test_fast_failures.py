"""A first connect that cannot succeed fails at once, in one line naming the URL and cause.

Refused ports, unresolvable host names and HTTP errors are answered immediately and the
same next time, so waiting out the connect timeout (10 s by default) only hides them. Only
a silent peer waits for the timeout. Everything here stays on 127.0.0.1: the DNS failure
comes from a resolver that refuses every name, not from the network.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tickwire.core import connect
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConnectTimeout, TransportError
from tickwire.core.registry import Registry

# Each venue, and the URL its first connection starts with: Kraken and examplex open
# their socket at ws_url; KuCoin first asks rest_url for a token (its socket's address).
URL_FIELD = {"kraken": "ws_url", "kucoin": "rest_url", "examplex": "ws_url"}
SOCKET_FIRST = ["kraken", "examplex"]  # DNS is aiohttp's resolver for these


def _venues(names: list[str] | None = None) -> list[str]:
    return [v for v in names or URL_FIELD if v in Registry().adapters]


def _config(venue: str, url: str, connect_timeout: float = 10) -> ClientConfig:
    if URL_FIELD[venue] == "rest_url":
        url = url.replace("ws://", "http://")
    fields = {URL_FIELD[venue]: url}
    return ClientConfig(venue=venue, connect_timeout=connect_timeout, **fields)


class _NoNames(aiohttp.abc.AbstractResolver):
    """A resolver for a machine without DNS: every name fails, as gaierror."""

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        """Nothing to close."""


async def _fails_fast(config: ClientConfig, resolver: Any = None) -> str:
    loop = asyncio.get_running_loop()
    client: Any = connect(config)
    if resolver is not None:
        client.http_factory = lambda: aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver)
        )
    started = loop.time()
    with pytest.raises(TransportError) as failed:
        async with client:
            pass
    assert loop.time() - started < 1.0, "a failure that retrying cannot fix must not wait"
    assert not isinstance(failed.value, ConnectTimeout)
    message = str(failed.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("venue", _venues())
async def test_a_refused_port_fails_at_once_naming_url_and_cause(venue: str) -> None:
    message = await _fails_fast(_config(venue, "ws://127.0.0.1:1/ws?token=abc"))
    assert "://127.0.0.1:1/ws" in message and "Connection refused" in message
    assert "token=abc" not in message


@pytest.mark.parametrize("venue", _venues(SOCKET_FIRST))
async def test_a_name_that_does_not_resolve_fails_at_once(venue: str) -> None:
    url = "wss://stream.venue.invalid/ws"
    config = _config(venue, url)
    message = await _fails_fast(config, resolver=_NoNames())
    assert url in message and "host name not resolved" in message


@pytest.mark.parametrize("venue", _venues())
async def test_an_http_error_on_the_handshake_fails_at_once(
    venue: str, unused_tcp_port: int
) -> None:
    app = web.Application()

    async def unavailable(request: web.Request) -> web.Response:
        return web.Response(status=503)

    app.router.add_route("*", "/{tail:.*}", unavailable)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        message = await _fails_fast(_config(venue, f"ws://127.0.0.1:{unused_tcp_port}/ws"))
        assert f"127.0.0.1:{unused_tcp_port}" in message and "503" in message
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("venue", _venues())
async def test_silence_still_waits_for_the_connect_timeout(venue: str) -> None:
    # A listener that accepts and never answers: the one case the timeout is for.
    accepted: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda r, w: accepted.append(w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = _config(venue, f"ws://127.0.0.1:{port}/ws", connect_timeout=0.3)
    try:
        with pytest.raises(ConnectTimeout, match=r"not connected within 0\.3s"):
            async with connect(config):
                pass
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
