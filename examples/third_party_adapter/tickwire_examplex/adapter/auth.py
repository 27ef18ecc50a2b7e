"""The login request (pure): what the socket carries instead of the secret."""

from __future__ import annotations

import hashlib
import hmac
from time import time_ns

import msgspec

from tickwire.core.config import Credentials


def sign(credentials: Credentials, nonce: int) -> str:
    """The login signature: hex HMAC-SHA256 of ``"{nonce}:{key}"`` keyed by the secret."""
    message = f"{nonce}:{credentials.api_key}".encode()
    return hmac.new(credentials.api_secret.encode(), message, hashlib.sha256).hexdigest()


def login_message(credentials: Credentials, request_id: int) -> bytes:
    """``{"op": "login", "id": 5, "key": "KEY", "nonce": <ms>, "sig": "HEX"}``."""
    nonce = time_ns() // 1_000_000
    login = {"op": "login", "id": request_id, "key": credentials.api_key, "nonce": nonce}
    return msgspec.json.encode(login | {"sig": sign(credentials, nonce)})
