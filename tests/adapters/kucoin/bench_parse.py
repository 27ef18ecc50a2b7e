"""Per-frame cost of the KuCoin pure path: decode + normalize (+ book apply for level2).

Run by hand (pytest does not collect it: the name does not start with ``test_``)::

    python tests/adapters/kucoin/bench_parse.py [--n 200000]

Prints the best of five runs per stage, in µs per frame. Frames are built up front, so
only the adapter's work is timed.
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tickwire.adapters.kucoin.book import KucoinBook
from tickwire.adapters.kucoin.parse import decode_data, decode_frame, to_ticker
from tickwire.adapters.kucoin.schemas import L2UpdateData, Level2Snapshot, Message, TickerData

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"
RECEIVED = 1_800_000_000_000_000_000
START = 1_000_000


def level2_frames(n: int) -> list[bytes]:
    """``n`` contiguous increments: two rows each (an ask and a bid near the top)."""
    frames = []
    for i in range(n):
        seq = START + 2 * i + 1
        frames.append(
            json.dumps(
                {
                    "topic": "/market/level2:BTC-USDT",
                    "type": "message",
                    "subject": "trade.l2update",
                    "data": {
                        "changes": {
                            "asks": [[f"{67000 + i % 50}.1", f"0.{i % 97 + 1:08d}", str(seq)]],
                            "bids": [[f"{66999 - i % 50}.9", f"{i % 7}", str(seq + 1)]],
                        },
                        "sequenceEnd": seq + 1,
                        "sequenceStart": seq,
                        "symbol": "BTC-USDT",
                        "time": 1729816425625 + i,
                    },
                }
            ).encode()
        )
    return frames


def best(run: Callable[[], object], n: int) -> float:
    """Best of five, in µs per frame."""
    return min(timeit.repeat(run, number=1, repeat=5)) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    n = parser.parse_args().n
    ticker = (FIXTURES / "ticker.json").read_bytes()
    tickers = [ticker] * n
    increments = level2_frames(n)

    def ticker_decode() -> None:
        for frame in tickers:
            msg = decode_frame(frame)
            assert isinstance(msg, Message)
            decode_data(msg)

    def ticker_full() -> None:
        for frame in tickers:
            msg = decode_frame(frame)
            assert isinstance(msg, Message)
            data = decode_data(msg)
            assert isinstance(data, TickerData)
            to_ticker(data, msg.topic.rpartition(":")[2], RECEIVED)

    def level2_decode() -> None:
        for frame in increments:
            msg = decode_frame(frame)
            assert isinstance(msg, Message)
            decode_data(msg)

    def level2_full() -> None:
        kbook = KucoinBook("BTC/USDT")
        bids = [(f"{66999 - i}.9", "1") for i in range(200)]
        asks = [(f"{67000 + i}.1", "1") for i in range(200)]
        kbook.apply_snapshot(
            Level2Snapshot(
                sequence=str(START),
                time=0,
                bids=[(Decimal(p), Decimal(s)) for p, s in bids],
                asks=[(Decimal(p), Decimal(s)) for p, s in asks],
            ),
            RECEIVED,
        )
        for frame in increments:
            msg = decode_frame(frame)
            assert isinstance(msg, Message)
            data = decode_data(msg)
            assert isinstance(data, L2UpdateData)
            kbook.apply(data, RECEIVED)

    print(f"N = {n:,} frames per stage, best of 5, µs/frame")
    print(f"ticker   decode (2 passes)          {best(ticker_decode, n):6.2f}")
    print(f"ticker   decode + to_ticker         {best(ticker_full, n):6.2f}")
    print(f"level2   decode (2 passes)          {best(level2_decode, n):6.2f}")
    print(f"level2   decode + KucoinBook.apply  {best(level2_full, n):6.2f}")


if __name__ == "__main__":
    main()
