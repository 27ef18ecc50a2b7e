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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from tickwire.core.context import AdapterContext
from tickwire.core.errors import TickwireError
from tickwire.core.types import Channel, StreamState

__all__ = ["ChannelSequences", "Renew"]

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
