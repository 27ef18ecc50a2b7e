"""What the KuCoin peer tests share: an emulator, truth readers, and a ccxt.pro client.

A peer is pointed at the emulator by URL only (its own options left at their defaults);
the suite's ``loopback_only`` guard (``conftest.py``) fails a test whose client tried
to reach anything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest

from tickwire.exchanges.kucoin import KucoinEmulator

SYMBOLS = {
    "BTC/USDT": "BTC-USDT",
    "ETH/USDT": "ETH-USDT",
    "SOL/USDT": "SOL-USDT",
    "ETH/BTC": "ETH-BTC",
}
"""ccxt's unified symbol → the emulator's (KuCoin's) name."""


def as_floats(levels: Any) -> list[list[float]]:
    """``[(Decimal, Decimal), ...]`` as the ``[[float, float], ...]`` peers hold."""
    return [[float(p), float(q)] for p, q in levels]


def not_crossed(bids: list[Any], asks: list[Any]) -> bool:
    """Bids high→low, asks low→high, best bid below best ask."""
    bid_prices = [Decimal(str(b[0])) for b in bids]
    ask_prices = [Decimal(str(a[0])) for a in asks]
    return (
        bid_prices == sorted(bid_prices, reverse=True)
        and ask_prices == sorted(ask_prices)
        and (not bid_prices or not ask_prices or bid_prices[0] < ask_prices[0])
    )


@asynccontextmanager
async def ccxt_kucoin(ex: KucoinEmulator) -> AsyncIterator[Any]:
    """ccxt.pro's kucoin with the emulator's test account, every API host → the emulator."""
    ccxtpro = pytest.importorskip("ccxt.pro")
    creds = ex.credentials()
    client = ccxtpro.kucoin(
        {"apiKey": creds.api_key, "secret": creds.api_secret, "password": creds.passphrase}
    )
    # The URL override, and nothing else: every host ccxt knows for KuCoin (spot,
    # futures, broker, earn, unified, its push hosts) is the emulator; with default
    # options the WebSocket address comes from the emulator's bullet answer.
    hosts = client.urls["api"]
    client.urls["api"] = {
        name: dict.fromkeys(url, ex.ws_url) if isinstance(url, dict) else ex.rest_url
        for name, url in hosts.items()
    }
    try:
        yield client
    finally:
        await client.close()
