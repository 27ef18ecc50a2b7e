"""The one exception tree of tickwire.

Every error a client raises is a :class:`TickwireError`; venue errors are mapped once per
adapter (one table, one context manager) to the most specific class::

    TickwireError
     ├── TransportError                  the connection failed
     │    ├── ConnectTimeout             no socket within the connect timeout
     │    ├── Disconnected               the socket closed under a pending request
     │    └── HeartbeatTimeout           the feed went silent past its threshold
     ├── ExchangeError(venue, code, message)   the venue said no
     │    ├── AuthError                  bad key, signature, token or permission
     │    ├── RateLimited(retry_after)   a venue limit was hit
     │    ├── SubscriptionError          unknown symbol or channel, already subscribed
     │    ├── InvalidOrder               the order breaks a venue rule
     │    │    └── BatchRejected(acks, failures)   some orders of a batch were refused
     │    ├── InsufficientFunds
     │    └── UnknownOrder               no such open order
     ├── DecodeError(frame)              a frame did not match the venue schema
     ├── BookOutOfSync                   sequence gap or checksum mismatch
     ├── RequestTimeout                  no correlated reply in time
     ├── NotSupported                    the venue or adapter lacks the feature
     ├── ConfigError                     bad configuration
     └── PluginError                     a plugin failed to load or clashed

Messages never contain credentials: adapters build them from venue codes and texts, and
:class:`DecodeError` keeps only the start of the frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tickwire.core.types import OrderAck

__all__ = [
    "AuthError",
    "BatchRejected",
    "BookOutOfSync",
    "ConfigError",
    "ConnectTimeout",
    "DecodeError",
    "Disconnected",
    "ExchangeError",
    "HeartbeatTimeout",
    "InsufficientFunds",
    "InvalidOrder",
    "NotSupported",
    "PluginError",
    "RateLimited",
    "RequestTimeout",
    "SubscriptionError",
    "TickwireError",
    "TransportError",
    "UnknownOrder",
]

FRAME_EXCERPT = 200  # how much of an offending frame errors and StreamErrors keep


class TickwireError(Exception):
    """The root of every error tickwire raises."""


class TransportError(TickwireError):
    """The connection to the venue failed or was lost."""


class ConnectTimeout(TransportError):
    """No socket (or no welcome) within the connect timeout."""


class Disconnected(TransportError):
    """The socket closed while a request was waiting for its reply."""


class HeartbeatTimeout(TransportError):
    """Nothing arrived for longer than the heartbeat threshold."""


class ExchangeError(TickwireError):
    """The venue refused a request. ``code`` is the venue's own code or error string."""

    def __init__(self, venue: str, code: str | int, message: str) -> None:
        super().__init__(f"{venue}: {message} ({code})")
        self.venue = venue
        self.code = code
        self.message = message


class AuthError(ExchangeError):
    """Bad key, signature, timestamp, passphrase, token or permission."""


class RateLimited(ExchangeError):
    """A venue limit was hit. ``retry_after`` is in seconds, when the venue says."""

    def __init__(
        self, venue: str, code: str | int, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(venue, code, message)
        self.retry_after = retry_after


class SubscriptionError(ExchangeError):
    """A subscribe or unsubscribe was refused (unknown symbol or channel, duplicate)."""


class InvalidOrder(ExchangeError):
    """The order breaks a venue rule (size, price increment, post-only would cross...)."""


class BatchRejected(InvalidOrder):
    """Some orders of a batch were refused or lost; nothing was retried.

    ``acks`` holds the orders placed (in request order); ``failures`` maps the client id
    of each other one to its error: the venue's refusal for that row, or the typed error
    of a placement lost in flight that reconciliation could not confirm. Every venue
    raises this same shape, so a strategy handles batches alike everywhere.
    """

    def __init__(
        self, venue: str, acks: list[OrderAck], failures: dict[str, TickwireError]
    ) -> None:
        detail = "; ".join(f"{cid}: {exc}" for cid, exc in failures.items())
        super().__init__(venue, "batch", f"{len(failures)} order(s) refused ({detail})")
        self.acks = acks
        self.failures = failures


class InsufficientFunds(ExchangeError):
    """Not enough balance for the order."""


class UnknownOrder(ExchangeError):
    """No such open order (never existed, or already closed)."""


class DecodeError(TickwireError):
    """A frame did not match the venue schema. ``frame`` holds its first bytes."""

    def __init__(self, message: str, frame: bytes | str = b"") -> None:
        excerpt = frame[:FRAME_EXCERPT]
        self.frame = excerpt.decode("utf-8", "replace") if isinstance(excerpt, bytes) else excerpt
        super().__init__(message)


class BookOutOfSync(TickwireError):
    """A sequence gap or checksum mismatch: the local book can no longer be trusted."""

    def __init__(self, symbol: str, reason: str) -> None:
        super().__init__(f"{symbol}: {reason}")
        self.symbol = symbol
        self.reason = reason


class RequestTimeout(TickwireError):
    """No correlated reply arrived in time. The request may still have reached the venue."""


class NotSupported(TickwireError):
    """The venue, or this adapter, does not offer the feature."""


class ConfigError(TickwireError):
    """The configuration is invalid. The message names the key and the file."""


class PluginError(TickwireError):
    """A plugin failed to import or registered a name that is already taken."""
