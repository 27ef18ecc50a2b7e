"""What one consumer of a client is: the filter that picks its events, and its iterator.

:class:`EventFilter` decides, per event type and symbol, what reaches a consumer;
:class:`Consumer` is what ``client.events(...)`` returns, an async iterator over the
consumer's own :class:`~tickwire.core.streams.EventStream`. The hub that feeds them, and
the rules of who gets what, are in :mod:`tickwire.core.fanout` (which re-exports both).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from tickwire.core.streams import EventStream
from tickwire.core.types import (
    CHANNEL_OF,
    BookUpdate,
    Candle,
    Channel,
    Event,
    StreamError,
    StreamStatus,
    Ticker,
    Trade,
)

if TYPE_CHECKING:
    from tickwire.core.fanout import EventHub

__all__ = ["ALL_TYPES", "BY_SYMBOL", "Consumer", "EventFilter", "inline_callback"]

log = logging.getLogger(__name__)

ALL_TYPES: tuple[type, ...] = (*CHANNEL_OF, StreamStatus, StreamError)
"""Every event type a consumer can receive."""
BY_SYMBOL = frozenset({Ticker, Trade, BookUpdate, Candle})
"""The event types a symbol filter narrows (market data; statuses naming a symbol too)."""


class EventFilter:
    """Which events one consumer receives; ``None`` for a criterion means "all".

    ``channels``: channel names (``"ticker"``, ``"orders"``...); ``symbols``: unified
    symbols, narrowing market data and symbol-specific statuses; ``types``: event classes
    (``Ticker``, ``StreamStatus``...). Statuses about a whole connection and stream errors
    pass every filter that admits their type.
    """

    __slots__ = ("_routes", "symbols")

    def __init__(
        self,
        *,
        channels: Iterable[Channel | str] | None = None,
        symbols: Iterable[str] | None = None,
        types: Iterable[type] | None = None,
    ) -> None:
        if isinstance(symbols, str) or isinstance(channels, str):
            raise ValueError("channels and symbols are lists, not a single string")
        wanted_channels = None if channels is None else {Channel(c) for c in channels}
        wanted_types = set(ALL_TYPES) if types is None else set(types)
        unknown = wanted_types - set(ALL_TYPES)
        if unknown:
            names = ", ".join(sorted(t.__name__ for t in unknown))
            raise ValueError(f"not event types: {names}")
        self.symbols = None if symbols is None else frozenset(symbols)
        # Event type -> True (admit), or the symbols admitted: one dict lookup per event.
        self._routes: dict[type, bool | frozenset[str]] = {}
        for kind in wanted_types:
            channel = CHANNEL_OF.get(kind)
            if channel is not None and wanted_channels is not None:
                if channel not in wanted_channels:
                    continue
            if kind in BY_SYMBOL and self.symbols is not None:
                self._routes[kind] = self.symbols
            else:
                self._routes[kind] = True

    @property
    def everything(self) -> bool:
        """True when the filter admits every event."""
        return self.symbols is None and all(self._routes.get(t) is True for t in ALL_TYPES)

    def takes(self, kind: type) -> bool:
        """True when some events of ``kind`` are for this consumer."""
        return kind in self._routes

    def admits(self, event: Event) -> bool:
        """True when ``event`` is for this consumer."""
        route = self._routes.get(type(event))
        if route is None:
            return False
        if route is True:
            if self.symbols is not None and type(event) is StreamStatus:
                symbol = event.symbol
                return symbol is None or symbol in self.symbols
            return True
        return event.symbol in route  # type: ignore[union-attr, operator]


class Consumer:
    """One consumer's view of a client's events: an async iterator with its own queue.

    Returned by ``client.events(...)``. Iterate it, or close it when done (``aclose()``,
    ``async with``); a consumer that is dropped is released too.
    """

    __slots__ = ("__weakref__", "_hub", "stream")

    def __init__(self, hub: EventHub, stream: EventStream) -> None:
        self._hub = hub
        self.stream = stream

    def __aiter__(self) -> Consumer:
        """A consumer is its own iterator."""
        return self

    def __anext__(self) -> Awaitable[Event]:
        """The next event this consumer admits.

        A plain function handing back the queue's own awaitable: no extra coroutine
        per event on the path every consumer takes.
        """
        return self.stream.__anext__()

    @property
    def dropped(self) -> int:
        """How many market-data events this consumer lost to its overflow policy."""
        return self.stream.dropped

    def __len__(self) -> int:
        """How many events wait in this consumer's queue."""
        return len(self.stream)

    async def run_callback(self, callback: Callable[[Event], Awaitable[None] | None]) -> None:
        """Deliver every event to ``callback`` until the consumer ends.

        The running coroutine holds the consumer, so it stays attached while it runs.
        """
        await self.stream.run_callback(callback)

    async def aclose(self) -> None:
        """Stop receiving events; the iterator then ends. Idempotent."""
        self._hub.detach(self.stream)

    async def __aenter__(self) -> Consumer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def inline_callback(
    callback: Callable[[Event], object], report: Callable[[Exception, str], None]
) -> Callable[[Event], None]:
    """``callback`` made safe to call on a reader's path (``on_event(..., inline=True)``).

    Nothing may end a stream: an ``Exception`` the callback raises goes to ``report``
    (the client's error path, which pushes a
    :class:`~tickwire.core.types.StreamError`) and the reader goes on with the next event.
    A ``BaseException`` (``KeyboardInterrupt``, ``CancelledError``) propagates. Raises
    ``TypeError`` for a coroutine function: nothing would await it, and awaiting it would
    be the hand-over to another task that ``inline`` exists to avoid.
    """
    if inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 (an object with async __call__)
    ):
        raise TypeError(
            f"inline=True needs a plain function, not the coroutine function {callback!r}: "
            "it is called on the reader's path, where nothing awaits; use inline=False "
            "to have it awaited in a task of its own"
        )
    name = getattr(callback, "__qualname__", type(callback).__qualname__)
    context = f"inline callback {name}"
    reporting = False

    def failed(exc: Exception) -> None:
        nonlocal reporting
        if reporting:
            # It failed again on the StreamError about its own failure: reporting that
            # would loop; the log has it.
            log.error("%s failed on its own StreamError: %r", context, exc)
            return
        reporting = True
        try:
            report(exc, context)
        finally:
            reporting = False

    def deliver(event: Event) -> None:
        try:
            result = callback(event)
        except Exception as exc:
            failed(exc)
            return
        if result is not None and inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: closed, so no "never awaited" warning
            failed(TypeError("returned an awaitable, which inline=True never awaits"))

    return deliver
