"""KuCoin's error codes → the core error tree: the adapter's one table.

REST envelopes (``{"code": "400005", "msg": ...}``, ``shared/reference/kucoin-ws.md``
§12) and WebSocket error frames (``{"type": "error", "code": 509, ...}``) share it: their
codes never collide (REST codes have six digits, socket codes three).
"""

from __future__ import annotations

from tickwire.core.errors import (
    AuthError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    SubscriptionError,
    UnknownOrder,
)
from tickwire.core.rest import ErrorTable

__all__ = ["ERRORS"]

ERRORS = ErrorTable(
    "kucoin",
    {
        "429000": RateLimited,  # quota exhausted, or server overload
        "400001": AuthError,  # a KC-API-* header is missing
        "400002": AuthError,  # KC-API-TIMESTAMP more than 5 s off
        "400003": AuthError,  # KC-API-KEY does not exist
        "400004": AuthError,  # bad passphrase
        "400005": AuthError,  # bad signature
        "400006": AuthError,  # IP not whitelisted
        "400007": AuthError,  # permission denied
        "411100": AuthError,  # user frozen
        "900001": SubscriptionError,  # symbol does not exist
        "400100": InvalidOrder,  # parameter error (msg says which)
        "400200": InvalidOrder,  # forbidden to place an order
        "400600": InvalidOrder,  # symbol not yet trading
        "200001": InvalidOrder,  # order creation suspended for the pair
        "200002": InvalidOrder,  # order cancel suspended (v1: a rate limit)
        "200003": InvalidOrder,  # too many orders
        "200004": InsufficientFunds,
        "126013": InsufficientFunds,  # HF trading: balance insufficient
        "126044": InvalidOrder,  # clientOid already used (placement reconciles it instead)
        # WebSocket error frames
        "509": RateLimited,  # message rate, or a subscription cap
        "404": SubscriptionError,  # unknown topic or symbol
        "401": AuthError,  # token expired or invalid
        "403": AuthError,
    },
    # A code that means something more specific with one exact message (never a
    # substring match: KuCoin's texts vary, and a near-miss falls back to the code's class).
    {
        ("400100", "order_not_exist_or_not_allow_to_cancel"): UnknownOrder,
        ("400100", "order_not_exist"): UnknownOrder,
    },
)
"""KuCoin error code → the most specific core error; other codes are ``ExchangeError``."""
