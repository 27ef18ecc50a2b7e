"""Raw Kraken v2 access, for what tickwire does not normalize.

::

    reply = await client.native.request({"method": "ping"})
    remove = client.native.add_tap(lambda frame: print(frame))   # every raw frame
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from tickwire.core.native import FrameTaps
from tickwire.core.session import Session

__all__ = ["KrakenNative"]

_KEEP = 1024  # req_ids of raw messages remembered: far more than can be in flight


class KrakenNative(FrameTaps):
    """Send raw v2 messages on the public socket (``session()``) and see raw frames."""

    def __init__(self, session: Callable[[], Session]) -> None:
        super().__init__()
        self._session = session
        self.sent: deque[object] = deque(maxlen=_KEEP)
        """req_ids of raw messages sent here: their replies are the sender's, not
        unknown replies for the client to report."""

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one raw message as is."""
        req_id = message.get("req_id")
        if req_id is not None:
            self.sent.append(req_id)
        await self._session().send(msgspec.json.encode(message))

    async def request(self, message: Mapping[str, Any], *, timeout: float = 10.0) -> Any:
        """Send ``message`` (a ``req_id`` from the session is added if missing); return
        its first reply, decoded but not normalized."""
        session = self._session()
        req_id = message.get("req_id")
        if req_id is None:
            req_id = session.next_id()
            message = {**message, "req_id": req_id}
        self.sent.append(req_id)
        frame = await session.request(
            ("native", req_id), msgspec.json.encode(message), timeout, "kraken native request"
        )
        return msgspec.json.decode(frame)
