"""Checks that need the emulator's fault hooks: reconnect, malformed frames, book resync.

The hooks are optional parts of the :class:`~tickwire.core.hookspecs.Emulator` protocol;
a check whose hook the emulator lacks is skipped, and says which hook it wanted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness, require
from tickwire.core.testing.market import EVENT_TYPES
from tickwire.core.types import (
    BookUpdate,
    Channel,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
)

__all__ = [
    "BOOK_FAULT_HOOKS",
    "MALFORMED_FRAMES",
    "check_book_resync",
    "check_malformed",
    "check_reconnect",
]

BOOK_FAULT_HOOKS = ("corrupt_next_checksum", "skip_sequence")
"""Emulator hooks that break the integrity of the next book message (either will do)."""

MALFORMED_FRAMES: tuple[bytes, ...] = (
    b'{"truncated": ',
    b"not json at all",
    b'{"bad utf-8": "\xff\xfe"}',
    b"[1, 2, 3]",
    b'{"channel": "ticker", "type": "update", "data": [{"symbol": 5}]}',
    b'{"type": "message", "topic": 7, "subject": null, "data": "x"}',
)
"""Frames no venue schema accepts: each must become one StreamError, never end a stream."""

_DROPS = 2  # reconnects in a row
_REARM_AFTER = 5  # deltas of our symbol after which a fault shot evidently went elsewhere
_MAX_SHOTS = 40
_DELTAS_AFTER_RESYNC = 20


async def check_reconnect(h: Harness) -> None:
    """Sockets cut by the venue: RECONNECTING, RESUBSCRIBED, the same subscriptions, data."""
    drop_all = h.hook("drop_all")
    if drop_all is None:
        raise CheckSkipped(f"emulator {h.emulator_spec.name!r} has no drop_all() hook")
    channels, symbol = await _streaming(h)
    before = h.client.subscriptions
    for attempt in range(1, _DROPS + 1):
        async with asyncio.timeout(h.timeout):
            await drop_all()
        await h.next_of(
            StreamStatus, f"RECONNECTING after drop {attempt}", state=StreamState.RECONNECTING
        )
        await _fresh_data(h, channels, symbol, resubscribed_needed=True)
        require(
            h.client.subscriptions == before,
            f"after reconnect {attempt} subscriptions are {sorted(h.client.subscriptions)}, "
            f"were {sorted(before)}",
        )
        if Channel.BOOK in channels:
            h.book_checked(symbol)


async def check_malformed(h: Harness) -> None:
    """Malformed frames from the venue: one StreamError each, the stream goes on."""
    send_raw = h.hook("send_raw")
    if send_raw is None:
        raise CheckSkipped(f"emulator {h.emulator_spec.name!r} has no send_raw() hook")
    channels, symbol = await _streaming(h)
    allowed, h.allow_stream_errors = h.allow_stream_errors, True
    try:
        for frame in MALFORMED_FRAMES:
            for _ in range(send_raw(frame)):
                event = await h.next(_error_or_break, f"StreamError for the frame {frame!r}")
                require(
                    isinstance(event, StreamError),
                    f"malformed frames broke the stream: {event}",
                )
        before = h.client.subscriptions
        missing = {EVENT_TYPES[channel] for channel in channels}

        def goes_on(event: Event) -> bool:
            if getattr(event, "symbol", None) == symbol:
                missing.discard(type(event))
            return not missing

        await h.next(goes_on, f"data on {sorted(channels)} after the malformed frames")
    finally:
        h.allow_stream_errors = allowed
    require(
        h.client.subscriptions == before,
        f"after malformed frames subscriptions are {sorted(h.client.subscriptions)}",
    )


def _error_or_break(event: Event) -> bool:
    return isinstance(event, StreamError) or (
        isinstance(event, StreamStatus)
        and event.state in (StreamState.RECONNECTING, StreamState.CLOSED)
    )


async def _streaming(h: Harness) -> tuple[list[Channel], str]:
    """Subscribe one symbol on every market channel the adapter has; wait for its data."""
    wanted = (Channel.TICKER, Channel.TRADES, Channel.BOOK)
    channels: list[Channel] = [c for c in wanted if c in h.adapter.channels]
    if not channels:
        raise CheckSkipped("the adapter declares no ticker, trades or book channel")
    (symbol,) = await h.pick_symbols(1)
    async with asyncio.timeout(h.timeout):
        for channel in channels:
            await h.client.subscribe(channel, [symbol])
    await _fresh_data(h, channels, symbol, resubscribed_needed=False)
    return channels, symbol


async def _fresh_data(
    h: Harness, channels: list[Channel], symbol: str, *, resubscribed_needed: bool
) -> None:
    """Wait for RESUBSCRIBED (when needed) and one event per channel (a book snapshot)."""
    missing = set(channels)
    waiting_status = resubscribed_needed

    def progress(event: Event) -> bool:
        nonlocal waiting_status
        if isinstance(event, StreamStatus) and event.state is StreamState.RESUBSCRIBED:
            waiting_status = False
        for channel in list(missing):
            kind = EVENT_TYPES[channel]
            if isinstance(event, kind) and event.symbol == symbol:
                if not isinstance(event, BookUpdate) or event.snapshot:
                    missing.discard(channel)
        return not missing and not waiting_status

    what = f"{'RESUBSCRIBED and ' if resubscribed_needed else ''}data on {sorted(channels)}"
    await h.next(progress, what)


async def check_book_resync(h: Harness) -> None:
    """A broken book message: RESYNCING, then a fresh snapshot, RESYNCED, an exact book."""
    if Channel.BOOK not in h.adapter.channels:
        raise CheckSkipped("the adapter declares no book channel")
    hook = next((f for name in BOOK_FAULT_HOOKS if (f := h.hook(name)) is not None), None)
    if hook is None:
        raise CheckSkipped(
            f"emulator {h.emulator_spec.name!r} has no book fault hook "
            f"({' / '.join(BOOK_FAULT_HOOKS)})"
        )
    (symbol,) = await h.pick_symbols(1)
    async with asyncio.timeout(h.timeout):
        await h.client.subscribe(Channel.BOOK, [symbol])
    await h.next_of(BookUpdate, f"a {symbol} book snapshot", symbol=symbol, snapshot=True)
    await h.drain_backlog()
    status = await h.next(_armed(hook, symbol), f"a RESYNCING status for {symbol}")
    require(
        isinstance(status, StreamStatus) and status.channel is Channel.BOOK,
        f"the RESYNCING status names channel {getattr(status, 'channel', None)!r}, not book",
    )
    await h.next_of(
        StreamStatus, f"RESYNCED for {symbol}", state=StreamState.RESYNCED, symbol=symbol
    )
    await _steady_deltas(h, symbol)
    h.book_checked(symbol)
    difference = h.models[symbol].differences(h.client.book(symbol))
    require(difference is None, difference or "")


def _armed(hook: Callable[[], Any], symbol: str) -> Callable[[Event], bool]:
    """A predicate that fires the fault and re-fires it until it hits ``symbol``.

    A hook called without a symbol breaks the next book message of *any* symbol; when
    that was another symbol's, our book keeps flowing, and the shot is fired again.
    """
    shots = 1
    deltas = 0
    hook()

    def resyncing(event: Event) -> bool:
        nonlocal shots, deltas
        if isinstance(event, BookUpdate) and event.symbol == symbol and not event.snapshot:
            deltas += 1
            if deltas >= _REARM_AFTER:
                if shots >= _MAX_SHOTS:
                    raise CheckFailed(f"{shots} broken book messages and no RESYNCING for {symbol}")
                hook()
                shots += 1
                deltas = 0
        return (
            isinstance(event, StreamStatus)
            and event.state is StreamState.RESYNCING
            and event.symbol == symbol
        )

    return resyncing


async def _steady_deltas(h: Harness, symbol: str) -> None:
    """Wait for deltas of ``symbol`` on a synced book (a stray second fault shot may land)."""
    counted = 0
    resyncing = False

    def step(event: Event) -> bool:
        nonlocal counted, resyncing
        if isinstance(event, StreamStatus) and event.symbol == symbol:
            if event.state is StreamState.RESYNCING:
                resyncing = True
            elif event.state is StreamState.RESYNCED:
                resyncing = False
        elif isinstance(event, BookUpdate) and event.symbol == symbol and not resyncing:
            counted += 1
        return counted >= _DELTAS_AFTER_RESYNC and not resyncing

    await h.next(step, f"{_DELTAS_AFTER_RESYNC} book updates of {symbol} after the resync")
    for _ in range(3):
        await h.drain_backlog()
        if h.client.book(symbol).synced:
            return
        # A stray second shot landed in the backlog: let that resync finish too.
        await h.next_of(
            StreamStatus, f"RESYNCED for {symbol}", state=StreamState.RESYNCED, symbol=symbol
        )
