"""KuCoin REST request signing (``shared/reference/kucoin-ws.md`` §2). Pure functions.

::

    KC-API-SIGN        = base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))
    KC-API-PASSPHRASE  = base64(HMAC-SHA256(secret, passphrase))      # key version 2 (and 3)
    KC-API-KEY-VERSION = "2"

``path?query`` is the request target without the host, exactly as sent, and ``body`` the
exact JSON text sent (empty for GET, DELETE and body-less POSTs): callers sign the bytes
they send (:meth:`tickwire.adapters.kucoin.rest.KucoinRest.call` does).

KuCoin's documented worked example (secret ``f03a5284-5c39-4aaa-9b20-dea10bdcf8e3``,
``1547015186532POST/api/v1/deposit-addresses{"currency":"BTC"}`` signs to
``7QP/oM0ykidMdrfNEUmng8eZjg/ZvPafjIqmxiVfYu4=``) is a unit test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from tickwire.core.config import Credentials

__all__ = ["KEY_VERSION", "encrypt_passphrase", "sign", "sign_headers"]

KEY_VERSION = "2"
"""``KC-API-KEY-VERSION``: 2 (and 3) keys send the passphrase HMAC-encrypted."""


def sign(secret: str, message: str) -> str:
    """``base64(HMAC-SHA256(secret, message))``, key and message UTF-8."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def encrypt_passphrase(secret: str, passphrase: str) -> str:
    """The ``KC-API-PASSPHRASE`` of a version 2/3 key: the passphrase signed by the secret."""
    return sign(secret, passphrase)


def sign_headers(
    credentials: Credentials,
    method: str,
    path: str,
    body: str = "",
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The ``KC-API-*`` headers of one request (``path`` includes the query string).

    ``timestamp_ms`` defaults to the local clock; KuCoin refuses one more than 5 s off.
    """
    stamp = str(timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000)
    secret = credentials.api_secret
    return {
        "KC-API-KEY": credentials.api_key,
        "KC-API-TIMESTAMP": stamp,
        "KC-API-SIGN": sign(secret, stamp + method.upper() + path + body),
        "KC-API-PASSPHRASE": encrypt_passphrase(secret, credentials.passphrase or ""),
        "KC-API-KEY-VERSION": KEY_VERSION,
    }
