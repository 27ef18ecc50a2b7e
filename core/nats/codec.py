"""How an event crosses the broker: one message, its payload the event as msgspec JSON.

The payload is exactly :func:`tickwire.core.types.encode_event`'s output (several events
of one subject are one per line, see :mod:`~tickwire.core.nats.outbox`) (the tagged
``Event`` union, ``"event"`` naming the type), so ``nats sub`` shows readable events, a
consumer in any language can parse them, and a payload is also a valid line of a
``tickwire stream --json`` recording.

Why JSON and not MessagePack, by measurement (msgspec 0.23, CPython 3.11, one core,
encode + decode of one event; ``tests/benchmarks/bench_nats.py --codec`` reprints them)::

    event                  JSON: bytes  enc µs  dec µs    msgpack: bytes  enc µs  dec µs
    Ticker                        240    1.34    2.88                174    1.29    3.05
    Trade                         179    0.68    1.34                125    0.68    1.38
    BookUpdate delta (4 lv)       238    1.55    3.82                161    1.54    3.90
    BookUpdate snapshot (50)     1067   14.1    35.0                 765   12.9    38.6

CPU is the same within noise (``Decimal`` ⇄ text dominates, and MessagePack carries
``Decimal`` as text too); MessagePack saves about 30 % of the bytes, which matters little
next to the broker's per-message overhead on a LAN. JSON wins on being readable on the
wire and identical to tickwire's own JSON lines.

Headers (set by the publisher, read by the read-side client):

``Nats-Msg-Id``      the de-duplication id (see :func:`tickwire.core.nats.publisher.msg_id`)
``Tw-Book-Seq``      book messages only: the collector's per-symbol counter, +1 per book
                     message; a delta whose counter is not the previous one + 1 is a gap
``Tw-Snap-Seq``      book messages only: the stream sequence of the latest snapshot of
                     that symbol the collector knows to be stored (where a late joiner
                     starts); absent until the first snapshot is acknowledged
``Tw-Depth``         book snapshots only: the book's depth, when bounded
``Tw-Count``         a message of several events (one JSON event per line): how many
``Tw-Collector``     book snapshots the collector took of its own book (periodic, or after
                     drops), as opposed to the venue's; a reader in sync may skip them
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from tickwire.core.errors import DecodeError
from tickwire.core.types import BookLevel, Event

__all__ = [
    "BOOK_SEQ",
    "COLLECTOR",
    "COUNT",
    "DEPTH",
    "MSG_ID",
    "SNAP_SEQ",
    "decode",
    "encode",
    "rows",
]

MSG_ID = "Nats-Msg-Id"
BOOK_SEQ = "Tw-Book-Seq"
SNAP_SEQ = "Tw-Snap-Seq"
DEPTH = "Tw-Depth"
COLLECTOR = "Tw-Collector"
COUNT = "Tw-Count"

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)


def encode(event: Event) -> bytes:
    """The payload of ``event``."""
    return _encoder.encode(event)


def decode(payload: bytes) -> Event:
    """The event in ``payload``; anything else is a :class:`DecodeError` (with an excerpt)."""
    try:
        return _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DecodeError(f"not a tickwire event: {exc}", frame=payload) from None


def rows(levels: Iterable[BookLevel]) -> list[tuple[Decimal, Decimal]]:
    """``(price, size)`` rows of book levels, as :class:`~tickwire.core.book.OrderBook` takes."""
    return [(level.price, level.size) for level in levels]
