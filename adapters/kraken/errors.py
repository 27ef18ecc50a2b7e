"""Kraken error strings → :mod:`tickwire.core.errors`: one table for REST and WebSocket.

Kraken errors are strings like ``EOrder:Insufficient funds`` or
``EGeneral:Invalid arguments:no_mpp order option is only ...``: a category, a message,
and sometimes a detail. :func:`error_key` cuts the detail off (``EGeneral:Invalid
arguments``) and :data:`ERRORS` (a core :class:`~tickwire.core.rest.ErrorTable`) maps the
key by exact lookup, never by substring, so a near-miss falls back to a plain
:class:`~tickwire.core.errors.ExchangeError`::

    raise to_error("EOrder:Insufficient funds")      # InsufficientFunds
"""

from __future__ import annotations

from tickwire.core.errors import (
    AuthError,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    TransportError,
    UnknownOrder,
)
from tickwire.core.rest import ErrorTable

__all__ = ["ERRORS", "error_key", "to_error"]

ERRORS = ErrorTable(
    "kraken",
    {
        # credentials, tokens, permissions
        "EAPI:Invalid key": AuthError,
        "EAPI:Invalid signature": AuthError,
        "EAPI:Invalid nonce": AuthError,
        "EAPI:Invalid token": AuthError,
        "EGeneral:Permission denied": AuthError,
        "EGeneral:Temporary lockout": AuthError,  # repeated bad keys
        "EAccount:Invalid permissions": AuthError,
        "EAuth:Account temporary disabled": AuthError,
        "ESession:Invalid session": AuthError,  # subscribe with a missing or bad token
        "Token(s) not found": AuthError,  # trading method with a missing or bad token
        # limits
        "EOrder:Rate limit exceeded": RateLimited,
        "EOrder:Domain rate limit exceeded": RateLimited,
        "EAPI:Rate limit exceeded": RateLimited,
        "EGeneral:Too many requests": RateLimited,
        "Exceeded msg rate": RateLimited,
        # funds
        "EOrder:Insufficient funds": InsufficientFunds,
        "EOrder:Insufficient margin": InsufficientFunds,
        "EOrder:Margin level too low": InsufficientFunds,
        # no such open order
        "EOrder:Invalid order": UnknownOrder,
        "EOrder:Unknown order": UnknownOrder,
        # the order breaks a rule
        "EGeneral:Invalid arguments": InvalidOrder,
        "EOrder:Order minimum not met": InvalidOrder,
        "EOrder:Cost minimum not met": InvalidOrder,
        "EOrder:Tick size check failed": InvalidOrder,
        "EOrder:Invalid price": InvalidOrder,
        "EOrder:Post only order": InvalidOrder,  # a post-only order would take liquidity
        "EOrder:Orders limit exceeded": InvalidOrder,  # too many open orders: not time-based
        "EOrder:Reduce only:No position exists": InvalidOrder,
        "EOrder:Cannot open position": InvalidOrder,
        "EService:Market in cancel_only mode": InvalidOrder,
        "EService:Market in post_only mode": InvalidOrder,
        "EQuery:Unknown asset pair": InvalidOrder,
        "Unsupported field": InvalidOrder,  # "Unsupported field: '<f>' for the given msg type"
        "Currency pair not supported": InvalidOrder,  # "... <SYMBOL>" on an order's symbol
    },
)
"""Error key (see :func:`error_key`) → the most specific core error."""

# Field-type errors name the field first ("Limit_price field must be a number_float").
_FIELD_TYPE_SUFFIX = " field must be a number_float"
_MULTI_PART = ("EOrder:Reduce only:No position exists",)


def error_key(error: str) -> str:
    """The table key of a Kraken error string: its category and message, no detail."""
    for key in _MULTI_PART:  # the one documented key that itself holds two colons
        if error == key or error.startswith(key + ":"):
            return key
    if error.startswith("E") and ":" in error:
        category, _, rest = error.partition(":")
        return f"{category}:{rest.partition(':')[0]}"
    if error.startswith("Currency pair not supported"):
        return "Currency pair not supported"
    if error.endswith(_FIELD_TYPE_SUFFIX):
        return "EGeneral:Invalid arguments"
    return error.partition(":")[0]


def to_error(error: str) -> ExchangeError | TransportError:
    """The core exception for a Kraken error string of a socket reply (``code`` is the
    key, ``message`` the full string); unknown strings become a plain
    :class:`ExchangeError`."""
    return ERRORS.error(error_key(error), error)
