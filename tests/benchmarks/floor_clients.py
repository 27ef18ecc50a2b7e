"""The floor benchmark's clients, one per process (started by ``bench_floor.py``)::

    python tests/benchmarks/floor_clients.py --client tickwire --stream kraken-book \\
        --port PORT --frames 200000 [--paced] [--cpu 1]

- ``floor-raw``: ``aiohttp`` ``ws_connect(decode_text=False)`` and ``receive()``, nothing
  else (the frame's type is checked, so a close cannot pass for a frame);
- ``floor-typed``: the same, plus one ``msgspec`` decode per frame into a small Struct
  with ``Decimal`` prices, and a check of the decoded message type;
- ``sink`` (not a client: the sender's ceiling): a raw asyncio socket that does the
  same handshake by hand and then only counts the bytes of the frames (``--bytes``);
- ``tickwire``: ``tickwire.core.connect`` to the server (``rest_url``/``ws_url``
  overrides), ``subscribe`` the stream, and one event per frame from
  ``client.events()``: every one must be the stream's event type (``Ticker``,
  ``BookUpdate``); a ``StreamStatus`` or ``StreamError`` in the window fails the run;
- ``floor-handoff`` (not run unless named): floor-typed's receive and decode in one
  task, each decoded message handed to a second task (a deque and a future, woken only
  when it waits): the least any library pays that delivers to the user's own task, as
  tickwire's ``events()`` does;
- ``tickwire-inline`` (not run unless named): the same client, each event to a plain
  callback registered with ``client.on_event(cb, inline=True)``, called by the reader
  as it pushes the event: no hand-over, the span floor-typed measures;
- ``tickwire+metrics`` (not run unless named): the same with the client counted
  (``tickwire.core.metrics.instrument`` before connect, what ``--metrics-port`` does);
  the counts are read at the end and must hold every frame of the window.

A client subscribes, waits for what the venue sends first (acks, snapshots), then
prints ``{"ready": …}`` on stdout and starts its clocks; the orchestrator then tells the
server to send. The result is one JSON line: frames counted, CPU seconds
(``time.process_time``: this process, user + system) over the receive window (ready to
the last frame: closing the connection is not in it), the wall
time from the first frame to the last, RSS. ``--paced``: also per-frame latency, from the
local receive time to the moment the code has the decoded frame (floor-typed: after
``receive()`` returned → after the decode; tickwire: ``event.received`` → the consumer
has the event; tickwire-inline: → the callback has it), and every delivery time
(``time.time_ns``) saved to ``--deliveries`` for the orchestrator to join with the
server's send times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from array import array
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aiohttp
import msgspec
from floor_frames import TYPED

# stream → (venue, channel, unified symbol, subscribe options)
SUBSCRIPTIONS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "kucoin-ticker": ("kucoin", "ticker", "BTC/USDT", {}),
    "kucoin-l2": ("kucoin", "book", "ETH/USDT", {}),  # depth "full": level2 + REST snapshot
    "kraken-ticker": ("kraken", "ticker", "BTC/USD", {}),
    "kraken-book": ("kraken", "book", "ETH/USD", {"depth": 10}),
}
CLIENTS = ("floor-raw", "floor-typed", "tickwire")
METRICS = "tickwire+metrics"  # tickwire counted (issue 14): only when asked for
INLINE = "tickwire-inline"  # on_event(inline=True), no hand-over (issue 12): when asked for
HANDOFF = "floor-handoff"  # floor-typed plus a hand-over to a consumer task: when asked for
SINK = "sink"  # not a client: the sender's ceiling (bytes counted, nothing decoded)


def rss_kib() -> int:
    """This process's resident set now, KiB (``/proc/self/status``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def say(message: dict[str, Any]) -> None:
    """One JSON line to the orchestrator."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Window:
    """The receive window: CPU from ``open()``, wall from the first frame, a count."""

    def __init__(self, frames: int, paced: bool) -> None:
        self.frames = frames
        self.got = 0
        self.anomalies: list[str] = []
        self.first = self.last = 0.0
        self.cpu = self.cpu_end = 0.0
        # paced: local receive → code has it (ns), and when it had it (time_ns)
        self.latency = array("q", bytes(8 * frames)) if paced else array("q")
        self.delivered = array("q", bytes(8 * frames)) if paced else array("q")

    def open(self) -> None:
        """Ready: clocks start, the orchestrator is told."""
        say({"ready": True, "rss_kib": rss_kib()})
        self.cpu = time.process_time()

    def stop(self) -> None:
        """The last frame is in: the clocks stop (closing the client is not measured)."""
        self.last = time.perf_counter()
        self.cpu_end = time.process_time()

    def close(self) -> dict[str, Any]:
        """The result line."""
        if not self.last:  # ended early (a deadline): up to now
            self.stop()
        self.cpu = self.cpu_end - self.cpu
        return {
            "frames": self.got,
            "wanted": self.frames,
            "cpu": self.cpu,
            "wall": self.last - self.first,
            "anomalies": self.anomalies[:5],
            "rss_end_kib": rss_kib(),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }


# --- floors -----------------------------------------------------------------------------


async def floor_socket(
    http: aiohttp.ClientSession, stream: str, base: str
) -> aiohttp.ClientWebSocketResponse[Literal[False]]:
    """A socket subscribed to ``stream`` with the acks and snapshots read."""
    venue, channel, symbol, options = SUBSCRIPTIONS[stream]
    if venue == "kucoin":
        async with http.post(f"{base}/api/v1/bullet-public") as response:
            bullet = msgspec.json.decode(await response.read())["data"]
        ws = await http.ws_connect(
            bullet["instanceServers"][0]["endpoint"],
            params={"token": bullet["token"], "connectId": "floor"},
            decode_text=False,
            max_msg_size=0,
        )
        await ws.receive()  # welcome
        prefix = "/market/ticker" if channel == "ticker" else "/market/level2"
        topic = f"{prefix}:{symbol.replace('/', '-')}"
        subscribe = {"id": "1", "type": "subscribe", "topic": topic, "response": True}
        await ws.send_bytes(msgspec.json.encode(subscribe))
        waiting = {"ack"}
    else:
        ws = await http.ws_connect(f"{base}/kraken", decode_text=False, max_msg_size=0)
        await ws.receive()  # status
        params = {"channel": channel, "symbol": [symbol], **options}
        await ws.send_bytes(
            msgspec.json.encode({"method": "subscribe", "params": params, "req_id": 1})
        )
        waiting = {"ack", "snapshot"}
    while waiting:
        message = msgspec.json.decode((await ws.receive()).data)
        kind = (
            "ack" if message.get("type") == "ack" or message.get("method") else message.get("type")
        )
        if kind not in waiting:
            raise RuntimeError(f"{stream}: expected {waiting}, got {message}")
        waiting.discard(kind)
    return ws


async def run_floor(stream: str, base: str, window: Window, typed: bool) -> None:
    """floor-raw / floor-typed over ``window.frames`` frames."""
    text = aiohttp.WSMsgType.TEXT
    frame_type, update = TYPED[stream]
    decode = msgspec.json.Decoder(frame_type).decode
    async with aiohttp.ClientSession() as http:
        ws = await floor_socket(http, stream, base)
        receive, frames = ws.receive, window.frames
        window.open()
        got = 0
        if window.latency:  # paced: stamp each frame
            latency, delivered, now = window.latency, window.delivered, time.time_ns
            while got < frames:
                message = await receive()
                received = now()
                if message.type is not text or decode(message.data).type != update:
                    window.anomalies.append(f"frame {got}: {message.type}")
                    break
                done = now()
                latency[got], delivered[got] = done - received, done
                got += 1
                if got == 1:
                    window.first = time.perf_counter()
        elif typed:
            message = await receive()
            window.first = time.perf_counter()
            while message.type is text and decode(message.data).type == update:
                got += 1
                if got == frames:
                    break
                message = await receive()
        else:
            message = await receive()
            window.first = time.perf_counter()
            while message.type is text:
                got += 1
                if got == frames:
                    break
                message = await receive()
        window.stop()
        window.got = got
        if got < frames:
            window.anomalies.append(f"stopped at {message.type}: {message.data!r:.120}")
        await ws.close()


async def run_handoff(stream: str, base: str, window: Window) -> None:
    """floor-typed's decode in the reader task, every message handed to a consumer task."""
    text = aiohttp.WSMsgType.TEXT
    frame_type, update = TYPED[stream]
    decode = msgspec.json.Decoder(frame_type).decode
    loop = asyncio.get_running_loop()
    buffer: deque[tuple[int, Any]] = deque()
    waiting: list[asyncio.Future[None]] = []  # the consumer's future, while it waits
    frames, now = window.frames, time.time_ns
    latency, delivered = window.latency, window.delivered

    async def consume() -> None:
        got = 0
        while got < frames:
            while not buffer:
                waiting.append(loop.create_future())
                await waiting[0]
            received, decoded = buffer.popleft()
            if decoded is None:
                break
            if latency:
                done = now()
                latency[got], delivered[got] = done - received, done
            got += 1
            if got == 1:
                window.first = time.perf_counter()
        window.got = got

    async with aiohttp.ClientSession() as http:
        ws = await floor_socket(http, stream, base)
        window.open()
        consumer = asyncio.create_task(consume())
        for n in range(frames):
            message = await ws.receive()
            received = now()
            decoded = decode(message.data) if message.type is text else None
            if decoded is None or decoded.type != update:
                window.anomalies.append(f"frame {n}: {message.type}")
                decoded = None
            buffer.append((received, decoded))
            if waiting:
                waiting.pop().set_result(None)
            if decoded is None:
                break
        await consumer
        window.stop()
        await ws.close()


# --- tickwire ---------------------------------------------------------------------------


async def run_tickwire(
    stream: str, base: str, window: Window, metrics: bool = False, inline: bool = False
) -> None:
    """tickwire's client through ``connect``: one normalized event per frame
    (``metrics``: counted, and the counts checked against the frames; ``inline``: to an
    ``on_event(..., inline=True)`` callback in the reader's task, not to ``events()``)."""
    from tickwire.core.config import HeartbeatPolicy
    from tickwire.core.connect import connect
    from tickwire.core.metrics import instrument
    from tickwire.core.types import BookUpdate, StreamError, StreamStatus, Ticker

    venue, channel, symbol, options = SUBSCRIPTIONS[stream]
    kind = Ticker if channel == "ticker" else BookUpdate
    # The socket is quiet between subscribe and "go": no idle drop, no staleness renewal.
    heartbeat = HeartbeatPolicy(idle_timeout=600.0, stale_after={})
    urls: dict[str, Any] = (
        {"rest_url": base}
        if venue == "kucoin"
        else {"ws_url": f"{base.replace('http', 'ws')}/kraken"}
    )
    client = connect(venue, heartbeat=heartbeat, **urls)
    counted = instrument(client) if metrics else None  # type: ignore[arg-type]
    async with client:
        await client.subscribe(channel, [symbol], **options)
        events = client.events()
        # Kraken sends a snapshot after the ack; KuCoin's level2 book is synced from the
        # REST snapshot after it: wait for that one event. KuCoin's ticker has none.
        snapshots = 0 if stream == "kucoin-ticker" else 1
        while snapshots or len(events):  # type: ignore[arg-type]
            event = await anext(aiter(events))
            if type(event) is kind:
                snapshots -= 1
            elif isinstance(event, StreamError):
                raise RuntimeError(f"{stream}: {event}")
        frames, got = window.frames, 0
        anomalies = window.anomalies
        if inline:
            await run_inline(client, events, kind, window)
            return
        window.open()
        if window.latency:
            latency, delivered, now = window.latency, window.delivered, time.time_ns
            async for event in events:
                done = now()
                if type(event) is not kind:
                    anomalies.append(repr(event)[:200])
                    continue
                latency[got], delivered[got] = done - event.received, done
                got += 1
                if got == 1:
                    window.first = time.perf_counter()
                if got == frames:
                    break
        else:
            async for event in events:
                if type(event) is kind:
                    got += 1
                    if got == 1:
                        window.first = time.perf_counter()
                    if got == frames:
                        break
                elif isinstance(event, StreamStatus | StreamError):
                    anomalies.append(repr(event)[:200])
        window.stop()
        window.got = got
        if counted is not None:  # every frame of the window counted (and what came before)
            tag = str(kind.__struct_config__.tag)
            total = counted.snapshot().events.get(channel, {}).get(tag, 0)
            if total < got:
                anomalies.append(f"metrics counted {total} of {got} events")


async def run_inline(client: Any, events: Any, kind: type, window: Window) -> None:
    """The window of ``tickwire-inline``: every event to a synchronous callback called by
    the reader as it pushes it (the span floor-typed measures: no hand-over)."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()
    frames, got = window.frames, 0
    anomalies = window.anomalies
    latency, delivered, now = window.latency, window.delivered, time.time_ns

    def on_event(event: Any) -> None:
        nonlocal got
        if got == frames:
            return  # closing: the statuses after the window
        done = now()
        if type(event) is not kind:
            anomalies.append(repr(event)[:200])
            return
        if latency:
            latency[got], delivered[got] = done - event.received, done
        got += 1
        if got == 1:
            window.first = time.perf_counter()
        if got == frames:
            window.stop()
            window.got = got
            finished.set_result(None)

    stop = client.on_event(on_event, inline=True)
    await events.aclose()  # the callback alone now: the hub calls it directly
    window.open()
    try:
        await finished
    finally:
        window.got = got
        stop()


# --- sink: what the sender can do ------------------------------------------------------


async def run_sink(stream: str, base: str, window: Window, size: int) -> None:
    """A raw socket that reads ``size`` bytes: the sender's ceiling, not a client.

    The same handshake as the floors (KuCoin's token over aiohttp, then the upgrade and
    the subscribe written by hand), the frames before the stream walked by their
    headers, then bytes counted, nothing looked at.
    """
    venue, channel, symbol, options = SUBSCRIPTIONS[stream]
    port = int(base.rsplit(":", 1)[1])
    if venue == "kucoin":
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/api/v1/bullet-public") as response:
                token = msgspec.json.decode(await response.read())["data"]["token"]
        path = f"/kucoin?token={token}&connectId=sink"
        prefix = "/market/ticker" if channel == "ticker" else "/market/level2"
        topic = f"{prefix}:{symbol.replace('/', '-')}"
        subscribe = {"id": "1", "type": "subscribe", "topic": topic, "response": True}
        before = 2  # welcome, ack
    else:
        path = "/kraken"
        params = {"channel": channel, "symbol": [symbol], **options}
        subscribe = {"method": "subscribe", "params": params, "req_id": 1}
        before = 3  # status, ack, snapshot
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: c2luay1jbGllbnQtMDAwMQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    payload = msgspec.json.encode(subscribe)
    writer.write(bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload)  # mask 0
    for _ in range(before):
        head = await reader.readexactly(2)
        length = head[1] & 0x7F
        if length >= 126:
            length = int.from_bytes(await reader.readexactly(2 if length == 126 else 8), "big")
        await reader.readexactly(length)
    window.open()
    data = await reader.read(1 << 20)
    window.first = time.perf_counter()
    left = size - len(data)
    while left > 0 and data:
        data = await reader.read(1 << 20)
        left -= len(data)
    window.stop()
    window.got = window.frames if left == 0 else 0
    writer.close()


def percentiles(values: array[int]) -> dict[str, float]:
    """p50, p99, p99.9 in µs."""
    ordered = sorted(values)
    n = len(ordered)
    pick = {"p50": 0.50, "p99": 0.99, "p99.9": 0.999}
    return {name: ordered[min(n - 1, int(q * n))] / 1000 for name, q in pick.items()} if n else {}


async def run(args: argparse.Namespace) -> tuple[dict[str, Any], Window]:
    """Measure one client on one stream: the result line, and the window's samples."""
    window = Window(args.frames, args.paced)
    base = f"http://127.0.0.1:{args.port}"
    runner: Callable[[], Awaitable[None]]
    if args.client in ("tickwire", METRICS, INLINE):
        metrics, inline = args.client == METRICS, args.client == INLINE
        runner = lambda: run_tickwire(args.stream, base, window, metrics, inline)  # noqa: E731
    elif args.client == HANDOFF:
        runner = lambda: run_handoff(args.stream, base, window)  # noqa: E731
    elif args.client == SINK:
        runner = lambda: run_sink(args.stream, base, window, args.bytes)  # noqa: E731
    else:
        runner = lambda: run_floor(args.stream, base, window, args.client == "floor-typed")  # noqa: E731
    try:
        # One deadline for the whole run (a timeout per frame would cost more than a frame).
        async with asyncio.timeout(60 + args.frames * 200e-6):
            await runner()
    except TimeoutError:
        window.anomalies.append(f"deadline: {window.got} of {window.frames} frames")
    result = window.close()
    if args.paced and window.got:
        result["latency_us"] = percentiles(window.latency[: window.got])
    return result, window


def main() -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--client", choices=(*CLIENTS, HANDOFF, METRICS, INLINE, SINK), required=True
    )
    parser.add_argument("--stream", choices=sorted(SUBSCRIPTIONS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frames", type=int, required=True)
    parser.add_argument("--paced", action="store_true", help="measure per-frame latency")
    parser.add_argument("--bytes", type=int, default=0, help="sink: the bytes of the frames")
    parser.add_argument("--deliveries", default="", help="paced: where to save delivery times")
    parser.add_argument("--cpu", type=int, help="pin to this CPU")
    parser.add_argument("--realtime", action="store_true", help="SCHED_FIFO (root only)")
    parser.add_argument("--uvloop", action="store_true", help="uvloop's event loop")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    if args.realtime:
        # Woken by a frame, run at once rather than after another process's time slice:
        # what a trading program on a core of its own gets. The kernel's RT throttling
        # (95 % of each second by default) still leaves the CPU to others now and then.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    if args.uvloop:
        import uvloop  # an optional dependency of the benchmark only

        result, window = uvloop.run(run(args))
    else:
        result, window = asyncio.run(run(args))
    if args.paced:
        with open(args.deliveries, "wb") as out:
            window.delivered[: window.got].tofile(out)
    say(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
