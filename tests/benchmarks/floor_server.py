"""The floor benchmark's replay server: just enough KuCoin and Kraken, then frames at full speed.

Run by ``bench_floor.py`` in a process of its own (pinned to the other core)::

    python tests/benchmarks/floor_server.py --n 200000 [--cycle C] [--cpu 0] [--seed 1]

It listens on ``127.0.0.1`` (ephemeral port, printed as one JSON line) and speaks, over
plain HTTP/1.1 (parsed by ``h11``) and RFC 6455 framing,

- KuCoin: ``POST /api/v1/bullet-public`` (a token and ``ws://…/kucoin`` as the instance
  server), the level2 REST snapshots (``/api/v1/market/orderbook/level2_20``,
  ``level2_100``, and the signed ``/api/v3/market/orderbook/level2``, signature not
  checked), ``/api/v1/timestamp``; on the socket ``welcome``, ``subscribe`` → ``ack``,
  ``ping`` → ``pong``;
- Kraken v2 (``ws://…/kraken``): ``status`` on open; ``subscribe`` to ``instrument``
  (ack, then the snapshot with the precisions), ``ticker`` and ``book`` (one ack per
  symbol, then the snapshot); ``ping`` → ``pong``.

The venues' side of each socket is :mod:`floor_venues`. Every stream of
:mod:`floor_streams` is encoded once at start (``--n`` frames, each
already a complete WebSocket text frame, all in one buffer), or with ``--cycle C`` as C
updates plus the frames that restore the first state, repeated (the RSS run: 10 M
frames need no 3 GB buffer, and the sender still costs nothing per frame). Every
connection replays the same frames from the start. A subscribed socket stays quiet
until the orchestrator writes on this process's stdin:

- ``go blast COUNT``: write the first COUNT frames in slices of up to 1 MiB (whole
  frames), as fast as the socket takes them;
- ``go paced RATE COUNT PATH``: write each frame when it is due at RATE frames/s
  (sleeping between frames), stamp its send time (``time.time_ns``) and save the stamps
  to PATH as native int64;

and it answers one JSON line when the last byte is handed to the kernel. ``size STREAM
COUNT`` answers the bytes of the first COUNT frames (what the ``sink`` reads).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import hashlib
import itertools
import json
import os
import re
import sys
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11
from floor_streams import STREAMS, new_feed
from floor_venues import KrakenSocket, KucoinSocket, kraken_status, ws_frame

__all__ = ["main"]

SLICE = 1 << 20  # bytes per write in a blast
HIGH_WATER = 4 << 20  # the transport buffers this much before drain() waits
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Where KuCoin frames carry sequence numbers: a ticker's, an increment's rows and range.
_SEQUENCES = {
    "kucoin-ticker": re.compile(rb'"sequence":"(\d+)"'),
    "kucoin-l2": re.compile(rb'"(\d+)"\]|"sequence(?:End|Start)":(\d+)'),
}


class Replay:
    """One stream's starting state and its frames, encoded once.

    ``cycle=None``: the first ``n`` updates, sent once. ``cycle=C``: C updates and the
    frames that bring the book back to its first state, repeated as often as a run
    needs (the ``--rss`` run's 10 M frames); on each repeat KuCoin's sequence numbers
    (same digit count) are moved on by what one cycle used, so the stream stays
    contiguous.
    """

    def __init__(self, stream: str, seed: int, n: int, cycle: int | None = None) -> None:
        self.stream = stream
        feed = new_feed(stream, seed)
        self.snapshot = feed.snapshot()
        self.rest: dict[int | None, bytes] = {}
        if stream == "kucoin-l2":
            self.rest = {depth: feed.rest_snapshot(depth) for depth in (20, 100, None)}
        first = feed.sequence
        frames: Iterator[bytes] = itertools.islice(feed.updates(), n if cycle is None else cycle)
        if cycle is not None:
            frames = itertools.chain(frames, feed.home())
        self.blob = bytearray()
        self.offsets = array("q", [0])
        self.numbers: list[tuple[int, int]] = []  # (blob offset, value) of each sequence
        pattern = _SEQUENCES.get(stream)
        for frame in frames:
            encoded = ws_frame(frame)
            if pattern is not None and cycle is not None:
                at = len(self.blob) + len(encoded) - len(frame)
                for m in pattern.finditer(frame):
                    group = m.lastindex or 1
                    self.numbers.append((at + m.start(group), int(m[group])))
            self.blob += encoded
            self.offsets.append(len(self.blob))
        self.cycle = cycle
        self.step = feed.sequence - first  # sequence numbers one pass uses

    def _pass(self, k: int) -> bytearray:
        """The k-th repetition of the cycle: sequence numbers moved on k passes."""
        if k == 0:
            return self.blob
        blob = bytearray(self.blob)
        shift = k * self.step
        for at, value in self.numbers:
            text = b"%d" % (value + shift)
            blob[at : at + len(text)] = text  # same length: the digit count never changes
        return blob

    def chunks(self, count: int) -> Iterator[memoryview]:
        """The first ``count`` frames as write-sized pieces."""
        per_pass = len(self.offsets) - 1
        if self.cycle is None and count > per_pass:
            raise ValueError(f"{self.stream}: {count} frames asked, {per_pass} made")
        offsets, k = self.offsets, 0
        while count:
            take = min(count, per_pass)
            view = memoryview(self._pass(k))
            first = 0
            while first < take:
                # Cut at a frame boundary: a pong written between two pieces must not
                # land inside a frame.
                last = bisect.bisect_right(offsets, offsets[first] + SLICE, first + 1, take + 1)
                last = max(last - 1, first + 1)
                yield view[offsets[first] : offsets[last]]
                first = last
            count -= take
            k += 1


class Server:
    """The HTTP routes, the two venues' sockets, and the stdin control."""

    def __init__(self, n: int, seed: int, cycle: int | None) -> None:
        self.replays = {s: Replay(s, seed, n, cycle) for s in STREAMS}
        self.armed: tuple[asyncio.StreamWriter, Replay] | None = None
        self.port = 0

    # --- HTTP ----------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: HTTP requests until one asks for a WebSocket."""
        conn = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.EndOfMessage) and request is not None:
                    if any(name.lower() == b"upgrade" for name, _ in request.headers):
                        continue  # h11 pauses next: answered by upgrade()
                    status, body = self.route(request)
                    headers = [
                        ("content-type", "application/json"),
                        ("content-length", str(len(body))),
                    ]
                    writer.write(
                        conn.send(h11.Response(status_code=status, headers=headers)) or b""
                    )
                    writer.write(conn.send(h11.Data(data=body)) or b"")
                    writer.write(conn.send(h11.EndOfMessage()) or b"")
                    conn.start_next_cycle()
                elif event is h11.PAUSED and request is not None:  # an Upgrade request
                    await self.upgrade(conn, request, reader, writer)
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, h11.RemoteProtocolError):
            pass
        finally:
            writer.close()

    def route(self, request: h11.Request) -> tuple[int, bytes]:
        """A REST answer: (status, JSON body)."""
        url = urlsplit(request.target.decode())
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        ok = b'{"code":"200000","data":%s}'
        if url.path == "/api/v1/bullet-public":
            server = {"endpoint": f"ws://127.0.0.1:{self.port}/kucoin", "encrypt": False}
            server |= {"protocol": "websocket", "pingInterval": 18000, "pingTimeout": 10000}
            data = {"token": "floor-bench", "instanceServers": [server]}
            return 200, ok % json.dumps(data).encode()
        if url.path == "/api/v1/timestamp":
            return 200, ok % str(time.time_ns() // 10**6).encode()
        depths = {"level2_20": 20, "level2_100": 100}
        depth = depths.get(url.path.rsplit("/", 1)[-1], None)
        if url.path.startswith(("/api/v1/market/orderbook/", "/api/v3/market/orderbook/level2")):
            if query.get("symbol") != "ETH-USDT":
                return 200, b'{"code":"900001","msg":"symbol not exists"}'
            return 200, self.replays["kucoin-l2"].rest[depth]
        print(f"floor server: no route {request.method!r} {url.path}", file=sys.stderr)
        return 404, b'{"code":"404000","msg":"Url Not Found"}'

    async def upgrade(
        self,
        conn: h11.Connection,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Answer 101, then run the venue's side of the socket."""
        headers = {k.lower(): v for k, v in request.headers}
        accept = base64.b64encode(hashlib.sha1(headers[b"sec-websocket-key"] + _WS_GUID).digest())
        switch = [(b"upgrade", b"websocket"), (b"connection", b"Upgrade")]
        switch.append((b"sec-websocket-accept", accept))
        writer.write(conn.send(h11.InformationalResponse(status_code=101, headers=switch)) or b"")
        writer.transport.set_write_buffer_limits(high=HIGH_WATER)
        frames = _FrameReader(conn.trailing_data[0], reader)
        url = urlsplit(request.target.decode())
        venue = KucoinSocket(self, writer) if url.path == "/kucoin" else KrakenSocket(self, writer)
        if isinstance(venue, KucoinSocket):
            connect_id = parse_qs(url.query).get("connectId", ["0"])[0]
            venue.send({"id": connect_id, "type": "welcome"})
        else:
            venue.send_raw(kraken_status())
        try:
            while True:
                opcode, payload = await frames.read()
                if opcode == 0x8:  # close: echo it and stop
                    writer.write(ws_frame(payload[:2], 0x8))
                    return
                if opcode == 0x9:
                    writer.write(ws_frame(payload, 0xA))
                elif opcode in (0x1, 0x2):
                    venue.on_message(json.loads(payload))
        finally:
            if self.armed is not None and self.armed[0] is writer:
                self.armed = None

    # --- control -------------------------------------------------------------------

    def arm(self, writer: asyncio.StreamWriter, replay: Replay) -> None:
        """This socket is subscribed: it is the one the next ``go`` writes to."""
        self.armed = (writer, replay)

    async def control(self) -> None:
        """Obey ``go …`` lines on stdin until it closes."""
        loop = asyncio.get_running_loop()
        stdin = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
        while line := (await stdin.readline()).decode().split():
            reply: dict[str, Any]
            try:
                if line[0] == "size":  # size STREAM COUNT: bytes of the first COUNT frames
                    offsets = self.replays[line[1]].offsets
                    reply = {"bytes": offsets[min(int(line[2]), len(offsets) - 1)]}
                else:
                    reply = await self.go(line)
            except (ValueError, ConnectionError) as exc:
                reply = {"error": f"{line}: {exc}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()

    async def go(self, line: list[str]) -> dict[str, Any]:
        """Write what ``line`` asks to the armed socket; report when it is all written."""
        if self.armed is None:
            raise ValueError("no subscribed socket")
        writer, replay = self.armed
        start = time.perf_counter()
        match line:
            case ["go", "blast", count]:
                for chunk in replay.chunks(int(count)):
                    writer.write(chunk)
                    await writer.drain()
            case ["go", "paced", rate, count, path]:
                await self.paced(writer, replay, int(rate), int(count), path)
            case _:
                raise ValueError("unknown command")
        return {"sent": int(count), "seconds": time.perf_counter() - start}

    @staticmethod
    async def paced(
        writer: asyncio.StreamWriter, replay: Replay, rate: int, count: int, path: str
    ) -> None:
        """Every frame when it is due (with those already due); the loop runs each ms.

        Between frames the process sleeps (``time.sleep``: a high-resolution timer, so
        the event loop's millisecond granularity does not matter) rather than spinning:
        at 10 k frames/s it sends each frame alone, at 100 k/s the sleep's own latency
        groups a few frames per write.
        """
        offsets, view = replay.offsets, memoryview(replay.blob)
        if count >= len(offsets):
            raise ValueError(f"{count} frames asked, {len(offsets) - 1} made")
        stamps = array("q", bytes(8 * count))
        clock, stamp, write = time.perf_counter_ns, time.time_ns, writer.write
        start = clock()
        sent = 0
        yield_at = start + 1_000_000
        while sent < count:
            now = clock()
            due = min(count, (now - start) * rate // 1_000_000_000 + 1)
            if due > sent:
                t = stamp()
                write(view[offsets[sent] : offsets[due]])
                for i in range(sent, due):
                    stamps[i] = t
                sent = due
            if now >= yield_at:
                yield_at = now + 1_000_000
                await asyncio.sleep(0)  # read the client's pings; flush a backlog
            else:
                time.sleep(max(0, start + sent * 1_000_000_000 // rate - clock()) / 1e9)  # noqa: ASYNC251
        await writer.drain()
        await asyncio.to_thread(Path(path).write_bytes, stamps.tobytes())


class _FrameReader:
    """Client frames (masked, unfragmented: the clients send small JSON messages)."""

    def __init__(self, pending: bytes, reader: asyncio.StreamReader) -> None:
        self._pending = bytearray(pending)
        self._reader = reader

    async def _exactly(self, n: int) -> bytes:
        while len(self._pending) < n:
            more = await self._reader.read(65536)
            if not more:
                raise ConnectionResetError("client closed")
            self._pending += more
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    async def read(self) -> tuple[int, bytes]:
        head = await self._exactly(2)
        n = head[1] & 0x7F
        if n == 126:
            n = int.from_bytes(await self._exactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await self._exactly(8), "big")
        mask = await self._exactly(4) if head[1] & 0x80 else b"\0\0\0\0"
        payload = await self._exactly(n)
        return head[0] & 0x0F, bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


async def serve(n: int, seed: int, cycle: int | None) -> None:
    """Encode the streams, listen, print the port, obey stdin until it closes."""
    server = Server(n, seed, cycle)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    sys.stdout.write(json.dumps({"port": server.port}) + "\n")
    sys.stdout.flush()
    async with listener:
        await server.control()


def main() -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200_000, help="frames encoded per stream")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cycle", type=int, help="encode this many updates, then repeat them")
    parser.add_argument("--cpu", type=int, help="pin to this CPU")
    parser.add_argument("--realtime", action="store_true", help="SCHED_FIFO (root only)")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    if args.realtime:  # a paced frame leaves on time even when other work shares the CPU
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    asyncio.run(serve(args.n, args.seed, args.cycle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
