"""API keys of the emulated account and the guard every private endpoint goes through.

A key has a secret, a passphrase, permissions and optionally an IP whitelist, as on the
venue's API-management page. Permission names (lower case): ``"general"`` (account
reads, ``bullet-private``), ``"spot"`` (Spot trading: the HF order endpoints), plus any
other name a test wants to withhold (``"margin"``, ``"futures"``...).

:func:`authenticate` runs the checks in the venue's order and answers the documented
code of the first that fails (reference §2, §12):

| code | HTTP | check |
|---|---|---|
| 400001 | 400 | a ``KC-API-*`` header is missing |
| 400002 | 400 | ``KC-API-TIMESTAMP`` more than 5 s from server time |
| 400003 | 401 | unknown ``KC-API-KEY`` |
| 400004 | 401 | wrong passphrase (encrypted for key versions 2 and 3) |
| 400005 | 401 | wrong ``KC-API-SIGN`` |
| 400006 | 403 | caller's IP not on the key's whitelist |
| 400007 | 403 | the key lacks the endpoint's permission |

The first five are :func:`~tickwire.exchanges.kucoin.auth.verify` (the statuses the public
side chose); 403 for the last two is the emulator's reading of "forbidden". Without
``api_keys`` only the presence of the headers is checked and every permission is granted
(the emulator's test account is verified always: :mod:`tickwire.exchanges.base.keytable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tickwire.exchanges.base.keytable import verified
from tickwire.exchanges.kucoin.auth import AuthFailure, verify

__all__ = [
    "ALL_PERMISSIONS",
    "GENERAL",
    "SPOT",
    "ApiKey",
    "KeyInput",
    "authenticate",
    "normalize_keys",
]

GENERAL = "general"
SPOT = "spot"
ALL_PERMISSIONS = frozenset({GENERAL, SPOT})
"""What a key given as a bare ``(secret, passphrase)`` pair may do."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key's secrets and rights; the repr never shows the secrets."""

    secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    permissions: frozenset[str] = ALL_PERMISSIONS
    ips: frozenset[str] | None = None
    """IP whitelist; ``None`` accepts any address."""


KeyInput = tuple[str, str] | tuple[str, str, Iterable[str]] | ApiKey
"""How a key may be given: ``(secret, passphrase)``, ``(secret, passphrase, permissions)``
or an :class:`ApiKey`."""


def normalize_keys(api_keys: Mapping[str, KeyInput] | None) -> dict[str, ApiKey] | None:
    """Turn the emulator's ``api_keys`` argument into :class:`ApiKey` objects."""
    if api_keys is None:
        return None
    keys: dict[str, ApiKey] = {}
    for name, value in api_keys.items():
        if isinstance(value, ApiKey):
            keys[name] = value
        elif len(value) == 2:
            keys[name] = ApiKey(value[0], value[1])
        else:
            keys[name] = ApiKey(value[0], value[1], frozenset(value[2]))
    return keys


def authenticate(
    headers: Mapping[str, str],
    method: str,
    raw_path: str,
    body: bytes,
    keys: Mapping[str, ApiKey] | None,
    now_ms: int,
    *,
    remote: str | None,
    permission: str,
) -> AuthFailure | None:
    """Check a private request end to end; ``None`` when it may proceed."""
    keys = verified(keys, headers.get("KC-API-KEY", ""))  # trusted: headers only
    pairs = None if keys is None else {k: (v.secret, v.passphrase) for k, v in keys.items()}
    failure = verify(headers, method, raw_path, body, pairs, now_ms)
    if failure is not None or keys is None:
        return failure
    key = keys[headers["KC-API-KEY"]]  # verify() has established that it exists
    if key.ips is not None and remote not in key.ips:
        return AuthFailure(403, "400006", f"Invalid request ip, the current clientIp is:{remote}")
    if permission not in key.permissions:
        return AuthFailure(403, "400007", "Access denied, require more permission.")
    return None
