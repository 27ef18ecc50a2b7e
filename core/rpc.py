"""Request/response correlation over a socket: a key → future table with timeouts.

WebSocket venues answer requests asynchronously, on the same socket as market data.
An adapter registers a key *before* sending (so a fast reply cannot be missed), sends,
then waits; its reader task resolves the key when the reply is decoded::

    pending: PendingRequests[int, AddOrderReply] = PendingRequests()

    req_id = pending.next_id()
    pending.register(req_id)
    await ws.send(encode_add_order(request, req_id=req_id))
    reply = await pending.wait(req_id, timeout=10.0, what="add_order")   # or RequestTimeout

    # in the reader task:
    pending.resolve(msg.req_id, msg)      # False for a late or duplicate reply

    # in the reconnect supervisor, when the socket drops:
    pending.fail_all(Disconnected("socket closed"))

The key is whatever the venue echoes: a request id, ``(req_id, symbol)`` for a batch
answered per symbol, or a client order id for a REST placement confirmed over WS.

An entry lives from :meth:`~PendingRequests.register` until :meth:`~PendingRequests.wait`
returns or raises (or :meth:`~PendingRequests.discard`): a reply, a rejection or a
disconnect that lands between ``register`` and ``wait`` is kept for ``wait`` to collect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from tickwire.core.errors import RequestTimeout

__all__ = ["PendingRequests"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _retrieve(future: asyncio.Future[Any]) -> None:
    # A future failed by fail_all()/reject() whose requester never awaits it (it gave up,
    # or was itself cancelled) would make asyncio log "exception was never retrieved" at
    # garbage collection. Reading the exception here marks it retrieved; a requester
    # that does await the future still gets it raised.
    if not future.cancelled():
        future.exception()


class PendingRequests(Generic[K, V]):
    """Futures for requests awaiting their reply, by key; ids allocated per instance.

    Every method is synchronous except :meth:`wait`; none of them may be called from
    another thread. Resolving is forgiving (a late, duplicate or unknown reply returns
    ``False``) because replies come from the network, while registering twice is a bug
    in the caller and raises.
    """

    __slots__ = ("_futures", "_last_id")

    def __init__(self) -> None:
        self._futures: dict[K, asyncio.Future[V]] = {}
        self._last_id = 0

    def __contains__(self, key: object) -> bool:
        """True while ``key`` is registered and not yet collected by :meth:`wait`."""
        return key in self._futures

    def __len__(self) -> int:
        """How many keys are registered and not yet collected."""
        return len(self._futures)

    def next_id(self) -> int:
        """A fresh request id: 1, 2, 3, ... for this instance."""
        self._last_id += 1
        return self._last_id

    def register(self, key: K) -> asyncio.Future[V]:
        """Start waiting for ``key``'s reply; call before sending the request.

        Raises :class:`ValueError` when ``key`` is already pending (a reused client
        order id, or a request id counter that wrapped).
        """
        if key in self._futures:
            raise ValueError(f"request {key!r} is already pending")
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self._futures[key] = future
        return future

    async def wait(self, key: K, timeout: float, *, what: str = "request") -> V:
        """Wait up to ``timeout`` seconds for ``key``'s reply and return it.

        Raises :class:`~tickwire.core.errors.RequestTimeout` when no reply came in
        time, or whatever :meth:`reject`/:meth:`fail_all` set. Either way the key is
        forgotten, so a reply that arrives later is just ignored by :meth:`resolve`.
        Raises :class:`KeyError` when ``key`` was never registered.
        """
        try:
            future = self._futures[key]
        except KeyError:
            raise KeyError(f"{what}: {key!r} was never registered") from None
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                # Awaiting the future itself (no shield): on timeout or cancellation
                # the future is cancelled too, so a late resolve() cannot set it.
                return await future
        except TimeoutError:
            # Only our own deadline is a RequestTimeout; a TimeoutError that reject()
            # delivered is the caller's business and passes through unchanged.
            if scope.expired():
                raise RequestTimeout(f"{what}: no reply within {timeout}s") from None
            raise
        finally:
            if self._futures.get(key) is future:
                del self._futures[key]

    def resolve(self, key: K, value: V) -> bool:
        """Deliver ``key``'s reply. ``False`` when the key is unknown or already done."""
        future = self._futures.get(key)
        if future is None or future.done():
            return False
        future.set_result(value)
        return True

    def reject(self, key: K, exc: BaseException) -> bool:
        """Make ``key``'s :meth:`wait` raise ``exc`` (a venue error reply, say).

        ``False`` when the key is unknown or already done.
        """
        future = self._futures.get(key)
        if future is None or future.done():
            return False
        future.set_exception(exc)
        return True

    def fail_all(self, exc: BaseException) -> None:
        """Make every outstanding request raise ``exc``: the socket it went out on is gone.

        Entries stay until their :meth:`wait` collects the error, so a request between
        ``register`` and ``wait`` still sees it.
        """
        for future in self._futures.values():
            if not future.done():
                future.set_exception(exc)

    def discard(self, key: K) -> None:
        """Forget ``key`` without waiting (say, sending the request failed). Absent is fine."""
        future = self._futures.pop(key, None)
        if future is not None:
            future.cancel()
