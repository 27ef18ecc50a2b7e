"""One fault vocabulary for every emulator: switches tests arm, venue code consumes.

A venue emulator keeps one :class:`FaultPlan` as ``self.faults`` and asks it, at the point
where a fault would bite, whether to misbehave now::

    faults.arm(BAD_CHECKSUM, "BTC/USD")     # test side: the next book message for BTC/USD
    faults.arm(BAD_CHECKSUM)                # ...or for whichever symbol comes first
    if faults.take(BAD_CHECKSUM, symbol):   # emulator side: consumes one shot
        checksum ^= 0xFFFFFFFF

Tests do not arm names by hand: the emulator mixes in the hooks below, whose names are
the same on every venue (and documented on the ``Emulator`` protocol in
``tickwire.core.hookspecs``):

================================  =================================================
hook (mixin)                      the venue consumes
================================  =================================================
``fail_next_order(stage)``        ``take(FAIL_ORDER_BEFORE | FAIL_ORDER_AFTER, method)``
``delay_next_order(seconds)``     ``take_value(DELAY_ORDER, method)`` → seconds
``hold_next_order()``             ``take(HOLD_ORDER, method)``
``rate_limit_next(kind)``         ``take(RATE_LIMIT, kind)``
``corrupt_next_checksum(symbol)`` ``take(BAD_CHECKSUM, symbol)``
``skip_sequence(symbol)``         ``take(SKIP_SEQUENCE, symbol)``
================================  =================================================

The hooks that act at once rather than arm a shot (``async expire_tokens()``,
``stop_heartbeats()``/``resume_heartbeats()``, ``async drop_all()``) are venue code; an
emulator that cannot do one lacks it (or raises :class:`NotImplementedError`), and the
conformance kit skips the checks that need it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from tickwire.exchanges.base.matching import MatchingEngine

__all__ = [
    "ANY",
    "BAD_CHECKSUM",
    "DELAY_ORDER",
    "FAIL_ORDER_AFTER",
    "FAIL_ORDER_BEFORE",
    "HOLD_ORDER",
    "ORDER_STAGES",
    "RATE_LIMIT",
    "RATE_LIMIT_KINDS",
    "SKIP_SEQUENCE",
    "ChecksumHooks",
    "FaultPlan",
    "OrderFaultHooks",
    "RateLimitHooks",
    "SequenceHooks",
]

ANY: Hashable = None
"""The key that matches whatever key :meth:`FaultPlan.take` is asked about."""

FAIL_ORDER_BEFORE = "fail_order_before"
"""The next order request's socket drops before the engine sees it (nothing placed)."""
FAIL_ORDER_AFTER = "fail_order_after"
"""The engine executes the next order request, then its socket drops before the reply."""
DELAY_ORDER = "delay_order"
"""The next order request's reply comes late (the shot's value: seconds)."""
HOLD_ORDER = "hold_order"
"""The next order request is never answered (the work is done, the reply never sent)."""
RATE_LIMIT = "rate_limit"
"""The next request of a kind (key: ``"subscribe"``, ``"request"``, ``"order"``) is refused
with the venue's rate-limit error."""
BAD_CHECKSUM = "bad_checksum"
"""The next book message (key: symbol) carries a wrong checksum."""
SKIP_SEQUENCE = "skip_sequence"
"""The next book increment (key: symbol) is computed but never sent."""

ORDER_STAGES = {"before": FAIL_ORDER_BEFORE, "after": FAIL_ORDER_AFTER}
"""``fail_next_order`` stages and the fault each arms."""
RATE_LIMIT_KINDS = ("subscribe", "request", "order")
"""Every kind ``rate_limit_next`` may be asked for (a venue supports a subset)."""


class FaultPlan:
    """Counted fault shots per ``(fault, key)``; :data:`ANY` as key matches every key.

    A shot may carry a value (a delay's seconds), read back by :meth:`take_value`.
    """

    def __init__(self) -> None:
        self._shots: dict[tuple[str, Hashable], deque[Any]] = {}

    def arm(self, fault: str, key: Hashable = ANY, times: int = 1, *, value: Any = None) -> None:
        """Make the next ``times`` occurrences of ``fault`` (for ``key``) misbehave."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._shots.setdefault((fault, key), deque()).extend([value] * times)

    def disarm(self, fault: str | None = None) -> None:
        """Forget the pending shots of ``fault`` (of every fault when ``None``)."""
        for armed in [k for k in self._shots if fault is None or k[0] == fault]:
            del self._shots[armed]

    def armed(self, fault: str, key: Hashable = ANY) -> int:
        """Shots still pending for exactly ``(fault, key)``."""
        return len(self._shots.get((fault, key), ()))

    def take(self, fault: str, key: Hashable = ANY) -> bool:
        """Consume one shot for ``key`` (its own first, then a wildcard one)."""
        return self._pop(fault, key) is not None

    def take_value(self, fault: str, key: Hashable = ANY, default: Any = None) -> Any:
        """Consume one shot like :meth:`take`; its value, or ``default`` if none was armed."""
        shot = self._pop(fault, key)
        return default if shot is None else shot[0]

    def _pop(self, fault: str, key: Hashable) -> tuple[Any] | None:
        for armed in ((fault, key), (fault, ANY)):
            shots = self._shots.get(armed)
            if shots:
                value = shots.popleft()
                if not shots:
                    del self._shots[armed]
                return (value,)
        return None


class _Armed:
    """What the hook mixins need from the emulator: its plan."""

    faults: FaultPlan

    def fault_key(self, symbol: str | None) -> Hashable:
        """The :class:`FaultPlan` key for ``symbol`` (``None`` → :data:`ANY`).

        Override to validate it or map it to the venue's name; raise :class:`ValueError`
        for an unknown symbol.
        """
        return ANY if symbol is None else symbol


class OrderFaultHooks(_Armed):
    """``fail_next_order``, ``delay_next_order``, ``hold_next_order``, and the truth a
    test needs to judge them: ``orders_with_client_id``.

    ``method`` names the venue's order method (Kraken ``add_order``, KuCoin's REST
    path, ...); ``None`` means whichever order request comes first. The emulator's
    ``engine`` is the account the test credentials trade on.
    """

    @property
    def engine(self) -> MatchingEngine:
        """The paper engine of the test account (the emulator provides it)."""
        raise NotImplementedError

    def orders_with_client_id(self, client_id: str) -> int:
        """How many orders the test account accepted with ``client_id``, open or closed."""
        return len(self.engine.orders_with(client_id))

    def fail_next_order(
        self, stage: str = "before", *, method: str | None = None, times: int = 1
    ) -> None:
        """Lose the next order request: ``"before"`` the engine sees it (nothing placed),
        or ``"after"`` it executed (the order exists, the reply never arrives)."""
        if stage not in ORDER_STAGES:
            raise ValueError(f"stage is 'before' or 'after', not {stage!r}")
        self.faults.arm(ORDER_STAGES[stage], method, times)

    def delay_next_order(self, seconds: float, *, method: str | None = None) -> None:
        """Answer the next order request ``seconds`` late."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self.faults.arm(DELAY_ORDER, method, value=seconds)

    def hold_next_order(self, *, method: str | None = None) -> None:
        """Never answer the next order request (the venue still does the work)."""
        self.faults.arm(HOLD_ORDER, method)


class RateLimitHooks(_Armed):
    """``rate_limit_next(kind, times)`` for the kinds in :attr:`rate_limit_kinds`."""

    rate_limit_kinds: ClassVar[tuple[str, ...]] = RATE_LIMIT_KINDS
    """The kinds this venue refuses on demand (a subset of :data:`RATE_LIMIT_KINDS`)."""

    def rate_limit_next(self, kind: str, times: int = 1) -> None:
        """Refuse the next ``times`` requests of ``kind`` with the venue's rate-limit error."""
        if kind not in self.rate_limit_kinds:
            raise ValueError(f"kind is one of {self.rate_limit_kinds}, not {kind!r}")
        self.faults.arm(RATE_LIMIT, kind, times)


class ChecksumHooks(_Armed):
    """``corrupt_next_checksum(symbol)``, for venues whose books carry checksums."""

    def corrupt_next_checksum(self, symbol: str | None = None) -> None:
        """Give the next book message of ``symbol`` (any if ``None``) a wrong checksum."""
        self.faults.arm(BAD_CHECKSUM, self.fault_key(symbol))


class SequenceHooks(_Armed):
    """``skip_sequence(symbol)``, for venues whose book increments carry sequences."""

    def skip_sequence(self, symbol: str | None = None) -> None:
        """Compute the next book increment of ``symbol`` (any if ``None``), never send it."""
        self.faults.arm(SKIP_SEQUENCE, self.fault_key(symbol))
