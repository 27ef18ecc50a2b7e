"""One KuCoin public socket: the :class:`~tickwire.core.handlers.SessionHandler` of its own
:class:`~tickwire.core.session.Session`, serving one shard of core's
:class:`~tickwire.core.shards.Shards`. Its liveness (idle threshold from the token's
ping interval and timeout, per-topic staleness) is described in ``docs/venues/kucoin.md``.

Keepalive pings all carry the id ``ping``: they are answered by a pong nobody awaits,
and numbering them from the session's ids would make a request's id depend on when the
keepalive fired (a replay, which sends no pings, issues the recorded ids). A reply to any
other id that no request awaits is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from time import time_ns
from typing import Any

import msgspec

from tickwire.adapters.kucoin.book import EXTENSION, KucoinBook
from tickwire.adapters.kucoin.errors import ERRORS
from tickwire.adapters.kucoin.parse import decode_frame, decode_push, push_of, to_unified
from tickwire.adapters.kucoin.rest import BulletToken
from tickwire.adapters.kucoin.schemas import (
    Ack,
    ErrorFrame,
    MarketPush,
    Message,
    Pong,
    PushFrame,
    Welcome,
)
from tickwire.adapters.kucoin.subscriptions import Topic, channel_of, topic_string
from tickwire.core.context import AdapterContext
from tickwire.core.errors import DecodeError
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.session import Session
from tickwire.core.shards import RoutedSocket, Routes, Shard
from tickwire.core.types import Channel

__all__ = ["PING_ID", "KucoinSocket", "Socket", "encode"]

encode = msgspec.json.Encoder().encode
PING_ID = "ping"
"""The id of every keepalive ping (see the module docstring)."""
_PING = encode({"id": PING_ID, "type": "ping"})
_LIMIT_KEY = "kucoin:conn"


class KucoinSocket:
    """What every KuCoin socket handler shares: ``welcome``, the replies to its requests,
    error frames, and the keepalive ping."""

    context: AdapterContext
    session: Session
    where = "socket"  # names the socket in the errors it reports
    ping_frame: bytes | None = _PING  # KuCoin's own ping (counted in the message rate)

    def __init__(self) -> None:
        self.welcome = asyncio.Event()
        self.connect_id = ""  # matches error frames about this connection

    def control(self, message: PushFrame, frame: bytes) -> None:
        """Handle a frame that is not a data push."""
        if isinstance(message, Ack | Pong):
            msg_id = message.id  # always a string
            if not self.session.pending.resolve(msg_id, frame) and msg_id != PING_ID:
                unknown = DecodeError(f"kucoin: reply to an unknown request id {msg_id!r}", frame)
                self.context.error(unknown, self.where)
        elif isinstance(message, Welcome):
            self.welcome.set()
        elif isinstance(message, ErrorFrame):
            error = ERRORS.error(message.code, message.data)
            if message.id is not None and self.session.pending.reject(message.id, error):
                return
            self.context.error(error, self.where)
            if message.id is None or message.id == self.connect_id:
                # About the connection itself (an expired token): this socket is done for.
                self.session.drop(f"error {message.code}: {message.data}")

    def connect_to(self, token: BulletToken, ping_interval: float, connect_id: str) -> str:
        """The URL of a fresh connection with ``token``; pings every ``ping_interval``."""
        self.session.ping_interval = ping_interval
        self.welcome.clear()
        self.connect_id = connect_id
        return token.url(connect_id)


class Socket(KucoinSocket, RoutedSocket[Topic]):
    """One socket of a shard (:class:`~tickwire.core.shards.Shards`); see the module
    docstring. ``bullet`` fetches a token; pushes go by core's ``routes``.

    ``level2``: the client's level2 books (native symbol → book) and the event hub it
    pushes to, when its level2 handler is the standard one: with the C extension built
    (:data:`~.book.EXTENSION`), ``on_frame`` is then the extension's handler, which takes
    a fresh increment for a synced book in one C call and hands every other frame to
    :meth:`RoutedSocket.on_frame <tickwire.core.shards.RoutedSocket.on_frame>`.
    """

    def __init__(
        self,
        shard: Shard[Topic],
        *,
        quota: Quota,
        bullet: Callable[[], Awaitable[BulletToken]],
        routes: Routes,
        level2: tuple[Mapping[str, KucoinBook], Any] | None = None,
    ) -> None:
        KucoinSocket.__init__(self)
        RoutedSocket.__init__(self, shard, routes, decode_push)
        self.where = f"shard {shard.index}"
        self._bullet = bullet
        self.session: Session = self.context.session(
            self,
            name=f"shard-{shard.index}",
            limiter=RateLimiter({_LIMIT_KEY: quota}),  # one per socket: KuCoin counts per socket
            limit_keys=(_LIMIT_KEY,),
        )
        if EXTENSION is not None and level2 is not None:
            books, events = level2
            # An instance attribute, not an override: a Python on_frame in front of the
            # C one would cost every other frame (tickers) a Python call. The handler
            # reads what RoutedSocket.on_frame reads through public names (shard.primary,
            # the taps the base took, session.activity), and falls back to it (called
            # as RoutedSocket.on_frame(self, frame, received): no bound method between).
            fallback = RoutedSocket.on_frame
            handler = EXTENSION.handler(fallback, self, shard, shard.owner.taps, books, events)
            self.on_frame = handler  # type: ignore[method-assign]

    # --- SessionHandler -------------------------------------------------------------

    async def endpoint(self) -> str:
        """A fresh bullet token every time (never cached: it expires), and its ping period."""
        token = await self._bullet()
        heartbeat = self.context.config.heartbeat
        ping = heartbeat.ping_interval or token.ping_interval
        # KuCoin sends no heartbeat: a quiet socket shows life only by answering pings.
        self.session.idle_timeout = max(heartbeat.idle_timeout, ping + token.ping_timeout)
        return self.connect_to(token, ping, str(time_ns()))

    async def on_open(self, session: Session) -> None:
        """Await ``welcome`` (the socket is unusable before), then subscribe the shard."""
        await self.welcome.wait()
        await self.restore()

    def other(self, frame: bytes, received: int) -> MarketPush | None:
        """A frame :func:`decode_push` refused: a control frame, ``/market/ticker:all``, a
        raw topic's push, or a bad frame (reported)."""
        try:
            message = decode_frame(frame)
            if type(message) is not Message:
                self.control(message, frame)
                return None
            topic = message.topic
            if channel_of(Topic(topic.partition(":")[0], "")) is not None:
                if topic in self.session.activity:  # ticker:all: its push names the symbol
                    self.session.activity[topic] = received
                return push_of(message)
        except DecodeError as exc:
            self.context.error(exc, "decode", exc.frame)
            return None
        self.shard.owner.unrouted(topic, frame)
        return None

    # --- ShardSocket ------------------------------------------------------------------

    def describe(self, topic: Topic) -> tuple[Channel | None, str | None]:
        """The channel a topic feeds and its unified symbol (for staleness and ``STALE``)."""
        return channel_of(topic), to_unified(topic.native)

    def message(self, kind: str, topics: list[Topic]) -> tuple[str, bytes]:
        """A (un)subscribe frame for one batch, under a fresh id."""
        msg_id = str(self.session.next_id())
        body = {"id": msg_id, "type": kind, "topic": topic_string(topics)}
        return msg_id, encode({**body, "privateChannel": False, "response": True})

    def ping(self) -> tuple[str, bytes]:
        """A numbered ping (not a keepalive's): its pong ends a barrier."""
        msg_id = str(self.session.next_id())
        return msg_id, encode({"id": msg_id, "type": "ping"})
