"""What waits in the collector's buffer: messages of one or more events, and their ids.

A message holds one event, or, when the collector has a backlog (the broker is slow or
away, or the venue bursts), several consecutive events of one subject, one JSON event per
line. Book deltas join only when their ``Tw-Book-Seq`` counters follow each other (the
header then holds the first; the reader counts on from it); snapshots always travel
alone. A message stops taking events once it was handed to the broker, so a message
sent again after a failure is byte for byte the one sent before, under the same id.
"""

from __future__ import annotations

from tickwire.core.nats.codec import BOOK_SEQ, COUNT, MSG_ID
from tickwire.core.nats.subjects import channel_token, symbol_token
from tickwire.core.types import Balance, BookUpdate, Candle, Event, OrderUpdate, Trade

__all__ = ["MAX_BYTES", "MAX_EVENTS", "Outgoing", "event_key", "msg_id"]

MAX_EVENTS = 256
"""Events one message holds at most."""
MAX_BYTES = 256 * 1024
"""Payload bytes one message grows to at most (the server's default limit is 1 MiB)."""


def event_key(event: Event) -> str:
    """The part of a message id that comes from the event itself."""
    if type(event) is Trade:
        return f"t{event.trade_id}"
    if type(event) is BookUpdate:
        mark = "s" if event.snapshot else "d"
        return f"{mark}{event.sequence if event.sequence is not None else event.ts}"
    if type(event) is OrderUpdate:
        return f"{event.order_id}:{event.status}:{event.filled}:{event.ts}"
    if type(event) is Balance:
        return f"{event.asset}:{event.ts}"
    if type(event) is Candle:
        return f"{event.start}:{event.ts}"
    return str(event.ts)


def msg_id(event: Event, repeat: int = 0) -> str:
    """``<venue>.<channel>.<symbol-token>.<key>.<repeat>``: the ``Nats-Msg-Id`` of an event.

    ``key`` is the trade id, the book sequence (or time) with ``s``/``d`` for snapshot or
    delta, or the event time; ``repeat`` counts consecutive events of the same channel and
    symbol that share a key, so two tickers stamped in the same millisecond stay two
    messages. Two collectors fed the same events compute the same ids. A message of
    ``n > 1`` events carries its first event's id followed by ``+n``.
    """
    symbol = symbol_token(getattr(event, "symbol", None))
    return f"{event.venue}.{channel_token(event)}.{symbol}.{event_key(event)}.{repeat}"


class Outgoing:
    """One message waiting to be acknowledged: subject, payload, headers, event count."""

    __slots__ = (
        "book_of",
        "count",
        "headers",
        "last_seq",
        "payload",
        "sealed",
        "snapshot",
        "subject",
    )

    def __init__(
        self,
        subject: str,
        payload: bytes,
        headers: dict[str, str],
        book_of: str | None,
        snapshot: bool,
    ) -> None:
        self.subject = subject
        self.payload = payload
        self.headers = headers
        self.book_of = book_of  # the symbol of a book message
        self.snapshot = snapshot
        self.count = 1
        seq = headers.get(BOOK_SEQ)
        self.last_seq = int(seq) if seq is not None else None
        self.sealed = False

    def join(self, subject: str, payload: bytes, headers: dict[str, str]) -> bool:
        """Add one more event of ``subject`` if this message may take it; say whether."""
        if (
            self.sealed
            or self.snapshot
            or subject != self.subject
            or self.count >= MAX_EVENTS
            or len(self.payload) + len(payload) > MAX_BYTES
            or headers.keys() != self.headers.keys()  # e.g. a collector-snapshot marker
        ):
            return False
        if self.last_seq is not None:
            seq = int(headers[BOOK_SEQ])
            if seq != self.last_seq + 1:
                return False  # a hole (dropped events) stays visible to readers
            self.last_seq = seq
        self.payload += b"\n" + payload
        self.count += 1
        return True

    def seal(self) -> dict[str, str]:
        """Freeze the message for sending; return its headers (a copy to add to)."""
        self.sealed = True
        headers = dict(self.headers)
        if self.count > 1:
            headers[MSG_ID] = f"{headers[MSG_ID]}+{self.count}"
            headers[COUNT] = str(self.count)
        return headers
