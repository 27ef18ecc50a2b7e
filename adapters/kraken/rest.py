"""Kraken's one signed REST call: ``GetWebSocketsToken``, fetched for every auth connect.

::

    async with KrakenRest("https://api.kraken.com", credentials, timeout=10.0) as rest:
        token = await rest.websockets_token()       # WsToken; repr hides the token

Every Kraken REST body is ``{"error": [...], "result": ...}``; a non-empty ``error`` is
mapped by the one table in :mod:`tickwire.adapters.kraken.errors` (``EAPI:Invalid
key/signature/nonce`` and ``EGeneral:Permission denied`` → ``AuthError`` ...).
Transport failures become :class:`~tickwire.core.errors.TransportError`. Messages name
the path only: never a header, the body, the key, the secret or the token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx
import msgspec

from tickwire.adapters.kraken.auth import next_nonce, signed_form
from tickwire.adapters.kraken.errors import to_error
from tickwire.core.config import Credentials
from tickwire.core.errors import AuthError, ConnectTimeout, DecodeError, RateLimited, TransportError

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


@contextmanager
def _transport_errors(what: str) -> Iterator[None]:
    """httpx failures → core ones, naming only ``what`` (never the URL's query or body)."""
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise ConnectTimeout(f"{_VENUE}: {what}: connect timed out") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{_VENUE}: {what}: {type(exc).__name__}") from exc


def _unwrap(response: httpx.Response, what: str) -> msgspec.Raw:
    """The ``result`` of a successful envelope; anything else raises a core error."""
    status = response.status_code
    try:
        envelope: _Envelope | None = _envelope.decode(response.content)
    except msgspec.DecodeError:
        envelope = None  # an HTML error page, a proxy's text
    if envelope is not None and envelope.error:
        raise to_error(envelope.error[0])
    if status == 429:
        raise RateLimited(_VENUE, status, f"HTTP 429 on {what}")
    if status in (401, 403):
        raise AuthError(_VENUE, status, f"HTTP {status} on {what}")
    if status >= 500:
        raise TransportError(f"{_VENUE}: HTTP {status} on {what}")
    if envelope is None or status >= 300 or not envelope.result:
        # Never keep the body: a garbled success could still hold a token.
        raise DecodeError(f"{_VENUE}: {what}: HTTP {status}, not a Kraken result")
    return envelope.result


class KrakenRest:
    """Signed REST calls over one ``httpx.AsyncClient``.

    ``base_url`` is the REST host (``https://api.kraken.com`` or an emulator's). A
    ``client`` passed in is used as is and left open by :meth:`aclose`; otherwise one is
    made over ``transport`` (the client's, from core: recorded and replayed).
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = timeout
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout, transport=transport)

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
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    async def websockets_token(self) -> WsToken:
        """``POST /0/private/GetWebSocketsToken``: a fresh token for one auth connection."""
        what = f"POST {TOKEN_PATH}"
        headers, body = signed_form(self._credentials, TOKEN_PATH, {}, next_nonce())
        with _transport_errors(what):
            response = await self._client.post(
                self._base_url + TOKEN_PATH,
                content=body.encode(),
                headers=headers,
                timeout=self._timeout,
            )
        raw = _unwrap(response, what)
        try:
            result = _token_result.decode(raw)
        except msgspec.DecodeError as exc:
            raise DecodeError(f"{_VENUE}: {what}: unexpected result: {exc}") from None
        return WsToken(token=result.token, expires=result.expires)
