"""Two Kraken clients side by side, one on the C book path and one on the pure-Python
path, fed the same frames: what the C extension's tests compare.

Each :class:`Side` is a real :class:`KrakenClient` driven without a socket (as
``tests/benchmarks/kraken_processing.py`` drives it): frames go to ``on_frame`` with a
``received`` the test chooses, events are collected inline, and the keeper's
``out_of_sync`` is recorded instead of starting a recovery (there is no session).
The Python side runs with the extension switched off for its calls only (the module
globals the switch sets at import: ``book.EXTENSION``, ``client.fast_feed``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from tickwire.adapters.kraken import book as book_module
from tickwire.adapters.kraken import client as client_module
from tickwire.adapters.kraken.book import KrakenBook, checksum
from tickwire.core.config import ClientConfig
from tickwire.core.subscriptions import subscription_for
from tickwire.core.types import BookUpdate, Channel, Event

HAVE_EXTENSION = book_module.EXTENSION is not None


def instrument_frame(pairs: dict[str, tuple[int, int]]) -> bytes:
    """An ``instrument`` snapshot listing ``symbol -> (price, qty precision)``."""
    rows = [
        {
            "symbol": symbol,
            "base": symbol.split("/")[0],
            "quote": symbol.split("/")[1],
            "status": "online",
            "qty_precision": qp,
            "qty_increment": 10**-qp,
            "price_precision": pp,
            "price_increment": 10**-pp,
            "qty_min": 10**-qp,
            "cost_min": 0.5,
            "cost_precision": 5,
        }
        for symbol, (pp, qp) in pairs.items()
    ]
    message = {"channel": "instrument", "type": "snapshot", "data": {"assets": [], "pairs": rows}}
    return msgspec.json.encode(message)


@contextmanager
def python_path() -> Iterator[None]:
    """The extension switched off, as ``TICKWIRE_NO_EXTENSIONS=1`` does at import."""
    saved = book_module.EXTENSION, client_module.fast_feed
    book_module.EXTENSION, client_module.fast_feed = None, None
    try:
        yield
    finally:
        book_module.EXTENSION, client_module.fast_feed = saved


class Side:
    """One client, its events and the resyncs it asked for."""

    def __init__(self, fast: bool, pairs: dict[str, tuple[int, int]], depth: int) -> None:
        self.fast = fast
        self.events: list[Event] = []
        self.resyncs: list[tuple[str, str, bool]] = []
        with self._path():
            self.client = client_module.KrakenClient(ClientConfig(venue="kraken"))
            self.client.on_event(self.events.append, inline=True)
            self.client.keeper.out_of_sync = self._out_of_sync  # type: ignore[method-assign]
            self.client.on_frame(instrument_frame(pairs), 1)
            for symbol in pairs:
                subscription = subscription_for(Channel.BOOK, symbol, {"depth": depth})
                self.client.keeper.add(symbol, self.client.new_book(subscription))

    def _out_of_sync(self, symbol: str, reason: str, *, retry: bool = False) -> None:
        self.resyncs.append((symbol, reason, retry))

    @contextmanager
    def _path(self) -> Iterator[None]:
        if self.fast:
            # Every frame offered to the C scanner, not only those in Kraken's key order
            # (the client's prefix test): its refusals are under test too.
            saved, client_module._BOOK_UPDATE = client_module._BOOK_UPDATE, b""
            try:
                yield
            finally:
                client_module._BOOK_UPDATE = saved
        else:
            with python_path():
                yield

    def feed(self, frame: bytes, received: int) -> None:
        """``on_frame``, as the session's reader calls it."""
        with self._path():
            self.client.on_frame(frame, received)

    def book(self, symbol: str) -> KrakenBook:
        """The client's book for ``symbol``."""
        return self.client.keeper.books[symbol]  # type: ignore[return-value]


def plain(event: Event) -> Any:
    """An event as builtins (every Decimal as its str), without the local clock's stamps
    (a status's or an error's ``ts``)."""
    data = msgspec.to_builtins(event)
    if not isinstance(event, BookUpdate):
        data.pop("ts", None)
    return (type(event).__name__, data)


def book_state(book: KrakenBook) -> Any:
    """Everything a reader of the book sees, Decimals as their str."""
    bids, asks = book.levels()
    return (
        book.synced,
        book.ts,
        [(str(level.price), str(level.size)) for level in bids],
        [(str(level.price), str(level.size)) for level in asks],
        book._bid_prices == sorted(book._bid_sizes),
        book._ask_prices == sorted(book._ask_sizes),
    )


def assert_same(fast: Side, slow: Side, symbols: list[str]) -> None:
    """Both clients delivered equal events (``==`` and str) and hold equal books; the
    C twin, when valid, holds the same levels and the same checksum."""
    books = [[e for e in side.events if isinstance(e, BookUpdate)] for side in (fast, slow)]
    assert books[0] == books[1]
    assert [plain(e) for e in fast.events] == [plain(e) for e in slow.events]
    assert fast.resyncs == slow.resyncs
    for symbol in symbols:
        book = fast.book(symbol)
        assert book_state(book) == book_state(slow.book(symbol))
        twin = book.c_book
        if twin is not None and twin.valid:
            bids, asks = twin.levels()
            assert [(p, q) for p, q, _ in bids] == [(lv.price, lv.size) for lv in book.bids()]
            assert [(p, q) for p, q, _ in asks] == [(lv.price, lv.size) for lv in book.asks()]
            assert book.precisions is not None
            assert twin.checksum() == checksum(book, *book.precisions)
