"""KuCoin frame processing without a socket: what tickwire adds per frame (run by hand).

::

    python tests/benchmarks/kucoin_processing.py [--n 100000] [--repeat 5] [--stages]

Socket figures (``bench_feed.py --venue kucoin``) move with scheduling: how many frames
one wake-up finds, whether a core idles between them. This script takes I/O and
scheduling out: it records N ``/market/ticker`` frames (BTC-USDT) and N
``/market/level2`` increments (ETH-USDT) from the emulator once, with the ETH-USDT book
and sequence as they stood before the increments, then times, over the same bytes in
memory,

- ``msgspec Any``: ``msgspec.json.Decoder().decode`` (the floor's work per frame);
- ``msgspec typed``: one decode into small typed Structs with ``Decimal`` prices;
- ``tickwire``: the shard socket's ``on_frame(frame, time_ns())``, exactly as the
  session's reader calls it (decode the push in one pass, route on its type and topic,
  normalize; for level2, apply to the synced book by sequence; push), then delivery of
  every event through ``events()``.

``--stages`` adds cumulative prefixes of tickwire's path (``decode_push``; plus
normalize/apply), so the cost of each step is the difference between two lines. The
stages are the Python path's; ``tickwire`` takes a level2 increment through the C
extension where it is built (``adapters/kucoin/csrc``): run with
``TICKWIRE_NO_EXTENSIONS=1`` for the Python path's figure.

It drives the client without a socket, through private members (``_http``, ``_shards``,
``_book_sync``, ``_kbooks``): a benchmark may; an application should not.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

sys.path.insert(0, str(Path(__file__).parent))
from bench_feed import Kucoin, _KucoinIncrementFrame, _KucoinTickerFrame

from tickwire.adapters.kucoin import parse
from tickwire.adapters.kucoin.book import KucoinBook
from tickwire.adapters.kucoin.client import KucoinClient
from tickwire.adapters.kucoin.schemas import Level2Snapshot
from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.config import ClientConfig
from tickwire.core.shards import Shard
from tickwire.exchanges.kucoin import KucoinEmulator

KUCOIN = Kucoin()
TICKER = KUCOIN.native(KUCOIN.ticker_symbol)
BOOK = KUCOIN.native(KUCOIN.book_symbol)


class Recording(msgspec.Struct):
    """Raw frames, and the level2 book they continue (a full snapshot's content)."""

    sequence: int = 0
    time: int = 0
    bids: list[tuple[Decimal, Decimal]] = msgspec.field(default_factory=list)
    asks: list[tuple[Decimal, Decimal]] = msgspec.field(default_factory=list)
    ticker: list[bytes] = msgspec.field(default_factory=list)
    book: list[bytes] = msgspec.field(default_factory=list)

    def snapshot(self) -> Level2Snapshot:
        """What the signed ``/api/v3`` book returned just before the increments."""
        return Level2Snapshot(str(self.sequence), self.time, self.bids, self.asks)


async def record(n: int) -> Recording:
    """Subscribe like a client, burst N frames per channel, keep every frame's bytes."""
    recording = Recording()
    done = asyncio.Event()
    async with KucoinEmulator(seed=1, interval=None) as ex, aiohttp.ClientSession() as http:
        ws = await KUCOIN.floor_socket(http, ex.endpoints)
        # The truth between two market steps: what the full REST snapshot serves.
        bids, asks = ex.book(BOOK)
        recording.bids, recording.asks = list(bids), list(asks)
        recording.sequence, recording.time = ex.sequence(BOOK), time.time_ns() // 1_000_000

        async def read() -> None:
            while not done.is_set():
                frame: bytes = (await ws.receive()).data
                subject = msgspec.json.decode(frame).get("subject")
                if subject == "trade.ticker":
                    recording.ticker.append(frame)
                elif subject == "trade.l2update":
                    recording.book.append(frame)
                if len(recording.ticker) >= n and len(recording.book) >= n:
                    done.set()

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(read())
            await ex.burst("/market/ticker", TICKER, n)
            await ex.burst("/market/level2", BOOK, n)
        await ws.close()
    return recording


def time_decode(frames: list[bytes], decode: Callable[[bytes], Any]) -> float:
    """CPU seconds to decode every frame."""
    start = time.process_time()
    for frame in frames:
        decode(frame)
    return time.process_time() - start


def time_tickwire(recording: Recording, frames: list[bytes]) -> float:
    """CPU seconds for on_frame over every frame plus delivering every event."""

    async def run() -> float:
        client = KucoinClient(ClientConfig(venue="kucoin"))
        client._http = aiohttp.ClientSession()  # never used: no socket is opened
        try:
            shards = client._shards
            shard = Shard(shards, 0)  # never started: no socket, no tasks
            shards.shards.append(shard)
            client._book_sync.add(Topic("/market/level2", BOOK), KUCOIN.book_symbol)
            client._kbooks[BOOK].apply_snapshot(recording.snapshot(), time.time_ns())
            stream = client.events()
            on_frame, now = shard.primary.on_frame, time.time_ns
            start = time.process_time()
            for frame in frames:
                on_frame(frame, now())
            got = 0
            async for _ in stream:
                got += 1
                if got == len(frames):
                    break
            elapsed = time.process_time() - start
        finally:
            await client._http.close()
        if got != len(frames) or len(stream):
            raise SystemExit(f"expected {len(frames)} events, got {got}")
        return elapsed

    return asyncio.run(run())


def stage_functions(recording: Recording, channel: str) -> dict[str, Callable[[bytes], Any]]:
    """Cumulative prefixes of tickwire's per-frame path, as plain functions of a frame."""
    decode_push = parse.decode_push
    stages: dict[str, Callable[[bytes], Any]] = {"  decode_push": decode_push}
    if channel == "ticker":

        def normalize(frame: bytes) -> Any:
            push = decode_push(frame)
            return parse.to_ticker(push.data, push.topic.rpartition(":")[2], 0)  # type: ignore[arg-type]

        stages["  + to_ticker"] = normalize
    else:
        kbook = KucoinBook(KUCOIN.book_symbol)
        kbook.apply_snapshot(recording.snapshot(), 0)
        state = {"book": kbook}

        def apply(frame: bytes) -> Any:
            return state["book"].apply(decode_push(frame).data, 0)  # type: ignore[arg-type]

        def reset() -> None:  # a fresh synced book for every repeat
            fresh = KucoinBook(KUCOIN.book_symbol)
            fresh.apply_snapshot(recording.snapshot(), 0)
            state["book"] = fresh

        apply.reset = reset  # type: ignore[attr-defined]
        stages["  + KucoinBook.apply"] = apply
    return stages


def main() -> int:
    """Record once, time every processor ``--repeat`` times, print medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stages", action="store_true", help="time tickwire's steps too")
    args = parser.parse_args()
    recording = asyncio.run(record(args.n))
    generic = msgspec.json.Decoder().decode
    typed = {
        "ticker": msgspec.json.Decoder(_KucoinTickerFrame).decode,
        "book": msgspec.json.Decoder(_KucoinIncrementFrame).decode,
    }
    print(f"KuCoin frame processing, N = {args.n:,} per channel, median of {args.repeat}")
    print(f"{'processor':<20} {'channel':<7} {'µs/frame':>9} {'vs Any':>7}")
    for channel in ("ticker", "book"):
        frames: list[bytes] = getattr(recording, channel)[: args.n]
        results = {
            "msgspec Any": [time_decode(frames, generic) for _ in range(args.repeat)],
            "msgspec typed": [time_decode(frames, typed[channel]) for _ in range(args.repeat)],
        }
        if args.stages:
            for name, function in stage_functions(recording, channel).items():
                runs = []
                for _ in range(args.repeat):
                    if hasattr(function, "reset"):
                        function.reset()
                    runs.append(time_decode(frames, function))
                results[name] = runs
        results["tickwire"] = [time_tickwire(recording, frames) for _ in range(args.repeat)]
        base = statistics.median(results["msgspec Any"])
        for name, values in results.items():
            median = statistics.median(values)
            print(
                f"{name:<20} {channel:<7} {median / len(frames) * 1e6:>9.2f} {median / base:>6.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
