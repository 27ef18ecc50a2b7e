"""One client, many consumers: the hub every event of a client goes through.

Readers push each normalized event into the client's :class:`EventHub`; the hub hands it
to every attached consumer whose :class:`EventFilter` admits it. Each consumer has its own
bounded :class:`~tickwire.core.streams.EventStream` and its own overflow policy::

    strategy = client.events()                                     # everything, ``block``
    risk = client.events(channels=["orders", "balances"])          # account only
    chart = client.events(symbols=["BTC/USD"], policy="drop_market_data", maxsize=1000)

Rules, in the order a reader meets them:

- **Who gets what.** ``channels`` and ``types`` narrow by kind of event; ``symbols``
  narrows market data (tickers, trades, book updates, candles) and statuses that name a
  symbol. Account events (orders, balances) are account-wide and pass a symbol filter;
  statuses about a connection and stream errors reach every consumer.
- **Overflow.** A ``drop_market_data`` consumer that falls behind loses market data, never
  delays anyone, and reports its drops with a ``lagging`` status. A ``block`` consumer
  holds back the market-data sockets (:attr:`EventHub.full`) until it has room; sockets
  carrying order replies and account events are never held (see
  :class:`~tickwire.core.session.Session`).
- **When a consumer starts.** A consumer sees the events pushed after it attached, except
  the first one, which also gets what the client buffered since it connected (the
  connection statuses, early data): programs that call ``events()`` right after
  ``connect()`` lose nothing. Until that first consumer attaches the buffer never holds a
  reader back: beyond ``maxsize`` it drops market data, as ``drop_market_data`` would.
  An inline callback (``client.on_event(cb, inline=True)``, :meth:`EventHub.listen` with
  ``claim``) is a consumer too: registered first, it is handed that buffer at once.
- **Release.** A consumer ends when its iterator is closed (``aclose()``, or ``async with``)
  or simply dropped: ``async for event in client.events(): ... break`` releases it when
  the loop's iterator is garbage (the hub holds the consumer's queue, never the consumer).

The single-consumer case costs what it did before fan-out: with one unfiltered consumer,
:attr:`EventHub.push` *is* that consumer's ``EventStream.push`` (rebound whenever the set
of consumers changes), so a reader pays no extra call per event.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from tickwire.core.consumers import ALL_TYPES, BY_SYMBOL, Consumer, EventFilter
from tickwire.core.streams import EventStream, OverflowPolicy
from tickwire.core.types import Event, StreamStatus

if TYPE_CHECKING:
    from tickwire.core.handlers import WireTap
    from tickwire.core.metrics.table import PushCounts

__all__ = ["Consumer", "EventFilter", "EventHub"]


class EventHub:
    """The client's single entry point for events, fanned out to every consumer.

    Producers (readers, book keepers) call :meth:`push` and, between frames, consult
    :attr:`full` and await :meth:`drained` to apply ``block`` backpressure. Consumers
    come from :meth:`attach`.
    """

    def __init__(
        self,
        *,
        maxsize: int = 100_000,
        policy: OverflowPolicy = OverflowPolicy.BLOCK,
        venue: str = "",
    ) -> None:
        self.maxsize = maxsize
        self.policy = OverflowPolicy(policy)
        self.venue = venue
        # Until the first consumer claims it, events wait here without ever blocking.
        self._unclaimed: EventStream | None = EventStream(
            maxsize=maxsize, policy=OverflowPolicy.DROP_MARKET_DATA, venue=venue
        )
        self._routes: list[tuple[EventStream, EventFilter]] = []  # the consumers
        self._listeners: list[tuple[Callable[[Event], None], EventFilter]] = []
        self._targets: dict[type, list[tuple[Callable[[Event], None], _Check | None]]] = {}
        self._blocking: list[EventStream] = []
        self.pressed = False
        """True once a ``block`` consumer reached its bound since :attr:`full` last found
        none full: the test a reader makes per frame (an attribute, not a call per
        consumer); :attr:`full` is the exact one, worth asking only when this is True."""
        self._wrappers: list[Callable[[Callable[[Event], None]], Callable[[Event], None]]] = []
        self._counts: PushCounts | None = None  # the metrics' table, while counted
        self._counting: EventStream | None = None  # the stream holding it, if one does
        # The table while _fan_out holds it (else None: a _fan_out someone kept from
        # before a rewire then delivers to the stream that counts, and counts nothing).
        self._fan_counts: PushCounts | None = None
        self._count_kind: type | None = None  # the run _fan_out counts (see PushCounts)
        self._count_run = 0
        self._count_due = 0
        self._closed = False
        self._error: BaseException | None = None
        self.wire: WireTap | None = None
        """What sees every socket's raw frames and connections (a recorder), or None."""
        self.push: Callable[[Event], None] = _discard
        """Hand one event to every consumer that admits it. Synchronous; never blocks.

        Rebound whenever the consumers change: the unclaimed buffer's push, the one
        unfiltered consumer's own push, or the fan-out loop."""
        self._rewire()

    def _fan_out(self, event: Event) -> None:
        counts = self._fan_counts
        if counts is not None:
            # Counted here, once, when no single stream's push is the hub's: the same
            # steps as in EventStream.push (inline: no call per event in a run).
            if type(event) is self._count_kind:
                run = self._count_run + 1
                self._count_run = run
                if run == self._count_due:
                    counts.sample(self, event)
            else:
                counts.switch(self, event)
        # Targets by event type, worked out when the consumers changed: most events go
        # to each target without a filter call (only a symbol filter needs one).
        for push, check in self._targets[type(event)]:
            if check is None or check(event):
                push(event)

    @property
    def full(self) -> bool:
        """True when a ``block`` consumer is full: market-data readers should wait.

        Readers ask only while :attr:`pressed`, which this clears when none is full.
        """
        for stream in self._blocking:
            if stream.full:
                return True
        self.pressed = False
        return False

    def _press(self) -> None:
        self.pressed = True

    async def drained(self) -> None:
        """Return once every ``block`` consumer has room (or was released)."""
        while True:
            waiting = next((s for s in self._blocking if s.full), None)
            if waiting is None:
                self.pressed = False
                return
            await waiting.drained()

    def close(self) -> None:
        """End every consumer after what it has buffered. Idempotent."""
        self._closed = True
        for stream in self._streams():
            stream.close()

    def fail(self, exc: BaseException) -> None:
        """End every consumer with ``exc`` after what it has buffered."""
        if not self._closed:
            self._error = exc
        for stream in self._streams():
            stream.fail(exc)
        self._closed = True

    def _streams(self) -> list[EventStream]:
        streams = [stream for stream, _ in self._routes]
        if self._unclaimed is not None:
            streams.append(self._unclaimed)
        return streams

    @property
    def queues(self) -> tuple[EventStream, ...]:
        """Every queue the hub fills: the consumers' in attach order, then the buffer
        waiting for the first consumer (for observers: depth, drops)."""
        return tuple(self._streams())

    def intercept(
        self, wrap: Callable[[Callable[[Event], None]], Callable[[Event], None]]
    ) -> Callable[[], None]:
        """Put a step in front of every push: ``wrap(push)`` returns the new push.

        For an observer that must see every event before any consumer does, whatever
        the filters: unlike :meth:`listen`, the single-consumer fast path stays a direct
        call behind the step. Re-applied whenever the consumers change. Returns the
        function that removes it. The step is one more Python call per event: the
        library's own metrics count through :meth:`count` instead, which adds none.
        """
        self._wrappers.append(wrap)
        self._rewire()

        def remove() -> None:
            if wrap in self._wrappers:
                self._wrappers.remove(wrap)
                self._rewire()

        return remove

    def count(self, counts: PushCounts | None) -> None:
        """Count every event pushed from now on into ``counts`` (``None``: stop).

        The table goes to whichever call each event already makes first (see
        :class:`~tickwire.core.metrics.table.PushCounts`): the one stream whose push is the
        hub's, or the fan-out loop, moved along as consumers come and go. Each event is
        counted once per push, whatever the consumers and their filters, and the
        single-consumer fast path stays one call.
        """
        if self._counts is not None and self._counts is not counts:
            self._counts.hold(None)  # the old table's runs counted, nobody holds it
        self._counts = counts
        self._rewire()

    # --- consumers -----------------------------------------------------------------

    @property
    def consumers(self) -> int:
        """How many consumers are attached."""
        return len(self._routes)

    def attach(
        self,
        event_filter: EventFilter | None = None,
        *,
        maxsize: int | None = None,
        policy: OverflowPolicy | str | None = None,
    ) -> Consumer:
        """A new consumer with its own queue (defaults: the client's queue policy)."""
        event_filter = event_filter or EventFilter()
        chosen = OverflowPolicy(policy) if policy is not None else self.policy
        stream = self._unclaimed
        if stream is not None:
            # The first consumer inherits what arrived since connect (what it admits).
            self._unclaimed = None
            stream.adopt(maxsize or self.maxsize, chosen, event_filter.admits)
        else:
            stream = EventStream(maxsize=maxsize or self.maxsize, policy=chosen, venue=self.venue)
            if self._error is not None:
                stream.fail(self._error)
            elif self._closed:
                stream.close()
        consumer = Consumer(self, stream)
        self._routes.append((stream, event_filter))
        # The hub holds the queue; the consumer's owner holds the consumer. When the
        # owner lets go, the queue is detached (no one would ever read it).
        weakref.finalize(consumer, self.detach, stream)
        self._rewire()
        return consumer

    def listen(
        self,
        event_filter: EventFilter,
        callback: Callable[[Event], None],
        *,
        claim: bool = False,
    ) -> Callable[[], None]:
        """Call ``callback`` with every event ``event_filter`` admits, as it is pushed.

        For the library's own observers that must see events in their exact place, such
        as a recorder writing statuses between the frames they came between, and for
        ``client.on_event(..., inline=True)``. The callback runs on the reader's path: it
        must be quick and must not raise. Returns the function that stops it.

        ``claim``: the listener is a consumer of the user's, and claims what the client
        buffered since it connected, as a first consumer would: the buffered events it
        admits are handed to it now, before this returns, and the buffer is gone (a
        client read only by such listeners never fills one).
        """
        listener = (callback, event_filter)
        buffered: list[Event] = []
        if claim and self._unclaimed is not None:
            buffered = [e for e in self._unclaimed.take_all() if event_filter.admits(e)]
            self._unclaimed = None
        self._listeners.append(listener)
        self._rewire()
        for event in buffered:
            callback(event)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
                self._rewire()

        return stop

    def detach(self, stream: EventStream) -> None:
        """Stop delivering to ``stream`` and end its iterator. Idempotent."""
        before = len(self._routes)
        self._routes = [(s, f) for s, f in self._routes if s is not stream]
        if len(self._routes) != before:
            stream.on_full(None)
            stream.close()
            self._rewire()

    def _rewire(self) -> None:
        routes = self._routes
        self._blocking = [s for s, _ in routes if s.policy is OverflowPolicy.BLOCK]
        for stream in self._blocking:
            stream.on_full(self._press)
        self.pressed = any(stream.full for stream in self._blocking)
        deliveries: list[tuple[Callable[[Event], None], EventFilter]] = [
            (stream.push, event_filter) for stream, event_filter in routes
        ]
        if self._unclaimed is not None:  # still waiting for the user's first consumer
            deliveries.append((self._unclaimed.push, _EVERYTHING))
        deliveries += self._listeners
        self._targets = {kind: _targets(kind, deliveries) for kind in ALL_TYPES}
        if self._counting is not None:
            self._counting.count_pushes(None)
            self._counting = None
        counts = self._counts
        self._fan_counts = None
        push: Callable[[Event], None] = _discard
        lone = _lone_stream(routes, self._unclaimed) if not self._listeners else None
        if lone is not None:
            push = lone.push  # the fast path: no filter, no loop, the count inside
            if counts is not None:
                lone.count_pushes(counts)
                self._counting = lone
        elif len(deliveries) == 1 and deliveries[0][1].everything and counts is None:
            push = deliveries[0][0]  # one listener for everything, nothing counted
        elif deliveries or counts is not None:
            push = self._fan_out  # several targets; or none, and counted all the same
            if counts is not None:
                counts.hold(self)
                self._fan_counts = counts
        for wrap in self._wrappers:
            push = wrap(push)
        self.push = push


_EVERYTHING = EventFilter()
_Check = Callable[[Event], bool]


def _lone_stream(
    routes: list[tuple[EventStream, EventFilter]], unclaimed: EventStream | None
) -> EventStream | None:
    """The one stream every event goes to unfiltered, if there is exactly that."""
    if unclaimed is not None:
        return None if routes else unclaimed
    if len(routes) == 1 and routes[0][1].everything:
        return routes[0][0]
    return None


def _targets(
    kind: type, deliveries: list[tuple[Callable[[Event], None], EventFilter]]
) -> list[tuple[Callable[[Event], None], _Check | None]]:
    """Where an event of ``kind`` goes: each push (a queue's, or a listener), and the
    check it needs first (a symbol filter), if any."""
    targets: list[tuple[Callable[[Event], None], _Check | None]] = []
    for push, event_filter in deliveries:
        if not event_filter.takes(kind):
            continue
        needs_check = event_filter.symbols is not None and (
            kind in BY_SYMBOL or kind is StreamStatus
        )
        targets.append((push, event_filter.admits if needs_check else None))
    return targets


def _discard(event: Event) -> None:
    """With no consumer attached, an event has nowhere to go."""
