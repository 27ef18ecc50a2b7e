"""Channel options shared by every adapter: validation, defaults, the Subscription key.

Users speak tickwire's options (``depth`` for books, ``interval`` in seconds for
candles); each adapter declares, per channel, which options it takes, their defaults
and allowed values, and keeps the normalized values in its :class:`Subscription`. Only
the adapter's wire layer turns them into the venue's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from tickwire.core.types import Channel, Subscription

__all__ = ["ChannelOptions", "subscription_for"]


class ChannelOptions(msgspec.Struct, frozen=True):
    """The options one channel takes: defaults, and allowed values where restricted."""

    defaults: dict[str, Any] = {}
    allowed: dict[str, tuple[Any, ...]] = {}

    def options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Validate user options and fill in defaults; a ValueError names the option."""
        unknown = set(given) - set(self.defaults)
        if unknown:
            names = ", ".join(sorted(self.defaults)) or "none"
            raise ValueError(f"unknown option(s) {sorted(unknown)}; this channel takes {names}")
        merged = {**self.defaults, **given}
        for name, value in merged.items():
            if value not in self.allowed.get(name, (value,)):
                raise ValueError(f"{name}={value!r} is not one of {self.allowed[name]}")
        return merged


def subscription_for(channel: Channel, symbol: str, options: Mapping[str, Any]) -> Subscription:
    """The :class:`Subscription` for one unified symbol with normalized options."""
    return Subscription(channel, symbol, tuple(sorted(options.items())))
