"""Helpers of the NATS end-to-end tests: collectors on emulators, remote consumers."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tickwire.core import ClientConfig, NatsConfig, ReconnectPolicy, connect
from tickwire.core.nats import Publisher
from tickwire.core.types import BookUpdate, Candle, Event, Ticker, Trade, decode_event, encode_event
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator

HERE = Path(__file__).parent
MARKET = (Ticker, Trade, BookUpdate, Candle)
SYMBOL = {"kraken": "BTC/USD", "kucoin": "BTC/USDT"}
NATIVE = {"kraken": "BTC/USD", "kucoin": "BTC-USDT"}
CHANNELS = ("ticker", "trades", "book")


class Seen:
    """Events collected by a task, with a way to await a condition on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ended = False
        self._changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def end(self) -> None:
        self.ended = True
        self._changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                if self.ended:
                    raise AssertionError("the stream ended first")
                self._changed.clear()
                await self._changed.wait()

    def market(self, venue: str, *, snapshots: bool = True) -> dict[str, list[bytes]]:
        """Market events of ``venue`` as JSON lines, in order per event type.

        Each channel is its own subject (and consumer), so only the order within one
        type is defined. ``snapshots=False`` leaves out book snapshots (the one a remote
        book starts from)."""
        out: dict[str, list[bytes]] = {}
        for e in self.events:
            if not isinstance(e, MARKET) or e.venue != venue:
                continue
            if not snapshots and isinstance(e, BookUpdate) and e.snapshot:
                continue
            out.setdefault(type(e).__name__, []).append(encode_event(e))
        return out

    def count(self, venue: str) -> int:
        return sum(len(lines) for lines in self.market(venue).values())


async def collect(stream: AsyncIterator[Event], seen: Seen) -> None:
    async for event in stream:
        seen.add(event)
    seen.end()


def emulator(venue: str) -> Any:
    if venue == "kraken":
        return KrakenEmulator(seed=7, interval=None)
    return KucoinEmulator(seed=7, interval=None)


@dataclass
class Collector:
    venue: str
    client: Any
    publisher: Publisher
    emulator: Any
    direct: Seen = field(default_factory=Seen)

    async def step(self, n: int) -> None:
        await self.emulator.step(n, symbol=NATIVE[self.venue])

    async def burst_steps(self, bursts: int, size: int, *, after_first: Callable[[], None]) -> None:
        """``bursts`` market bursts of ``size`` steps; ``after_first()`` runs between the
        first and the second, without waiting for the collector to catch up."""
        for i in range(bursts):
            await self.step(size)
            if i == 0:
                after_first()

    def caught_up(self) -> bool:
        """True once the client's book is the emulator's: every book frame was read."""
        symbol, native = SYMBOL[self.venue], NATIVE[self.venue]
        book = self.client.book(symbol)
        if self.venue == "kucoin":
            return book.sequence == self.emulator.sequence(native)
        bids, asks = self.emulator.book(native, 10)
        return book.top_bids(10) == list(bids) and book.top_asks(10) == list(asks)

    async def settle(self) -> None:
        """Wait until the client read everything the emulator sent, and it was published.

        A book frame goes out last (Kraken has no sequence to compare, so one is forced),
        and frames of one socket arrive in order.
        """
        if self.venue == "kraken":
            await self.emulator.burst("book", NATIVE[self.venue], 1)
        await self.direct.until(self.caught_up)
        await self.publisher.flush()


@asynccontextmanager
async def collector(
    venue: str, nats: NatsConfig, *, channels: Sequence[str] = CHANNELS
) -> AsyncIterator[Collector]:
    """An emulator, a client of it, a publisher attached, the channels subscribed."""
    async with emulator(venue) as ex:
        config = ClientConfig(
            venue=venue,
            reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.1),
            options={"private": False} if venue == "kucoin" else {},
            **ex.endpoints,
        )
        async with connect(config) as client:
            async with Publisher(client, nats) as publisher:
                for channel in channels:
                    options = {"depth": 10} if channel == "book" else {}
                    await client.subscribe(channel, [SYMBOL[venue]], **options)
                await publisher.flush()
                found = Collector(venue, client, publisher, ex)
                # The direct view: a consumer of the same client, from now on.
                async with asyncio.TaskGroup() as tasks:
                    reader = tasks.create_task(collect(client.events(), found.direct))
                    try:
                        yield found
                    finally:
                        reader.cancel()


class Remote:
    """A consumer in another process (``remote_consumer.py``)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen = Seen()
        self.ended = asyncio.Event()

    async def read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            if line.strip() == b"END":
                break
            self.seen.add(decode_event(line))
        self.seen.end()
        self.ended.set()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(15):
            await self.ended.wait()
            await self.process.wait()


@asynccontextmanager
async def remote(
    url: str, venues: Sequence[str], subs: Sequence[str], *extra: str
) -> AsyncIterator[Remote]:
    args = [str(HERE / "remote_consumer.py"), url]
    for venue in venues:
        args += ["--venue", venue]
    for sub in subs:
        args += ["--sub", sub]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(20):
        line = await process.stdout.readline()
    assert line == b"READY\n", line
    consumer = Remote(process)
    task = asyncio.ensure_future(consumer.read())
    try:
        yield consumer
    finally:
        if process.returncode is None:
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
        task.cancel()


def subs_for(venue: str, channels: Sequence[str] = CHANNELS) -> list[str]:
    return [f"{channel}:{SYMBOL[venue]}" for channel in channels]
