"""One line per config mistake: msgspec's validation messages said as TOML keys.

msgspec reports a bad value by its JSON path (``$.reconnect.max_delay``); someone
editing a TOML file thinks in dotted keys (``reconnect.max_delay``). :func:`describe`
turns one :class:`msgspec.ValidationError` into the line a
:class:`~tickwire.core.errors.ConfigError` shows: the key, what is wrong with it, and
for an unknown key the known key spelled most like it (a typo's likely intent). Kept
apart from :mod:`tickwire.core.config`, which defines the format, because it depends on
msgspec's message wording and nothing else: when that wording changes, only this
module does.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import msgspec

__all__ = ["describe"]

# msgspec's messages name the JSON path (`$.reconnect.max_delay`); say it as TOML keys.
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<key>[^`]*)`(?: - at `\$\.?(?P<at>.*)`)?")
_MISSING = re.compile(r"Object missing required field `(?P<key>[^`]*)`(?: - at `\$\.?(?P<at>.*)`)?")
_AT = re.compile(r"^(?P<what>.*) - at `\$\.?(?P<at>.*)`$")


def describe(exc: msgspec.ValidationError, known: Iterable[str], prefix: str = "") -> str:
    """One line naming the key: ``unknown key 'reconnect.maxdelay'`` and the like.

    ``known``: every key name of the format, for the "did you mean" hint.
    ``prefix``: the TOML key of the table that was converted on its own.
    """
    text = str(exc)
    for pattern, kind in ((_UNKNOWN, "unknown key"), (_MISSING, "missing key")):
        if match := pattern.fullmatch(text):
            key = ".".join(k for k in (prefix, match["at"], match["key"]) if k)
            hint = _closest(match["key"], known) if kind == "unknown key" else None
            return f"{kind} {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
    if match := _AT.fullmatch(text):
        what = match["what"].replace("`", "")
        key = ".".join(k for k in (prefix, match["at"]) if k)
        return f"key {key!r}: {what[:1].lower()}{what[1:]}"
    if prefix:
        return f"key {prefix!r}: {text[:1].lower()}{text[1:]}"
    return text


def _closest(key: str, known: Iterable[str]) -> str | None:
    """The known key spelled most like ``key`` (a typo's likely intent), if any."""
    matches = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
