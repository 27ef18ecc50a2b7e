"""The ``native`` escape hatch of a venue that speaks JSON with request ids on one socket.

::

    reply = await client.native.request({"method": "ping"})   # an id from the session added
    await client.native.send({"method": "subscribe", "params": {...}})  # no reply awaited
    remove = client.native.add_tap(lambda frame: print(frame))  # every raw frame

The adapter calls :meth:`SocketNative.tap` with each frame while ``taps`` is non-empty,
and hands every reply it cannot place to :meth:`SocketNative.settle` (a raw request's
reply is the sender's, not an unknown reply to report).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import msgspec

from tickwire.core.native import FrameTaps
from tickwire.core.session import Session

__all__ = ["SocketNative"]

_KEEP = 1024  # ids of raw messages remembered: far more than can be in flight


class SocketNative(FrameTaps):
    """Send raw messages on the socket ``session()`` returns, await their raw replies (by
    ``id_field``, the field a request's id goes in and its reply echoes), see raw frames."""

    def __init__(self, session: Callable[[], Session], venue: str, id_field: str = "id") -> None:
        super().__init__()
        self._session = session
        self._venue = venue
        self._id_field = id_field
        self.sent: deque[object] = deque(maxlen=_KEEP)
        """Ids of the raw messages sent here."""

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one raw message as is."""
        request_id = message.get(self._id_field)
        if request_id is not None:
            self.sent.append(request_id)
        await self._session().send(msgspec.json.encode(message))

    async def request(self, message: Mapping[str, Any], *, timeout: float = 10.0) -> Any:
        """Send ``message`` (an id from the session is added if it has none); return its
        first reply, decoded but not normalized."""
        session = self._session()
        request_id = message.get(self._id_field)
        if request_id is None:
            request_id = session.next_id()
            message = {**message, self._id_field: request_id}
        self.sent.append(request_id)
        encoded, what = msgspec.json.encode(message), f"{self._venue} native request"
        frame = await session.request(("native", request_id), encoded, timeout, what)
        return msgspec.json.decode(frame)

    def settle(self, request_id: Hashable, frame: bytes) -> bool:
        """Hand ``frame`` to the raw request ``request_id`` (if it still waits); False
        when no raw message had that id."""
        if request_id not in self.sent:
            return False
        self._session().pending.resolve(("native", request_id), frame)
        return True
