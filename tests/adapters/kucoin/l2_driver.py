"""Two KuCoin clients side by side, one with the level2 C path (``_kucoin``) and one on
the pure-Python path, fed the same frames: what the C extension's tests compare.

Each :class:`Side` is a real :class:`KucoinClient` driven without a socket (as
``tests/benchmarks/kucoin_processing.py`` drives it, through private members: a test
may): one shard whose primary socket's ``on_frame`` takes the frames with a ``received``
the test chooses, events collected inline, the keeper's ``out_of_sync`` recorded instead
of starting a resync (there is no session). The Python side's socket is made with the
extension switched off (``sockets.EXTENSION``, the module global the switch sets at
import).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.adapters.kucoin import book as book_module
from tickwire.adapters.kucoin import sockets as sockets_module
from tickwire.adapters.kucoin.client import KucoinClient
from tickwire.adapters.kucoin.schemas import Level2Snapshot
from tickwire.adapters.kucoin.subscriptions import Topic
from tickwire.core.config import ClientConfig
from tickwire.core.shards import Shard
from tickwire.core.types import BookUpdate, Event

HAVE_EXTENSION = book_module.EXTENSION is not None
LEVEL2 = "/market/level2"
_NO_HTTP: Any = object()


@contextmanager
def python_path() -> Iterator[None]:
    """The extension switched off for the sockets made meanwhile."""
    saved = sockets_module.EXTENSION
    sockets_module.EXTENSION = None
    try:
        yield
    finally:
        sockets_module.EXTENSION = saved


def snapshot(sequence: int, bids: Any, asks: Any, time_ms: int = 1_700_000_000_000) -> Any:
    """A REST level2 snapshot from ``(price, size)`` texts or Decimals."""
    rows = lambda side: [(Decimal(p), Decimal(s)) for p, s in side]  # noqa: E731
    return Level2Snapshot(str(sequence), time_ms, rows(bids), rows(asks))


def rest_snapshot(body: bytes) -> Any:
    """A REST body (``{"code":..., "data": {...}}``) as the snapshot the fetcher returns."""
    data = msgspec.json.decode(body)["data"]
    return snapshot(int(data["sequence"]), data["bids"], data["asks"], data["time"])


class Side:
    """One client, its events and the resyncs it asked for."""

    def __init__(
        self,
        fast: bool,
        symbols: dict[str, str],
        depth: int | None = None,
        client_type: type[KucoinClient] = KucoinClient,
    ) -> None:
        self.fast = fast
        self.events: list[Event] = []
        self.resyncs: list[tuple[str, str]] = []
        self.client = client = client_type(ClientConfig(venue="kucoin"))
        client.on_event(self.events.append, inline=True)
        client._book_sync.keeper.out_of_sync = self._out_of_sync  # type: ignore[method-assign]
        client._http = _NO_HTTP  # never used: no socket is opened
        shards = client._shards
        self.decoded = 0  # frames the Python path decoded (on the C side: fell back)
        decode_push = sockets_module.decode_push

        def counted(frame: bytes) -> Any:
            self.decoded += 1
            return decode_push(frame)

        sockets_module.decode_push = counted  # type: ignore[assignment]
        try:
            if fast:
                self.shard = Shard(shards, 0)  # never started: no socket, no tasks
            else:
                with python_path():
                    self.shard = Shard(shards, 0)
        finally:
            sockets_module.decode_push = decode_push
        shards.shards.append(self.shard)
        self.socket = self.shard.primary
        self.uses_c = type(self.socket.on_frame).__name__ == "builtin_function_or_method"
        for native, symbol in symbols.items():
            client._book_sync.add(Topic(LEVEL2, native), symbol)
            if depth is not None:
                client._kbooks[native].book.depth = depth
            self.socket.session.activity[f"{LEVEL2}:{native}"] = 0  # a watched topic

    def _out_of_sync(self, symbol: str, reason: str, **_: Any) -> None:
        self.resyncs.append((symbol, reason))

    def load(self, native: str, snap: Any, received: int = 1) -> None:
        """Sync one book with a snapshot (as the keeper would after fetching it)."""
        self.client._kbooks[native].apply_snapshot(snap, received)

    def feed(self, frame: bytes, received: int) -> None:
        """One frame, exactly as the session's reader hands it over."""
        self.socket.on_frame(frame, received)

    def state(self) -> Any:
        """Everything both paths must agree on: events, books, sequences, activity."""
        books = {}
        for native, kbook in self.client._kbooks.items():
            engine = kbook.book
            books[native] = (
                kbook.sequence, kbook.synced, kbook.buffered, kbook._rejects,
                [(str(lv.price), str(lv.size)) for lv in engine.bids()],
                [(str(lv.price), str(lv.size)) for lv in engine.asks()],
                engine._bid_prices == sorted(engine._bid_sizes),
                engine._ask_prices == sorted(engine._ask_sizes),
                engine.ts, [(repr(e), str(e)) for e, _ in kbook.rejected],
            )  # fmt: skip
        return (
            [describe(e) for e in self.events],
            self.resyncs,
            books,
            dict(self.socket.session.activity),
        )


def describe(event: Event) -> Any:
    """An event as both paths must make it: a BookUpdate whole (every Decimal's text),
    anything else (an error: its time is the clock's) by type and message."""
    if isinstance(event, BookUpdate):
        texts = [(str(lv.price), str(lv.size)) for lv in (*event.bids, *event.asks)]
        return (repr(event), texts)
    return (type(event).__name__, getattr(event, "message", None), getattr(event, "kind", None))


class Pair:
    """The C side and the Python side, fed alike."""

    def __init__(self, symbols: dict[str, str], depth: int | None = None) -> None:
        self.c = Side(True, symbols, depth)
        self.py = Side(False, symbols, depth)
        assert not self.py.uses_c
        assert self.c.uses_c == HAVE_EXTENSION

    def load(self, native: str, snap: Any, received: int = 1) -> None:
        self.c.load(native, snap, received)
        self.py.load(native, snap, received)

    def feed(self, frame: bytes, received: int) -> None:
        self.c.feed(frame, received)
        self.py.feed(frame, received)

    def assert_equal(self) -> None:
        assert self.c.state() == self.py.state()

    @property
    def in_c(self) -> int:
        """Frames the C side took without the Python path."""
        return self.py.decoded - self.c.decoded
