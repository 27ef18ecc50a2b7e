"""What every adapter's ``native`` escape hatch shares: taps on the raw frames."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["FrameTap", "FrameTaps"]

FrameTap = Callable[[bytes], None]
"""A function that sees every raw frame, before decoding."""


class FrameTaps:
    """Raw-frame taps. The client calls :meth:`tap` only while ``taps`` is non-empty."""

    def __init__(self) -> None:
        self.taps: list[FrameTap] = []

    def add_tap(self, tap: FrameTap) -> Callable[[], None]:
        """Call ``tap(frame)`` with every raw frame; returns a function that removes it."""
        self.taps.append(tap)
        return lambda: self.taps.remove(tap) if tap in self.taps else None

    def tap(self, frame: bytes) -> None:
        """Hand ``frame`` to every tap (called by the client for each frame)."""
        for tap in tuple(self.taps):
            tap(frame)
