"""Receive-path benchmark: tickwire against a bare aiohttp + msgspec floor, per venue.

Run by hand (pytest does not collect it: the name does not start with ``test_``)::

    python tests/benchmarks/bench_feed.py                   # Kraken and KuCoin, N = 100,000
    python tests/benchmarks/bench_feed.py --venue kraken    # what bench_kraken.py measured
    python tests/benchmarks/bench_feed.py --venue kucoin --n 20000 --profile

Three processes take part, so that every figure is the client's own:

- the **emulator** (``--serve``): the venue's emulator with no automatic market steps
  (``interval=None``) in a child process, driven over its stdin. For each round it
  *holds* the client's socket, lets ``burst()`` build and queue every frame, and only
  then releases the socket: frame generation never runs inside a timed section, and it
  never runs on the client's CPU clock.
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
- ``tickwire``: ``connect(venue, ...)``, ``subscribe`` ticker and book, and ``N``
  normalized events of each from ``client.events()`` (book events are verified and
  applied to the live ``OrderBook``).
- ``tickwire-rec``: the same while ``client.record()`` writes every frame to disk (the
  recording's cost, side by side); on Kraken it then replays the recording at full
  speed as channel ``replay`` (every live ticker and book event must come back).

Venues (``--venue``), each with ticker frames on one symbol and book frames on another,
both subscribed throughout, so a ticker burst produces only ticker frames and a book
burst only book frames:

- ``kraken``: ``KrakenEmulator``; ticker on BTC/USD, book (depth 10, CRC32-verified) on
  ETH/USD. The floor subscribes both on the public socket and waits for both snapshots.
- ``kucoin``: ``KucoinEmulator``; ``/market/ticker`` on BTC-USDT and ``/market/level2``
  on ETH-USDT (the full book: increments synced by sequence against the signed
  ``/api/v3`` snapshot; dummy credentials, which the emulator accepts without verifying,
  and ``options={"private": False}``, so no private socket opens). Every client fetches
  a bullet token (``POST /api/v1/bullet-public``), connects to the instance server it
  names, waits for ``welcome`` and subscribes with ``response: true``; the floor waits
  for both acks and fetches no snapshot (it keeps no book). The emulator announces
  KuCoin's 18 s ping interval but a 600 s ping timeout, so a floor that never pings is
  not cut off; tickwire pings as it would live.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

ROUND = 100_000  # frames per hold/burst/release round: below the emulator's backlog cap
# A round that has not completed by then is declared short (one deadline per round: a
# timeout per event would cost the harness more than the floor spends per frame).
ROUND_DEADLINE_BASE = 30.0  # seconds
ROUND_DEADLINE_PER_FRAME = 200e-6  # seconds, ~20x the slowest client measured
CLIENTS = ("floor", "floor-typed", "tickwire", "tickwire-rec")
CHANNELS = ("ticker", "book")


# --- the venues --------------------------------------------------------------------------


class _KrakenTickerRow(msgspec.Struct):
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    timestamp: str = ""


class _KrakenTickerFrame(msgspec.Struct):
    channel: str = ""
    type: str = ""
    data: list[_KrakenTickerRow] = []


class _KrakenLevel(msgspec.Struct):
    price: Decimal
    qty: Decimal


class _KrakenBookRow(msgspec.Struct):
    symbol: str
    bids: list[_KrakenLevel]
    asks: list[_KrakenLevel]
    checksum: int
    timestamp: str = ""


class _KrakenBookFrame(msgspec.Struct):
    channel: str = ""
    type: str = ""
    data: list[_KrakenBookRow] = []


class _KucoinTicker(msgspec.Struct, rename="camel"):
    sequence: str
    price: Decimal
    size: Decimal
    best_ask: Decimal
    best_ask_size: Decimal
    best_bid: Decimal
    best_bid_size: Decimal
    time: int = 0


class _KucoinChanges(msgspec.Struct):
    asks: list[tuple[Decimal, Decimal, str]]
    bids: list[tuple[Decimal, Decimal, str]]


class _KucoinIncrement(msgspec.Struct, rename="camel"):
    changes: _KucoinChanges
    sequence_start: int
    sequence_end: int
    symbol: str
    time: int


# One typed pass per frame (the floor knows what its socket carries). ``subject`` is
# read as ``channel`` so that the floor's per-frame test is the same for every venue.
class _KucoinTickerFrame(msgspec.Struct):
    type: str = ""
    topic: str = ""
    channel: str = msgspec.field(default="", name="subject")
    data: _KucoinTicker | None = None


class _KucoinIncrementFrame(msgspec.Struct):
    type: str = ""
    topic: str = ""
    channel: str = msgspec.field(default="", name="subject")
    data: _KucoinIncrement | None = None


class Venue:
    """What differs between venues: emulator, floor handshake, frame shapes, tickwire setup.

    A floor counts a decoded frame of ``channel`` when ``frame[key] == updates[channel]``
    and ``frame["type"] == update_type`` (typed frames: ``.channel`` and ``.type``).
    """

    name = ""
    title = ""
    ticker_symbol = ""  # unified
    book_symbol = ""
    book_options: dict[str, Any] = {}
    key = ""
    updates: dict[str, str] = {}
    update_type = ""
    typed: dict[str, type[msgspec.Struct]] = {}

    def native(self, symbol: str) -> str:
        """The venue's spelling of a unified symbol."""
        return symbol

    def emulator(self, seed: int) -> Any:
        """The emulator, not yet started."""
        raise NotImplementedError

    async def burst(self, ex: Any, channel: str, n: int) -> int:
        """Queue ``n`` frames of ``channel`` (``ticker``/``book``); the market steps taken."""
        raise NotImplementedError

    async def floor_socket(
        self, http: aiohttp.ClientSession, endpoints: dict[str, str]
    ) -> aiohttp.ClientWebSocketResponse:
        """A socket with both channels subscribed and nothing more to come."""
        raise NotImplementedError

    def connect_options(self) -> dict[str, Any]:
        """Extra ``connect()`` fields for tickwire."""
        return {}

    def ready_kinds(self) -> set[type]:
        """Event types that tell tickwire's subscriptions are live and quiet."""
        raise NotImplementedError


class Kraken(Venue):
    name = "kraken"
    title = "Kraken"
    ticker_symbol = "BTC/USD"
    book_symbol = "ETH/USD"
    book_options = {"depth": 10}
    key = "channel"
    updates = {"ticker": "ticker", "book": "book"}
    update_type = "update"
    typed = {"ticker": _KrakenTickerFrame, "book": _KrakenBookFrame}

    def emulator(self, seed: int) -> Any:
        from tickwire.exchanges.kraken import KrakenEmulator

        return KrakenEmulator(seed=seed, interval=None)

    async def burst(self, ex: Any, channel: str, n: int) -> int:
        symbol = self.ticker_symbol if channel == "ticker" else self.book_symbol
        steps: int = await ex.burst(channel, symbol, n)
        return steps

    async def floor_socket(
        self, http: aiohttp.ClientSession, endpoints: dict[str, str]
    ) -> aiohttp.ClientWebSocketResponse:
        ws = await http.ws_connect(endpoints["ws_url"], decode_text=False, max_msg_size=0)
        for req_id, params in enumerate(
            (
                {"channel": "ticker", "symbol": [self.ticker_symbol]},
                {"channel": "book", "symbol": [self.book_symbol], **self.book_options},
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
        return ws

    def ready_kinds(self) -> set[type]:
        from tickwire.core.types import BookUpdate, Ticker

        return {Ticker, BookUpdate}  # both snapshots


class Kucoin(Venue):
    name = "kucoin"
    title = "KuCoin"
    ticker_symbol = "BTC/USDT"
    book_symbol = "ETH/USDT"
    book_options = {}  # depth "full": /market/level2, synced against a REST snapshot
    key = "subject"
    updates = {"ticker": "trade.ticker", "book": "trade.l2update"}
    update_type = "message"
    typed = {"ticker": _KucoinTickerFrame, "book": _KucoinIncrementFrame}
    prefixes = {"ticker": "/market/ticker", "book": "/market/level2"}

    def native(self, symbol: str) -> str:
        return symbol.replace("/", "-")

    def emulator(self, seed: int) -> Any:
        from tickwire.exchanges.kucoin import KucoinEmulator

        return KucoinEmulator(seed=seed, interval=None, ping_timeout_ms=600_000)

    async def burst(self, ex: Any, channel: str, n: int) -> int:
        symbol = self.ticker_symbol if channel == "ticker" else self.book_symbol
        steps: int = await ex.burst(self.prefixes[channel], self.native(symbol), n)
        return steps

    async def floor_socket(
        self, http: aiohttp.ClientSession, endpoints: dict[str, str]
    ) -> aiohttp.ClientWebSocketResponse:
        async with http.post(f"{endpoints['rest_url']}/api/v1/bullet-public") as response:
            bullet = msgspec.json.decode(await response.read())["data"]
        server = bullet["instanceServers"][0]
        ws = await http.ws_connect(
            server["endpoint"],
            params={"token": bullet["token"], "connectId": "floor"},
            decode_text=False,
            max_msg_size=0,
        )
        welcome = msgspec.json.decode((await ws.receive()).data)
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"kucoin floor: expected welcome, got {welcome}")
        topics = (
            f"{self.prefixes['ticker']}:{self.native(self.ticker_symbol)}",
            f"{self.prefixes['book']}:{self.native(self.book_symbol)}",
        )
        for req_id, topic in enumerate(topics, start=1):
            message = {"id": str(req_id), "type": "subscribe", "topic": topic}
            message |= {"privateChannel": False, "response": True}
            await ws.send_bytes(msgspec.json.encode(message))
        acks: set[str] = set()
        while len(acks) < len(topics):  # both acked; nothing is pushed until a burst
            frame = msgspec.json.decode((await ws.receive()).data)
            if frame.get("type") != "ack":
                raise RuntimeError(f"kucoin floor: expected an ack, got {frame}")
            acks.add(frame["id"])
        return ws

    def connect_options(self) -> dict[str, Any]:
        from tickwire.core.config import Credentials

        # Signs the full /api/v3 snapshot (the whole book); any key will do: without
        # api_keys the emulator only checks that the headers are there. Credentials would
        # also open the private (orders, balances) socket: market data only here.
        return {
            "credentials": Credentials("key", "secret", "passphrase"),
            "options": {"private": False},
        }

    def ready_kinds(self) -> set[type]:
        from tickwire.core.types import BookUpdate

        return {BookUpdate}  # the synced book's snapshot; KuCoin sends no ticker snapshot


VENUES: dict[str, Venue] = {"kraken": Kraken(), "kucoin": Kucoin()}


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


async def serve(venue: Venue, seed: int, cpu: int | None) -> None:
    """Run the emulator; obey ``prepare CHANNEL N`` / ``go`` / ``quit`` on stdin."""
    pin(cpu)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def reply(message: object) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async with venue.emulator(seed) as ex:
        reply(ex.endpoints)
        while line := (await reader.readline()).decode().split():
            match line:
                case ["prepare", channel, n]:
                    connections = ex.open_connections()
                    for conn in connections:
                        conn.hold()  # queue the whole burst before anything is sent
                    steps = await venue.burst(ex, channel, int(n))
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
    async def start(
        cls, venue: Venue, seed: int, cpu: int | None
    ) -> tuple[EmulatorProcess, dict[str, str]]:
        cpu_option = [] if cpu is None else ["--cpu", str(cpu)]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            "--venue",
            venue.name,
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
    n: int,
    receive: Callable[[int, list[int]], Awaitable[None]],
    profiler: cProfile.Profile | None = None,
) -> Phase:
    """Hold, burst and queue a round in the emulator, then time its reception."""
    phase = Phase(channel, n)
    remaining = n
    while remaining:
        size = min(remaining, ROUND)
        await emulator.command(f"prepare {channel} {size}")
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


async def run_floor(
    venue: Venue, n: int, seed: int, typed: bool, emulator_cpu: int | None
) -> list[Phase]:
    """The bare client: aiohttp frames as bytes, one msgspec decode each, a count."""
    emulator, endpoints = await EmulatorProcess.start(venue, seed, emulator_cpu)
    decoders: dict[str, Callable[[bytes], Any]]
    if typed:
        decoders = {ch: msgspec.json.Decoder(venue.typed[ch]).decode for ch in CHANNELS}
    else:
        generic = msgspec.json.Decoder().decode
        decoders = dict.fromkeys(CHANNELS, generic)
    try:
        async with aiohttp.ClientSession() as http:
            ws = await venue.floor_socket(http, endpoints)

            def counter(channel: str) -> Callable[[int, list[int]], Awaitable[None]]:
                decode = decoders[channel]
                receive = ws.receive
                key, want, kind = venue.key, venue.updates[channel], venue.update_type

                async def count(size: int, counted: list[int]) -> None:
                    got = 0
                    try:
                        while got < size:
                            frame = decode((await receive()).data)
                            if typed:
                                if frame.channel == want and frame.type == kind:
                                    got += 1
                            elif frame.get(key) == want and frame.get("type") == kind:
                                got += 1
                    finally:
                        counted[0] = got

                return count

            phases = [await measure(emulator, ch, n, counter(ch)) for ch in CHANNELS]
            await ws.close()
    finally:
        await emulator.stop()
    return phases


async def run_tickwire(
    venue: Venue,
    n: int,
    seed: int,
    profile: bool,
    emulator_cpu: int | None,
    record: bool = False,
) -> list[Phase]:
    """tickwire end to end: normalized, verified events from ``events()``.

    ``record``: the client is recorded throughout (``client.record``, into a temporary
    directory), and the recording is then replayed at full speed as one more phase,
    ``replay``, which must yield every ticker and book event the live client delivered.
    """
    from tickwire.core.config import HeartbeatPolicy
    from tickwire.core.connect import connect
    from tickwire.core.types import BookUpdate, StreamError, StreamStatus, Ticker

    emulator, endpoints = await EmulatorProcess.start(venue, seed, emulator_cpu)
    # A held socket is silent while a round is queued: no idle drop, no staleness renewal
    # (either would add a snapshot and break the one-frame-one-event count).
    heartbeat = HeartbeatPolicy(idle_timeout=600.0, stale_after={})
    profiler = cProfile.Profile() if profile else None
    options = venue.connect_options()
    directory = tempfile.mkdtemp(prefix="tickwire-bench-")
    live = [0]  # ticker and book events delivered, for the replay to match
    try:
        client = connect(venue.name, heartbeat=heartbeat, **options, **endpoints)
        async with contextlib.AsyncExitStack() as stack:
            if record:
                await stack.enter_async_context(client.record(directory))  # type: ignore[attr-defined]
            await stack.enter_async_context(client)
            await client.subscribe("ticker", [venue.ticker_symbol])
            await client.subscribe("book", [venue.book_symbol], **venue.book_options)
            events = aiter(client.events())
            seen: set[type] = set()
            wanted = venue.ready_kinds()
            while seen != wanted:
                event = await anext(events)
                if type(event) in wanted:
                    seen.add(type(event))
                    live[0] += 1
                elif isinstance(event, StreamError):
                    raise RuntimeError(f"{venue.name}: {event}")
            anomalies: list[str] = []

            def counter(kind: type) -> Callable[[int, list[int]], Awaitable[None]]:
                async def count(size: int, counted: list[int]) -> None:
                    got = 0
                    try:
                        while got < size:
                            event = await anext(events)
                            if type(event) is kind:
                                got += 1
                                live[0] += 1
                            elif isinstance(event, StreamStatus | StreamError):
                                anomalies.append(repr(event)[:160])
                    finally:
                        counted[0] = got

                return count

            phases = []
            for channel, kind in zip(CHANNELS, (Ticker, BookUpdate), strict=True):
                phase = await measure(emulator, channel, n, counter(kind), profiler)
                phase.anomalies.extend(anomalies)
                anomalies.clear()
                phases.append(phase)
    finally:
        await emulator.stop()
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
    if record and venue.name == "kraken":  # KuCoin recordings cannot replay yet
        phases.append(await time_replay(directory, live[0]))
    shutil.rmtree(directory, ignore_errors=True)
    return phases


async def time_replay(directory: str, wanted: int) -> Phase:
    """Replay a recording at full speed; count its ticker and book events."""
    from tickwire.core.recording.replay import replay
    from tickwire.core.types import BookUpdate, Ticker

    phase = Phase("replay", wanted)
    wall, cpu = time.perf_counter(), time.process_time()
    async for event in replay(directory):
        if type(event) is Ticker or type(event) is BookUpdate:
            phase.received += 1
    phase.cpu = time.process_time() - cpu
    phase.wall = time.perf_counter() - wall
    return phase


def client_main(venue: Venue, name: str, n: int, seed: int, profile: bool, placement: str) -> None:
    """One client process: measure, then print one JSON line of results."""
    client_cpu, emulator_cpu = PLACEMENTS[placement]
    pin(client_cpu)
    if name.startswith("tickwire"):
        record = name == "tickwire-rec"
        phases = asyncio.run(run_tickwire(venue, n, seed, profile, emulator_cpu, record))
    else:
        phases = asyncio.run(run_floor(venue, n, seed, name == "floor-typed", emulator_cpu))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {"client": name, "rss_mib": rss_kib / 1024, "phases": phases}
    sys.stdout.write(msgspec.json.encode(result).decode() + "\n")


# --- the orchestrator --------------------------------------------------------------------


def orchestrate(
    venues: list[Venue],
    n: int,
    seed: int,
    clients: list[str],
    repeat: int,
    profile: bool,
    placement: str,
    raw_path: str | None = None,
) -> int:
    """Run each client in its own process, ``repeat`` times interleaved; print medians.

    ``raw_path``: also write every run's figures there, one JSON object per line.
    """
    Key = tuple[str, str, str]  # venue, client, channel
    rates: dict[Key, list[float]] = {}
    cpus: dict[Key, list[float]] = {}
    rss: dict[tuple[str, str], list[float]] = {}
    short: list[str] = []
    raw: list[dict[str, Any]] = []
    for run in range(repeat):
        for venue in venues:
            for name in clients:  # interleaved, so a noisy minute hits every client alike
                command = [sys.executable, __file__, "--client", name, "--venue", venue.name]
                command += ["--n", str(n), "--seed", str(seed), "--placement", placement]
                if profile and name == "tickwire" and run == 0:
                    command.append("--profile")
                done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
                if done.returncode != 0:
                    print(f"{venue.name} {name}: exited with {done.returncode}", file=sys.stderr)
                    return 1
                result = json.loads(done.stdout.strip().splitlines()[-1])
                rss.setdefault((venue.name, name), []).append(result["rss_mib"])
                for phase in result["phases"]:
                    key = (venue.name, name, phase["channel"])
                    if phase["received"] != phase["wanted"] or phase["anomalies"]:
                        short.append(
                            f"{venue.name} {name} {phase['channel']} run {run + 1}: {phase}"
                        )
                    if phase["received"]:
                        rates.setdefault(key, []).append(phase["received"] / phase["wall"])
                        cpus.setdefault(key, []).append(phase["cpu"] / phase["received"] * 1e6)
                    raw.append({"run": run + 1, "venue": venue.name, "placement": placement})
                    raw[-1] |= {"client": name, "rss_mib": result["rss_mib"], **phase}
    if raw_path is not None:
        with open(raw_path, "w") as out:
            out.writelines(json.dumps(line) + "\n" for line in raw)

    for venue in venues:
        print(
            f"{venue.title} receive path: N = {n:,} frames per channel, median of {repeat} runs "
            f"[min-max], Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"placement {placement} (client CPU, emulator CPU: {PLACEMENTS[placement]})"
        )
        header = (
            f"{'client':<12} {'channel':<7} {'events/s':>26} {'CPU µs/event':>20} "
            f"{'peak RSS':>9} {'rate/floor':>10} {'CPU/floor':>9}"
        )
        print(header)
        print("-" * len(header))
        for (venue_name, name, channel), values in rates.items():
            if venue_name != venue.name:
                continue
            key = (venue_name, name, channel)
            floor = (venue_name, "floor", channel)
            rate, cpu = statistics.median(values), statistics.median(cpus[key])
            ratio = cpu_ratio = ""
            if floor in rates:
                ratio = f"{rate / statistics.median(rates[floor]):.0%}"
                cpu_ratio = f"{cpu / statistics.median(cpus[floor]):.2f}x"
            spread_rate = f"[{min(values):,.0f}-{max(values):,.0f}]"
            spread_cpu = f"[{min(cpus[key]):.1f}-{max(cpus[key]):.1f}]"
            print(
                f"{name:<12} {channel:<7} {rate:>8,.0f} {spread_rate:>17} {cpu:>6.2f} "
                f"{spread_cpu:>13} {max(rss[(venue_name, name)]):>7.1f}Mi {ratio:>10} "
                f"{cpu_ratio:>9}"
            )
        print()
    if short:
        print("NOT EVERY FRAME WAS DELIVERED AS ONE EVENT:")
        for line in short:
            print(f"    ! {line[:300]}")
        return 1
    return 0


def main() -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--venue", choices=[*VENUES, "both"], default="both", help="which venue(s)")
    parser.add_argument("--n", type=int, default=100_000, help="frames per channel")
    parser.add_argument("--seed", type=int, default=1, help="emulator market seed")
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per client (median shown)")
    parser.add_argument("--profile", action="store_true", help="cProfile tickwire (stderr)")
    parser.add_argument(
        "--placement", choices=sorted(PLACEMENTS), default="split", help="CPU pinning"
    )
    parser.add_argument("--raw", metavar="PATH", help="write every run's figures (JSON lines)")
    parser.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    venues = list(VENUES.values()) if args.venue == "both" else [VENUES[args.venue]]
    if args.serve or args.client:
        if len(venues) != 1:
            parser.error("--serve and --client take one --venue")
        if args.serve:
            asyncio.run(serve(venues[0], args.seed, args.cpu))
        else:
            client_main(venues[0], args.client, args.n, args.seed, args.profile, args.placement)
        return 0
    return orchestrate(
        venues,
        args.n,
        args.seed,
        args.clients,
        args.repeat,
        args.profile,
        args.placement,
        args.raw,
    )


if __name__ == "__main__":
    sys.exit(main())
