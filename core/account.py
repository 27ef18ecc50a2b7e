"""A venue's private (account) socket: the lifecycle every built-in shares, written once.

Both venues run one authenticated socket per client for ``orders`` and ``balances``. What
they share lives here; the venue subclasses :class:`AccountSocket` and supplies three
things (a token, a handshake, one subscribe request) and its frames::

    class VenuePrivate(AccountSocket):
        async def connect_url(self) -> str: ...            # a fresh token, every connect
        async def restore(self, session) -> None: ...      # handshake; subscribe self.wanted
        async def send(self, channel, subscribe) -> None: ...  # one (un)subscribe request
        def on_frame(self, frame, received) -> None: ...   # decode → self.tracker / deliver

What it provides:

* ``wanted``: the user's private channels, restored by the venue on every connect;
  :meth:`subscribe` adds one (rolled back if it fails), :meth:`unsubscribe` drops it
  (``leaving`` names the channels whose unsubscribe awaits its ack, whose last pushes are
  no error); :meth:`deliver` emits a channel's events only while it is wanted;
* ``tracker``: every order's merged state (:class:`~tickwire.core.order_tracker.OrderTracker`);
* ``healthy``/``unhealthy``: set while the socket is up and restored, and while it is
  not: the managed dead man's switch (:meth:`arm_while_healthy`) refreshes on the first
  and stops on the second;
* refused keys: an :class:`~tickwire.core.errors.AuthError` on the token call or a
  subscribe is kept (:meth:`refused`), so :meth:`start` and :meth:`wait_ready` raise it
  instead of a bare timeout;
* for a venue whose order methods are requests on this socket and which sends the open
  orders as a snapshot on every connection: :meth:`request` (sent once the socket is up,
  never twice; a drop raises :class:`Interrupted`, naming the connection it went out
  on; :meth:`ask` for a subscribe, also while restoring), ``generation`` (connections
  so far), :meth:`synced` (the venue calls it on each connection's snapshot) and
  :meth:`find_after_drop` (the order of a client id in the next connection's snapshot:
  exactly-once placement).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import aiohttp

from tickwire.core.context import AdapterContext
from tickwire.core.dead_man import DeadManOption
from tickwire.core.deadline import Deadline
from tickwire.core.errors import AuthError, ConnectTimeout, Disconnected
from tickwire.core.order_tracker import OrderState, OrderTracker
from tickwire.core.reconcile import reconcile
from tickwire.core.session import Session
from tickwire.core.trader import Trader
from tickwire.core.types import Channel, Event

__all__ = ["AccountSocket", "Interrupted"]

log = logging.getLogger(__name__)


class Interrupted(Disconnected):
    """The socket died under a request sent on connection ``generation``: it may or may
    not have reached the venue (``cause`` says how the socket failed)."""

    def __init__(self, cause: Disconnected, generation: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.generation = generation


class AccountSocket:
    """The base of a venue's private-socket :class:`~tickwire.core.handlers.SessionHandler`
    (see the module docstring); ``options`` go to its session (``ping_interval``,
    ``limiter``...). Order replies and account events never wait for a slow consumer."""

    ping_frame: bytes | None = None
    """A fixed application ping frame (a venue whose ping varies overrides
    :meth:`ping_message`)."""

    def __init__(self, context: AdapterContext, **options: Any) -> None:
        self.context = context
        self.wanted: set[Channel] = set()  # the user's channels: restored on every connect
        self.leaving: set[Channel] = set()  # unsubscribes awaiting their ack
        self.tracker = OrderTracker(context.venue)
        self.healthy = asyncio.Event()  # up and restored
        self.unhealthy = asyncio.Event()
        self.unhealthy.set()
        self.auth_failure: AuthError | None = None  # why the keys were last refused
        self._refused = asyncio.Event()
        self.generation = 0  # connections so far: 1 while the first is up
        self._synced_generation = 0  # the newest connection whose order snapshot arrived
        self._synced_event = asyncio.Event()  # set (and replaced) when it changes
        self.session: Session = context.session(self, name="private", backpressure=False, **options)

    # --- what the venue supplies ------------------------------------------------------

    async def connect_url(self) -> str:
        """The URL of the next connection, with a fresh token."""
        raise NotImplementedError

    async def restore(self, session: Session) -> None:
        """The handshake of a new connection, and a subscribe for every ``wanted`` channel."""
        raise NotImplementedError

    async def send(self, channel: Channel, subscribe: bool) -> None:
        """Subscribe (or unsubscribe) ``channel`` on the current connection."""
        raise NotImplementedError

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame: replies to the session, events to :attr:`tracker` /
        :meth:`deliver`."""
        raise NotImplementedError

    def ping_message(self) -> bytes | None:
        """The venue's application ping (None: the transport's ping alone); by default
        :attr:`ping_frame`."""
        return self.ping_frame

    # --- SessionHandler ---------------------------------------------------------------

    async def endpoint(self) -> str:
        """:meth:`connect_url`; keys refused there are kept (:meth:`refused`)."""
        try:
            return await self.connect_url()
        except AuthError as exc:
            self.refused(exc)
            raise

    async def on_open(self, session: Session) -> None:
        """:meth:`restore` (of connection ``generation``), then healthy: the keys work."""
        self.generation += 1
        await self.restore(session)
        self.auth_failure = None
        self._refused.clear()
        self.unhealthy.clear()
        self.healthy.set()

    def on_close(self, reason: str) -> None:
        """Not healthy any more: the managed dead man's switch stops refreshing."""
        self.healthy.clear()
        self.unhealthy.set()

    async def on_stale(self, keys: list[Hashable]) -> None:
        """Nothing is watched: account channels may be quiet for hours (the socket's idle
        timeout alone checks it)."""

    # --- lifecycle --------------------------------------------------------------------

    def refused(self, exc: AuthError) -> None:
        """Keep why the keys were refused, for :meth:`start` and :meth:`wait_ready`."""
        self.auth_failure = exc
        self._refused.set()

    async def start(self) -> None:
        """Connect (as the client's task); the refused keys' AuthError rather than a
        ConnectTimeout when a refusal kept the socket from coming up."""
        try:
            await self.context.start(self.session)
        except ConnectTimeout:
            if self.auth_failure is not None:
                raise self.auth_failure from None
            raise

    async def close(self) -> None:
        """Close the socket."""
        await self.session.close()

    def arm_while_healthy(
        self, trader: Trader, dead_man: DeadManOption | None, **options: Any
    ) -> None:
        """Keep ``trader``'s dead man's switch armed while this socket is healthy, as a
        task the client owns. ``dead_man`` is the config's (from
        :func:`~tickwire.core.dead_man.dead_man_option`; None: nothing to keep);
        ``options`` go to ``trader.keep_armed``."""
        if dead_man is not None:
            up, down = self.healthy.wait, self.unhealthy.wait
            keeper = trader.keep_armed(*dead_man, up=up, down=down, report=self.report, **options)
            self.context.spawn(keeper, f"{self.context.venue}-dead-man")

    async def wait_ready(self, deadline: Deadline | None = None) -> None:
        """Return once the socket is up and restored: ``AuthError`` when the keys are
        refused meanwhile, else :meth:`AdapterContext.wait_ready`'s ``RequestTimeout``."""
        ready = asyncio.ensure_future(self.context.wait_ready(self.session, deadline))
        refused = asyncio.ensure_future(self._refused.wait())
        try:
            done, _ = await asyncio.wait({ready, refused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            refused.cancel()
        if ready in done:
            return ready.result()  # or its RequestTimeout
        assert self.auth_failure is not None
        raise self.auth_failure

    # --- requests and the order snapshot ---------------------------------------------

    async def request(self, build: Callable[[int], bytes], deadline: Deadline) -> Any:
        """Send ``build(request_id)`` once the socket is up and return its reply, all
        within ``deadline``; never sent twice. A socket that fails under it raises
        :class:`Interrupted`, a :class:`Disconnected` naming the connection."""
        await self.wait_ready(deadline)
        session = self.session
        generation = self.generation  # no await until the send: it is this socket's
        request_id = session.next_id()
        message, what = build(request_id), deadline.what
        try:
            try:
                return await session.request(request_id, message, deadline.check(), what)
            except (aiohttp.ClientError, OSError) as exc:
                raise Disconnected(f"{what}: the socket failed while sending") from exc
        except Disconnected as exc:
            raise Interrupted(exc, generation) from exc

    async def ask(self, build: Callable[[int], bytes], what: str) -> Any:
        """Send ``build(request_id)`` on the current connection, also while
        :meth:`restore` runs (before the socket is ready), and return its reply within
        the config's request timeout (a subscribe, not an order: :meth:`request`)."""
        session = self.session
        request_id = session.next_id()
        timeout = self.context.config.request_timeout
        return await session.request(request_id, build(request_id), timeout, what)

    def synced(self) -> None:
        """The current connection's order snapshot arrived (into :attr:`tracker`)."""
        if self._synced_generation < self.generation:
            self._synced_generation = self.generation
            event, self._synced_event = self._synced_event, asyncio.Event()
            event.set()  # wakes every waiter; they re-check against the new event

    async def wait_synced(self, generation: int) -> None:
        """Return once a connection newer than ``generation`` delivered its snapshot."""
        while self._synced_generation <= generation:
            await self._synced_event.wait()

    async def find_after_drop(
        self, exc: Interrupted, deadline: Deadline, client_id: str
    ) -> OrderState:
        """The order of ``client_id`` whose placement ``exc`` interrupted, once the next
        connection's snapshot is in, or core's typed error
        (:func:`~tickwire.core.reconcile.reconcile`)."""

        async def lookup(deadline: Deadline) -> OrderState | None:
            await deadline.run(self.wait_synced(exc.generation))
            return self.tracker.get(client_id=client_id)

        what = f"{self.context.venue}: order {client_id}"
        return await reconcile(lookup, deadline, exc.cause, what=what)

    # --- channels ---------------------------------------------------------------------

    async def subscribe(self, channel: Channel) -> None:
        """Want ``channel`` (restored on every reconnect) and subscribe it once the socket
        is up; what the venue answers, ``RequestTimeout`` or ``AuthError`` is raised and
        the channel is not wanted then."""
        if channel in self.wanted:
            return
        # Wanted before the ack: its first pushes may be read before this task resumes.
        self.wanted.add(channel)
        try:
            await self.wait_ready(self.context.deadline(f"{self.context.venue} {channel}"))
            await self.send(channel, True)
        except BaseException:
            self.wanted.discard(channel)
            raise

    async def unsubscribe(self, channel: Channel) -> None:
        """Stop delivering ``channel``; unsubscribed on the venue while the socket is up."""
        if channel not in self.wanted:
            return
        self.wanted.discard(channel)
        if self.healthy.is_set():
            self.leaving.add(channel)
            try:
                await self.send(channel, False)
            finally:
                self.leaving.discard(channel)

    def deliver(self, channel: Channel, events: Iterable[Event]) -> None:
        """Emit ``events`` if ``channel`` is wanted (else the tracker alone keeps them)."""
        if channel in self.wanted:
            for event in events:
                self.context.emit(event)

    def report(self, exc: BaseException, what: str, frame: bytes | str = b"") -> None:
        """Push ``exc`` to the stream as a :class:`StreamError` (the stream goes on)."""
        log.warning("%s private: %s: %s", self.context.venue, what, exc)
        self.context.error(exc, what, frame)
