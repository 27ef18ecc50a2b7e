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

A request is *pending* from :meth:`~PendingRequests.register` until it is settled
(resolved, rejected, failed). A settled future is then kept for :meth:`wait` to collect,
so a reply or a disconnect that lands while the request is still being sent is not
lost. Callers may also await the future :meth:`register` returned, and never call
``wait``: for them settled futures are kept only up to a bound (the oldest go first),
or forgotten at once with :meth:`~PendingRequests.discard`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from functools import partial
from typing import Any, Generic, TypeVar

from tickwire.core.errors import RequestTimeout

__all__ = ["PendingRequests"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# How many settled futures are kept for a wait() that has not come yet (see the module
# docstring): a register/wait pair is microseconds apart, so this is never reached by
# one that will come, and it bounds what callers that never wait() leave behind.
_SETTLED_BOUND = 1024


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
    ``False``) because replies come from the network, while registering a key that is
    still pending is a bug in the caller and raises.
    """

    __slots__ = ("_futures", "_last_id", "_settled")

    def __init__(self) -> None:
        self._futures: dict[K, asyncio.Future[V]] = {}  # pending: no reply yet
        # Settled but not collected by wait() yet; insertion order = age, for the bound.
        self._settled: dict[K, asyncio.Future[V]] = {}
        self._last_id = 0

    def __contains__(self, key: object) -> bool:
        """True while ``key`` is registered and still waiting for its reply."""
        return key in self._futures

    def __len__(self) -> int:
        """How many requests are still waiting for their reply."""
        return len(self._futures)

    def next_id(self) -> int:
        """A fresh request id: 1, 2, 3, ... for this instance."""
        self._last_id += 1
        return self._last_id

    def register(self, key: K) -> asyncio.Future[V]:
        """Start waiting for ``key``'s reply; call before sending the request.

        Returns the future the reply will settle; awaiting it directly is fine (then
        :meth:`discard` the key when done). Raises :class:`ValueError` when ``key`` is
        still pending (a reused client order id, say).
        """
        if key in self._futures:
            raise ValueError(f"request {key!r} is already pending")
        self._settled.pop(key, None)  # an uncollected answer to an earlier use of the key
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        future.add_done_callback(partial(self._on_done, key))
        self._futures[key] = future
        return future

    def _on_done(self, key: K, future: asyncio.Future[V]) -> None:
        # Someone cancelled the future itself (a timeout around gather() on it, say):
        # nothing will ever settle it, so it must not stay pending forever.
        if future.cancelled() and self._futures.get(key) is future:
            del self._futures[key]

    def _settle(self, key: K) -> asyncio.Future[V] | None:
        """Move ``key`` from pending to settled; ``None`` if it is not pending."""
        future = self._futures.get(key)
        if future is None or future.done():
            return None
        del self._futures[key]
        self._keep(key, future)
        return future

    def _keep(self, key: K, future: asyncio.Future[V]) -> None:
        settled = self._settled
        settled[key] = future
        if len(settled) > _SETTLED_BOUND:
            # Far more settlements than could happen between a register() and its
            # wait(): the oldest belongs to a caller that awaited the future itself.
            del settled[next(iter(settled))]

    async def wait(self, key: K, timeout: float, *, what: str = "request") -> V:
        """Wait up to ``timeout`` seconds for ``key``'s reply and return it.

        Raises :class:`~tickwire.core.errors.RequestTimeout` when no reply came in
        time, or whatever :meth:`reject`/:meth:`fail_all` set. Either way the key is
        forgotten, so a reply that arrives later is just ignored by :meth:`resolve`.
        Raises :class:`KeyError` when ``key`` was never registered (or was collected).
        """
        future = self._futures.get(key)
        if future is None:
            future = self._settled.get(key)
        if future is None:
            raise KeyError(f"{what}: {key!r} is not registered")
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
            self._forget(key, future)

    def _forget(self, key: K, future: asyncio.Future[V]) -> None:
        if self._futures.get(key) is future:
            del self._futures[key]
        if self._settled.get(key) is future:
            del self._settled[key]

    def resolve(self, key: K, value: V) -> bool:
        """Deliver ``key``'s reply. ``False`` when the key is not pending (unknown, late,
        duplicate)."""
        future = self._settle(key)
        if future is None:
            return False
        future.set_result(value)
        return True

    def reject(self, key: K, exc: BaseException) -> bool:
        """Make ``key``'s :meth:`wait` raise ``exc`` (a venue error reply, say).

        ``False`` when the key is not pending (unknown, or already settled).
        """
        future = self._settle(key)
        if future is None:
            return False
        future.set_exception(exc)
        return True

    def fail_all(self, exc: BaseException) -> None:
        """Make every pending request raise ``exc``: the socket it went out on is gone.

        A request between ``register`` and ``wait`` still sees the error when it waits.
        """
        futures, self._futures = self._futures, {}
        for key, future in futures.items():
            if not future.done():
                future.set_exception(exc)
                self._keep(key, future)

    def discard(self, key: K) -> None:
        """Forget ``key`` now, pending or settled (absent is fine).

        For a request whose send failed, or whose future the caller awaited itself. A
        pending future is cancelled.
        """
        future = self._futures.pop(key, None)
        if future is not None:
            future.cancel()
        self._settled.pop(key, None)
