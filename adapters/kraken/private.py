"""The Kraken auth socket: token per connect, ``executions`` and ``balances``, trading replies.

Data flow, top to bottom::

    endpoint(): REST GetWebSocketsToken (a fresh token for every connect)
    on_open():  subscribe executions (snap_orders + snap_trades) → wait for its snapshot;
                restore balances if the user subscribed it
    frames:     parse.decode_private_frame ─► OrderTracker (sparse reports → complete
                OrderUpdate) / parse.to_balances ─► EventStream;
                method replies resolve ``session.pending`` by ``req_id``

``executions`` is always subscribed on the auth socket, whatever the user subscribed:
order methods need it to merge sparse reports into complete updates and to reconcile a
placement cut by a disconnect (by ``cl_ord_id``, in the snapshot of the next
connection). ``subscribe("orders")`` only decides whether OrderUpdates reach the stream.

Each private subscription's ``sequence`` must grow by one per message; a gap is reported
as ``RESYNCING`` for its channel and the subscription is renewed for a fresh snapshot
(``RESYNCED`` when it arrives). The token is kept out of every log, repr and error.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine, Hashable
from time import time_ns
from typing import Any

import aiohttp
import httpx
import msgspec

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.errors import to_error
from tickwire.adapters.kraken.executions import OrderTracker, check_execution
from tickwire.adapters.kraken.native import PING_IDS_FROM, RecentIds
from tickwire.adapters.kraken.private_schemas import BalancesMessage, ExecutionsMessage
from tickwire.adapters.kraken.rest import REST_URL, KrakenRest, WsToken
from tickwire.adapters.kraken.schemas import MethodResponse
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.errors import (
    AuthError,
    ConnectTimeout,
    DecodeError,
    Disconnected,
    ExchangeError,
    RequestTimeout,
    SubscriptionError,
    TransportError,
)
from tickwire.core.fanout import EventHub
from tickwire.core.session import Session
from tickwire.core.types import Channel, StreamError, StreamState, StreamStatus

__all__ = ["AUTH_WS_URL", "KrakenPrivate"]

AUTH_WS_URL = "wss://ws-auth.kraken.com/v2"
PING_INTERVAL = 10.0

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder(decimal_format="number").encode
_CHANNELS = {"executions": Channel.ORDERS, "balances": Channel.BALANCES}

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


class KrakenPrivate:
    """The auth socket's :class:`~tickwire.core.session.SessionHandler` and its state.

    ``tracker`` holds every order's merged state; ``generation`` counts connections
    (1 for the first); :meth:`wait_synced` waits for the executions snapshot of a
    connection newer than a given one.
    """

    def __init__(
        self,
        config: ClientConfig,
        credentials: Credentials,
        events: EventHub,
        spawn: Spawn,
        *,
        venue: str = parse.VENUE,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.venue = venue
        self._config = config
        self._events = events
        self._spawn = spawn
        self._url = config.ws_auth_url or AUTH_WS_URL
        self._rest = KrakenRest(
            config.rest_url or REST_URL,
            credentials,
            timeout=config.request_timeout,
            transport=transport,
        )
        self._next_token: WsToken | None = None
        self._token = ""  # the current connection's token: never logged
        self._session: Session | None = None
        self._req_ids = itertools.count(1)
        self._pings = RecentIds()  # keepalive pings awaiting their pong
        # Pings are numbered apart from requests: a request's id must not depend on when
        # the keepalive fired (a replay issues the requests again, with the recorded ids).
        self._ping_ids = itertools.count(PING_IDS_FROM)
        self.tracker = OrderTracker()
        self.generation = 0
        self._synced_generation = 0  # the newest connection whose snapshot arrived
        self._synced_event = asyncio.Event()  # set (and replaced) when it changes
        self._baseline_taken = False
        self._sequences: dict[str, int] = {}
        self._resyncing: set[str] = set()
        self.wants_orders = False  # the user subscribed "orders"
        self.wants_balances = False  # the user subscribed "balances"
        self._auth_failure: AuthError | None = None  # why the last connect was refused

    def __repr__(self) -> str:
        return f"KrakenPrivate({self._url!r})"

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self, http: aiohttp.ClientSession) -> None:
        """Fetch the first token (a bad key fails here, as AuthError), then connect."""
        config = self._config
        self._next_token = await self._rest.websockets_token()
        self._session = Session(
            self,
            name="private",
            venue=self.venue,
            events=self._events,
            http=http,
            reconnect=config.reconnect,
            heartbeat=config.heartbeat,
            connect_timeout=config.connect_timeout,
            ping_interval=config.heartbeat.ping_interval or PING_INTERVAL,
            max_frame_size=config.max_frame_size,
            backpressure=False,  # order replies and account events never wait
        )
        self._spawn(self._session.run(), "kraken-private")
        try:
            async with asyncio.timeout(config.connect_timeout):
                await self._session.wait_ready()
        except TimeoutError:
            if self._auth_failure is not None:  # e.g. a token the socket refused
                raise self._auth_failure from None
            raise ConnectTimeout(
                f"{self.venue}: auth socket not connected within {config.connect_timeout:g}s "
                f"({self._session.last_reason})"
            ) from None

    async def close(self) -> None:
        """Close the socket and the REST client."""
        if self._session is not None:
            await self._session.close()
        await self._rest.aclose()

    @property
    def session(self) -> Session:
        """The auth socket's session."""
        if self._session is None:
            raise RuntimeError("the private side is not started")
        return self._session

    @property
    def token(self) -> str:
        """The current connection's token, for ``params.token``."""
        return self._token

    async def wait_ready(self, timeout: float, what: str) -> Session:
        """The session once it is up, or :class:`Disconnected` after ``timeout`` seconds."""
        session = self.session
        if not session.ready:
            try:
                async with asyncio.timeout(timeout):
                    await session.wait_ready()
            except TimeoutError:
                reason = session.last_reason
                raise Disconnected(
                    f"{self.venue} {what}: auth socket not connected within {timeout:g}s "
                    f"({reason}); nothing was sent"
                ) from None
        return session

    async def wait_synced(self, generation: int) -> None:
        """Return once a connection newer than ``generation`` delivered its snapshot."""
        while self._synced_generation <= generation:
            await self._synced_event.wait()

    # --- SessionHandler ----------------------------------------------------------------

    async def endpoint(self) -> str:
        """Fetch a fresh token (the first one was fetched by :meth:`start`)."""
        token, self._next_token = self._next_token, None
        if token is None:
            try:
                token = await self._rest.websockets_token()
            except AuthError as exc:
                self._auth_failure = exc
                raise
        self._token = token.token
        return self._url

    async def on_open(self, session: Session) -> None:
        """Subscribe executions and wait for its snapshot; restore balances."""
        self.generation += 1
        generation = self.generation
        await self.subscribe_wire(session, "executions", snap_orders=True, snap_trades=True)
        if self.wants_balances:
            await self.subscribe_wire(session, "balances")
        # Ready means synced: order methods and reconciliation trust the tracker then.
        await self.wait_synced(generation - 1)
        self._auth_failure = None

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and act on it; a bad frame becomes one StreamError."""
        try:
            message = parse.decode_private_frame(frame)
            kind = type(message)
            if kind is ExecutionsMessage:
                self._on_executions(message, received)  # type: ignore[arg-type]
            elif kind is BalancesMessage:
                self._on_balances(message, received)  # type: ignore[arg-type]
            elif kind is MethodResponse:
                self._on_response(message)  # type: ignore[arg-type]
        except DecodeError as exc:
            self._push_error(exc, "decode", frame)

    def _on_response(self, response: MethodResponse) -> None:
        req_id = response.req_id
        if req_id is None or self.session.pending.resolve(req_id, response):
            return
        if response.method == "pong" and self._pings.take(req_id):
            return  # the keepalive's pong: nobody waits for it
        # Nothing waits for it: a request we never sent, or one its caller gave up on
        # (RequestTimeout); an order reply nobody reads must not vanish silently.
        raise DecodeError(
            f"kraken: {response.method} reply to req_id {req_id} matches no pending request"
        )

    def on_close(self, reason: str) -> None:
        """The socket is gone: its sequences and token are void."""
        self._sequences.clear()
        self._resyncing.clear()
        self._token = ""

    def ping_message(self) -> bytes:
        """Kraken's application ping."""
        req_id = next(self._ping_ids)
        self._pings.add(req_id)
        return _encode({"method": "ping", "req_id": req_id})

    async def on_stale(self, keys: list[Hashable]) -> None:
        """Nothing is watched for staleness here (account channels may be quiet)."""

    # --- requests ---------------------------------------------------------------------

    def next_req_id(self) -> int:
        """A fresh ``req_id`` for a request on the auth socket."""
        return next(self._req_ids)

    def encode(self, method: str, params: dict[str, Any], req_id: int) -> bytes:
        """A request frame with the connection's token added (Decimals as JSON numbers)."""
        return _encode(
            {"method": method, "params": {**params, "token": self._token}, "req_id": req_id}
        )

    async def subscribe_wire(self, session: Session, channel: str, **params: Any) -> None:
        """Subscribe one private channel and await its ack; a refusal raises."""
        await self._channel_request(session, "subscribe", channel, params)

    async def _channel_request(
        self, session: Session, method: str, channel: str, params: dict[str, Any]
    ) -> None:
        req_id = self.next_req_id()
        message = self.encode(method, {"channel": channel, **params}, req_id)
        timeout = self._config.request_timeout
        reply: MethodResponse = await session.request(
            req_id, message, timeout, what=f"{self.venue} {method} {channel}"
        )
        if reply.success is not True:
            error = to_error(reply.error or "refused")
            if isinstance(error, AuthError):
                self._auth_failure = error
                raise error
            raise SubscriptionError(self.venue, error.code, error.message)

    async def subscribe(self, channel: Channel) -> None:
        """The user subscribes ``orders`` or ``balances`` (channel-wide)."""
        if channel is Channel.ORDERS:
            if not self.wants_orders:
                self.wants_orders = True
                for update in self.tracker.current(time_ns()):
                    self._events.push(update)
            return
        if not self.wants_balances:
            session = await self.wait_ready(self._config.request_timeout, "subscribe")
            # Wanted before the ack: the snapshot may be read before this task resumes.
            self.wants_balances = True
            try:
                await self.subscribe_wire(session, "balances")
            except BaseException:
                self.wants_balances = False
                raise

    async def unsubscribe(self, channel: Channel) -> None:
        """Stop delivering ``orders`` or ``balances``."""
        if channel is Channel.ORDERS:
            self.wants_orders = False
        elif self.wants_balances:
            self.wants_balances = False
            self._sequences.pop("balances", None)
            if self.session.ready:
                await self._channel_request(self.session, "unsubscribe", "balances", {})

    # --- frames ------------------------------------------------------------------------

    def _on_executions(self, message: ExecutionsMessage, received: int) -> None:
        try:
            for report in message.data:  # every report, before any is merged
                check_execution(report)
        except DecodeError:
            self._refused("executions", message)
            raise
        self._check_sequence("executions", message)
        if message.type == "snapshot":
            baseline = not self._baseline_taken
            self._baseline_taken = True
            updates = self.tracker.apply_snapshot(message.data, received, baseline=baseline)
        else:
            updates = []
            for report in message.data:
                update = self.tracker.apply(report, received)
                if update is not None:
                    updates.append(update)
        if self.wants_orders:
            for update in updates:
                self._events.push(update)
        if message.type == "snapshot" and self._synced_generation < self.generation:
            self._synced_generation = self.generation
            event, self._synced_event = self._synced_event, asyncio.Event()
            event.set()  # wakes every waiter; they re-check against the new event

    def _on_balances(self, message: BalancesMessage, received: int) -> None:
        try:
            balances = parse.to_balances(message, received)  # checks every entry first
        except DecodeError:
            self._refused("balances", message)
            raise
        self._check_sequence("balances", message)
        if self.wants_balances:
            for balance in balances:
                self._events.push(balance)

    def _refused(self, channel: str, message: ExecutionsMessage | BalancesMessage) -> None:
        """A message of ``channel`` broke the value rules and was dropped whole.

        What it said is lost, like a message missing from the sequence (an order's fill,
        a ledger entry): resync the channel the same way. Its sequence number is taken,
        so the next message is not also reported as a gap.
        """
        self._sequences[channel] = message.sequence
        self._resync(channel, f"refused message {message.sequence}")

    def _check_sequence(self, channel: str, message: ExecutionsMessage | BalancesMessage) -> None:
        last = self._sequences.get(channel)
        self._sequences[channel] = message.sequence
        if message.type == "snapshot":
            if channel in self._resyncing:
                self._resyncing.discard(channel)
                self._status(StreamState.RESYNCED, channel, "fresh snapshot")
            return
        if last is None or message.sequence == last + 1:
            return
        self._resync(channel, f"sequence gap: expected {last + 1}, got {message.sequence}")

    def _resync(self, channel: str, reason: str) -> None:
        if channel in self._resyncing:
            return  # once per desync: the renewal's snapshot settles it
        self._resyncing.add(channel)
        self._status(StreamState.RESYNCING, channel, f"{reason}; resubscribing")
        self._spawn(self._renew(channel), f"kraken-renew-{channel}")

    async def _renew(self, channel: str) -> None:
        """Unsubscribe and subscribe again: Kraken's way to a fresh snapshot."""
        session = self.session
        params: dict[str, Any] = {}
        if channel == "executions":
            params = {"snap_orders": True, "snap_trades": True}
        try:
            await self._channel_request(session, "unsubscribe", channel, {})
            await self._channel_request(session, "subscribe", channel, params)
        except (ExchangeError, RequestTimeout, TransportError) as exc:
            # A reconnect (if the socket was the cause) restores the channel anyway.
            self._push_error(exc, f"renew {channel}")

    def _status(self, state: StreamState, channel: str, reason: str) -> None:
        self._events.push(
            StreamStatus(
                venue=self.venue,
                state=state,
                reason=f"private: {reason}",
                channel=_CHANNELS[channel],
                ts=time_ns(),
            )
        )

    def report(self, exc: Exception, context: str) -> None:
        """Push ``exc`` to the stream as a :class:`StreamError` (the stream goes on)."""
        self._push_error(exc, context)

    def _push_error(self, exc: Exception, context: str, frame: bytes | str = b"") -> None:
        log.warning("%s private: %s: %s", self.venue, context, exc)
        self._events.push(StreamError.from_exception(self.venue, exc, context, frame))
