"""Kraken's signed REST call for the auth socket: ``GetWebSocketsToken``, on every connect.

::

    async with KrakenRest("https://api.kraken.com", credentials, timeout=10.0) as rest:
        token = await rest.websockets_token()       # WsToken; repr hides the token

The signed call, its envelope (``{"error": [...], "result": ...}``, errors by the one
table in :mod:`tickwire.adapters.kraken.errors`), the HTTP boundary and the API counter
it spends are :class:`~tickwire.adapters.kraken.rest_fetch.KrakenCalls`'. Messages name
the path only: never a header, the body, the key, the secret or the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from tickwire.adapters.kraken.rest_fetch import KrakenCalls
from tickwire.core.errors import DecodeError

__all__ = ["REST_URL", "TOKEN_PATH", "KrakenRest", "WsToken"]

REST_URL = "https://api.kraken.com"
TOKEN_PATH = "/0/private/GetWebSocketsToken"


class _TokenResult(msgspec.Struct, frozen=True):
    token: str
    expires: int = 900  # seconds the token may wait for its first use


_token_result = msgspec.json.Decoder(_TokenResult)


@dataclass(frozen=True, slots=True)
class WsToken:
    """A WebSocket session token. The token is left out of ``repr``: it grants trading."""

    token: str = field(repr=False)
    expires: int  # seconds it may wait for its first use (it never expires once used)


class KrakenRest(KrakenCalls):
    """Kraken's signed REST calls with the WebSocket token on top (``base_url`` is
    Kraken's REST host or an emulator's; ``transport`` the client's, from core)."""

    async def websockets_token(self) -> WsToken:
        """``POST /0/private/GetWebSocketsToken``: a fresh token for one auth connection."""
        result = await self.private("GetWebSocketsToken", {})
        try:
            token = _token_result.decode(result)
        except msgspec.DecodeError as exc:
            # Never keep the body: a garbled success could still hold a token.
            raise DecodeError(f"kraken: POST {TOKEN_PATH}: unexpected result: {exc}") from None
        return WsToken(token=token.token, expires=token.expires)
