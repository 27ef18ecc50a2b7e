"""Verification of signed REST requests, as the venue does it (reference §2).

``KC-API-SIGN`` is ``base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))``
over the percent-*decoded* path and query in the order sent and the raw body bytes;
``KC-API-PASSPHRASE`` is ``base64(HMAC-SHA256(secret, passphrase))`` for key versions 2
and 3, the plaintext passphrase for legacy version 1 (or no version header);
``KC-API-TIMESTAMP`` (ms) must be within 5 s of server time.

HTTP statuses: 400 for a missing header (400001) and a bad timestamp (400002), as
KuCoin's SDK issue logs show; 401 for the key, passphrase and signature errors (the
recorded passphrase error is HTTP 401; the other two are the emulator's reading).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from tickwire.exchanges.base.keytable import verified

__all__ = ["TIMESTAMP_WINDOW_MS", "AuthFailure", "sign", "verify"]

TIMESTAMP_WINDOW_MS = 5000
"""Largest accepted distance between ``KC-API-TIMESTAMP`` and server time."""

_HEADERS = ("KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE")


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """Why a signed request was refused: HTTP status, KuCoin code, message."""

    status: int
    code: str
    msg: str


def sign(secret: str, message: str) -> str:
    """``base64(HMAC-SHA256(secret, message))`` with UTF-8 key and message."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    headers: Mapping[str, str],
    method: str,
    raw_path: str,
    body: bytes,
    keys: Mapping[str, tuple[str, str]] | None,
    now_ms: int,
) -> AuthFailure | None:
    """Check a signed request; ``None`` when it passes.

    ``raw_path`` is the request target as sent (path and query, still percent-encoded);
    ``keys`` maps API key → ``(secret, passphrase)``. With ``keys=None`` only the presence
    of the four headers is checked (no account exists to verify against), and so for a
    key a :class:`~tickwire.exchanges.base.keytable.KeyTable` trusts.
    """
    keys = verified(keys, headers.get("KC-API-KEY", ""))  # a KeyTable may trust this key
    values = {h: headers.get(h, "") for h in _HEADERS}
    if not all(values.values()):
        return AuthFailure(
            400,
            "400001",
            "Please check the header of your request for KC-API-KEY, KC-API-SIGN, "
            "KC-API-TIMESTAMP, KC-API-PASSPHRASE",
        )
    if keys is None:
        return None
    timestamp = values["KC-API-TIMESTAMP"]
    if not timestamp.isdigit() or abs(int(timestamp) - now_ms) > TIMESTAMP_WINDOW_MS:
        return AuthFailure(400, "400002", "Invalid KC-API-TIMESTAMP")
    account = keys.get(values["KC-API-KEY"])
    if account is None:
        return AuthFailure(401, "400003", "KC-API-KEY not exists")
    secret, passphrase = account
    version = headers.get("KC-API-KEY-VERSION", "1")
    expected = passphrase if version == "1" else sign(secret, passphrase)
    if not hmac.compare_digest(values["KC-API-PASSPHRASE"].encode(), expected.encode()):
        return AuthFailure(401, "400004", "Invalid KC-API-PASSPHRASE")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return AuthFailure(401, "400005", "Invalid KC-API-SIGN")
    prehash = timestamp + method.upper() + unquote(raw_path) + text
    if not hmac.compare_digest(values["KC-API-SIGN"].encode(), sign(secret, prehash).encode()):
        return AuthFailure(401, "400005", "Invalid KC-API-SIGN")
    return None
