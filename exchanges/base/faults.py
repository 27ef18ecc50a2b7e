"""One-shot fault switches that tests arm and the emulator consumes.

A venue emulator keeps one :class:`FaultPlan` and asks it, at the point where a fault
would bite, whether to misbehave now::

    faults.arm("bad_checksum", "BTC/USD")   # test side: the next book message for BTC/USD
    faults.arm("bad_checksum")              # ...or for whichever symbol comes first
    if faults.take("bad_checksum", symbol): # emulator side: consumes one shot
        checksum ^= 0xFFFFFFFF
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

__all__ = ["ANY", "FaultPlan"]

ANY: Hashable = None
"""The key that matches whatever key :meth:`FaultPlan.take` is asked about."""


class FaultPlan:
    """Counted fault shots per ``(fault, key)``; :data:`ANY` as key matches every key."""

    def __init__(self) -> None:
        self._shots: Counter[tuple[str, Hashable]] = Counter()

    def arm(self, fault: str, key: Hashable = ANY, times: int = 1) -> None:
        """Make the next ``times`` occurrences of ``fault`` (for ``key``) misbehave."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._shots[fault, key] += times

    def disarm(self, fault: str | None = None) -> None:
        """Forget the pending shots of ``fault`` (of every fault when ``None``)."""
        for armed in [k for k in self._shots if fault is None or k[0] == fault]:
            del self._shots[armed]

    def armed(self, fault: str, key: Hashable = ANY) -> int:
        """Shots still pending for exactly ``(fault, key)``."""
        return self._shots[fault, key]

    def take(self, fault: str, key: Hashable = ANY) -> bool:
        """Consume one shot for ``key`` (its own first, then a wildcard one)."""
        for armed in ((fault, key), (fault, ANY)):
            if self._shots[armed] > 0:
                self._shots[armed] -= 1
                if not self._shots[armed]:
                    del self._shots[armed]
                return True
        return False
