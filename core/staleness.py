"""Which watched channels went quiet: the session watchdog's per-channel half.

An adapter marks a channel alive on the hot path with one dict store
(``session.activity[key] = received``); the watchdog asks, about once a second, which
watched keys have been silent past their threshold, and hears of each only once per
silence.
"""

from __future__ import annotations

from collections.abc import Hashable
from time import time_ns

__all__ = ["StaleWatch"]

_NS = 1_000_000_000


class StaleWatch:
    """Silence thresholds per key, and the keys already reported stale."""

    __slots__ = ("_stale", "_thresholds", "activity")

    def __init__(self) -> None:
        self.activity: dict[Hashable, int] = {}
        """When each key last saw a frame (ns): written by the adapter."""
        self._thresholds: dict[Hashable, int] = {}  # key -> staleness threshold, ns
        self._stale: set[Hashable] = set()

    def watch(self, key: Hashable, stale_after: float) -> None:
        """Report ``key`` stale after ``stale_after`` silent seconds (the clock starts now)."""
        self._thresholds[key] = int(stale_after * _NS)
        self.activity[key] = time_ns()
        self._stale.discard(key)

    def unwatch(self, key: Hashable) -> None:
        """Stop watching ``key``."""
        self._thresholds.pop(key, None)
        self.activity.pop(key, None)
        self._stale.discard(key)

    def newly_stale(self, now: int, quiet_since: int) -> list[Hashable]:
        """Keys silent past their threshold, not reported yet; silence before
        ``quiet_since`` (the consumer held the reader) does not count."""
        found: list[Hashable] = []
        activity, stale = self.activity, self._stale
        for key, threshold in self._thresholds.items():
            silent = now - max(activity.get(key, now), quiet_since) > threshold
            if silent and key not in stale:
                stale.add(key)
                found.append(key)
            elif not silent:
                stale.discard(key)
        return found
