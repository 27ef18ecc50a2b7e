"""Why a connection failed, in one line, and whether trying again can help.

A socket that never came up for a reason a retry cannot fix — the port refuses, the host
name does not resolve, the TLS certificate is refused, the server answers the handshake
(or the token call) with an HTTP error or a refusal — fails ``connect()`` at once, naming
the URL and the cause. Only silence waits for the connect timeout. Once a socket has been
up, every failure is retried (the network comes back).
"""

from __future__ import annotations

import os

import aiohttp

from tickwire.core.errors import (
    ConnectTimeout,
    Disconnected,
    ExchangeError,
    HeartbeatTimeout,
    TickwireError,
    TransportError,
)

__all__ = ["ConnectionLost", "describe", "is_permanent"]


class ConnectionLost(Exception):
    """Internal: the socket must be replaced, for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(exc: BaseException) -> str:
    """A one-line reason that never includes a URL (URLs may carry tokens)."""
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"handshake refused (HTTP {exc.status})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate refused: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS failed: {exc.os_error}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"host name not resolved ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _os_cause(exc.os_error)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, TickwireError | ConnectionLost):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


def _os_cause(error: OSError) -> str:
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)  # "Connection refused", not asyncio's wording
    return error.strerror or type(error).__name__


def is_permanent(exc: BaseException) -> bool:
    """True for a first-connect failure that retrying will not fix (see the module)."""
    if isinstance(exc, aiohttp.WSServerHandshakeError | aiohttp.ClientResponseError):
        return True
    if isinstance(exc, aiohttp.ClientConnectorError):
        return True  # refused, unresolved, TLS: answered at once, and the same next time
    if isinstance(exc, ExchangeError):
        return True  # the venue refused the token call (bad key, permissions)
    transient = ConnectTimeout | Disconnected | HeartbeatTimeout
    return isinstance(exc, TransportError) and not isinstance(exc, transient)
