"""core.account: a private socket's lifecycle, against a tiny local venue on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tickwire.core.account import AccountSocket
from tickwire.core.config import ClientConfig, ReconnectPolicy
from tickwire.core.context import AdapterContext
from tickwire.core.errors import AuthError, SubscriptionError
from tickwire.core.fanout import EventHub
from tickwire.core.session import Session
from tickwire.core.types import Balance, Channel


class Venue:
    """Acks ``{"id", "op", "channel"}`` requests (refusing ``refuse``'s channels), pushes
    a balance to every socket on :meth:`push`, can drop every socket."""

    def __init__(self) -> None:
        self.sockets: set[web.WebSocketResponse] = set()
        self.requests: list[tuple[str, str]] = []  # (op, channel), in order
        self.refuse: set[str] = set()
        self.url = ""

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.add(ws)
        try:
            async for message in ws:
                req = json.loads(message.data)
                self.requests.append((req["op"], req["channel"]))
                ok = req["channel"] not in self.refuse
                await ws.send_str(json.dumps({"id": req["id"], "ok": ok}))
        finally:
            self.sockets.discard(ws)
        return ws

    async def push(self, total: str) -> None:
        for ws in list(self.sockets):
            await ws.send_str(json.dumps({"channel": "balances", "total": total}))

    async def drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()


class Private(AccountSocket):
    """The smallest venue private side: a token that may be refused, one request each."""

    def __init__(self, context: AdapterContext, url: str) -> None:
        super().__init__(context)
        self.url = url
        self.keys_ok = True

    async def connect_url(self) -> str:
        if not self.keys_ok:
            raise AuthError("v", "key", "the key was revoked")
        return self.url

    async def restore(self, session: Session) -> None:
        for channel in sorted(self.wanted):
            await self.send(channel, True)

    async def send(self, channel: Channel, subscribe: bool) -> None:
        req_id = self.session.next_id()
        op = "sub" if subscribe else "unsub"
        msg = json.dumps({"id": req_id, "op": op, "channel": str(channel)}).encode()
        reply = await self.session.request(req_id, msg, 1.0, f"v {op} {channel}")
        if not json.loads(reply)["ok"]:
            raise SubscriptionError("v", "refused", f"{channel} refused")

    def on_frame(self, frame: bytes, received: int) -> None:
        msg = json.loads(frame)
        if "id" in msg:
            self.session.pending.resolve(msg["id"], frame)
            return
        balance = Balance(venue="v", asset="X", total=Decimal(msg["total"]), ts=1, received=1)
        self.deliver(Channel(msg["channel"]), [balance])


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    server = Venue()
    app = web.Application()
    app.router.add_get("/ws", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.url = f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"
    yield server
    await runner.cleanup()


@pytest.fixture
async def parts() -> AsyncIterator[tuple[AdapterContext, asyncio.Queue[Any]]]:
    events: asyncio.Queue[Any] = asyncio.Queue()
    tasks: list[asyncio.Task[Any]] = []

    def spawn(coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        tasks.append(asyncio.get_running_loop().create_task(coroutine, name=name))
        return tasks[-1]

    config = ClientConfig(
        venue="v",
        request_timeout=1.0,
        connect_timeout=2.0,
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05),
    )
    async with aiohttp.ClientSession() as http:
        hub = EventHub(venue="v")
        context = AdapterContext("v", config, hub, {}, spawn, lambda: http, _no_rest)
        context.emit = events.put_nowait  # type: ignore[method-assign, assignment]
        yield context, events
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _no_rest() -> Any:
    raise AssertionError("no REST in this test")


async def test_channels_are_wanted_restored_on_reconnect_and_delivered_only_while_wanted(
    venue: Venue, parts: tuple[AdapterContext, asyncio.Queue[Any]]
) -> None:
    context, events = parts
    private = Private(context, venue.url)
    await private.start()
    assert private.healthy.is_set() and not private.unhealthy.is_set()
    await private.subscribe(Channel.BALANCES)
    assert private.wanted == {Channel.BALANCES}
    assert venue.requests == [("sub", "balances")]

    await venue.push("1")
    first = await asyncio.wait_for(events.get(), 2.0)
    assert isinstance(first, Balance) and first.total == Decimal(1)

    await venue.drop()  # the next connection restores what is wanted
    await private.unhealthy.wait()
    await private.healthy.wait()
    assert venue.requests == [("sub", "balances"), ("sub", "balances")]

    await private.unsubscribe(Channel.BALANCES)
    assert venue.requests[-1] == ("unsub", "balances") and not private.wanted
    await venue.push("2")
    await private.subscribe(Channel.ORDERS)  # a round trip after the push: it has arrived
    assert events.empty()  # read, but not delivered: balances is not wanted
    await private.close()


async def test_a_refused_subscribe_is_not_wanted(
    venue: Venue, parts: tuple[AdapterContext, asyncio.Queue[Any]]
) -> None:
    context, _ = parts
    private = Private(context, venue.url)
    await private.start()
    venue.refuse.add("balances")
    with pytest.raises(SubscriptionError, match="refused"):
        await private.subscribe(Channel.BALANCES)
    assert not private.wanted
    await private.close()


async def test_refused_keys_are_raised_not_a_timeout(
    venue: Venue, parts: tuple[AdapterContext, asyncio.Queue[Any]]
) -> None:
    context, _ = parts
    refused = Private(context, venue.url)
    refused.keys_ok = False
    with pytest.raises(AuthError, match="revoked"):
        await refused.start()

    private = Private(context, venue.url)
    await private.start()
    private.keys_ok = False  # revoked while connected: the next connect is refused
    await venue.drop()
    await private.unhealthy.wait()
    with pytest.raises(AuthError, match="revoked"):
        await private.wait_ready(context.deadline("up", 5.0))
    private.keys_ok = True  # the keys work again: the next attempt connects
    await private.healthy.wait()
    await private.wait_ready(context.deadline("up", 5.0))
    assert private.auth_failure is None
    await refused.close()
    await private.close()
