"""What plugs into a :class:`~tickwire.core.session.Session`: the venue's half, and a tap.

An adapter implements :class:`SessionHandler` (how to reach the venue, the handshake, what
a frame means); a recorder implements :class:`WireTap` (it sees the raw side of every
socket of a client). Both are written once here so the session's module holds only the
machinery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Hashable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tickwire.core.session import Session

__all__ = ["SessionHandler", "WireTap"]


class SessionHandler(Protocol):
    """The venue-specific half of a :class:`Session`, implemented by an adapter."""

    async def endpoint(self) -> str:
        """The URL to connect to now. KuCoin fetches a fresh token here, every time."""
        ...

    async def on_open(self, session: Session) -> None:
        """Complete the handshake and restore subscriptions; raise to abandon the socket.

        The reader already runs, so this may await replies (welcome, acks).
        """
        ...

    def on_frame(self, frame: bytes, received: int) -> None:
        """Handle one frame. The hot path: decode, normalize, push.

        Report what is wrong with a frame as a precise ``StreamError`` and return. If it
        raises anyway, the session turns the exception into a ``StreamError`` and reads
        on: no frame can end a session.
        """
        ...

    def on_close(self, reason: str) -> None:
        """The socket is gone: mark books stale, forget per-socket state."""
        ...

    def ping_message(self) -> bytes | None:
        """The application-level ping to send every ping interval, or None."""
        ...

    def on_stale(self, keys: list[Hashable]) -> Awaitable[None]:
        """Watched keys went silent past their threshold: renew them."""
        ...


class WireTap(Protocol):
    """Sees every socket's raw side: a recorder (:mod:`tickwire.core.recording`).

    Set as the client's ``EventHub.wire``; every session of the client reports to it.
    """

    def frame(self, session: str, received: int, data: bytes, text: bool = True) -> None:
        """One raw frame, as received (the hot path: must be cheap, must not raise)."""
        ...

    def connect(self, session: str, url: str, ts: int | None = None) -> None:
        """A socket of ``session`` is open to ``url`` (the tap strips any token)."""
        ...

    def disconnect(self, session: str, reason: str, ts: int | None = None) -> None:
        """The socket of ``session`` ended, for ``reason``."""
        ...

    def sent(self, session: str, data: bytes) -> None:
        """The client sent ``data`` on ``session`` (a request; keepalive pings are not)."""
        ...

    def response(self, method: str, path: str, status: int, received: int, body: bytes) -> None:
        """A REST response the client received (``body`` with its secrets emptied)."""
        ...
