"""Two Kraken clients side by side, one on the C ticker path and one on the pure-Python
path, fed the same frames: what the ticker tests of the C extension compare.

As in :mod:`.kbook_driver`, each :class:`TickerSide` is a real :class:`KrakenClient`
driven without a socket (``on_frame`` with a ``received`` the test chooses, events
collected inline). The Python side runs with the extension switched off for its calls
only (the module globals ``TICKWIRE_NO_EXTENSIONS`` sets at import); the C side offers
every frame to the scanner, not only those in Kraken's key order (the client's prefix
test), so that the scanner's refusals are under test too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from tickwire.adapters.kraken import book as book_module
from tickwire.adapters.kraken import client as client_module
from tickwire.core.config import ClientConfig
from tickwire.core.types import Event, Ticker

HAVE_TICKER_PATH = client_module.fast_ticker is not None


@contextmanager
def python_path() -> Iterator[None]:
    """The extension switched off, as ``TICKWIRE_NO_EXTENSIONS=1`` does at import."""
    saved = book_module.EXTENSION, client_module.fast_feed, client_module.fast_ticker
    book_module.EXTENSION, client_module.fast_feed, client_module.fast_ticker = None, None, None
    try:
        yield
    finally:
        book_module.EXTENSION, client_module.fast_feed, client_module.fast_ticker = saved


class TickerSide:
    """One client, its events, and how many frames the C path took."""

    def __init__(self, fast: bool) -> None:
        self.fast = fast
        self.events: list[Event] = []
        self.taken = 0
        self.client = client_module.KrakenClient(ClientConfig(venue="kraken"))
        self.client.on_event(self.events.append, inline=True)

    @contextmanager
    def _path(self) -> Iterator[None]:
        if not self.fast:
            with python_path():
                yield
            return
        saved_prefix, ticker = client_module._TICKER_UPDATE, client_module.fast_ticker

        def counting(*args: Any) -> Any:
            result = ticker(*args)
            self.taken += result is None
            return result

        client_module._TICKER_UPDATE, client_module.fast_ticker = b"", counting
        try:
            yield
        finally:
            client_module._TICKER_UPDATE, client_module.fast_ticker = saved_prefix, ticker

    def feed(self, frame: bytes, received: int) -> None:
        """``on_frame``, as the session's reader calls it."""
        with self._path():
            self.client.on_frame(frame, received)


def plain(event: Event) -> Any:
    """An event as builtins (every Decimal as its str); an error's ``ts`` (the local
    clock's) left out, a ticker's kept."""
    data = msgspec.to_builtins(event)
    if not isinstance(event, Ticker):
        data.pop("ts", None)
    return (type(event).__name__, data)


def decimal_texts(event: Event) -> list[str]:
    """The str of every Decimal field of a ticker (``plain`` has them too; this says so)."""
    if not isinstance(event, Ticker):
        return []
    values = (event.bid, event.bid_size, event.ask, event.ask_size, event.last, event.volume_24h)
    return [str(v) for v in values]


def assert_same(fast: TickerSide, slow: TickerSide) -> None:
    """Both clients delivered equal events (``==``, builtins, the str of every Decimal)
    and hold equal ticker caches and activity keys."""
    tickers = [[e for e in side.events if isinstance(e, Ticker)] for side in (fast, slow)]
    assert tickers[0] == tickers[1]
    assert [plain(e) for e in fast.events] == [plain(e) for e in slow.events]
    assert [decimal_texts(e) for e in fast.events] == [decimal_texts(e) for e in slow.events]
    assert fast.client._tickers == slow.client._tickers
    assert fast.client._activity == slow.client._activity
