"""RFC 3339 timestamps as exact integer nanoseconds, for venues that send them as text.

::

    rfc3339_to_ns("2023-10-04T15:25:00.000000001Z")      # 1696433100000000001
    parse_timestamp(entry.timestamp, received, "kraken")  # None -> received; DecodeError

No float and no ``datetime`` on the common path (``datetime`` would drop the nanosecond
digits): the ``YYYY-MM-DDTHH:MM:SS`` prefix is converted once per second and cached, and
a ``Z``-terminated fraction is one ``int()``. Microsecond timestamps (Kraken's, on every
ticker and book message) go faster still: two dict lookups, the millisecond (cached) and
the three digits after it with the ``Z``, which also proves the text's length and end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickwire.core.errors import DecodeError
from tickwire.core.validation import check_ts

__all__ = ["parse_timestamp", "rfc3339_to_ns"]

_NS_PER_SECOND = 1_000_000_000
# _FRACTION_SCALE[n]: nanoseconds per unit of an n-digit fraction.
_FRACTION_SCALE: tuple[int, ...] = tuple(10 ** (9 - n) for n in range(10))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)
# "YYYY-MM-DDTHH:MM:SS" -> ns since the epoch. Within a second every message shares the
# prefix, so the date arithmetic runs about once per second. Bounded: cleared when full.
_prefix_cache: dict[str, int] = {}
_PREFIX_CACHE_SIZE = 4096
# "YYYY-MM-DDTHH:MM:SS.mmm" -> ns, filled from validated texts: a busy feed has many
# messages per millisecond. "uuu" -> its microseconds in ns: the lookup is the digit check.
_milli_cache: dict[str, int] = {}
# "uuuZ" -> its microseconds in ns: the lookup is the digit check, and the Z ends the text.
_MICROS = {f"{n:03d}Z": n * 1000 for n in range(1000)}
# "mmm" -> its milliseconds in ns (a millisecond not yet cached, within a cached second).
_MILLIS = {f"{n:03d}": n * 1_000_000 for n in range(1000)}


def rfc3339_to_ns(text: str) -> int:
    """Return an RFC3339 timestamp as exact integer nanoseconds since the Unix epoch.

    Accepts any number of fraction digits (0, 6 or 9 are usual; digits beyond 9 are
    truncated) and a ``Z`` or ``±HH:MM`` offset. No float is involved::

        rfc3339_to_ns("2023-10-04T15:25:00.000000001Z") == 1696433100000000001

    Raises :class:`ValueError` on anything else.
    """
    # ".ffffffZ", the common case: a cached "YYYY-MM-DDTHH:MM:SS.mmm" (validated when it
    # was cached) followed by exactly "uuuZ". No length test: the two keys fix it.
    base = _milli_cache.get(text[:23])
    if base is not None:
        micros = _MICROS.get(text[23:])
        if micros is not None:
            return base + micros
    prefix = text[:19]
    base = _prefix_cache.get(prefix)
    if base is None:
        base = _prefix_ns(prefix)
    if text[19:20] == ".":
        # A new millisecond of a known second (a tenth of a busy feed's messages): two
        # more lookups, then cached for the messages that follow it.
        milli = _MILLIS.get(text[20:23])
        if milli is not None:
            micros = _MICROS.get(text[23:])
            if micros is not None:
                _remember_milli(text[:23], base + milli)
                return base + milli + micros
    # The fast path: ".ffffffZ" / ".fffffffffZ" (isascii: int() would take "٣" or "1_0").
    n = len(text)
    if n > 21 and text[19] == "." and text[-1] == "Z":
        fraction = text[20:-1]
        if n <= 30 and fraction.isdigit() and fraction.isascii():
            return base + int(fraction) * _FRACTION_SCALE[n - 21]
    elif n == 20 and text[19] == "Z":
        return base
    return base + _tail_ns(text[19:], text)


def _prefix_ns(prefix: str) -> int:
    """Validate ``YYYY-MM-DDTHH:MM:SS`` and return it as ns since the epoch (cached)."""
    if (
        len(prefix) != 19
        or prefix[4] != "-"
        or prefix[7] != "-"
        or prefix[10] not in "Tt"
        or prefix[13] != ":"
        or prefix[16] != ":"
    ):
        raise ValueError(f"not an RFC3339 timestamp: {prefix!r}")
    fields = (prefix[0:4], prefix[5:7], prefix[8:10], prefix[11:13], prefix[14:16], prefix[17:19])
    if not all(f.isdigit() and f.isascii() for f in fields):
        raise ValueError(f"not an RFC3339 timestamp: {prefix!r}")
    # datetime checks the ranges (month 13, Feb 30, hour 24 and leap second 60 fail).
    year, month, day, hour, minute, second = (int(f) for f in fields)
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    ns = (moment - _EPOCH) // _ONE_SECOND * _NS_PER_SECOND
    if len(_prefix_cache) >= _PREFIX_CACHE_SIZE:
        _prefix_cache.clear()
    _prefix_cache[prefix] = ns
    return ns


def _remember_milli(key: str, ns: int) -> None:
    """Cache a validated millisecond (bounded like the prefix cache: cleared when full)."""
    if len(_milli_cache) >= _PREFIX_CACHE_SIZE:
        _milli_cache.clear()
    _milli_cache[key] = ns


def _tail_ns(tail: str, text: str) -> int:
    """The general case after the seconds: ``[.fraction](Z|±HH:MM)`` as a ns offset."""
    fraction_ns = 0
    if tail[:1] == ".":
        end = 1
        while end < len(tail) and "0" <= tail[end] <= "9":
            end += 1
        digits = tail[1:end][:9]
        if not digits:
            raise ValueError(f"not an RFC3339 timestamp: {text!r}")
        fraction_ns = int(digits) * _FRACTION_SCALE[len(digits)]
        tail = tail[end:]
    if tail in ("Z", "z"):
        return fraction_ns
    if (
        len(tail) == 6
        and tail[0] in "+-"
        and tail[3] == ":"
        and (tail[1:3] + tail[4:6]).isdigit()
        and tail.isascii()
    ):
        hours, minutes = int(tail[1:3]), int(tail[4:6])
        if hours < 24 and minutes < 60:
            offset = (hours * 60 + minutes) * 60 * _NS_PER_SECOND
            # Local time = UTC + offset, so UTC = local - offset.
            return fraction_ns - offset if tail[0] == "+" else fraction_ns + offset
    raise ValueError(f"not an RFC3339 timestamp: {text!r}")


def parse_timestamp(text: str | None, default: int, venue: str) -> int:
    """An optional wire timestamp as ns, or ``default`` when absent.

    Raises :class:`~tickwire.core.errors.DecodeError` (naming ``venue``) when the text
    is not RFC 3339 or lies outside the years 2000 to 2100, so every decoding failure
    has one exception type.
    """
    if text is None:
        return default
    try:
        ns = rfc3339_to_ns(text)
    except ValueError as exc:
        raise DecodeError(f"{venue}: bad timestamp: {exc}", text) from exc
    return check_ts(ns, f"{venue}: timestamp {text!r}")
