"""examplex's error codes → the core error tree (any other code: ``ExchangeError``)."""

from __future__ import annotations

from tickwire.core.errors import (
    AuthError,
    InsufficientFunds,
    InvalidOrder,
    SubscriptionError,
    UnknownOrder,
)
from tickwire.core.rest import ErrorTable

ERRORS = ErrorTable(
    "examplex",
    {
        "unknown_market": SubscriptionError,
        "unknown_channel": SubscriptionError,
        "auth": AuthError,
        "not_logged_in": AuthError,
        "invalid_order": InvalidOrder,
        "insufficient_funds": InsufficientFunds,
        "unknown_order": UnknownOrder,
    },
)
