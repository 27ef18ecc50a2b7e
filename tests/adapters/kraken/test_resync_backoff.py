"""A book whose snapshots keep failing is renewed again and again, with a growing backoff,
and reported each time; it is never left unsynced (not even when its very first snapshot
is refused). Against the tests' own Kraken socket (:mod:`.hostile`)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tickwire.core.bookkeeper import BACKOFF
from tickwire.core.config import ClientConfig, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.types import BookUpdate, Channel, StreamError, StreamState, StreamStatus

from .hostile import SYMBOL, HostileKraken

BAD_SNAPSHOTS = 4


class FailingSnapshots(HostileKraken):
    """Its first ``BAD_SNAPSHOTS`` book snapshots carry a wrong checksum."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots = 0

    def _book(self, kind: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        message = super()._book(kind, *args, **kwargs)
        if kind == "snapshot":
            self.snapshots += 1
            if self.snapshots <= BAD_SNAPSHOTS:
                message["data"][0]["checksum"] ^= 0xFFFF
        return message


async def test_a_book_whose_snapshots_fail_is_renewed_with_backoff_until_it_syncs() -> None:
    async with FailingSnapshots() as server:
        config = ClientConfig(
            venue="kraken", ws_url=server.url, reconnect=ReconnectPolicy(base_delay=0.01)
        )
        async with connect(config) as client:
            events = client.events()
            other = client.events()  # a second consumer sees every status too
            loop = asyncio.get_running_loop()
            started = loop.time()
            await client.subscribe(Channel.BOOK, [SYMBOL], depth=10)
            resyncing: list[StreamStatus] = []
            async with asyncio.timeout(15):
                async for event in events:
                    if isinstance(event, StreamStatus) and event.symbol == SYMBOL:
                        if event.state is StreamState.RESYNCING:
                            resyncing.append(event)
                        elif event.state is StreamState.RESYNCED:
                            break
                    assert not isinstance(event, StreamError), event
            elapsed = loop.time() - started
            # Reported on every failed attempt; waited about 0.1 + 0.2 + 0.4 s between
            # them (each delay jittered down to half, so many books do not retry together).
            assert len(resyncing) == BAD_SNAPSHOTS
            assert elapsed >= BACKOFF * (1 + 2 + 4) / 2
            assert server.snapshots == BAD_SNAPSHOTS + 1
            copies = [await anext(other) for _ in range(len(other))]
            assert [e for e in copies if isinstance(e, StreamStatus) and e.symbol] == [
                *resyncing,
                event,
            ]
            await server.send_good("book")
            async with asyncio.timeout(5):
                async for event in events:
                    if isinstance(event, BookUpdate) and not event.snapshot:
                        break
            bids, asks = server.book_levels()
            book = client.book(SYMBOL)
            assert [(level.price, level.size) for level in book.bids()] == bids
            assert [(level.price, level.size) for level in book.asks()] == asks
            assert all(isinstance(price, Decimal) for price, _ in bids)
