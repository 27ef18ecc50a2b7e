"""Kraken's private REST endpoint the WebSocket side needs: ``GetWebSocketsToken``.

Reference §4. ``POST /0/private/GetWebSocketsToken`` with a signed form or JSON body
answers ``{"error":[],"result":{"token":...,"expires":900}}``; a refused call answers
HTTP 200 with ``{"error":["EAPI:Invalid key"]}`` (or ``EAPI:Invalid signature``,
``EAPI:Invalid nonce``, ``EGeneral:Permission denied`` for a key without the
``websocket`` permission), as Kraken reports API errors in the body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from tickwire.exchanges.kraken.auth import PERMISSION_DENIED, check_signed
from tickwire.exchanges.kraken.private import PrivateDesk

__all__ = ["TOKEN_PATH", "token_handler"]

TOKEN_PATH = "/0/private/GetWebSocketsToken"


def token_handler(
    desk: PrivateDesk, clock: Callable[[], int]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of :data:`TOKEN_PATH` for ``desk``'s account."""

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        error, key = check_signed(request.headers, request.path, body, desk.api_keys, desk.nonces)
        if error is None and key is not None and not key.allows("websocket"):
            error = PERMISSION_DENIED
        if error is not None or key is None:
            return web.json_response({"error": [error]})
        token = desk.tokens.issue(key, clock())
        return web.json_response(
            {"error": [], "result": {"token": token, "expires": desk.tokens.ttl}}
        )

    return handler
