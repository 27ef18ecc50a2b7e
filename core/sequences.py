"""Channels whose messages are numbered one by one, and their resync sequence.

Some venues number each subscription's messages (Kraken's ``executions`` and
``balances`` carry ``sequence``): a missing number means a lost message — a fill, a
ledger entry — and the only way back is a fresh snapshot. :class:`ChannelSequences`
checks the numbers and owns what follows, the same way for every channel and venue:

1. a gap (or a message the adapter refused: its content is lost just the same) reports
   ``RESYNCING`` once for the channel and runs ``renew(name)`` as a task the client owns
   (the venue's way to a fresh snapshot, e.g. unsubscribe and subscribe again);
2. the next snapshot of the channel reports ``RESYNCED``.

A renewal that fails is reported as a ``StreamError``; a reconnect restores the channel
anyway. Book channels use :class:`~tickwire.core.bookkeeper.BookKeeper` instead.

:class:`SequenceFilter` is for streams whose numbers only order them (tickers, trades):
the next number is fresh, an earlier one a duplicate (a reconnect's or a renewal's
overlap), an impossible one an error, with the bounds of
:mod:`tickwire.core.sync_book`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from tickwire.core.context import AdapterContext
from tickwire.core.errors import DecodeError, TickwireError
from tickwire.core.sync_book import _SEQUENCE_LIMIT, MAX_SEQUENCE_JUMP, REJECTS_BEFORE_RESYNC
from tickwire.core.types import Channel, StreamState

__all__ = ["ChannelSequences", "Renew", "SequenceFilter"]

T = TypeVar("T")
Renew = Callable[[str], Awaitable[None]]
"""Ask the venue for a fresh snapshot of channel ``name`` (raises on failure)."""


class ChannelSequences:
    """The last number seen per channel; gaps resync through ``renew``.

    ``channels`` maps the venue's channel names to the core channel their statuses name;
    ``label`` prefixes every status reason (``"private"``: which socket).
    """

    def __init__(
        self,
        context: AdapterContext,
        renew: Renew,
        channels: Mapping[str, Channel],
        label: str = "",
    ) -> None:
        self._context = context
        self._renew = renew
        self._channels = channels
        self._prefix = f"{label}: " if label else ""
        self._last: dict[str, int] = {}
        self._resyncing: set[str] = set()

    def last(self, name: str) -> int | None:
        """The last number seen on channel ``name`` (None: none since subscribing)."""
        return self._last.get(name)

    def check(self, name: str, sequence: int, *, snapshot: bool) -> None:
        """Take one message's number: a snapshot ends a resync, an update must follow on."""
        last = self._last.get(name)
        self._last[name] = sequence
        if snapshot:
            if name in self._resyncing:
                self._resyncing.discard(name)
                self._status(StreamState.RESYNCED, name, "fresh snapshot")
        elif last is not None and sequence != last + 1:
            self._resync(name, f"sequence gap: expected {last + 1}, got {sequence}")

    def accept(self, name: str, sequence: int, snapshot: bool, convert: Callable[[], T]) -> T:
        """One numbered message: ``convert()`` it (checking every entry first), then
        :meth:`check` its number; a message ``convert`` refuses (``DecodeError``) is
        dropped whole, its number taken as :meth:`refused`, and the error re-raised."""
        try:
            converted = convert()
        except DecodeError:
            self.refused(name, sequence)
            raise
        self.check(name, sequence, snapshot=snapshot)
        return converted

    def refused(self, name: str, sequence: int) -> None:
        """A message the adapter refused (values out of range) was dropped whole.

        What it said is lost, like a message missing from the sequence: resync the same
        way. Its number is taken, so the next message is not also reported as a gap.
        """
        self._last[name] = sequence
        self._resync(name, f"refused message {sequence}")

    def forget(self, name: str | None = None) -> None:
        """Unsubscribed (``name``), or the socket dropped (all): numbering starts over."""
        if name is None:
            self._last.clear()
            self._resyncing.clear()
        else:
            self._last.pop(name, None)
            self._resyncing.discard(name)

    def _resync(self, name: str, reason: str) -> None:
        if name in self._resyncing:
            return  # once per desync: the renewal's snapshot settles it
        self._resyncing.add(name)
        self._status(StreamState.RESYNCING, name, f"{reason}; resubscribing")
        self._context.spawn(self._run_renew(name), f"{self._context.venue}-renew-{name}")

    async def _run_renew(self, name: str) -> None:
        try:
            await self._renew(name)
        except TickwireError as exc:  # a reconnect (if the socket was the cause) restores it
            self._context.error(exc, f"renew {name}")

    def _status(self, state: StreamState, name: str, reason: str) -> None:
        self._context.status(state, self._prefix + reason, channel=self._channels[name])


class SequenceFilter:
    """The last sequence of each stream key (a ticker's, a trade tape's), to drop repeats::

        if sequences.fresh("t" + symbol, sequence):
            deliver(event)

    ``fresh`` is True for a number after the last (or the first one seen), False for one
    up to ``max_jump`` behind it (delivered already), and raises
    :class:`~tickwire.core.errors.DecodeError` for any other (negative, beyond 2**63,
    ``max_jump`` ahead): one absurd frame cannot mute a stream. After
    ``rejects_before_resync`` impossible numbers in a row the venue's numbering has
    moved, and the filter follows it.
    """

    __slots__ = ("_last", "_rejects", "max_jump", "rejects_before_resync", "venue")

    def __init__(
        self,
        venue: str,
        *,
        max_jump: int = MAX_SEQUENCE_JUMP,
        rejects_before_resync: int = REJECTS_BEFORE_RESYNC,
    ) -> None:
        """``venue`` names the errors."""
        self.venue = venue
        self.max_jump = max_jump
        self.rejects_before_resync = rejects_before_resync
        self._last: dict[str, int] = {}
        self._rejects: dict[str, int] = {}  # key → impossible sequences in a row

    def fresh(self, key: str, sequence: int) -> bool:
        """Whether ``sequence`` is new on ``key``'s stream (see the class docstring)."""
        last = self._last.get(key)
        if last is not None and last < sequence <= last + self.max_jump:
            self._last[key] = sequence
            if self._rejects:
                self._rejects.pop(key, None)
            return True
        if last is None and 0 <= sequence < _SEQUENCE_LIMIT:
            self._last[key] = sequence
            return True
        if last is not None and last - self.max_jump <= sequence <= last:
            return False
        rejects = self._rejects.get(key, 0) + 1
        if rejects < self.rejects_before_resync or not 0 <= sequence < _SEQUENCE_LIMIT:
            self._rejects[key] = rejects
            raise DecodeError(f"{self.venue}: impossible sequence {sequence} after {last} ({key})")
        del self._rejects[key]  # the venue's numbering moved: follow it
        self._last[key] = sequence
        return True
