"""Kraken REST request signing (``shared/reference/kraken-ws-v2.md`` §4.2). Pure.

::

    API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + body)))

``uri_path`` starts at ``/0/private/``; ``body`` is exactly the bytes sent (the
form-encoded string, ``nonce=...`` included): :func:`signed_form` builds both for
:class:`~tickwire.adapters.kraken.rest.KrakenRest`'s private calls. Nothing here logs,
and no error message carries the key or the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from tickwire.core.config import Credentials
from tickwire.core.errors import AuthError

__all__ = ["next_nonce", "sign", "signed_form"]

_VENUE = "kraken"


def sign(secret: str, uri_path: str, nonce: int | str, body: str) -> str:
    """The ``API-Sign`` header value for one request.

    ``secret`` is the base64 private key as Kraken shows it. A secret that is not valid
    base64 raises :class:`~tickwire.core.errors.AuthError` (without echoing it).
    """
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        # The classic mistake is a secret pasted with a character missing; say so, but
        # never repeat the secret itself.
        raise AuthError(_VENUE, "secret", "the API secret is not valid base64") from None
    digest = hashlib.sha256((str(nonce) + body).encode()).digest()
    mac = hmac.new(key, uri_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def signed_form(
    credentials: Credentials, uri_path: str, params: Mapping[str, object], nonce: int
) -> tuple[dict[str, str], str]:
    """Headers and form body of a signed private REST call: ``nonce`` goes first."""
    body = urlencode({"nonce": str(nonce), **{k: str(v) for k, v in params.items()}})
    headers = {
        "API-Key": credentials.api_key,
        "API-Sign": sign(credentials.api_secret, uri_path, nonce, body),
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "tickwire",
    }
    return headers, body


class _Nonces:
    """Strictly increasing millisecond nonces for this process.

    Kraken wants a strictly increasing nonce per API key. Every client of one process
    shares this source, so two clients on one key cannot collide within a millisecond.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns() // 1_000_000)
            return self._last


next_nonce = _Nonces()
"""``next_nonce()``: the next strictly increasing nonce (ms since the epoch, or above)."""
