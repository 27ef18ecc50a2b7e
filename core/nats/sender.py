"""Getting the collector's buffer into JetStream: in order, acknowledged, through outages.

The buffer is a deque of :class:`~tickwire.core.nats.outbox.Outgoing` messages shared
with the publisher, which appends to it. ``pending[:len(inflight)]`` are on the wire;
acknowledgements retire them from the front, in order (one connection, one stream:
replies come back in the order messages went out). A failure, or no acknowledgement for
``ack_timeout`` seconds, puts every message in flight back to unsent (:meth:`reset`):
after a backoff they go again, in order, under the same ids, and the server stores
each once. Nothing is sent past a book snapshot until it is acknowledged, so every later
message of that symbol can name the snapshot's stream sequence (``Tw-Snap-Seq``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any

from nats.js import JetStreamContext

from tickwire.core.nats.codec import SNAP_SEQ
from tickwire.core.nats.outbox import Outgoing

__all__ = ["ACK_TIMEOUT", "IN_FLIGHT", "RETRY_DELAYS", "Sender"]

IN_FLIGHT = 1000
"""Messages sent and not yet acknowledged, at most."""
ACK_TIMEOUT = 2.0
"""Seconds the oldest message in flight may wait for its acknowledgement."""
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0)
"""Seconds between attempts while the broker does not acknowledge."""


class Sender:
    """Sends ``pending`` to JetStream (see the module docstring).

    ``on_acked(message, ack)`` is called for each message the stream stored, in order,
    before it leaves ``pending``; ``on_failure(reason)`` when messages in flight must go
    again. :attr:`connected` gates sending; :attr:`empty` is set while nothing is pending.
    """

    def __init__(
        self,
        pending: deque[Outgoing],
        snap_seq: dict[str, int],
        *,
        ack_timeout: float = ACK_TIMEOUT,
        on_acked: Callable[[Outgoing, Any], None],
        on_failure: Callable[[str], None],
    ) -> None:
        self.pending = pending
        self.connected = asyncio.Event()
        self.empty = asyncio.Event()
        self.empty.set()
        self._snap_seq = snap_seq
        self._ack_timeout = ack_timeout
        self._on_acked = on_acked
        self._on_failure = on_failure
        self._inflight: deque[asyncio.Future[Any]] = deque()
        self._wake = asyncio.Event()
        self._snapshot_in_flight = False
        self._generation = 0  # bumped by every reset
        self._head_since = 0.0  # when the oldest message in flight was sent (or acked)
        self._resume_at = 0.0
        self._attempt = 0

    def wake(self) -> None:
        """Something was appended to ``pending``."""
        self.empty.clear()
        self._wake.set()

    async def run(self, js: JetStreamContext) -> None:
        """Send pending messages as soon as they come, until cancelled."""
        pending, inflight, wake = self.pending, self._inflight, self._wake
        snap_seq = self._snap_seq
        while True:
            index = len(inflight)
            if index >= len(pending) or index >= IN_FLIGHT or self._snapshot_in_flight:
                wake.clear()
                await wake.wait()
                continue
            if not self.connected.is_set():
                await self.connected.wait()
                continue
            delay = self._resume_at - monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # backoff after a failure: a pause, not a wait
                continue
            out = pending[index]
            headers = out.seal()
            if out.book_of is not None and (snap := snap_seq.get(out.book_of)) is not None:
                headers[SNAP_SEQ] = str(snap)
            generation = self._generation
            try:
                future = await js.publish_async(out.subject, out.payload, headers=headers)
            except Exception as exc:
                self.reset(type(exc).__name__)
                continue
            if generation != self._generation or len(inflight) != index:
                future.cancel()  # a reset happened meanwhile: this one goes again
                continue
            if not inflight:
                self._head_since = monotonic()
            inflight.append(future)
            future.add_done_callback(self._on_ack)
            if out.snapshot:
                self._snapshot_in_flight = True

    def _on_ack(self, _: asyncio.Future[Any]) -> None:
        """Retire every acknowledged message at the front, in order."""
        inflight, pending = self._inflight, self.pending
        while inflight and inflight[0].done():
            head = inflight[0]
            if head.cancelled():
                self.reset("no acknowledgement")
                return
            error = head.exception()
            if error is not None:
                self.reset(type(error).__name__)
                return
            inflight.popleft()
            out = pending[0]
            if out.snapshot:
                self._snapshot_in_flight = False
            self._on_acked(out, head.result())
            pending.popleft()
            self._head_since = monotonic()
            self._attempt = 0
        if not pending:
            self.empty.set()
        self._wake.set()

    def reset(self, reason: str) -> None:
        """Put every message in flight back to unsent; send again after a backoff."""
        self._generation += 1
        inflight = list(self._inflight)
        self._inflight.clear()
        for future in inflight:
            future.cancel()
        self._snapshot_in_flight = False
        self._resume_at = monotonic() + RETRY_DELAYS[min(self._attempt, len(RETRY_DELAYS) - 1)]
        self._attempt += 1
        self._on_failure(reason)
        self._wake.set()

    async def watch(self) -> None:
        """Reset when the oldest message in flight waits longer than ``ack_timeout``."""
        while True:
            await asyncio.sleep(self._ack_timeout / 4)  # a timer
            if self._inflight and monotonic() - self._head_since > self._ack_timeout:
                self.reset("no acknowledgement")
