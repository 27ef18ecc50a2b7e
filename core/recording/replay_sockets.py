"""The replay's stand-ins for a client's sockets and REST transport.

A :class:`ReplaySocket` is what a session's ``ws_connect`` returns in a replay: frames come
from the recording, requests sent are kept to be matched; :class:`ReplayHttp` stands in
for the client's ``aiohttp.ClientSession``, :class:`ReplayTransport` for its REST
transport. The sequencing is the :class:`~tickwire.core.recording.replay.Replayer`'s.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx

from tickwire.core.http import RECEIVED, redact_body, safe_url
from tickwire.core.recording._records import Frame

if TYPE_CHECKING:
    from tickwire.core.recording.replay import Replayer

__all__ = ["MATCH_TIMEOUT", "ReplayHttp", "ReplaySocket", "ReplayTransport", "message_of"]

MATCH_TIMEOUT = 15.0  # real seconds for the client to send a recorded request


class ReplaySocket:
    """Stands in for one session's WebSocket: frames come from the recording.

    Implements what :class:`~tickwire.core.session.Session` uses of aiohttp's
    ``ClientWebSocketResponse``: ``receive``, ``send_frame``, ``close``, ``closed``,
    ``close_code``.
    """

    def __init__(self, session: str, clock: Callable[[int], None]) -> None:
        self.session = session
        self.closed = False
        self.close_code: int | None = None
        self.sent: deque[bytes] = deque()
        self._set_clock = clock
        self._inbox: deque[tuple[aiohttp.WSMessage, int]] = deque()
        self._arrived: asyncio.Event = asyncio.Event()
        self.waiting: asyncio.Event = asyncio.Event()  # the reader is in receive()
        self._sent_event = asyncio.Event()

    def deliver(self, messages: Iterable[tuple[aiohttp.WSMessage, int]]) -> None:
        """Queue ``(message, received)`` pairs for the reader (the replayer calls this)."""
        self.waiting.clear()
        self._inbox.extend(messages)
        self._arrived.set()

    async def receive(self) -> aiohttp.WSMessage:
        """The next recorded message; the replay's clock reads its receive time."""
        while not self._inbox:
            self._arrived.clear()
            self.waiting.set()
            await self._arrived.wait()
        message, received = self._inbox.popleft()
        self._set_clock(received)
        return message

    async def send_frame(self, data: bytes, opcode: aiohttp.WSMsgType) -> None:
        """Keep what the client sent: the replayer matches it against ``Sent`` records."""
        self.sent.append(bytes(data))
        self._sent_event.set()

    async def sent_frame(self, data: bytes) -> bool:
        """Wait (up to :data:`MATCH_TIMEOUT`) until ``data`` was sent; consume it."""
        deadline = time.monotonic() + MATCH_TIMEOUT
        while True:
            while self.sent:
                if redact_body(self.sent.popleft()) == data:  # as the recorder wrote it
                    return True
            self._sent_event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                return False
            try:
                async with asyncio.timeout(remaining):
                    await self._sent_event.wait()
            except TimeoutError:
                return False

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        """Close the socket (the session does, when it ends it)."""
        if self.closed:
            return False
        self.closed = True
        self.waiting.set()
        return True


class ReplayTransport(httpx.AsyncBaseTransport):
    """Stands in for the client's REST transport: answers come from Snapshot records."""

    def __init__(self, replayer: Replayer) -> None:
        self._replayer = replayer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        status, body = await self._replayer.answering(key)
        received = {RECEIVED: self._replayer.now}  # as recorded
        return httpx.Response(status, content=body, request=request, extensions=received)


class ReplayHttp:
    """Stands in for the client's ``aiohttp.ClientSession``: sockets from the replayer."""

    def __init__(self, replayer: Replayer) -> None:
        self._replayer = replayer
        self.closed = False

    async def ws_connect(self, url: str, **_: Any) -> ReplaySocket:
        return await self._replayer.connecting(safe_url(url))

    async def close(self) -> None:
        self.closed = True


def message_of(frame: Frame) -> aiohttp.WSMessage:
    """The WebSocket message a recorded frame was."""
    kind = aiohttp.WSMsgType.TEXT if frame.text else aiohttp.WSMsgType.BINARY
    return aiohttp.WSMessage(kind, frame.data, None)
