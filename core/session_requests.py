"""Sending on a :class:`~tickwire.core.session.Session`'s socket: frames paced by the
rate limiter, and requests matched with their replies.

A mixin of :class:`~tickwire.core.session.Session` (the supervisor, the reader and the
watchdog stay there): each request registers its key with the session's
:class:`~tickwire.core.rpc.PendingRequests` before the frame goes out, the adapter's
``on_frame`` resolves it, and every pending request fails with
:class:`~tickwire.core.errors.Disconnected` when the socket drops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal

import aiohttp

from tickwire.core.errors import Disconnected, RequestTimeout
from tickwire.core.fanout import EventHub
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.rpc import PendingRequests

__all__ = ["SessionRequests"]

_TEXT = aiohttp.WSMsgType.TEXT
Socket = aiohttp.ClientWebSocketResponse[Literal[False]]  # frames arrive as bytes


class SessionRequests:
    """Sending and request/reply correlation, for :class:`~tickwire.core.session.Session`."""

    name: str
    venue: str
    pending: PendingRequests[Hashable, Any]
    _events: EventHub
    _limiter: RateLimiter | None
    _limit_keys: tuple[str, ...]
    _ws: Socket | None

    async def send(self, message: bytes | Callable[[], bytes | None]) -> None:
        """Send one text frame, paced by the session's rate-limit keys.

        ``message`` may be a function that builds the frame once the rate-limit slot is
        granted (returning None sends nothing): whatever callers queued while waiting
        for the slot then goes out in one frame, e.g. KuCoin subscribe batches.
        """
        await self._send(message, record=True)

    async def _send(self, message: bytes | Callable[[], bytes | None], *, record: bool) -> None:
        if self._limiter is not None and self._limit_keys:
            await self._limiter.acquire(*self._limit_keys)
        ws = self._ws
        if ws is None or ws.closed:
            raise Disconnected(f"{self.venue} {self.name}: not connected")
        frame = message() if callable(message) else message
        if frame is not None:
            if record and (wire := self._events.wire) is not None:
                wire.sent(self.name, frame)
            await ws.send_frame(frame, _TEXT)

    def next_id(self) -> int:
        """A fresh request id: the one id source of this socket's requests and pings."""
        return self.pending.next_id()

    async def request(self, key: Hashable, message: bytes, timeout: float, what: str) -> Any:
        """Send ``message`` and await the reply the adapter resolves under ``key``."""
        self.pending.register(key)
        try:
            await self.send(message)
        except BaseException:
            self.pending.reject(key, Disconnected(f"{what}: not sent"))
            raise
        return await self.pending.wait(key, timeout, what=what)

    async def request_many(
        self, keys: Sequence[Hashable], message: bytes, timeout: float, what: str
    ) -> list[Any]:
        """Send ``message`` once and await one reply per key, in order (a venue that
        answers a batch item by item). :class:`RequestTimeout` unless all come in time."""
        futures = [self.pending.register(key) for key in keys]
        try:
            await self.send(message)
            async with asyncio.timeout(timeout):
                return list(await asyncio.gather(*futures))
        except TimeoutError:
            raise RequestTimeout(f"{what}: no reply within {timeout:g}s") from None
        finally:
            for key in keys:
                self.pending.discard(key)
