"""WebSocket tokens handed out by ``POST /api/v1/bullet-public`` and checked on connect.

A token is valid for ``ttl`` seconds from issue (the venue: 24 h). A connect with an older
token is refused; a live connection is dropped when its token expires (reference §3, the
docs-new reading: "a single connection is expected to be disconnected after 24 hours").
"""

from __future__ import annotations

import base64
import enum
import random
from collections.abc import Callable

__all__ = ["TokenState", "TokenStore"]


class TokenState(enum.Enum):
    """What :meth:`TokenStore.check` found."""

    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TokenStore:
    """Issued tokens and their expiry times on the ``clock`` (monotonic seconds)."""

    def __init__(self, ttl: float, clock: Callable[[], float], rng: random.Random) -> None:
        if ttl <= 0:
            raise ValueError("token_ttl must be positive")
        self.ttl = ttl
        self.clock = clock
        self._rng = rng
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        """A new token shaped like the venue's: url-safe base64, a dot, a url-safe suffix."""
        body = base64.urlsafe_b64encode(self._rng.randbytes(96)).decode()
        suffix = base64.urlsafe_b64encode(self._rng.randbytes(16)).decode()
        token = f"{body}.{suffix}"
        self._expiry[token] = self.clock() + self.ttl
        return token

    def check(self, token: str | None) -> TokenState:
        """Whether ``token`` may open a connection now."""
        expiry = self._expiry.get(token) if token else None
        if expiry is None:
            return TokenState.UNKNOWN
        return TokenState.VALID if self.clock() < expiry else TokenState.EXPIRED

    def expiry(self, token: str) -> float:
        """When ``token`` expires, on the store's clock (``KeyError`` if never issued)."""
        return self._expiry[token]

    def expire_all(self) -> None:
        """Make every token issued so far expired as of now."""
        now = self.clock()
        for token, expiry in self._expiry.items():
            self._expiry[token] = min(expiry, now)
