"""The KuCoin private socket: order and balance pushes, on a ``bullet-private`` token.

One :class:`PrivateSocket` per client with credentials: the
:class:`~tickwire.core.session.SessionHandler` of its own
:class:`~tickwire.core.session.Session`. Every connect signs a fresh
``POST /api/v1/bullet-private`` (a token is never reused), waits for ``welcome`` and
subscribes the private topics wanted so far (``privateChannel: true``)::

    subscribe("orders")   ─► /spotMarket/tradeOrdersV2  ─► OrderTracker ─► OrderUpdate
    subscribe("balances") ─► /account/balance           ─► to_balance ─► Balance

Fills carry no fee: it is computed from ``config.options["fee_rates"]``
(:func:`~.parse_private.to_report`; ``docs/venues/kucoin.md`` says more).
"""

from __future__ import annotations

from decimal import Decimal
from time import time_ns

from tickwire.adapters.kucoin.parse import decode_frame
from tickwire.adapters.kucoin.parse_private import decode_private, to_balance, to_report
from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.schemas import BalanceData, Message, OrderChangeData
from tickwire.adapters.kucoin.sockets import KucoinSocket, encode
from tickwire.adapters.kucoin.subscriptions import MESSAGES_PER_CONNECTION
from tickwire.core.account import AccountSocket
from tickwire.core.context import AdapterContext
from tickwire.core.errors import DecodeError
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
_CHANNELS = {topic: channel for channel, topic in PRIVATE_TOPICS.items()}

DEFAULT_FEE_RATE = Decimal("0.001")
"""KuCoin's base spot fee rate, maker and taker (used unless ``fee_rates`` says)."""

_LIMIT_KEY = "kucoin:private"


class PrivateSocket(KucoinSocket, AccountSocket):
    """The private socket of one client (core's
    :class:`~tickwire.core.account.AccountSocket`); see the module docstring."""

    where = "private socket"

    def __init__(self, context: AdapterContext, rest: KucoinRest) -> None:
        KucoinSocket.__init__(self)
        AccountSocket.__init__(
            self,
            context,
            limiter=RateLimiter({_LIMIT_KEY: MESSAGES_PER_CONNECTION}),
            limit_keys=(_LIMIT_KEY,),
        )
        self.rest = rest
        rates = context.config.options.get("fee_rates", {})
        self.fee_rates = {
            kind: Decimal(str(rates.get(kind, DEFAULT_FEE_RATE))) for kind in ("maker", "taker")
        }
        self.live: set[Channel] = set()  # acked on the current socket

    # --- AccountSocket ------------------------------------------------------------------

    async def connect_url(self) -> str:
        """A fresh signed ``bullet-private`` token, every connect."""
        token = await self.rest.bullet_private()
        heartbeat = self.context.config.heartbeat
        # A private socket can be quiet for hours: its pings must beat the idle timeout.
        ping = heartbeat.ping_interval or min(token.ping_interval, heartbeat.idle_timeout / 2)
        return self.connect_to(token, ping, f"private-{time_ns()}")

    async def restore(self, session: Session) -> None:
        """Await ``welcome``, then subscribe every wanted private topic."""
        await self.welcome.wait()
        # Until none is missing: subscribe() may add channels while this one awaits acks.
        while missing := sorted(self.wanted - self.live):
            for channel in missing:
                await self.send(channel, True)

    async def send(self, channel: Channel, subscribe: bool) -> None:
        """Subscribe (unless acked already) or unsubscribe one private topic."""
        if subscribe and channel in self.live:
            return
        kind, topic = "subscribe" if subscribe else "unsubscribe", PRIVATE_TOPICS[channel]
        msg_id = f"p{self.session.next_id()}"
        body = {"id": msg_id, "type": kind, "topic": topic, "privateChannel": True}
        body["response"] = True
        timeout = self.context.config.request_timeout
        await self.session.request(msg_id, encode(body), timeout, f"kucoin {kind} {topic}")
        if subscribe:
            self.live.add(channel)
        else:
            self.live.discard(channel)

    def on_close(self, reason: str) -> None:
        """Nothing is subscribed on the next socket yet; not healthy any more."""
        self.live.clear()
        AccountSocket.on_close(self, reason)

    # --- frames -------------------------------------------------------------------------

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
        channel = _CHANNELS.get(message.topic)
        if channel not in self.wanted:
            if channel not in self.leaving:  # else: its last pushes before the unsubscribe ack
                error = DecodeError(f"kucoin: push on an unsubscribed topic {message.topic!r}")
                self.context.error(error, "private socket", bytes(message.data))
            return
        try:
            data = decode_private(message)
            if isinstance(data, OrderChangeData):
                update = self.tracker.apply(to_report(data, self.fee_rates), received)
                if update is not None:  # None: a fill seen before
                    self.context.emit(update)
            elif isinstance(data, BalanceData):
                self.context.emit(to_balance(data, received))
        except DecodeError as exc:
            self.context.error(exc, "private decode", exc.frame)
