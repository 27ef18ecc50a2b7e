"""Raw Kraken v2 access, for what tickwire does not normalize.

::

    reply = await client.native.request({"method": "ping"})
    remove = client.native.add_tap(lambda frame: print(frame))   # every raw frame
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from tickwire.core.errors import RequestTimeout
from tickwire.core.native import FrameTaps

if TYPE_CHECKING:
    from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["KrakenNative"]


class KrakenNative(FrameTaps):
    """Send raw v2 messages on the public socket and see raw frames."""

    def __init__(self, client: KrakenClient) -> None:
        super().__init__()
        self._client = client

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one raw message as is."""
        await self._client.session.send(msgspec.json.encode(message))

    async def request(self, message: Mapping[str, Any], *, timeout: float = 10.0) -> Any:
        """Send ``message`` (a ``req_id`` is added if missing); return the first raw reply."""
        req_id = message.get("req_id")
        if req_id is None:
            req_id = next(self._client._req_ids)
            message = {**message, "req_id": req_id}
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def match(frame: bytes) -> None:
            try:
                decoded = msgspec.json.decode(frame)
            except msgspec.DecodeError:
                return
            if isinstance(decoded, dict) and decoded.get("req_id") == req_id:
                if not reply.done():
                    reply.set_result(decoded)

        remove = self.add_tap(match)
        try:
            await self.send(message)
            async with asyncio.timeout(timeout):
                return await reply
        except TimeoutError:
            raise RequestTimeout(f"kraken native request: no reply within {timeout:g}s") from None
        finally:
            remove()
