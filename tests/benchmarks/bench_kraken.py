"""Kraken receive-path benchmark: tickwire against a bare aiohttp + msgspec floor.

Run by hand (pytest does not collect it: the name does not start with ``test_``)::

    python tests/benchmarks/bench_kraken.py            # N = 100,000 frames per channel
    python tests/benchmarks/bench_kraken.py --n 20000 --profile

Three processes take part, so that every figure is the client's own:

- the **emulator** (``--serve``): ``KrakenEmulator(interval=None)`` in a child process,
  driven over its stdin. For each round it *holds* the client's socket, lets
  ``burst()`` build and queue every frame, and only then releases the socket: frame
  generation never runs inside a timed section, and it never runs on the client's
  CPU clock.
- the **client** (``--client NAME``): one process per client, so that peak RSS is
  that client's. It times only the receive section (``time.perf_counter`` for the
  rate, ``time.process_time`` for CPU) and counts every frame or event: a shortfall
  is reported, never hidden.
- the **orchestrator** (no option): runs each client and prints the comparison.

Clients:

- ``floor``: ``aiohttp`` ``ws_connect(decode_text=False)`` and a generic
  ``msgspec.json.Decoder()`` (to ``Any``: dicts, lists, floats) per frame.
- ``floor-typed``: the same socket, decoded into small typed Structs with ``Decimal``
  prices (what a careful hand-written client would do); shown for reference.
- ``tickwire``: ``connect("kraken", **endpoints)``, ``subscribe`` ticker and book,
  and ``N`` normalized events of each from ``client.events()`` (book events are
  checksum-verified and applied to the live ``OrderBook``).

Ticker frames go to BTC/USD and book frames to ETH/USD, both subscribed throughout, so a
ticker burst produces only ticker frames and a book burst only book frames.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

TICKER_SYMBOL = "BTC/USD"
BOOK_SYMBOL = "ETH/USD"
BOOK_DEPTH = 10
ROUND = 100_000  # frames per hold/burst/release round: below the emulator's backlog cap
# A round that has not completed by then is declared short (one deadline per round: a
# timeout per event would cost the harness more than the floor spends per frame).
ROUND_DEADLINE_BASE = 30.0  # seconds
ROUND_DEADLINE_PER_FRAME = 200e-6  # seconds, ~20x the slowest client measured
CLIENTS = ("floor", "floor-typed", "tickwire")


# --- the emulator process ----------------------------------------------------------------


PLACEMENTS = {  # --placement: (client CPU, emulator CPU)
    "split": (1, 0),  # a core each, like a venue across the network (the default)
    "shared": (1, 1),  # one core for both: the client reads in big batches
    "free": (None, None),  # wherever the scheduler puts them
}


def pin(cpu: int | None) -> None:
    """Keep this process on one CPU, so a round never migrates or competes unplanned."""
    if cpu is not None and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {cpu})


async def serve(seed: int, cpu: int | None) -> None:
    """Run the emulator; obey ``prepare CHANNEL SYMBOL N`` / ``go`` / ``quit`` on stdin."""
    pin(cpu)
    from tickwire.exchanges.kraken import KrakenEmulator

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def reply(message: object) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async with KrakenEmulator(seed=seed, interval=None) as ex:
        reply(ex.endpoints)
        while line := (await reader.readline()).decode().split():
            match line:
                case ["prepare", channel, symbol, n]:
                    connections = ex.open_connections()
                    for conn in connections:
                        conn.hold()  # queue the whole burst before anything is sent
                    steps = await ex.burst(channel, symbol, int(n))
                    reply({"steps": steps, "backlog": sum(c.backlog for c in connections)})
                case ["go"]:
                    for conn in ex.open_connections():
                        conn.release()
                    reply({"released": True})
                case ["quit"]:
                    break
                case _:
                    reply({"error": f"unknown command {line}"})


class EmulatorProcess:
    """The client's handle on the emulator child process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, seed: int, cpu: int | None) -> tuple[EmulatorProcess, dict[str, str]]:
        cpu_option = [] if cpu is None else ["--cpu", str(cpu)]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            "--seed",
            str(seed),
            *cpu_option,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        emulator = cls(process)
        endpoints = await emulator._read()
        return emulator, endpoints

    async def _read(self) -> Any:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended")
        return json.loads(line)

    async def command(self, text: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await self.process.wait()


# --- measuring ---------------------------------------------------------------------------


class Phase(msgspec.Struct):
    """What one client measured for one channel."""

    channel: str
    wanted: int
    received: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    anomalies: list[str] = msgspec.field(default_factory=list)


async def measure(
    emulator: EmulatorProcess,
    channel: str,
    symbol: str,
    n: int,
    receive: Callable[[int, list[int]], Awaitable[None]],
    profiler: cProfile.Profile | None = None,
) -> Phase:
    """Hold, burst and queue a round in the emulator, then time its reception."""
    phase = Phase(channel, n)
    remaining = n
    while remaining:
        size = min(remaining, ROUND)
        await emulator.command(f"prepare {channel} {symbol} {size}")
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        await emulator.command("go")
        counted = [0]
        try:
            async with asyncio.timeout(ROUND_DEADLINE_BASE + size * ROUND_DEADLINE_PER_FRAME):
                await receive(size, counted)
        except TimeoutError:
            pass
        got = counted[0]
        if profiler is not None:
            profiler.disable()
        phase.cpu += time.process_time() - cpu
        phase.wall += time.perf_counter() - wall
        phase.received += got
        remaining -= size
        if got < size:
            phase.anomalies.append(f"round short: {got} of {size} before the round's deadline")
            break
    return phase


async def run_floor(n: int, seed: int, typed: bool, emulator_cpu: int | None) -> list[Phase]:
    """The bare client: aiohttp frames as bytes, one msgspec decode each, a count."""
    emulator, endpoints = await EmulatorProcess.start(seed, emulator_cpu)
    decoders: dict[str, Callable[[bytes], Any]]
    if typed:
        decoders = {
            "ticker": msgspec.json.Decoder(_TickerFrame).decode,
            "book": msgspec.json.Decoder(_BookFrame).decode,
        }
    else:
        generic = msgspec.json.Decoder().decode
        decoders = {"ticker": generic, "book": generic}
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(endpoints["ws_url"], decode_text=False, max_msg_size=0)
            for req_id, params in enumerate(
                (
                    {"channel": "ticker", "symbol": [TICKER_SYMBOL]},
                    {"channel": "book", "symbol": [BOOK_SYMBOL], "depth": BOOK_DEPTH},
                ),
                start=1,
            ):
                await ws.send_bytes(
                    msgspec.json.encode({"method": "subscribe", "params": params, "req_id": req_id})
                )
            snapshots: set[str] = set()
            while len(snapshots) < 2:  # both snapshots are in: the stream is quiet now
                frame = msgspec.json.decode((await ws.receive()).data)
                if frame.get("type") == "snapshot":
                    snapshots.add(frame["channel"])

            def counter(channel: str) -> Callable[[int, list[int]], Awaitable[None]]:
                decode = decoders[channel]
                receive = ws.receive

                async def count(size: int, counted: list[int]) -> None:
                    got = 0
                    try:
                        while got < size:
                            frame = decode((await receive()).data)
                            if typed:
                                if frame.channel == channel and frame.type == "update":
                                    got += 1
                            elif frame.get("channel") == channel and frame.get("type") == "update":
                                got += 1
                    finally:
                        counted[0] = got

                return count

            phases = [
                await measure(emulator, "ticker", TICKER_SYMBOL, n, counter("ticker")),
                await measure(emulator, "book", BOOK_SYMBOL, n, counter("book")),
            ]
            await ws.close()
    finally:
        await emulator.stop()
    return phases


class _TickerRow(msgspec.Struct):
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    timestamp: str = ""


class _TickerFrame(msgspec.Struct):
    channel: str = ""
    type: str = ""
    data: list[_TickerRow] = []


class _Level(msgspec.Struct):
    price: Decimal
    qty: Decimal


class _BookRow(msgspec.Struct):
    symbol: str
    bids: list[_Level]
    asks: list[_Level]
    checksum: int
    timestamp: str = ""


class _BookFrame(msgspec.Struct):
    channel: str = ""
    type: str = ""
    data: list[_BookRow] = []


async def run_tickwire(n: int, seed: int, profile: bool, emulator_cpu: int | None) -> list[Phase]:
    """tickwire end to end: normalized, checksum-verified events from ``events()``."""
    from tickwire.core.config import HeartbeatPolicy
    from tickwire.core.connect import connect
    from tickwire.core.types import BookUpdate, StreamError, StreamStatus, Ticker

    emulator, endpoints = await EmulatorProcess.start(seed, emulator_cpu)
    # A held socket is silent while a round is queued: no idle drop, no staleness renewal
    # (either would add a snapshot and break the one-frame-one-event count).
    heartbeat = HeartbeatPolicy(idle_timeout=600.0, stale_after={})
    profiler = cProfile.Profile() if profile else None
    try:
        async with connect("kraken", heartbeat=heartbeat, **endpoints) as client:
            await client.subscribe("ticker", [TICKER_SYMBOL])
            await client.subscribe("book", [BOOK_SYMBOL], depth=BOOK_DEPTH)
            events = aiter(client.events())
            seen: set[type] = set()
            while len(seen) < 2:
                event = await anext(events)
                if isinstance(event, Ticker | BookUpdate):
                    seen.add(type(event))
            anomalies: list[str] = []

            def counter(kind: type) -> Callable[[int, list[int]], Awaitable[None]]:
                async def count(size: int, counted: list[int]) -> None:
                    got = 0
                    try:
                        while got < size:
                            event = await anext(events)
                            if type(event) is kind:
                                got += 1
                            elif isinstance(event, StreamStatus | StreamError):
                                anomalies.append(repr(event)[:160])
                    finally:
                        counted[0] = got

                return count

            phases = []
            for channel, symbol, kind in (
                ("ticker", TICKER_SYMBOL, Ticker),
                ("book", BOOK_SYMBOL, BookUpdate),
            ):
                phase = await measure(emulator, channel, symbol, n, counter(kind), profiler)
                phase.anomalies.extend(anomalies)
                anomalies.clear()
                phases.append(phase)
    finally:
        await emulator.stop()
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
    return phases


def client_main(name: str, n: int, seed: int, profile: bool, placement: str) -> None:
    """One client process: measure, then print one JSON line of results."""
    client_cpu, emulator_cpu = PLACEMENTS[placement]
    pin(client_cpu)
    if name == "tickwire":
        phases = asyncio.run(run_tickwire(n, seed, profile, emulator_cpu))
    else:
        phases = asyncio.run(run_floor(n, seed, name == "floor-typed", emulator_cpu))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {"client": name, "rss_mib": rss_kib / 1024, "phases": phases}
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")


# --- the orchestrator --------------------------------------------------------------------


def orchestrate(
    n: int, seed: int, clients: list[str], repeat: int, profile: bool, placement: str
) -> int:
    """Run each client in its own process, ``repeat`` times interleaved; print medians."""
    rates: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    rss: dict[str, list[float]] = {}
    short: list[str] = []
    for run in range(repeat):
        for name in clients:  # interleaved, so a noisy minute hits every client alike
            command = [sys.executable, __file__, "--client", name, "--n", str(n)]
            command += ["--seed", str(seed), "--placement", placement]
            if profile and name == "tickwire" and run == 0:
                command.append("--profile")
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
            if done.returncode != 0:
                print(f"{name}: exited with {done.returncode}", file=sys.stderr)
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rss.setdefault(name, []).append(result["rss_mib"])
            for phase in result["phases"]:
                key = (name, phase["channel"])
                if phase["received"] != phase["wanted"] or phase["anomalies"]:
                    short.append(f"{name} {phase['channel']} run {run + 1}: {phase}")
                if phase["received"]:
                    rates.setdefault(key, []).append(phase["received"] / phase["wall"])
                    cpus.setdefault(key, []).append(phase["cpu"] / phase["received"] * 1e6)

    print(
        f"Kraken receive path: N = {n:,} frames per channel, median of {repeat} runs "
        f"[min-max], Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"placement {placement} (client CPU, emulator CPU: {PLACEMENTS[placement]})"
    )
    header = (
        f"{'client':<12} {'channel':<7} {'events/s':>26} {'CPU µs/event':>20} "
        f"{'peak RSS':>9} {'rate/floor':>10} {'CPU/floor':>9}"
    )
    print(header)
    print("-" * len(header))
    for (name, channel), values in rates.items():
        rate, cpu = statistics.median(values), statistics.median(cpus[(name, channel)])
        ratio = cpu_ratio = ""
        if ("floor", channel) in rates:
            ratio = f"{rate / statistics.median(rates[('floor', channel)]):.0%}"
            cpu_ratio = f"{cpu / statistics.median(cpus[('floor', channel)]):.2f}x"
        spread_rate = f"[{min(values):,.0f}-{max(values):,.0f}]"
        spread_cpu = f"[{min(cpus[(name, channel)]):.1f}-{max(cpus[(name, channel)]):.1f}]"
        print(
            f"{name:<12} {channel:<7} {rate:>8,.0f} {spread_rate:>17} {cpu:>6.2f} {spread_cpu:>13} "
            f"{max(rss[name]):>7.1f}Mi {ratio:>10} {cpu_ratio:>9}"
        )
    if short:
        print("NOT EVERY FRAME WAS DELIVERED AS ONE EVENT:")
        for line in short:
            print(f"    ! {line[:300]}")
        return 1
    return 0


def main() -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="frames per channel")
    parser.add_argument("--seed", type=int, default=1, help="emulator market seed")
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per client (median shown)")
    parser.add_argument("--profile", action="store_true", help="cProfile tickwire (stderr)")
    parser.add_argument(
        "--placement", choices=sorted(PLACEMENTS), default="split", help="CPU pinning"
    )
    parser.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.seed, args.cpu))
        return 0
    if args.client:
        client_main(args.client, args.n, args.seed, args.profile, args.placement)
        return 0
    return orchestrate(args.n, args.seed, args.clients, args.repeat, args.profile, args.placement)


if __name__ == "__main__":
    sys.exit(main())
