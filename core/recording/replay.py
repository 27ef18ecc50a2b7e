"""Replay a recording through the same adapter code that received it.

::

    async for event in replay("rec/", speed=None):       # as fast as it goes
        ...
    tickwire replay rec/ --speed max --json

The venue's adapter is built from the recording's header (venue and config, without
credentials) and runs unchanged: its sessions connect, subscribe, decode every frame,
verify and apply every book, exactly as live. Only the socket is replaced: a
:class:`ReplaySocket` hands each session the frames its socket received, at their recorded
receive times (the sessions' clock is the replay's, see :mod:`tickwire.core.clock`).

How the recording is sequenced, record by record (one frame in flight at a time, so the
order across sockets is the recorded one):

=================  ========================================================================
record             the replay
=================  ========================================================================
``Connect``        waits for the session to open a socket to that URL, and gives it one
``Frame``          hands the frame over once the session's reader is waiting, then waits
                   until the reader is back (the frame fully handled)
``Sent``           waits until the client sent that same request: a reply never overtakes
                   its request, as with the venue
``Disconnect``     closes the session's socket; the session reconnects as it did live
``Subscribe``      calls ``client.subscribe`` (its request and reply follow as records)
``Snapshot``       answers the client's REST request for it (method and path)
``Notice``         yields the recorded status or error event, where it happened
=================  ========================================================================

What the replay yields: every market-data and account event the adapter produces from the
frames, and the statuses and errors *as recorded*: those are the client's own happenings
(a reconnect's reason, a resync), not the venue's, and the replay's sockets would tell a
different story (a replayed disconnect is a clean close). The replay client's own
statuses and errors are counted as :attr:`Replayer.artifacts`, never yielded.

REST calls (KuCoin's tokens and book snapshots, Kraken's auth token) are answered from the
recording's ``Snapshot`` records, at their recorded place, status and receive time (the
client's REST transport is core's, :mod:`tickwire.core.http`). A recording of a client
with credentials replays with placeholder keys, so its private sockets open too. A
session the client does not open is skipped; timer-driven behaviour (a KuCoin token
renewal after its TTL, a stale-channel renewal) is not re-created by the replay, which
replays what happened around it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from tickwire.core.client import BaseClient
from tickwire.core.clock import using_clock
from tickwire.core.config import ClientConfig, Credentials, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.errors import TickwireError
from tickwire.core.fanout import Consumer, EventFilter
from tickwire.core.recording._reader import read_recording
from tickwire.core.recording._records import (
    Connect,
    Disconnect,
    Frame,
    Header,
    Notice,
    Record,
    Sent,
    Snapshot,
    Subscribe,
    Unsubscribe,
)
from tickwire.core.recording.replay_sockets import (
    MATCH_TIMEOUT,
    ReplayHttp,
    ReplaySocket,
    ReplayTransport,
    message_of,
)
from tickwire.core.registry import Registry, default_registry
from tickwire.core.streams import EventStream, OverflowPolicy
from tickwire.core.types import (
    Balance,
    BookUpdate,
    Candle,
    Event,
    OrderUpdate,
    StreamError,
    StreamStatus,
    Ticker,
    Trade,
    decode_event,
)

__all__ = ["ReplayError", "ReplaySocket", "Replayer", "replay"]

CONNECT_TIMEOUT = 2.0  # real seconds for a session to open its socket, else it is skipped
MAX_BATCH = 256  # frames handed over at once: their events wait in memory until delivered
REPLAY_CREDENTIALS = Credentials("replay", "cmVwbGF5", "replay")  # secret: base64, as Kraken's
_NOTICES = (StreamStatus, StreamError)
_DELIVERED = (Ticker, Trade, BookUpdate, Candle, Balance, OrderUpdate)


class ReplayError(TickwireError):
    """A recording could not be replayed (not only damaged: the client diverged from it)."""


class Replayer:
    """Runs one recording through its venue's adapter; iterate :attr:`events`."""

    def __init__(
        self,
        records: Iterator[Record],
        header: Header,
        *,
        speed: float | None = None,
        registry: Registry | None = None,
        maxsize: int = 10_000,
    ) -> None:
        self.header = header
        self.now = header.created  # the clock the replayed sessions read
        self.artifacts = 0  # the replay client's own statuses and errors, not yielded
        self.events = EventStream(maxsize=maxsize, policy=OverflowPolicy.BLOCK)
        self._records = records
        self._speed = speed
        self._registry = registry or default_registry()
        self._sockets: dict[str, ReplaySocket] = {}
        self._skipped: set[str] = set()
        self._opened = 0  # sockets handed out
        self._connects: dict[str, deque[asyncio.Future[ReplaySocket]]] = {}
        self._connect_asked = asyncio.Event()
        self._requests: dict[str, deque[asyncio.Future[tuple[int, bytes]]]] = {}
        self._request_made = asyncio.Event()
        self._client: BaseClient | None = None
        self._calls: list[asyncio.Task[None]] = []
        self._started: tuple[float, int] | None = None

    def client_config(self) -> ClientConfig:
        """The recorded config, made for replay: no pings, no staleness, fast reconnects."""
        recorded = dict(self.header.config)
        had_credentials = bool(recorded.pop("had_credentials", False))
        config = msgspec.convert({"venue": self.header.venue, **recorded}, ClientConfig)
        return msgspec.structs.replace(
            config,
            # The recorded client's private sockets open again: with placeholder keys,
            # signing what is never sent to a venue (its answers come from the recording).
            credentials=REPLAY_CREDENTIALS if had_credentials else None,
            reconnect=ReconnectPolicy(base_delay=0.001, max_delay=0.001),
            heartbeat=HeartbeatPolicy(ping_interval=1e9, idle_timeout=1e9, stale_after={}),
            connect_timeout=60.0,
        )

    async def connecting(self, url: str) -> ReplaySocket:
        """A session asks for a socket to ``url``: it gets one at the recorded Connect."""
        future: asyncio.Future[ReplaySocket] = asyncio.get_running_loop().create_future()
        self._connects.setdefault(url, deque()).append(future)
        self._connect_asked.set()
        return await future

    async def answering(self, key: str) -> tuple[int, bytes]:
        """A REST request (``"GET /path"``): answered at its recorded Snapshot."""
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._requests.setdefault(key, deque()).append(future)
        self._request_made.set()
        return await future

    async def _answer(self, key: str, received: int, body: bytes) -> None:
        method, path, status = key.rsplit(" ", 2)
        request = f"{method} {path}"
        deadline = time.monotonic() + MATCH_TIMEOUT
        while not self._requests.get(request):
            self._request_made.clear()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self._request_made.wait()
            except TimeoutError:
                raise ReplayError(f"the client never requested {request} as recorded") from None
        self.now = received
        self._requests[request].popleft().set_result((int(status), body))
        # The caller goes on in its own task; once it has run, the next record may come
        # (live, the response was handled before the frames that followed it).
        await asyncio.sleep(0)

    async def run(self) -> None:
        """Replay every record; the events end (or fail) when the recording does."""
        config = self.client_config()
        spec = self._registry.adapter(config.venue)
        with using_clock(lambda: self.now):
            client = spec.factory(config)
        if not isinstance(client, BaseClient):
            raise ReplayError(f"{config.venue}: this adapter's client cannot be replayed")
        self._client = client
        client.http_factory = lambda: ReplayHttp(self)  # type: ignore[assignment,return-value]
        client.rest_transport_factory = lambda hub: ReplayTransport(self)
        consumer = client.hub.attach(EventFilter(types=_DELIVERED), maxsize=2**31 - 1)
        notices = client.hub.attach(EventFilter(types=_NOTICES), maxsize=2**31 - 1)
        try:
            with using_clock(lambda: self.now):
                opening = asyncio.create_task(client.connect())
                try:
                    await self._play(consumer)
                finally:
                    await self._settle(opening)
                    await client.close()
            self.artifacts += len(notices.stream.take_all())
            await self._deliver(consumer.stream.take_all())
            self.events.close()
        except BaseException as exc:
            self.events.fail(exc)
            raise

    async def _play(self, consumer: Consumer) -> None:
        records = self._records
        record = next(records, None)
        while record is not None:
            following = None
            match record:
                case Frame(session=session):
                    socket = self._sockets.get(session)
                    if socket is None or socket.closed:
                        if session not in self._skipped and not self._opened:
                            raise ReplayError(
                                f"a frame of {session} before any connect: the recording "
                                "began on a connected client, and cannot be replayed"
                            )
                        record = next(records, None)
                        continue  # a session the client did not open (or already closed)
                    # A run of frames of one socket goes over at once: the order across
                    # sockets and against other records holds, at a fraction of the
                    # switches one frame at a time would cost.
                    batch = [record]
                    following = next(records, None)
                    while (
                        isinstance(following, Frame)
                        and following.session == session
                        and len(batch) < MAX_BATCH
                    ):
                        batch.append(following)
                        following = next(records, None)
                    await self._hand(socket, batch)
                    await self._deliver(consumer.stream.take_all())
                case Notice(event=event):
                    await self._deliver(consumer.stream.take_all())
                    await self._deliver([decode_event(event)])
                case Connect(session=session, url=url):
                    await self._connect(session, url)
                case Sent(session=session, data=data):
                    socket = self._sockets.get(session)
                    if socket is not None and not await socket.sent_frame(data):
                        raise ReplayError(f"the client never sent, on {session}: {data[:200]!r}")
                case Disconnect(session=session):
                    socket = self._sockets.pop(session, None)
                    if socket is not None and not socket.closed:
                        close = aiohttp.WSMessage(aiohttp.WSMsgType.CLOSE, 1000, None)
                        await socket.waiting.wait()
                        socket.deliver([(close, self.now)])
                        await socket.waiting.wait()
                case Snapshot(session="rest", key=key, received=received, body=body):
                    await self._answer(key, received, body)
                case Subscribe(channel=channel, symbols=symbols, options=options):
                    self._call(self.client.subscribe, channel, symbols, options)
                case Unsubscribe(channel=channel, symbols=symbols, options=options):
                    self._call(self.client.unsubscribe, channel, symbols, options)
                case _:
                    pass  # headers, ends, kinds from the future
            record = following if following is not None else next(records, None)

    async def _hand(self, socket: ReplaySocket, frames: list[Frame]) -> None:
        await socket.waiting.wait()  # the reader is done with what it had
        if self._speed is None:
            socket.deliver((message_of(f), f.received) for f in frames)
        else:
            for frame in frames:  # paced: one at a time, each at its recorded moment
                await self._pace(frame.received)
                await socket.waiting.wait()
                socket.deliver([(message_of(frame), frame.received)])
        await socket.waiting.wait()  # ... and with these

    async def _connect(self, session: str, url: str) -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while not self._connects.get(url):
            # The session is on its way (backoff, endpoint()): wait for it to ask.
            self._connect_asked.clear()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self._connect_asked.wait()
            except TimeoutError:
                if not self._opened:  # not even the first socket: nothing can replay
                    raise ReplayError(
                        f"the client never connected to {url} as recorded (a venue that "
                        "needs REST calls before its sockets cannot be replayed yet)"
                    ) from None
                self._skipped.add(session)
                return
        socket = ReplaySocket(session, self._set_now)
        self._sockets[session] = socket
        self._opened += 1
        self._connects[url].popleft().set_result(socket)

    async def _pace(self, received: int) -> None:
        if self._speed is None:
            return
        if self._started is None:
            self._started = (time.monotonic(), received)
            return
        wall, first = self._started
        due = wall + (received - first) / 1e9 / self._speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _deliver(self, events: Iterable[Event]) -> None:
        stream = self.events
        for event in events:
            stream.push(event)
        if stream.full:
            await stream.drained()

    async def _settle(self, opening: asyncio.Task[None]) -> None:
        for task in (opening, *self._calls):
            if not task.done():
                task.cancel()
        await asyncio.gather(opening, *self._calls, return_exceptions=True)

    def _set_now(self, received: int) -> None:
        self.now = received

    @property
    def client(self) -> BaseClient:
        """The adapter's client the recording runs through."""
        if self._client is None:
            raise RuntimeError("the replay has not started")
        return self._client

    def _call(self, method: Any, channel: str, symbols: Iterable[str], options: Any) -> None:
        # Not awaited here: the call's request and the venue's reply are the next records.
        self._calls.append(asyncio.create_task(_call(method, channel, symbols, options)))


async def _call(method: Any, channel: str, symbols: Iterable[str], options: Any) -> None:
    try:
        await method(channel, list(symbols), **options)
    except TickwireError:
        pass  # the recorded notices say what the venue answered


async def replay(
    source: str | Path | Iterable[str | Path],
    *,
    speed: float | None = None,
    registry: Registry | None = None,
) -> AsyncIterator[Event]:
    """Every event of a recording, replayed through its venue's adapter (module doc).

    ``speed``: None replays as fast as it goes; 1.0 at the recorded pace; 2.0 twice as
    fast. A damaged recording yields everything before the damage, then raises
    :class:`~tickwire.core.recording.RecordingCorrupt` naming the file and offset.
    """
    records = read_recording(source)
    header = next(records, None)
    if not isinstance(header, Header):
        raise ReplayError(f"{source}: not a recording (no header)")
    replayer = Replayer(records, header, speed=speed, registry=registry)
    runner = asyncio.create_task(replayer.run())
    try:
        async for event in replayer.events:
            yield event
        await runner
    finally:
        if not runner.done():
            runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
