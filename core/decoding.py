"""Venue bytes → wire Structs: every failure msgspec may raise on a hostile frame becomes
core's one :class:`~tickwire.core.errors.DecodeError`, here once for every adapter::

    frame = strict(_frame_decoder, raw, "kucoin: not a push frame")
    data = strict(_decoders[msg.subject], msg.data, f"kucoin: bad {msg.subject!r} data")

A hot path that tries a fast decoder first catches :data:`UNDECODABLE` itself, with no
call in between, and falls back to a :func:`strict` decode.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from tickwire.core.errors import DecodeError

__all__ = ["UNDECODABLE", "digits", "strict"]

T = TypeVar("T")

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


def digits(text: str, what: str) -> int:
    """A venue's decimal integer in a string (``"14610502970"``) as an int; anything else
    (a sign, spaces, ``_``, non-ASCII digits: ``int()`` would take them) is a
    :class:`DecodeError` ``"{what} {text!r}"``."""
    if not (text.isdigit() and text.isascii()):
        raise DecodeError(f"{what} {text!r}", text)
    return int(text)
