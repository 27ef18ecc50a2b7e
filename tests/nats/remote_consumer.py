"""A consumer in another process: reads the broker, prints every event as a JSON line.

    python remote_consumer.py URL --venue kraken --sub trades:BTC/USD [--durable NAME]
                              [--stop-after N]

Prints ``READY`` once subscribed, then one ``encode_event`` line per event. Stops when
stdin closes, or after ``N`` market-data events; either way it closes the client and
prints what was still queued, then ``END``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tickwire.core.nats import connect_nats
from tickwire.core.types import BookUpdate, Candle, Ticker, Trade, encode_event

MARKET = (Ticker, Trade, BookUpdate, Candle)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--venue", action="append", default=[])
    parser.add_argument("--sub", action="append", default=[])
    parser.add_argument("--durable")
    parser.add_argument("--stop-after", type=int)
    args = parser.parse_args()
    out = sys.stdout
    client = connect_nats(args.url, venues=args.venue, durable=args.durable)
    await client.connect()
    events = client.events()
    for item in args.sub:
        channel, _, symbol = item.partition(":")
        await client.subscribe(channel, [symbol] if symbol else [])
    out.write("READY\n")
    out.flush()

    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    market = 0

    async def pump() -> None:
        nonlocal market
        async for event in events:
            out.write(encode_event(event).decode() + "\n")
            if isinstance(event, MARKET):
                market += 1
                out.flush()
                if args.stop_after is not None and market >= args.stop_after:
                    return

    pumping = asyncio.ensure_future(pump())
    await asyncio.wait([pumping, stdin_closed], return_when=asyncio.FIRST_COMPLETED)
    pumping.cancel()
    await client.close()
    async for event in events:  # what was queued when the client closed
        out.write(encode_event(event).decode() + "\n")
    out.write("END\n")
    out.flush()


if __name__ == "__main__":
    asyncio.run(main())
