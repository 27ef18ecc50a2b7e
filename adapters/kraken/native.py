"""Raw Kraken v2 access, for what tickwire does not normalize.

::

    reply = await client.native.request({"method": "ping"})
    remove = client.native.add_tap(lambda frame: print(frame))   # every raw frame
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from tickwire.core.errors import RequestTimeout
from tickwire.core.native import FrameTaps

if TYPE_CHECKING:
    from tickwire.adapters.kraken.client import KrakenClient

__all__ = ["PING_IDS_FROM", "KrakenNative", "RecentIds"]

PING_IDS_FROM = 1_000_000_000
"""Keepalive pings take req_ids from here up, requests from 1: the two never meet."""

_KEEP = 1024  # far more than can be in flight: pings go out every few seconds


class RecentIds:
    """A bounded set of req_ids sent without a pending request.

    A method reply that resolves no pending request is reported as a ``StreamError``,
    except the replies tickwire provoked without waiting on them: the ``pong`` to each
    keepalive ``ping``, and replies to raw messages sent through :class:`KrakenNative`
    (their sender reads them from a frame tap). This remembers those req_ids.
    """

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: OrderedDict[object, None] = OrderedDict()

    def add(self, req_id: object) -> None:
        """Remember ``req_id`` (the oldest is forgotten once the bound is reached)."""
        ids = self._ids
        ids[req_id] = None
        if len(ids) > _KEEP:
            ids.popitem(last=False)

    def __contains__(self, req_id: object) -> bool:
        """True if ``req_id`` was sent recently (its reply may still come)."""
        return req_id in self._ids

    def take(self, req_id: object) -> bool:
        """Forget ``req_id``; True if it was remembered (its one reply has come)."""
        return self._ids.pop(req_id, 0) is None


class KrakenNative(FrameTaps):
    """Send raw v2 messages on the public socket and see raw frames."""

    def __init__(self, client: KrakenClient) -> None:
        super().__init__()
        self._client = client
        self.sent = RecentIds()
        """req_ids of raw messages sent here: their replies are the sender's (a
        tap reads them), not unknown replies for the client to report."""

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one raw message as is."""
        req_id = message.get("req_id")
        if req_id is not None:
            self.sent.add(req_id)
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
