"""The peer-client suite: widely used third-party clients against the emulators.

Each peer is pointed at an emulator by URL only and must reach nothing else: the
autouse :func:`loopback_only` guard refuses, and records, every name lookup (aiohttp is
made to use the system resolver, not c-ares) and every connect to an address that is
not loopback, so a peer that would reach the internet
fails its test instead (its own request fails with :class:`OffLoopback`, and the test
fails on the record even if the peer swallowed the error).

Fixtures shared by every peer module live here; a venue's own fixtures live in its
peer modules (``test_kraken_*``, ``test_kucoin_*``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import aiohttp.connector
import aiohttp.resolver
import pytest

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class OffLoopback(ConnectionRefusedError):
    """A peer client tried to leave 127.0.0.1."""


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    """Every off-loopback attempt seen while a test ran (host, what)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str]] = []

    def refuse(self, host: object, what: str) -> OffLoopback:
        self.attempts.append((str(host), what))
        return OffLoopback(f"peer tests stay on loopback: {what} {host!r} refused")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Refuse (and record) DNS lookups and connects that are not to loopback."""
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise guard.refuse(host, "lookup")
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise guard.refuse(address[0], "connect")

    def connect(sock: socket.socket, address: Any) -> None:
        _check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        _check(sock, address)
        return real_connect_ex(sock, address)

    # aiohttp resolves through c-ares (aiodns) when installed, out of the guard's sight:
    # make it use the system resolver, whose lookups the guard sees.
    monkeypatch.setattr(aiohttp.connector, "DefaultResolver", aiohttp.resolver.ThreadedResolver)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield guard
    assert not guard.attempts, f"a peer client tried to leave loopback: {guard.attempts}"
