"""Subjects: where each event lives on the broker, and how symbols become subject tokens.

Every event goes to ``<prefix>.<venue>.<channel>.<symbol>``::

    tickwire.kraken.ticker.BTC_USD        Ticker for BTC/USD on Kraken
    tickwire.kucoin.book.ETH_USDT         BookUpdate (snapshots and deltas) for ETH/USDT
    tickwire.kraken.status.BTC_USD        StreamStatus naming a symbol (a book resync)
    tickwire.kraken.status.%              StreamStatus about a connection (no symbol)
    tickwire.kraken.error.%               StreamError the collector's client reported

so a consumer filters by wildcard: ``tickwire.*.ticker.>`` (every ticker),
``tickwire.kraken.>`` (one venue), ``tickwire.*.*.BTC_USD`` (one symbol everywhere).
The channel token is the event's :class:`~tickwire.core.types.Channel` value
(``ticker``, ``trades``, ``book``, ``candles``, ``balances``, ``orders``), or ``status`` /
``error`` for the two health events.

The token rule
--------------
A NATS subject token may not contain ``.``, ``*``, ``>`` or whitespace, and must not be
empty. A unified symbol is escaped one character at a time, left to right:

=====================================  ==================================================
character                              token
=====================================  ==================================================
``A-Z a-z 0-9 -``                      itself
``/``                                  ``_``  (so ``BTC/USD`` reads ``BTC_USD``)
anything else, ``_`` and ``%``         ``%XX`` per UTF-8 byte, upper-case hex
included (``.``, ``*``, space, ...)    (``A_B/C`` → ``A%5FB_C``, ``X.Y/Z`` → ``X%2EY_Z``)
no symbol at all (``None``)            ``%`` alone
=====================================  ==================================================

Each output character comes from exactly one input character, and ``_``/``%`` only ever
come from ``/`` and from an escape, so :func:`symbol_token` is injective and
:func:`token_symbol` inverts it exactly: two different symbols never share a subject.
The same rule applies to the venue token (venue names are lower-case words, so they stay
as they are). The prefix is a dotted subject of plain tokens (``tickwire``, ``prod.md``).
"""

from __future__ import annotations

import re

from tickwire.core.types import (
    CHANNEL_OF,
    Event,
    StreamError,
    StreamStatus,
)

__all__ = [
    "NO_SYMBOL",
    "channel_token",
    "event_subject",
    "filter_subject",
    "parse_subject",
    "symbol_token",
    "token_symbol",
    "validate_prefix",
]

NO_SYMBOL = "%"
"""The symbol token of an event that names no symbol (a connection status, an error)."""

STATUS = "status"
ERROR = "error"

_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_ESCAPE = re.compile(r"%([0-9A-F]{2})")
_PREFIX = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*")

# The subject's channel token: core's channels, plus one each for statuses and errors.
_CHANNEL_OF: dict[type, str] = {
    **{kind: channel.value for kind, channel in CHANNEL_OF.items()},
    StreamStatus: STATUS,
    StreamError: ERROR,
}

# Most symbols repeat forever: escape each once.
_token_cache: dict[str, str] = {}


def symbol_token(symbol: str | None) -> str:
    """The subject token of ``symbol`` (see the rule above); ``None`` gives ``%``."""
    if symbol is None:
        return NO_SYMBOL
    token = _token_cache.get(symbol)
    if token is not None:
        return token
    if not symbol:
        raise ValueError("a symbol token cannot be empty")
    parts: list[str] = []
    for char in symbol:
        if char in _PLAIN:
            parts.append(char)
        elif char == "/":
            parts.append("_")
        else:
            parts.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    token = "".join(parts)
    if len(_token_cache) < 100_000:
        _token_cache[symbol] = token
    return token


def token_symbol(token: str) -> str | None:
    """Invert :func:`symbol_token`; a token it could not have produced is a ValueError."""
    if token == NO_SYMBOL:
        return None
    out = bytearray()
    i = 0
    while i < len(token):
        char = token[i]
        if char == "%":
            match = _ESCAPE.match(token, i)
            if match is None:
                raise ValueError(f"bad escape in subject token {token!r}")
            out.append(int(match[1], 16))
            i += 3
            continue
        if char == "_":
            out.append(ord("/"))
        elif char in _PLAIN:
            out.append(ord(char))
        else:
            raise ValueError(f"character {char!r} cannot appear in a subject token")
        i += 1
    symbol = out.decode("utf-8")  # a bad UTF-8 sequence is a UnicodeDecodeError (ValueError)
    if not symbol or symbol_token(symbol) != token:  # e.g. an escaped "A" instead of "A"
        raise ValueError(f"{token!r} is not the canonical token of any symbol")
    return symbol


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a dotted subject of plain tokens, else raise ValueError."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"subject prefix {prefix!r}: dotted tokens of letters, digits, '-' and '_' only"
        )
    return prefix


def channel_token(event: Event) -> str:
    """The channel token of ``event``: its channel, or ``status``/``error``."""
    return _CHANNEL_OF[type(event)]


def event_subject(prefix: str, event: Event) -> str:
    """The subject ``event`` is published on."""
    symbol = getattr(event, "symbol", None)
    return f"{prefix}.{symbol_token(event.venue)}.{_CHANNEL_OF[type(event)]}.{symbol_token(symbol)}"


def filter_subject(
    prefix: str, venue: str | None = None, channel: str | None = None, symbol: str | None = None
) -> str:
    """A subject filter: ``None`` for the venue, channel or symbol is the ``*`` wildcard."""
    venue_token = "*" if venue is None else symbol_token(venue)
    channel_part = "*" if channel is None else channel
    symbol_part = "*" if symbol is None else symbol_token(symbol)
    return f"{prefix}.{venue_token}.{channel_part}.{symbol_part}"


def parse_subject(prefix: str, subject: str) -> tuple[str, str, str | None]:
    """``(venue, channel, symbol)`` of a subject under ``prefix``; ValueError otherwise."""
    if not subject.startswith(prefix + "."):
        raise ValueError(f"subject {subject!r} is not under {prefix!r}")
    tokens = subject[len(prefix) + 1 :].split(".")
    if len(tokens) != 3:
        raise ValueError(f"subject {subject!r}: expected <venue>.<channel>.<symbol>")
    venue = token_symbol(tokens[0])
    if venue is None:
        raise ValueError(f"subject {subject!r} names no venue")
    return venue, tokens[1], token_symbol(tokens[2])
