"""Private push topics: who may subscribe them, and who receives the account's pushes.

Reference §3, §4.2, §8: a token from ``POST /api/v1/bullet-private`` opens a connection
that may subscribe the private topics (their strings carry no symbol) with
``"privateChannel": true``. The emulator answers, on the subscribe's ``id``:

* a connection opened with a *public* token: ``401 "topic <t> requires a private token"``
  (the venue documents 401 as its auth error code, not this text);
* ``privateChannel`` not ``true``: ``400 "privateChannel must be true for topic <t>"``.

Each API key has its own account (:mod:`.accounts`), and each account its own
:class:`PrivateFeed`: a ``bullet-private`` token is granted to the feed of the key that
asked for it (:class:`PrivateTokens`), so a connection only ever receives its own
account's pushes. The envelope carries ``channelType: "private"`` and ``userId``;
``/account/balance`` pushes also carry a top-level ``id``.
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
    "PrivateTokens",
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


class PrivateTokens:
    """The private tokens issued so far, each bound to its account's feed."""

    def __init__(self) -> None:
        self._feeds: dict[str, PrivateFeed] = {}

    def grant(self, token: str, feed: PrivateFeed) -> None:
        """Bind ``token`` (just issued by ``bullet-private``) to ``feed``."""
        self._feeds[token] = feed

    def feed_for(self, token: str | None) -> PrivateFeed | None:
        """The feed a connection opened with ``token`` serves; ``None``: a public token."""
        return None if token is None else self._feeds.get(token)


class PrivateFeed:
    """One account's private subscriptions and the fan-out of its private frames."""

    def __init__(self) -> None:
        self.subs: dict[str, dict[Connection, None]] = {}

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
