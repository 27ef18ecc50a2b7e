"""Client-side reference check of the Kraken emulator's book stream.

A book client written here from the reference (§6.2), independently of the emulator's
code: apply each message in array order, qty 0 deletes, truncate to the depth, CRC32 of
the top 10 asks then bids at the instrument precisions. Thousands of emulator messages
must all verify, and the result must equal the emulator's true book.
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

from tickwire.exchanges.kraken import KrakenEmulator


class RefBook:
    """A minimal L2 book as a careful Kraken client keeps it."""

    def __init__(self, depth: int, price_precision: int, qty_precision: int) -> None:
        self.depth = depth
        self.pp = price_precision
        self.qp = qty_precision
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self._bids: list[tuple[Decimal, Decimal]] = []
        self._asks: list[tuple[Decimal, Decimal]] = []

    def apply(self, msg: dict[str, Any]) -> None:
        data = msg["data"]
        assert len(data) == 1
        entry = data[0]
        if msg["type"] == "snapshot":
            self.bids.clear()
            self.asks.clear()
        for side, levels in ((self.bids, entry["bids"]), (self.asks, entry["asks"])):
            for level in levels:
                if level["qty"] == 0:
                    side.pop(level["price"], None)
                else:
                    side[level["price"]] = level["qty"]
        # Truncate to the subscribed depth after the whole message (reference §6.2).
        self._bids = sorted(self.bids.items(), reverse=True)[: self.depth]
        self._asks = sorted(self.asks.items())[: self.depth]
        self.bids, self.asks = dict(self._bids), dict(self._asks)

    def best_bids(self) -> list[tuple[Decimal, Decimal]]:
        return self._bids

    def best_asks(self) -> list[tuple[Decimal, Decimal]]:
        return self._asks

    def _token(self, value: Decimal, places: int) -> str:
        text = f"{value:.{places}f}"
        return text.replace(".", "").lstrip("0")

    def checksum(self) -> int:
        text = ""
        for levels in (self.best_asks()[:10], self.best_bids()[:10]):
            for price, qty in levels:
                text += self._token(price, self.pp) + self._token(qty, self.qp)
        return zlib.crc32(text.encode())


def test_reference_book_reproduces_the_documented_checksums(sample) -> None:
    book = RefBook(10, 4, 8)
    book.apply(sample("book_snapshot.json"))
    assert book.checksum() == 2439117997
    book.apply(sample("book_update.json"))
    assert book.checksum() == 2114181697


async def test_thousands_of_book_messages_verify(connect, kraken: KrakenEmulator) -> None:
    subscriptions = [("BTC/USD", 10), ("ETH/USD", 25), ("ETH/BTC", 100), ("SOL/USD", 1000)]
    books: dict[tuple[int, str], RefBook] = {}
    clients = []
    # Two connections: the same symbols at other depths on the second one.
    for n, depths in enumerate((subscriptions, [("BTC/USD", 1000), ("ETH/BTC", 10)])):
        ws = await connect()
        clients.append(ws)
        for symbol, depth in depths:
            books[n, symbol] = RefBook(depth, *kraken.precisions(symbol))
            await ws.send(
                {
                    "method": "subscribe",
                    "params": {"channel": "book", "symbol": [symbol], "depth": depth},
                }
            )
    messages = 0
    for _round in range(5):
        await kraken.step(500)
        for n, ws in enumerate(clients):
            for msg in await ws.drain():
                if msg.get("channel") != "book":
                    assert msg.get("success") is True, msg
                    continue
                book = books[n, msg["data"][0]["symbol"]]
                book.apply(msg)
                assert msg["data"][0]["checksum"] == book.checksum(), msg
                messages += 1
        for (n, symbol), book in books.items():
            bids, asks = kraken.book(symbol, book.depth)
            assert book.best_bids() == bids, (n, symbol)
            assert book.best_asks() == asks, (n, symbol)
            assert len(bids) == len(asks) == book.depth
    assert messages > 2000


async def test_updates_carry_only_changed_levels_and_slide_ins(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 10})
    sizes = []
    for _ in range(200):
        await kraken.step(1, "BTC/USD")
        for msg in await ws.drain():
            entry = msg["data"][0]
            sizes.append(len(entry["bids"]) + len(entry["asks"]))
            # Nothing outside the depth is ever sent after truncation matters: every
            # level is within the top 10 of the true book, or a delete.
            bids, asks = kraken.book("BTC/USD", 10)
            live = {p for p, _ in bids} | {p for p, _ in asks}
            for level in entry["bids"] + entry["asks"]:
                assert level["qty"] == 0 or level["price"] in live
    assert sizes and max(sizes) <= 12 and sum(sizes) / len(sizes) < 4


async def test_corrupt_next_checksum_spoils_exactly_one_message(connect, kraken) -> None:
    ws = await connect()
    book = RefBook(10, *kraken.precisions("BTC/USD"))
    [_, snapshot] = await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    book.apply(snapshot)
    kraken.corrupt_next_checksum("BTC/USD")
    await kraken.step(5, "ETH/USD")  # other symbols do not consume the fault
    await kraken.step(300, "BTC/USD")
    verdicts = []
    for msg in await ws.drain():
        book.apply(msg)
        verdicts.append(msg["data"][0]["checksum"] == book.checksum())
    assert verdicts[0] is False and all(verdicts[1:]) and len(verdicts) > 50
    # The levels stayed right: the book still equals the truth.
    assert (book.best_bids(), book.best_asks()) == kraken.book("BTC/USD", 10)


async def test_burst_book_frames_stay_valid(connect, kraken) -> None:
    ws = await connect()
    book = RefBook(10, *kraken.precisions("ETH/USD"))
    [_, snapshot] = await ws.subscribe({"channel": "book", "symbol": ["ETH/USD"]})
    book.apply(snapshot)
    steps = await kraken.burst("book", "ETH/USD", 2000)
    frames = await ws.drain()
    assert len(frames) == 2000 and steps >= 2000
    for msg in frames:
        book.apply(msg)
        assert msg["data"][0]["checksum"] == book.checksum()
    assert (book.best_bids(), book.best_asks()) == kraken.book("ETH/USD", 10)
