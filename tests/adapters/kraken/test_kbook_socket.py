"""The C book path over real sockets against the Kraken emulator: it takes the book
updates, and a corrupted checksum is still caught on every message that carries one,
with one resync each, exactly as on the Python path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from helpers import drain, next_of

from tickwire.adapters.kraken import client as client_module
from tickwire.core.types import BookUpdate, Channel, StreamError, StreamState, StreamStatus
from tickwire.exchanges.kraken import KrakenEmulator

from .kbook_driver import HAVE_EXTENSION
from .test_client import assert_book_equals_emulator, barrier, client_for

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="the C extension is not built")


@pytest.fixture
async def emulator() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=11, interval=None) as ex:
        yield ex


@pytest.fixture
def c_taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the frames the C path took (``feed`` returned ``None``)."""
    taken = [0]
    feed = client_module.fast_feed

    def counting(*args: Any) -> Any:
        result = feed(*args)
        taken[0] += result is None
        return result

    monkeypatch.setattr(client_module, "fast_feed", counting)
    return taken


async def test_corrupted_checksums_are_caught_on_the_c_path_every_time(emulator, c_taken):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", ["ETH/USD"], depth=10)
        await emulator.step(20, symbol="ETH/USD")
        await barrier(client)
        assert c_taken[0] >= 15  # the updates went the C way (a few may carry no change)
        for clean in (0, 1, 4, 9):
            await emulator.step(clean, symbol="ETH/USD")
            emulator.corrupt_next_checksum("ETH/USD")
            await emulator.step(5, symbol="ETH/USD")
            resynced = await next_of(events, StreamStatus, state=StreamState.RESYNCED)
            assert resynced.symbol == "ETH/USD" and resynced.channel is Channel.BOOK
        await emulator.step(30, symbol="ETH/USD")
        await barrier(client)
        seen = await drain(events)
        assert not [e for e in seen if isinstance(e, StreamError)]
        assert not [
            e
            for e in seen
            if isinstance(e, StreamStatus)
            and e.state in (StreamState.RESYNCING, StreamState.RESYNCED)
        ]
        assert [e for e in seen if isinstance(e, BookUpdate)]
        assert_book_equals_emulator(client, emulator, "ETH/USD", 10)
        book = client.book("ETH/USD")
        assert book.c_book is not None and book.c_book.valid  # type: ignore[attr-defined]


async def test_every_corruption_in_a_run_is_reported_once(emulator, c_taken):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", ["BTC/USD"], depth=25)
        await emulator.step(10, symbol="BTC/USD")
        for _ in range(3):
            emulator.corrupt_next_checksum("BTC/USD")
            await emulator.step(3, symbol="BTC/USD")
            resyncing = await next_of(events, StreamStatus, state=StreamState.RESYNCING)
            assert resyncing.reason.startswith("checksum mismatch: kraken ")
            await next_of(events, StreamStatus, state=StreamState.RESYNCED)
        await emulator.step(10, symbol="BTC/USD")
        await barrier(client)
        assert c_taken[0] > 0
        assert_book_equals_emulator(client, emulator, "BTC/USD", 25)
