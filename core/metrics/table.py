"""The table a counted client's pushes are counted into, and how a push keeps it.

:func:`~tickwire.core.metrics.instrument` builds one per client and hands it to the
client's hub (:meth:`~tickwire.core.fanout.EventHub.count`), which moves it to whichever
call each event already makes first. Imported by :mod:`tickwire.core.streams` and
:mod:`tickwire.core.fanout` for typing only: the push calls its methods, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tickwire.core.types import Event

__all__ = ["PushCounts"]


class PushCounts:
    """A client's table of event counts, kept by the first push each event reaches.

    While a client is counted (:mod:`tickwire.core.metrics`) its hub hands this table to
    whichever call every event already makes first: the one consumer's
    :meth:`EventStream.push` (or the buffer waiting for the first consumer), or the hub's
    fan-out loop when there are several. Exactly one of them, the *holder*, keeps it at
    a time, so each event is counted once per push. ``None`` there when nothing is
    counted.

    ``rows`` maps an event type to its row, a list of integers: ``row[0]`` counts the
    events, ``row[1]`` is a sample step: the events of that type whose ordinal (from 0)
    is a multiple of the step are handed to ``observe(row, event)``, which owns the rest
    of the row (a frame-age histogram, say); a step of 0 hands over only the first. A
    type with no row gets one from ``new_row(type)`` (which adds it to ``rows``).

    Why runs: the holder counts the current run of events of one type in three of its
    own attributes (``_count_kind``, ``_count_run``, ``_count_due``), memory the push
    touches anyway, and adds the run to ``rows`` only when the type changes
    (:meth:`switch`) or the counts are read (:meth:`flush`). A table lookup per event
    cost 3-4 times as much as a run, which is a type test and an integer store; the
    price is a call to :meth:`switch` whenever the type changes (``BENCHMARKS.md``,
    "Metrics cost"). Written and read on the event loop's thread only.
    """

    __slots__ = ("holder", "new_row", "observe", "rows")

    def __init__(
        self,
        rows: dict[type, list[int]],
        observe: Callable[[list[int], Event], None],
        new_row: Callable[[type], list[int]],
    ) -> None:
        self.rows = rows
        self.observe = observe
        self.new_row = new_row
        self.holder: _Holder | None = None
        """The stream or hub that counts the pushes now, or None."""

    def hold(self, holder: _Holder | None) -> None:
        """Make ``holder`` the one that counts from now on (``None``: nobody), the
        previous one's run added to the table first."""
        self.flush()
        if self.holder is not None:
            self.holder._count_kind = None
        self.holder = holder
        if holder is not None:
            holder._count_kind = None  # its first push starts a run

    def flush(self) -> None:
        """Add the holder's current run to the table: ``rows`` is exact after this."""
        holder = self.holder
        if holder is None or holder._count_kind is None:
            return
        run = holder._count_run
        self.rows[holder._count_kind][0] += run
        holder._count_run = 0
        if holder._count_due:
            holder._count_due -= run

    def switch(self, holder: _Holder, event: Event) -> None:
        """``event`` is of another type than the holder's run: count the run, start a
        new one with ``event`` (observed if its ordinal is due)."""
        # Flat (no call to flush or sample): when types alternate, every event is here.
        rows = self.rows
        kind = holder._count_kind
        if kind is not None:
            rows[kind][0] += holder._count_run
        kind = type(event)
        row = rows.get(kind)
        if row is None:
            row = self.new_row(kind)
        ordinal = row[0]
        step = row[1]
        holder._count_kind = kind
        holder._count_run = 1
        if step:
            wait = -ordinal % step  # events until an ordinal that is a multiple of step
            if wait:
                holder._count_due = 1 + wait
            else:
                holder._count_due = 1 + step
                self.observe(row, event)
        else:
            holder._count_due = 0
            if not ordinal:
                self.observe(row, event)

    def sample(self, holder: _Holder, event: Event) -> None:
        """``event`` is due for observing: hand it over, set the next one due."""
        row = self.rows[type(event)]
        holder._count_due += row[1]
        self.observe(row, event)


class _Holder(Protocol):
    """What counts a run of pushes: an :class:`EventStream`, or the hub's fan-out."""

    _count_kind: type | None
    _count_run: int
    _count_due: int
