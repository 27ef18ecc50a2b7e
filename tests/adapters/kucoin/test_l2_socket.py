"""The KuCoin client against the KuCoin emulator over real sockets with the level2 C
path in use (skipped without it): books sync, stay equal to the emulator's, and every
gap still causes exactly one resync."""

from __future__ import annotations

import pytest
from helpers import drain, next_of

from tickwire.adapters.kucoin import book as book_module
from tickwire.adapters.kucoin import sockets as sockets_module
from tickwire.core.types import BookUpdate, Channel, StreamState, StreamStatus
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import assert_book_equals_emulator, client_for

pytestmark = pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is off")
PAIRS = ["BTC/USDT", "ETH/USDT"]


@pytest.fixture
async def emulator():
    async with KucoinEmulator(seed=11, interval=None) as ex:
        yield ex


def on_c_path(client) -> bool:  # type: ignore[no-untyped-def]
    sockets = [shard.primary for shard in client._shards.shards]
    return bool(sockets) and all(
        type(s.on_frame).__name__ == "builtin_function_or_method" for s in sockets
    )


async def test_books_sync_and_follow_the_emulator_in_c(emulator, monkeypatch):
    decode_push, in_python = sockets_module.decode_push, []

    def counted(frame: bytes):  # type: ignore[no-untyped-def]
        if b"trade.l2update" in frame:
            in_python.append(frame)
        return decode_push(frame)

    monkeypatch.setattr(sockets_module, "decode_push", counted)  # before the sockets exist
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("ticker", PAIRS)
        await client.subscribe("book", PAIRS)
        assert on_c_path(client)
        await emulator.step(400)
        await client.native.barrier()
        seen = await drain(events)
        increments = [e for e in seen if isinstance(e, BookUpdate) and not e.snapshot]
        assert len(in_python) < len(increments) // 10  # the C path took nearly all
        for symbol in PAIRS:
            books = [e for e in seen if isinstance(e, BookUpdate) and e.symbol == symbol]
            assert books[0].snapshot and len(books) > 10
            assert not any(b.snapshot for b in books[1:])
            sequences = [b.sequence for b in books[1:]]
            assert sequences == sorted(sequences)
            assert client.book(symbol).sequence == emulator.sequence(symbol.replace("/", "-"))
            assert_book_equals_emulator(client, emulator, symbol)


async def test_every_gap_causes_exactly_one_resync_in_c(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        await client.subscribe("book", ["ETH/USDT"])
        assert on_c_path(client)
        for _ in range(3):
            await emulator.step(20, "ETH-USDT")
            emulator.skip_sequence("ETH-USDT")
            await emulator.step(20, "ETH-USDT")
            resynced = await next_of(events, StreamStatus, state=StreamState.RESYNCED)
            assert resynced.symbol == "ETH/USDT" and resynced.channel is Channel.BOOK
            await emulator.step(20, "ETH-USDT")
            await client.native.barrier()
            statuses = [e for e in await drain(events) if isinstance(e, StreamStatus)]
            assert not [s for s in statuses if s.state is StreamState.RESYNCING]
            assert client.book("ETH/USDT").sequence == emulator.sequence("ETH-USDT")
            assert_book_equals_emulator(client, emulator, "ETH/USDT")
