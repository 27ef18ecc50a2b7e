"""The reader's book rule, driven message by message through a real server."""

from __future__ import annotations

from decimal import Decimal

import nats as nats_py

from tickwire.core import NatsConfig
from tickwire.core.nats import connect_nats
from tickwire.core.nats.broker import ensure_stream
from tickwire.core.nats.codec import BOOK_SEQ, encode
from tickwire.core.types import BookLevel, BookUpdate, StreamState, StreamStatus

D = Decimal
SUBJECT = "tickwire.kraken.book.BTC_USD"


def book(seq: int, bid: str, *, snapshot: bool = False) -> BookUpdate:
    return BookUpdate(
        venue="kraken",
        symbol="BTC/USD",
        bids=(BookLevel(D(bid), D("1")),),
        asks=(BookLevel(D("200"), D("1")),) if snapshot else (),
        snapshot=snapshot,
        sequence=seq,
        ts=seq,
        received=seq,
    )


async def test_a_gap_resyncs_from_the_next_snapshot(nats_server):
    nats = NatsConfig(url=nats_server.url)
    writer = await nats_py.connect(nats_server.url)
    js = writer.jetstream()
    await ensure_stream(js, nats)

    async def send(event: BookUpdate, seq: int) -> None:
        await js.publish(SUBJECT, encode(event), headers={BOOK_SEQ: str(seq)})

    try:
        async with connect_nats(nats_server.url, venues=["kraken"]) as reader:
            events = reader.events(types=[BookUpdate, StreamStatus])
            await reader.subscribe("book", ["BTC/USD"])
            await send(book(1, "100", snapshot=True), 1)
            await send(book(2, "101"), 2)
            await send(book(4, "103"), 4)  # 3 never came
            await send(book(5, "104"), 5)  # not applied: the book waits for a snapshot
            await send(book(6, "150", snapshot=True), 6)
            await send(book(7, "151"), 7)
            seen = []
            async for event in events:
                if isinstance(event, StreamStatus):
                    if event.state is StreamState.CONNECTED:
                        continue
                    seen.append(event.state.value)
                else:
                    seen.append(event.sequence)
                if event == book(7, "151"):
                    break
            assert seen == [1, 2, "resyncing", 6, "resynced", 7]
            levels = reader.book("BTC/USD").bids()
            assert [level.price for level in levels] == [D("151"), D("150")]
    finally:
        await writer.close()
