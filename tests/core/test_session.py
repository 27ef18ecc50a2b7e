"""The connection engine against a tiny local WebSocket server: reconnects, watchdog, RPC."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import aiohttp
import pytest
from aiohttp import web
from helpers import next_of

from tickwire.core.config import HeartbeatPolicy, ReconnectPolicy
from tickwire.core.errors import Disconnected, TransportError
from tickwire.core.fanout import EventHub
from tickwire.core.session import Session
from tickwire.core.types import StreamState, StreamStatus


class Server:
    """Sends b"hello" on connect, answers b"ping:N" with b"pong:N", can drop or go silent."""

    def __init__(self) -> None:
        self.sockets: set[web.WebSocketResponse] = set()
        self.accepted = 0
        self.silent = False
        self.pinged = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.accepted += 1
        self.sockets.add(ws)
        await ws.send_str("hello")
        try:
            async for message in ws:
                if message.data.startswith("ping:"):
                    self.pinged.set()
                if message.data.startswith("ping:") and not self.silent:
                    await ws.send_str("pong:" + message.data[5:])
        finally:
            self.sockets.discard(ws)
        return ws

    async def drop_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close()

    async def __aenter__(self) -> Server:
        app = web.Application()
        app.router.add_get("/ws", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/ws"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


class Handler:
    """A minimal venue: waits for hello, resolves pongs, records stale keys."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.hello = asyncio.Event()
        self.opened = 0
        self.closed: list[str] = []
        self.stale: asyncio.Queue[list[Hashable]] = asyncio.Queue()
        self.session: Session | None = None

    async def endpoint(self) -> str:
        return self.url

    async def on_open(self, session: Session) -> None:
        self.session = session
        await self.hello.wait()
        self.opened += 1

    def on_frame(self, frame: bytes, received: int) -> None:
        if frame == b"hello":
            self.hello.set()
        elif frame.startswith(b"pong:") and self.session is not None:
            self.session.pending.resolve(int(frame[5:]), frame)

    def on_close(self, reason: str) -> None:
        self.hello.clear()
        self.closed.append(reason)

    def ping_message(self) -> bytes | None:
        return None

    async def on_stale(self, keys: list[Hashable]) -> None:
        await self.stale.put(keys)


def make_session(handler: Handler, http: aiohttp.ClientSession, events: EventHub, **heartbeat):
    return Session(
        handler,
        name="test",
        venue="test",
        events=events,
        http=http,
        reconnect=ReconnectPolicy(
            base_delay=0.01, max_delay=0.05, max_attempts=heartbeat.pop("max_attempts", None)
        ),
        heartbeat=HeartbeatPolicy(**{"idle_timeout": 5.0, **heartbeat}),
        connect_timeout=2.0,
    )


async def test_reconnects_after_every_drop_with_typed_status():
    async with Server() as server, aiohttp.ClientSession() as http:
        hub = EventHub()
        events = hub.attach()
        handler = Handler(server.url)
        session = make_session(handler, http, hub)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            await next_of(events, StreamStatus, state=StreamState.CONNECTED, timeout=5)
            for attempt in range(1, 11):
                await server.drop_all()
                status = await next_of(
                    events, StreamStatus, state=StreamState.RECONNECTING, timeout=5
                )
                assert "closed by the venue" in status.reason
                assert status.attempt >= 1
                await next_of(events, StreamStatus, state=StreamState.CONNECTED, timeout=5)
                await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED, timeout=5)
                assert handler.opened == attempt + 1
            await session.close()
        assert server.accepted == 11


async def test_pending_requests_fail_with_disconnected_when_the_socket_drops():
    async with Server() as server, aiohttp.ClientSession() as http:
        hub = EventHub()

        handler = Handler(server.url)
        server.silent = True  # never answer, so the request is still pending
        session = make_session(handler, http, hub)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            await session.wait_ready()
            request = asyncio.ensure_future(session.request(1, b"ping:1", 5.0, "ping"))
            await server.pinged.wait()  # the request reached the venue, unanswered
            await server.drop_all()
            with pytest.raises(Disconnected):
                await request
            await session.close()


async def test_request_resolves_with_the_correlated_reply():
    async with Server() as server, aiohttp.ClientSession() as http:
        hub = EventHub()
        hub.attach()
        session = make_session(Handler(server.url), http, hub)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            await session.wait_ready()
            assert await session.request(7, b"ping:7", 2.0, "ping") == b"pong:7"
            await session.close()


async def test_a_silent_feed_is_detected_and_replaced():
    async with Server() as server, aiohttp.ClientSession() as http:
        hub = EventHub()
        events = hub.attach()
        session = make_session(Handler(server.url), http, hub, idle_timeout=0.3)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            await next_of(events, StreamStatus, state=StreamState.CONNECTED, timeout=5)
            status = await next_of(events, StreamStatus, state=StreamState.RECONNECTING, timeout=5)
            assert "heartbeat timeout" in status.reason
            await next_of(events, StreamStatus, state=StreamState.CONNECTED, timeout=5)
            assert server.accepted == 2
            await session.close()


async def test_a_watched_key_without_activity_is_reported_stale_once():
    async with Server() as server, aiohttp.ClientSession() as http:
        hub = EventHub()

        handler = Handler(server.url)
        session = make_session(handler, http, hub, idle_timeout=0.4)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            await session.wait_ready()
            session.watch(("book", "BTC/USD"), 0.2)
            async with asyncio.timeout(3):
                keys = await handler.stale.get()
            assert keys == [("book", "BTC/USD")]
            await session.close()


async def test_gives_up_after_max_attempts_with_a_transport_error():
    async with aiohttp.ClientSession() as http:
        hub = EventHub()

        handler = Handler("ws://127.0.0.1:9/nothing-listens-here")
        session = make_session(handler, http, hub, max_attempts=3)
        with pytest.raises(TransportError):
            await session.run()
        assert len(handler.closed) == 4  # the first try, then max_attempts retries
