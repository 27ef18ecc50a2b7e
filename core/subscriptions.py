"""Channel options shared by every adapter: validation, defaults, the Subscription key.

Users speak tickwire's options (``depth`` for books, ``interval`` in seconds for
candles); each adapter declares, per channel, which options it takes, their defaults
and allowed values, and keeps the normalized values in its :class:`Subscription`. Only
the adapter's wire layer turns them into the venue's parameters.

:func:`check_symbols` is the one rule for the ``symbols`` argument of every adapter's
``subscribe``/``unsubscribe`` (through ``BaseClient._checked``): a list of unified
symbols, never a bare string (which would subscribe each character) and, to subscribe a
market channel, never empty (which would subscribe nothing, silently).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from tickwire.core.types import Channel, Subscription

__all__ = ["ACCOUNT_CHANNELS", "ChannelOptions", "check_symbols", "subscription_for"]

ACCOUNT_CHANNELS = frozenset({Channel.BALANCES, Channel.ORDERS})
"""The channels that are account-wide: they take no symbols."""


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


def check_symbols(
    channel: Channel, symbols: Iterable[str], *, allow_empty: bool = False
) -> tuple[str, ...]:
    """``symbols`` as a tuple, or a ValueError saying what is wrong with them.

    Refused: a string (``"BTC/USD"`` instead of ``["BTC/USD"]``), an item that is not a
    non-empty string, and no symbols at all for a market channel unless ``allow_empty``
    (unsubscribing nothing is harmless). Account channels may always have none.
    """
    if isinstance(symbols, str | bytes):
        raise ValueError(
            f"{channel}: symbols must be a list of symbols, not the string {symbols!r} "
            f"(write [{symbols!r}])"
        )
    checked = tuple(symbols)
    for symbol in checked:
        if not isinstance(symbol, str) or not symbol:
            raise ValueError(f"{channel}: {symbol!r} is not a symbol (e.g. 'BTC/USDT')")
    if not checked and not allow_empty and channel not in ACCOUNT_CHANNELS:
        raise ValueError(f"{channel}: no symbols given; subscribe at least one (e.g. ['BTC/USDT'])")
    return checked
