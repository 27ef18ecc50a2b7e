"""Where a client's local times come from: the wall clock, or a replay's.

Live, every receive time is :func:`time.time_ns`. A replay runs the same code over
recorded frames, and must stamp each frame with the time it was *recorded* at, so a
session takes its clock from :func:`current_clock` when it is built::

    with using_clock(lambda: replayer.now):   # inside a replay
        client = connect(config)              # its sessions read the replay's clock

The choice is a context variable: a replay and live clients can share a process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_clock", "using_clock"]

Clock = Callable[[], int]
"""Nanoseconds since the epoch."""

_clock: ContextVar[Clock] = ContextVar("tickwire_clock", default=time.time_ns)


def current_clock() -> Clock:
    """The clock of the current context (the wall clock unless a replay set one)."""
    return _clock.get()


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Make ``clock`` the current context's clock inside the block."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)
