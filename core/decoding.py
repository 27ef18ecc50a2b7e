"""Venue bytes → wire Structs: every failure msgspec may raise on a hostile frame becomes
core's one :class:`~tickwire.core.errors.DecodeError`, here once for every adapter::

    frame = strict(_frame_decoder, raw, "kucoin: not a push frame")
    data = strict(_decoders[msg.subject], msg.data, f"kucoin: bad {msg.subject!r} data")
    decode_frame = either(_channels, "a channel message", _replies, "a method response", "kraken")

A hot path that tries a fast decoder first catches :data:`UNDECODABLE` itself, with no
call in between, and falls back to a :func:`strict` (or :func:`either`) decode.

A venue's wire Structs (its ``schemas`` modules) follow the same conventions, chosen for
the per-message path:

- they derive from :class:`Wire`: ``frozen`` and ``gc=False`` (no reference cycles,
  cheaper allocation); names are the venue's own (``rename="camel"`` or
  ``msgspec.field(name=...)`` where needed);
- only the fields the adapter reads are declared: msgspec skips the others without
  decoding them (cheaper, and the venue may add fields freely); fields the venue's docs
  call optional, or that recordings lack, have defaults;
- prices and sizes are :class:`~decimal.Decimal`, decoded from the wire's digits
  (strings or numbers) without a float round trip; a stream so busy that each value is
  better parsed once per distinct text keeps it as ``str``;
- integers carry the range types of :mod:`tickwire.core.validation` (``Sequence``,
  ``TimestampMs``...), refused out of range while decoding, at C speed; ``Decimal``
  values, which msgspec cannot constrain, are checked by the ``parse`` functions;
- a message whose shape depends on a discriminator is a tagged union on it (or keeps
  the dependent part as :class:`msgspec.Raw`, decoded in a second step); decoders are
  built once, at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from tickwire.core.errors import DecodeError

__all__ = ["UNDECODABLE", "Wire", "digits", "either", "strict"]

T = TypeVar("T")
U = TypeVar("U")


class Wire(msgspec.Struct, frozen=True, gc=False):
    """Base of a venue's wire Structs: immutable, untracked by the GC."""


UNDECODABLE = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)
"""What a msgspec decode of hostile bytes can raise: ``RecursionError`` for absurdly
nested JSON skipped inside a raw field; ``UnicodeDecodeError`` for invalid UTF-8 in a
string under msgspec < 0.23 (later versions raise ``DecodeError``)."""


def strict(decoder: msgspec.json.Decoder[T], data: bytes | str | msgspec.Raw, what: str) -> T:
    """``data`` decoded by ``decoder``; anything else is a :class:`DecodeError`
    ``"{what}: {reason}"`` keeping the first bytes of ``data``."""
    try:
        return decoder.decode(data)
    except UNDECODABLE as exc:
        frame = bytes(data) if isinstance(data, msgspec.Raw) else data
        raise DecodeError(f"{what}: {exc!r}", frame) from exc


def either(
    first: msgspec.json.Decoder[T],
    what: str,
    second: msgspec.json.Decoder[U],
    other: str,
    venue: str,
) -> Callable[[bytes | str], T | U]:
    """A decode that tries ``first``, then ``second``; a frame fitting neither is a
    :class:`DecodeError` ``"{venue}: neither {what} (...) nor {other} (...)"`` giving
    both reasons and keeping the frame. One call per frame, like ``first.decode``."""
    first_decode, second_decode = first.decode, second.decode

    def decode(frame: bytes | str) -> T | U:
        try:
            return first_decode(frame)
        except UNDECODABLE as exc:
            try:
                return second_decode(frame)
            except UNDECODABLE as second_exc:
                reasons = f"neither {what} ({exc}) nor {other} ({second_exc})"
                raise DecodeError(f"{venue}: {reasons}", frame) from exc

    return decode


def digits(text: str, what: str) -> int:
    """A venue's decimal integer in a string (``"14610502970"``) as an int; anything else
    (a sign, spaces, ``_``, non-ASCII digits: ``int()`` would take them) is a
    :class:`DecodeError` ``"{what} {text!r}"``."""
    if not (text.isdigit() and text.isascii()):
        raise DecodeError(f"{what} {text!r}", text)
    return int(text)
