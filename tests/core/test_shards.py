"""core.shards against a tiny loopback venue: caps, coalesced subscribes, refusals, restore
on reconnect, make-before-break renewal.

The venue speaks a made-up JSON protocol (``{"id", "op", "topics"}``, answered by
``{"id", "ok"}`` or ``{"id", "error"}``), so nothing here is KuCoin's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Hashable
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web

from tickwire.core.config import ClientConfig, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.context import AdapterContext
from tickwire.core.errors import SubscriptionError
from tickwire.core.fanout import EventHub
from tickwire.core.session import Session
from tickwire.core.shards import (
    Batching,
    Held,
    PoolHooks,
    Shard,
    Shards,
    ShardsNative,
    ShardSocket,
)
from tickwire.core.types import Channel, StreamState, StreamStatus


class Topic(msgspec.Struct, frozen=True, order=True):
    channel: str
    symbol: str

    @property
    def text(self) -> str:
        return f"{self.channel}:{self.symbol}"


class Venue:
    """Acks (un)subscribes and pings; refuses any message naming symbol ``BAD``."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.topics: dict[int, set[str]] = {}  # connection number → topics subscribed
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.url = ""
        self.runner: web.AppRunner | None = None
        self.received: asyncio.Queue[tuple[str, list[str] | None]] = asyncio.Queue()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        number = len(self.topics)
        self.topics[number] = set()
        self.messages[number] = []
        self.sockets.append(ws)
        async for frame in ws:
            msg = json.loads(frame.data)
            self.messages[number].append(msg)
            self.received.put_nowait((msg["op"], msg.get("topics")))
            topics = set(msg.get("topics", ()))
            if any(t.endswith(":BAD") for t in topics):
                await ws.send_json({"id": msg["id"], "error": "unknown symbol"})
                continue
            if msg["op"] == "sub":
                self.topics[number] |= topics
            elif msg["op"] == "unsub":
                self.topics[number] -= topics
            await ws.send_json({"id": msg["id"], "ok": True})
        return ws

    async def push(self, connection: int, topic: str) -> None:
        await self.sockets[connection].send_json({"topic": topic})

    async def __aenter__(self) -> Venue:
        app = web.Application()
        app.router.add_get("/ws", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self.runner.addresses[0][1]}/ws"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


class ToySocket(ShardSocket[Topic]):
    def __init__(self, shard: Shard[Topic], url: str, data: list[tuple[int, str]]) -> None:
        super().__init__(shard)
        self.url = url
        self.data = data
        self.session = self.context.session(self, name=f"shard-{shard.index}")

    def message(self, kind: str, topics: list[Topic]) -> tuple[Hashable, bytes]:
        msg_id = self.session.next_id()
        op = "sub" if kind == "subscribe" else "unsub"
        return msg_id, json.dumps(
            {"id": msg_id, "op": op, "topics": [t.text for t in topics]}
        ).encode()

    def ping(self) -> tuple[Hashable, bytes]:
        msg_id = self.session.next_id()
        return msg_id, json.dumps({"id": msg_id, "op": "ping"}).encode()

    async def endpoint(self) -> str:
        return self.url

    async def on_open(self, session: Session) -> None:
        await self.restore()

    def on_frame(self, frame: bytes, received: int) -> None:
        if self.shard.owner.taps.taps:
            self.shard.owner.taps.tap(frame)
        msg = json.loads(frame)
        if "topic" in msg:
            if self is self.shard.primary:
                self.data.append((self.shard.index, msg["topic"]))
            elif self is self.shard.incoming:
                self.shard.held.append((msg["topic"], received))
        elif "error" in msg:
            self.session.pending.reject(msg["id"], SubscriptionError("toy", 404, msg["error"]))
        else:
            self.session.pending.resolve(msg["id"], frame)  # the raw reply, as venues keep it

    def describe(self, topic: Topic) -> tuple[Channel | None, str | None]:
        return (Channel.TICKER if topic.channel == "t" else None), f"{topic.symbol}/B"

    def ping_message(self) -> bytes | None:
        return None


class Pool:
    """A pool over the venue, with a real context (sessions, owned tasks)."""

    def __init__(
        self,
        venue: Venue,
        http: aiohttp.ClientSession,
        per_connection: int,
        heartbeat: HeartbeatPolicy | None = None,
    ) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.stale: asyncio.Queue[StreamStatus] = asyncio.Queue()
        self.data: list[tuple[int, str]] = []
        self.news: list[tuple[str, int]] = []
        self.replayed: list[Held] = []
        self.up = asyncio.Event()
        reconnect = ReconnectPolicy(base_delay=0.01, max_delay=0.05)
        config = ClientConfig(
            venue="toy",
            reconnect=reconnect,
            request_timeout=2.0,
            heartbeat=heartbeat or HeartbeatPolicy(),
        )
        context = AdapterContext(
            "toy",
            config,
            EventHub(),
            {},
            self.spawn,
            lambda: http,
            lambda: None,  # type: ignore[arg-type,return-value]
        )
        context.emit = self._emit  # type: ignore[method-assign]
        hooks = PoolHooks(
            replay=self.replayed.append,
            up=self._up,
            down=lambda shard: self.news.append(("down", shard.index)),
        )
        self.shards: Shards[Topic] = Shards(
            context,
            lambda shard: ToySocket(shard, venue.url, self.data),
            Batching(2, lambda topic: topic.channel),
            hooks,
            per_connection=per_connection,
            renew_after=3600,
        )

    def _emit(self, event: Any) -> None:
        if isinstance(event, StreamStatus) and event.state is StreamState.STALE:
            self.stale.put_nowait(event)

    def _up(self, shard: Shard[Any]) -> None:
        self.news.append(("up", shard.index))
        self.up.set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        await self.shards.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def topics(channel: str, *symbols: str) -> list[Topic]:
    return [Topic(channel, s) for s in symbols]


async def test_topics_fill_connections_up_to_the_cap_in_coalesced_batches() -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=3)
        try:
            wanted = topics("t", "A", "B", "C", "D") + topics("m", "A", "B", "C")
            live, failure = await pool.shards.subscribe(wanted)
            assert failure is None and sorted(live) == sorted(wanted)
            assert len(pool.shards.shards) == 3  # ⌈7 / 3⌉
            assert sorted(len(t) for t in venue.topics.values()) == [1, 3, 3]
            assert set().union(*venue.topics.values()) == {t.text for t in wanted}
            for messages in venue.messages.values():  # ≤ 2 topics of one channel each
                for msg in messages:
                    assert len(msg["topics"]) <= 2
                    assert len({t.partition(":")[0] for t in msg["topics"]}) == 1
            assert pool.shards.topics == sorted(t.text for t in wanted)
        finally:
            await pool.close()


@pytest.mark.parametrize("connected", [True, False], ids=["live", "at-restore"])
async def test_one_refused_topic_fails_alone_and_frees_its_slot(connected: bool) -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=10)
        try:
            if connected:  # else A and BAD are reserved before the socket is up
                await pool.shards.subscribe(topics("m", "A"))
            live, failure = await pool.shards.subscribe(topics("t", "A", "BAD"))
            assert isinstance(failure, SubscriptionError)
            assert live == [Topic("t", "A")]  # retried alone: A was not refused with BAD
            assert "t:A" in venue.topics[0] and "t:BAD" not in venue.topics[0]
            assert Topic("t", "BAD") not in pool.shards.shards[0].topics
            await pool.shards.unsubscribe(live)
            assert "t:A" not in venue.topics[0] and "t:A" not in pool.shards.topics
        finally:
            await pool.close()


async def test_a_dropped_connection_is_restored_with_every_topic() -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=10)
        try:
            wanted = topics("t", "A", "B", "C")
            await pool.shards.subscribe(wanted)
            assert pool.news == [("up", 0)]
            pool.up.clear()
            await venue.sockets[0].close()
            await asyncio.wait_for(pool.up.wait(), 5)  # restored
            assert pool.news == [("up", 0), ("down", 0), ("up", 0)]
            assert venue.topics[1] == {t.text for t in wanted}
            await venue.push(1, "t:A")
            await pool.shards.barrier()
            assert pool.data == [(0, "t:A")]
        finally:
            await pool.close()


async def test_renewal_moves_every_topic_before_closing_the_old_socket() -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=10)
        try:
            wanted = topics("t", "A", "B")
            await pool.shards.subscribe(wanted)
            shard = pool.shards.shards[0]
            old = shard.primary
            await shard.renew()
            assert shard.primary is not old and shard.incoming is None
            assert shard.renewals == 1 and old.session.ready is False
            assert venue.topics[1] == {"t:A", "t:B"} and shard.primary.topics == set(wanted)
            assert pool.replayed == [[]]  # nothing arrived on the new socket meanwhile
            await venue.push(1, "t:B")
            await pool.shards.barrier()
            assert pool.data == [(0, "t:B")]
        finally:
            await pool.close()


def test_batching_groups_by_key_and_size() -> None:
    batching = Batching(2, lambda topic: topic.channel)
    got = list(batching.batches(topics("t", "C", "A", "B") + topics("m", "A")))
    assert got == [topics("m", "A"), topics("t", "A", "B"), topics("t", "C")]


@pytest.mark.parametrize("cap", [1, 2])
async def test_the_cap_holds_for_concurrent_callers(cap: int) -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=cap)
        try:
            calls = [pool.shards.subscribe([t]) for t in topics("t", "A", "B", "C", "D")]
            results = await asyncio.gather(*calls)
            assert all(failure is None for _, failure in results)
            assert all(len(t) <= cap for t in venue.topics.values())
            assert len(pool.shards.shards) == 4 // cap
        finally:
            await pool.close()


async def test_native_access_places_raw_topics_and_taps_raw_frames() -> None:
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=10)
        try:
            native = ShardsNative(pool.shards, lambda text: [Topic(*text.split(":"))])
            seen: list[bytes] = []
            native.add_tap(seen.append)
            await native.subscribe_topic("raw:X")
            assert venue.topics[0] == {"raw:X"} and native.topics == ["raw:X"]
            assert pool.shards.native == {Topic("raw", "X")}
            reply = await native.request({"op": "ping"})
            assert reply["ok"] is True and isinstance(reply["id"], str)
            assert any(json.loads(frame).get("id") == reply["id"] for frame in seen)
            await native.unsubscribe_topic("raw:X")
            assert venue.topics[0] == set() and pool.shards.native == set()
        finally:
            await pool.close()


async def test_a_silent_topic_is_reported_stale_and_subscribed_again() -> None:
    heartbeat = HeartbeatPolicy(idle_timeout=2.0, stale_after={"ticker": 0.2})
    async with Venue() as venue, aiohttp.ClientSession() as http:
        pool = Pool(venue, http, per_connection=10, heartbeat=heartbeat)
        try:
            await pool.shards.subscribe(topics("t", "A") + topics("m", "A"))
            status = await asyncio.wait_for(pool.stale.get(), 5)
            assert (status.channel, status.symbol) == (Channel.TICKER, "A/B")
            assert "no data on t:A" in (status.reason or "")
            ops = []
            while ops[-2:] != [("unsub", ["t:A"]), ("sub", ["t:A"])]:
                ops.append(await asyncio.wait_for(venue.received.get(), 5))
            assert ops.count(("sub", ["t:A"])) == 2 and ("sub", ["m:A"]) in ops
            assert ("unsub", ["m:A"]) not in ops  # m has no threshold: never renewed
        finally:
            await pool.close()
