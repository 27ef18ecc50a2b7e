"""Private push topics: who may subscribe them, and who receives the account's pushes.

Reference §3, §4.2, §8: a token from ``POST /api/v1/bullet-private`` opens a connection
that may subscribe the private topics (their strings carry no symbol) with
``"privateChannel": true``. The emulator answers, on the subscribe's ``id``:

* a connection opened with a *public* token: ``401 "topic <t> requires a private token"``
  (the venue documents 401 as its auth error code, not this text);
* ``privateChannel`` not ``true``: ``400 "privateChannel must be true for topic <t>"``.

The emulated venue has one account: every private subscriber receives its pushes. The
envelope carries ``channelType: "private"`` and ``userId``; ``/account/balance`` pushes
also carry a top-level ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable

from tickwire.exchanges.base.server import Connection

__all__ = [
    "BALANCE",
    "ORDERS_V1",
    "ORDERS_V2",
    "PRIVATE_TOPICS",
    "PrivateFeed",
    "PrivateTopicError",
]

ORDERS_V2 = "/spotMarket/tradeOrdersV2"
ORDERS_V1 = "/spotMarket/tradeOrders"
BALANCE = "/account/balance"
PRIVATE_TOPICS = frozenset({ORDERS_V2, ORDERS_V1, BALANCE})
"""The private spot topics the emulator serves (V1 orders = V2 without ``received``)."""


class PrivateTopicError(Exception):
    """A private subscribe the venue refuses: ``code`` and ``text`` of the error frame."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text


class PrivateFeed:
    """Private tokens issued, private subscriptions, and the fan-out of private frames."""

    def __init__(self) -> None:
        self._tokens: set[str] = set()
        self.subs: dict[str, dict[Connection, None]] = {}

    # -- tokens ----------------------------------------------------------------------

    def grant(self, token: str) -> None:
        """Mark ``token`` (just issued) as a private one."""
        self._tokens.add(token)

    def is_private(self, token: str | None) -> bool:
        """Whether ``token`` came from ``bullet-private``."""
        return token is not None and token in self._tokens

    # -- subscriptions ---------------------------------------------------------------

    @staticmethod
    def check(topic: str, private_connection: bool, private_channel: object) -> None:
        """Raise :class:`PrivateTopicError` when a subscribe of ``topic`` must be refused."""
        if not private_connection:
            raise PrivateTopicError(401, f"topic {topic} requires a private token")
        if private_channel is not True:
            raise PrivateTopicError(400, f"privateChannel must be true for topic {topic}")

    def add(self, conn: Connection, topic: str) -> None:
        """Send ``topic``'s pushes to ``conn`` (idempotent)."""
        self.subs.setdefault(topic, {})[conn] = None

    def remove(self, conn: Connection, topics: Iterable[str] = PRIVATE_TOPICS) -> None:
        """Stop sending ``topics`` (all private topics by default) to ``conn``."""
        for topic in topics:
            subs = self.subs.get(topic)
            if subs is not None:
                subs.pop(conn, None)
                if not subs:
                    del self.subs[topic]

    def wanted(self, topic: str) -> bool:
        """Whether anyone is subscribed to ``topic`` (frames are built only then)."""
        return bool(self.subs.get(topic))

    def publish(self, topic: str, frame: bytes) -> None:
        """Queue ``frame`` to every subscriber of ``topic``."""
        for conn in self.subs.get(topic, ()):
            conn.send(frame)
