"""Kraken's one signed REST call: ``GetWebSocketsToken``, fetched for every auth connect.

::

    async with KrakenRest("https://api.kraken.com", credentials, timeout=10.0) as rest:
        token = await rest.websockets_token()       # WsToken; repr hides the token

Every Kraken REST body is ``{"error": [...], "result": ...}``: this module reads only that
envelope. A non-empty ``error`` is mapped by the one table in
:mod:`tickwire.adapters.kraken.errors`; transport failures, bare HTTP statuses and
``Retry-After`` by core's HTTP boundary (:mod:`tickwire.core.rest`). Messages name the
path only: never a header, the body, the key, the secret or the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx
import msgspec

from tickwire.adapters.kraken.auth import next_nonce, signed_form
from tickwire.adapters.kraken.errors import to_error
from tickwire.core.config import Credentials
from tickwire.core.errors import DecodeError
from tickwire.core.rest import raise_for_status, retry_after, transport_errors

__all__ = ["REST_URL", "TOKEN_PATH", "KrakenRest", "WsToken"]

REST_URL = "https://api.kraken.com"
TOKEN_PATH = "/0/private/GetWebSocketsToken"
_VENUE = "kraken"


class _TokenResult(msgspec.Struct, frozen=True):
    token: str
    expires: int = 900  # seconds the token may wait for its first use


class _Envelope(msgspec.Struct, frozen=True):
    error: list[str] = []
    result: msgspec.Raw = msgspec.Raw()


_envelope = msgspec.json.Decoder(_Envelope)
_token_result = msgspec.json.Decoder(_TokenResult)


@dataclass(frozen=True, slots=True)
class WsToken:
    """A WebSocket session token. The token is left out of ``repr``: it grants trading."""

    token: str = field(repr=False)
    expires: int  # seconds it may wait for its first use (it never expires once used)


def _unwrap(response: httpx.Response, what: str) -> msgspec.Raw:
    """The ``result`` of a successful envelope; anything else raises a core error."""
    status = response.status_code
    try:
        envelope: _Envelope | None = _envelope.decode(response.content)
    except msgspec.DecodeError:
        envelope = None  # an HTML error page, a proxy's text
    wait = retry_after(response)
    if envelope is not None and envelope.error:
        raise to_error(envelope.error[0], status=status, retry_after=wait)
    raise_for_status(response, _VENUE, what, retry_after_s=wait)
    if envelope is None or status >= 300 or not envelope.result:
        # Never keep the body: a garbled success could still hold a token.
        raise DecodeError(f"{_VENUE}: {what}: HTTP {status}, not a Kraken result")
    return envelope.result


class KrakenRest:
    """Signed REST calls over one ``httpx.AsyncClient`` on ``transport`` (the client's,
    from core: recorded and replayed). ``base_url`` is the REST host (Kraken's or an
    emulator's)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"KrakenRest({self._base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def websockets_token(self) -> WsToken:
        """``POST /0/private/GetWebSocketsToken``: a fresh token for one auth connection."""
        what = f"POST {TOKEN_PATH}"
        url = self._base_url + TOKEN_PATH
        headers, body = signed_form(self._credentials, TOKEN_PATH, {}, next_nonce())
        with transport_errors(_VENUE, what, url):
            response = await self._client.post(url, content=body.encode(), headers=headers)
        try:
            result = _token_result.decode(_unwrap(response, what))
        except msgspec.DecodeError as exc:
            raise DecodeError(f"{_VENUE}: {what}: unexpected result: {exc}") from None
        return WsToken(token=result.token, expires=result.expires)
