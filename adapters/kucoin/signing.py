"""KuCoin REST request signing, and the one signed call the feed makes: the full book.

``KC-API-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))`` and,
for key version 2, ``KC-API-PASSPHRASE = base64(HMAC-SHA256(secret, passphrase))``
(``shared/reference/kucoin-ws.md`` §2). :func:`sign_headers` is pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

from tickwire.adapters.kucoin import rest as _rest
from tickwire.adapters.kucoin.schemas import Level2Snapshot
from tickwire.core.config import Credentials

__all__ = ["FULL_BOOK_PATH", "sign_headers", "signed_snapshot"]

FULL_BOOK_PATH = "/api/v3/market/orderbook/level2"


def _hmac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_headers(
    credentials: Credentials,
    method: str,
    path: str,
    body: str = "",
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The ``KC-API-*`` headers of one request (``path`` includes the query string)."""
    stamp = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
    secret = credentials.api_secret
    return {
        "KC-API-KEY": credentials.api_key,
        "KC-API-TIMESTAMP": stamp,
        "KC-API-SIGN": _hmac(secret, stamp + method.upper() + path + body),
        "KC-API-PASSPHRASE": _hmac(secret, credentials.passphrase or ""),
        "KC-API-KEY-VERSION": "2",
    }


async def signed_snapshot(
    client: _rest.KucoinRest, credentials: Credentials, native: str
) -> Level2Snapshot:
    """``GET /api/v3/market/orderbook/level2``: the full book, signed."""
    path = f"{FULL_BOOK_PATH}?{urlencode({'symbol': native})}"
    what = f"GET {FULL_BOOK_PATH}"
    headers = sign_headers(credentials, "GET", path)
    with _rest._transport_errors(what):
        response = await client._client.get(
            client._base_url + path, headers=headers, timeout=client._timeout
        )
    raw = _rest._unwrap(response, what)
    return _rest._decode(_rest._snapshot_decoder, raw, what)
