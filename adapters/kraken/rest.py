"""Kraken's public and signed REST calls, rate-limited, and the WebSocket token.

::

    async with KrakenRest(REST_URL, credentials=credentials, timeout=10.0) as rest:
        result = await rest.public("Time", {})                  # msgspec.Raw
        balances = await rest.private("BalanceEx", {})
        token = await rest.websockets_token()       # WsToken; repr hides the token

Each call waits for its quota (:data:`PUBLIC_QUOTA`, :data:`PRIVATE_QUOTA`) and goes
through core's one request path (:meth:`~tickwire.core.rest_client.RestClient.request`):
a non-empty ``error`` of the ``{"error": [...], "result": ...}`` envelope is mapped by
:data:`.errors.ERRORS`. Messages never hold a header, the body, a key or the token.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from tickwire.adapters.kraken.auth import next_nonce, signed_form
from tickwire.adapters.kraken.errors import ERRORS, error_key
from tickwire.core.ratelimit import Quota
from tickwire.core.rest import decode
from tickwire.core.rest_client import RestClient

__all__ = [
    "PRIVATE_KEY",
    "PRIVATE_QUOTA",
    "PUBLIC_KEY",
    "PUBLIC_QUOTA",
    "REST_URL",
    "TOKEN_PATH",
    "KrakenRest",
    "WsToken",
]

_VENUE = "kraken"
REST_URL = "https://api.kraken.com"
TOKEN_PATH = "/0/private/GetWebSocketsToken"
PUBLIC_KEY = "kraken:rest:public"
PRIVATE_KEY = "kraken:rest:private"
PUBLIC_QUOTA = Quota(limit=10, window=10.0)
"""About one public call a second per IP, counted over ten seconds so that a short burst
passes (five at once, then one every two seconds: core's bucket holds half a quota).
Kraken's current guide documents no public figure; "1 req/s" is ccxt's reading of
Kraken's support article 206548367 ("What are the API rate limits?"), and short bursts
to about 5 a second are reported to pass (api-evangelist/kraken rate-limits profile)."""
PRIVATE_QUOTA = Quota(limit=30, window=45.0)
"""The Starter tier's API counter: at most 15, decaying 0.33 a second (docs.kraken.com,
"Spot REST Rate Limits"; 20 and 0.5/s or 1/s on higher tiers, but the account's tier is
not known here). That counter is a token bucket already; core makes a quota a bucket of
half the limit refilling over the window, so 30 in 45 s is exactly Kraken's."""
_COSTS = {"TradesHistory": 2, "Ledgers": 2, "QueryLedgers": 2}
"""Calls that count double ("ledger/trade history calls increase the counter by 2")."""


class _Envelope(msgspec.Struct, frozen=True):
    error: list[str] = []
    result: msgspec.Raw = msgspec.Raw()


_envelope = msgspec.json.Decoder(_Envelope)


class WsToken(msgspec.Struct, frozen=True, kw_only=True):
    """A WebSocket session token. The token is left out of ``repr``: it grants trading."""

    token: str
    expires: int = 900  # seconds it may wait for its first use (it never expires once used)

    def __repr__(self) -> str:
        return f"WsToken(expires={self.expires})"


class KrakenRest(RestClient):
    """Public (``GET /0/public/{method}``) and signed (``POST /0/private/{method}``)
    calls on core's :class:`~tickwire.core.rest_client.RestClient`, each waiting for its
    quota first; without ``credentials`` a private call raises
    :class:`~tickwire.core.errors.ConfigError`."""

    venue = _VENUE
    quotas = {PUBLIC_KEY: PUBLIC_QUOTA, PRIVATE_KEY: PRIVATE_QUOTA}
    errors = ERRORS

    def open_envelope(self, body: bytes, status: int) -> msgspec.Raw | tuple[str, str]:
        """Kraken's envelope: its first error (table key, full string), else its result."""
        envelope = _envelope.decode(body)
        if envelope.error:
            return error_key(envelope.error[0]), envelope.error[0]
        if not envelope.result:
            raise msgspec.DecodeError("neither an error nor a result")
        return envelope.result

    async def public(
        self, method: str, params: Mapping[str, object], *, timeout: float | None = None
    ) -> msgspec.Raw:
        """``GET /0/public/{method}?params``: the result, undecoded."""
        path = f"/0/public/{method}"
        return await self.request("GET", path, params=params, pool=PUBLIC_KEY, timeout=timeout)

    async def private(
        self, method: str, params: Mapping[str, object], *, timeout: float | None = None
    ) -> msgspec.Raw:
        """Signed ``POST /0/private/{method}`` with a fresh nonce: the result, undecoded."""
        credentials = self.keys(method)
        path = f"/0/private/{method}"
        await self.limiter.acquire(PRIVATE_KEY, cost=_COSTS.get(method, 1))
        # The nonce is taken after the wait: Kraken wants nonces in the order it sees them.
        headers, body = signed_form(credentials, path, params, next_nonce())
        return await self.request(
            "POST", path, content=body.encode(), headers=headers, timeout=timeout
        )

    async def websockets_token(self) -> WsToken:
        """``POST /0/private/GetWebSocketsToken``: a fresh token for one auth connection."""
        result = await self.private("GetWebSocketsToken", {})
        # Never keep the body: a garbled success could still hold a token.
        return decode(_VENUE, result, WsToken, f"POST {TOKEN_PATH}", secret=True)
