"""The KuCoin private socket: order and balance pushes, on a ``bullet-private`` token.

One :class:`PrivateSocket` per client with credentials: the
:class:`~tickwire.core.session.SessionHandler` of its own
:class:`~tickwire.core.session.Session`. Every connect signs a fresh
``POST /api/v1/bullet-private`` (a token is never reused), waits for ``welcome`` and
subscribes the private topics wanted so far (``privateChannel: true``), so they survive
every reconnect::

    subscribe("orders")   ─► /spotMarket/tradeOrdersV2  ─► OrderTracker ─► OrderUpdate
    subscribe("balances") ─► /account/balance           ─► to_balance ─► Balance

KuCoin does not replay private pushes missed while a socket was down: after a
``RESUBSCRIBED`` status, ask the REST API for the state of orders that matter.

Fees: the order push carries the fill (``matchPrice``, ``matchSize``) and whether it was
charged as maker or taker (``feeType``; ``liquidity`` when absent) but no fee. The fee
of a fill is therefore *computed* as ``matchPrice * matchSize * rate`` in the quote
currency, with ``rate`` from ``config.options["fee_rates"]`` (``{"maker": "0.001",
"taker": "0.001"}``, KuCoin's base spot rates, by default): set your account's rates
there (VIP level, KCS discount). A ``fee`` field in the push, should KuCoin add one, is
used as sent.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from time import time_ns
from typing import Any

from tickwire.adapters.kucoin.parse import VENUE, decode_frame
from tickwire.adapters.kucoin.parse_private import decode_private, to_balance, to_report
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.schemas import BalanceData, Message, OrderChangeData
from tickwire.adapters.kucoin.sockets import KucoinSocket, encode
from tickwire.adapters.kucoin.subscriptions import MESSAGES_PER_CONNECTION
from tickwire.core.config import Credentials
from tickwire.core.context import AdapterContext
from tickwire.core.deadline import Deadline
from tickwire.core.errors import AuthError, DecodeError, TickwireError
from tickwire.core.order_tracker import OrderTracker
from tickwire.core.ratelimit import RateLimiter
from tickwire.core.session import Session
from tickwire.core.types import Channel

__all__ = ["DEFAULT_FEE_RATE", "PRIVATE_CHANNELS", "PRIVATE_TOPICS", "PrivateSocket"]

PRIVATE_TOPICS: dict[Channel, str] = {
    Channel.ORDERS: "/spotMarket/tradeOrdersV2",  # V2: adds the "received" event
    Channel.BALANCES: "/account/balance",
}
"""The private channels and their topic (no symbol suffix: account-wide)."""
PRIVATE_CHANNELS = frozenset(PRIVATE_TOPICS)
"""The channels the private socket serves."""

DEFAULT_FEE_RATE = Decimal("0.001")
"""KuCoin's base spot fee rate, maker and taker (used unless ``fee_rates`` says)."""

_LIMIT_KEY = "kucoin:private"


class PrivateSocket(KucoinSocket):
    """The private socket of one client; see the module docstring."""

    where = "private socket"

    def __init__(self, context: AdapterContext, rest: KucoinRest, credentials: Credentials) -> None:
        super().__init__()
        self.context = context
        self.rest = rest
        self.credentials = credentials
        rates = context.config.options.get("fee_rates", {})
        self.fee_rates = {
            kind: Decimal(str(rates.get(kind, DEFAULT_FEE_RATE))) for kind in ("maker", "taker")
        }
        self.orders = OrderTracker(VENUE)  # every order's merged state: the average price
        self.topics: set[str] = set()  # wanted: restored on every connect
        self.live: set[str] = set()  # acked on the current socket
        self.healthy = asyncio.Event()  # up, welcomed and subscribed
        self.unhealthy = asyncio.Event()
        self.unhealthy.set()
        self.auth_failure: AuthError | None = None
        self.auth_failed = asyncio.Event()
        self._leaving: set[str] = set()  # topics whose unsubscribe awaits its ack
        self.session = context.session(
            self,
            name="private",
            limiter=RateLimiter({_LIMIT_KEY: MESSAGES_PER_CONNECTION}),
            limit_keys=(_LIMIT_KEY,),
            backpressure=False,  # order replies and account events never wait
        )

    # --- SessionHandler -----------------------------------------------------------------

    async def endpoint(self) -> str:
        """A fresh signed ``bullet-private`` token, every connect."""
        try:
            token = await self.rest.bullet_private(self.credentials)
        except AuthError as exc:
            self.auth_failure = exc
            self.auth_failed.set()
            raise
        heartbeat = self.context.config.heartbeat
        # A private socket can be quiet for hours: its pings must beat the idle timeout.
        ping = heartbeat.ping_interval or min(token.ping_interval, heartbeat.idle_timeout / 2)
        return self.connect_to(token, ping, f"private-{time_ns()}")

    async def on_open(self, session: Session) -> None:
        """Await ``welcome``, then subscribe every wanted private topic."""
        await self.welcome.wait()
        # Until none is missing: subscribe() may add topics while this one awaits acks.
        while missing := sorted(self.topics - self.live):
            for topic in missing:
                await self._request("subscribe", topic)
        self.unhealthy.clear()
        self.healthy.set()

    def on_frame(self, frame: bytes, received: int) -> None:
        """Private data to the client; acks and pongs to their requests. Never raises."""
        try:
            message = decode_frame(frame)
        except DecodeError as exc:
            self.context.error(exc, "private decode", exc.frame)
            return
        if type(message) is Message:
            self._dispatch(message, received)
        else:
            self.control(message, frame)

    def _dispatch(self, message: Message, received: int) -> None:
        topic = message.topic
        if topic not in self.topics:
            if topic not in self._leaving:  # else: its last pushes before the unsubscribe ack
                error = DecodeError(f"kucoin: push on an unsubscribed topic {topic!r}")
                self.context.error(error, "private socket", bytes(message.data))
            return
        try:
            data = decode_private(message)
            if isinstance(data, OrderChangeData):
                update = self.orders.apply(to_report(data, self.fee_rates), received)
                if update is not None:  # None: a fill seen before
                    self.context.emit(update)
            elif isinstance(data, BalanceData):
                self.context.emit(to_balance(data, received))
        except DecodeError as exc:
            self.context.error(exc, "private decode", exc.frame)

    def on_close(self, reason: str) -> None:
        """Not healthy any more: the managed dead man's switch stops refreshing."""
        self.live.clear()
        self.healthy.clear()
        self.unhealthy.set()

    async def on_stale(self, keys: list[Any]) -> None:
        """Nothing is watched: the idle timeout alone checks this socket."""

    # --- topics ---------------------------------------------------------------------

    async def _request(self, kind: str, topic: str) -> None:
        msg_id = f"p{self.session.next_id()}"
        body = {"id": msg_id, "type": kind, "topic": topic, "privateChannel": True}
        body["response"] = True
        timeout = self.context.config.request_timeout
        await self.session.request(msg_id, encode(body), timeout, f"kucoin {kind} {topic}")
        if kind == "subscribe":
            self.live.add(topic)
        else:
            self.live.discard(topic)

    async def subscribe(self, channel: Channel) -> None:
        """Subscribe a private channel (once the socket is up); restored on every
        reconnect. Raises what the venue answers, ``RequestTimeout`` without an ack or if
        the socket is down (``AuthError`` when the keys are refused).
        """
        topic = PRIVATE_TOPICS[channel]
        self.topics.add(topic)
        try:
            await self.wait_ready(self.context.deadline(f"kucoin subscribe {channel}"))
            if topic not in self.live:
                await self._request("subscribe", topic)
        except TickwireError:
            self.topics.discard(topic)
            raise

    async def wait_ready(self, deadline: Deadline) -> None:
        """Return once the socket is up and subscribed: ``AuthError`` when the keys are
        refused, else :meth:`AdapterContext.wait_ready`'s ``RequestTimeout``."""
        ready = asyncio.ensure_future(self.context.wait_ready(self.session, deadline))
        refused = asyncio.ensure_future(self.auth_failed.wait())
        try:
            done, _ = await asyncio.wait({ready, refused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            refused.cancel()
        if ready in done:
            return ready.result()  # or its RequestTimeout
        assert self.auth_failure is not None
        raise self.auth_failure

    async def unsubscribe(self, channel: Channel) -> None:
        """Stop a private channel."""
        topic = PRIVATE_TOPICS[channel]
        if topic not in self.topics:
            return
        self.topics.discard(topic)
        if self.healthy.is_set():
            self._leaving.add(topic)
            try:
                await self._request("unsubscribe", topic)
            finally:
                self._leaving.discard(topic)
