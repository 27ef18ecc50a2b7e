"""Login signing (pure): what the ``login`` request carries instead of the secret."""

from __future__ import annotations

import hashlib
import hmac

from tickwire.core.config import Credentials

__all__ = ["sign"]


def sign(credentials: Credentials, nonce: int) -> str:
    """The login signature: hex HMAC-SHA256 of ``"{nonce}:{key}"`` keyed by the secret."""
    message = f"{nonce}:{credentials.api_key}".encode()
    return hmac.new(credentials.api_secret.encode(), message, hashlib.sha256).hexdigest()
