"""One-shot calls work without connecting the sockets, and close() releases their HTTP
client (pytest turns an unclosed transport's ResourceWarning into a failure)."""

from __future__ import annotations

import gc

import pytest

from tickwire.core import connect
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator


@pytest.mark.parametrize(
    ("emulator_class", "venue", "symbol"),
    [(KrakenEmulator, "kraken", "BTC/USD"), (KucoinEmulator, "kucoin", "BTC/USDT")],
)
async def test_fetch_then_close_without_connecting(emulator_class, venue, symbol) -> None:
    async with emulator_class(seed=1) as emulator:
        client = connect(venue, **emulator.endpoints)
        trades = await client.fetch_trades(symbol, 5)
        await client.close()
    assert 0 < len(trades) <= 5 and all(t.symbol == symbol for t in trades)
    gc.collect()  # an unclosed HTTP transport would warn here, inside this test
