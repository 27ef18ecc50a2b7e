"""API keys, REST signature verification and WebSocket tokens, as Kraken checks them.

Reference §4. A signed REST call carries ``API-Key`` and ``API-Sign``, where::

    API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + body)))

``body`` is the exact bytes sent (form-encoded or JSON) and ``nonce`` the value of its
``nonce`` field, which must grow strictly per key. :func:`check_signed` answers the
first of Kraken's REST errors that applies, in this order: ``EAPI:Invalid key``,
``EAPI:Invalid nonce`` (missing or malformed), ``EAPI:Invalid signature``,
``EAPI:Invalid nonce`` (not above the last one); only a verified request advances
the key's nonce. :class:`TokenStore` issues the WebSocket tokens: a token must be
used within its lifetime (15 min), and once a connection has used it, it stays good
for that connection.

Permission names of a :class:`KrakenKey` (lower case): ``"websocket"`` (get a token),
``"query"`` (the ``executions`` and ``balances`` channels), ``"trade"`` (order methods).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tickwire.exchanges.base.keytable import verified

__all__ = [
    "ALL_PERMISSIONS",
    "INVALID_KEY",
    "INVALID_NONCE",
    "INVALID_SIGNATURE",
    "PERMISSION_DENIED",
    "KrakenKey",
    "TokenStore",
    "check_signed",
    "signature",
]

ALL_PERMISSIONS = frozenset({"websocket", "query", "trade"})
INVALID_KEY = "EAPI:Invalid key"
INVALID_SIGNATURE = "EAPI:Invalid signature"
INVALID_NONCE = "EAPI:Invalid nonce"
PERMISSION_DENIED = "EGeneral:Permission denied"


@dataclass(frozen=True, slots=True)
class KrakenKey:
    """One API key's base64 secret and permissions; the repr never shows the secret."""

    secret: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS

    def allows(self, permission: str) -> bool:
        """Whether the key has ``permission``."""
        return permission in self.permissions


def signature(secret_b64: str, uri_path: str, nonce: str, body: bytes) -> str:
    """The ``API-Sign`` value Kraken expects (reference §4.2)."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret_b64), uri_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def _nonce(body: bytes, content_type: str) -> str | None:
    """The ``nonce`` field of a form or JSON body, as the text that was signed."""
    if "json" in content_type:
        try:
            value = json.loads(body)
        except ValueError:
            return None
        nonce = value.get("nonce") if isinstance(value, dict) else None
        if isinstance(nonce, bool) or not isinstance(nonce, int | str):
            return None
        return str(nonce)
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get("nonce")
    return values[0] if values else None


def check_signed(
    headers: Mapping[str, str],
    uri_path: str,
    body: bytes,
    keys: Mapping[str, KrakenKey] | None,
    nonces: dict[str, int],
) -> tuple[str | None, KrakenKey | None]:
    """``(error, key)``: the REST error string, or ``None`` and the verified key.

    With ``keys=None`` any key is accepted with every permission once the headers and a
    nonce are present (there is no account to verify against); so is any key a
    :class:`~tickwire.exchanges.base.keytable.KeyTable` trusts. ``nonces`` holds the
    last accepted nonce per key and is updated on success.
    """
    api_key = headers.get("API-Key", "")
    sent = headers.get("API-Sign", "")
    keys = verified(keys, api_key)  # a KeyTable may take this key on trust
    key = KrakenKey(secret="") if keys is None else keys.get(api_key)
    if not api_key or key is None:
        return INVALID_KEY, None
    nonce = _nonce(body, headers.get("Content-Type", ""))
    if nonce is None or not nonce.isdigit() or int(nonce) >= 1 << 64:
        return INVALID_NONCE, None
    if keys is None:
        valid = bool(sent)
    else:
        try:
            valid = hmac.compare_digest(
                sent.encode(), signature(key.secret, uri_path, nonce, body).encode()
            )
        except (binascii.Error, ValueError):  # a secret that is not base64
            valid = False
    if not valid:
        return INVALID_SIGNATURE, None
    if int(nonce) <= nonces.get(api_key, -1):
        return INVALID_NONCE, None
    nonces[api_key] = int(nonce)
    return None, key


@dataclass(slots=True)
class _Token:
    key: KrakenKey
    issued: int  # ns
    account: str  # the API key's name: whose paper account the token trades on
    used_by: set[int] = field(default_factory=set)  # connection ids that used it


class TokenStore:
    """WebSocket tokens: issued per key, valid ``ttl`` s unless a connection used them."""

    def __init__(self, ttl: int = 900) -> None:
        self.ttl = ttl
        self._tokens: dict[str, _Token] = {}

    def issue(self, key: KrakenKey, now: int, account: str = "") -> str:
        """A fresh opaque token for ``key`` (Kraken's look: 43 base64 characters).

        ``account`` names the API key, so requests carrying the token reach its account.
        """
        token = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        self._tokens[token] = _Token(key, now, account)
        return token

    def account_for(self, token: object) -> str | None:
        """The API key name ``token`` was issued to (``None`` for an unknown token)."""
        entry = self._tokens.get(token) if isinstance(token, str) else None
        return None if entry is None else entry.account

    def key_for(self, token: object, conn_id: int, now: int) -> KrakenKey | None:
        """The key behind ``token`` if it is good for connection ``conn_id`` now."""
        entry = self._tokens.get(token) if isinstance(token, str) else None
        if entry is None:
            return None
        if conn_id not in entry.used_by and now - entry.issued >= self.ttl * 1_000_000_000:
            return None
        return entry.key

    def mark_used(self, token: str, conn_id: int) -> None:
        """Connection ``conn_id`` used ``token`` successfully: it no longer expires there."""
        entry = self._tokens.get(token)
        if entry is not None:
            entry.used_by.add(conn_id)

    def used_by(self, conn_id: int) -> bool:
        """Whether connection ``conn_id`` has used a live token."""
        return any(conn_id in t.used_by for t in self._tokens.values())

    def expire_all(self) -> None:
        """Forget every token (a test hook: the next private request is refused)."""
        self._tokens.clear()
