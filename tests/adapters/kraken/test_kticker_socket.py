"""The C ticker path over real sockets against the Kraken emulator: it takes the ticker
updates, and the tickers it delivers are the ones the pure-Python path makes of the
same frames (replayed through a client with the extension switched off)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from helpers import drain

from tickwire.adapters.kraken import client as client_module
from tickwire.core.types import StreamError, Ticker
from tickwire.exchanges.kraken import KrakenEmulator

from .kticker_driver import HAVE_TICKER_PATH, TickerSide, decimal_texts
from .test_client import barrier, client_for

pytestmark = pytest.mark.skipif(not HAVE_TICKER_PATH, reason="the C extension is not built")


@pytest.fixture
async def emulator() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=17, interval=None) as ex:
        yield ex


@pytest.fixture
def c_taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the frames the C ticker path took (``ticker`` returned ``None``)."""
    taken = [0]
    ticker = client_module.fast_ticker

    def counting(*args: Any) -> Any:
        result = ticker(*args)
        taken[0] += result is None
        return result

    monkeypatch.setattr(client_module, "fast_ticker", counting)
    return taken


async def test_socket_tickers_are_the_python_paths(emulator, c_taken):
    frames: list[bytes] = []
    async with client_for(emulator) as client:
        client.native.add_tap(frames.append)
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD", "ETH/USD"])
        for _ in range(4):
            await emulator.burst("ticker", "BTC/USD", 50)
            await emulator.burst("ticker", "ETH/USD", 50)
            await barrier(client)
        seen = await drain(events)
        latest = {symbol: client.ticker(symbol) for symbol in ("BTC/USD", "ETH/USD")}
    assert not [e for e in seen if isinstance(e, StreamError)]
    tickers = [e for e in seen if isinstance(e, Ticker)]
    assert c_taken[0] >= 400 and len(tickers) >= 402  # the two snapshots: Python's
    replay = TickerSide(False)
    for frame in frames:
        if frame.startswith(b'{"channel":"ticker"'):  # not the acks
            replay.feed(frame, 0)
    # The same tickers but for the local receive time (the replay's is 0).
    assert [msgspec.structs.replace(e, received=0) for e in tickers] == replay.events
    assert [decimal_texts(e) for e in tickers] == [decimal_texts(e) for e in replay.events]
    for symbol, ticker in latest.items():
        assert ticker is not None
        assert msgspec.structs.replace(ticker, received=0) == replay.client._tickers[symbol]
