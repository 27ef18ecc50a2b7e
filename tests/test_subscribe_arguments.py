"""Every venue refuses the same subscribe mistakes, loudly (issue 14, silent acceptance).

``subscribe("ticker", [])`` used to do nothing and ``subscribe("ticker", "BTC/USD")`` to
subscribe "B", "T", "C"...; both are one ``ValueError`` now, raised by core before the
adapter does anything, so the client stays usable. Over real sockets against each
venue's emulator, the examplex plugin included when it is installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tickwire.core import Subscription, connect
from tickwire.core.registry import default_registry
from tickwire.core.types import Channel

VENUES = ["kraken", "kucoin", "examplex"]


def _emulator(venue: str) -> Any:
    specs = [s for s in default_registry().emulators.values() if s.venue == venue]
    if not specs:
        pytest.skip(f"no {venue} emulator: pip install ./examples/third_party_adapter")
    return specs[0].factory(seed=11)


async def _a_symbol(client: Any) -> str:
    return sorted(await client.instruments())[0]


@pytest.mark.parametrize("venue", VENUES)
async def test_a_string_or_no_symbols_is_a_value_error(venue: str) -> None:
    async with _emulator(venue) as emulator, connect(venue, **emulator.endpoints) as client:
        symbol = await _a_symbol(client)
        with pytest.raises(ValueError, match="not the string"):
            await client.subscribe("ticker", symbol)
        with pytest.raises(ValueError, match="no symbols given"):
            await client.subscribe("ticker", [])
        with pytest.raises(ValueError, match="no symbols given"):
            await client.subscribe("book")
        with pytest.raises(ValueError, match="not a symbol"):
            await client.subscribe("ticker", [symbol, ""])
        with pytest.raises(ValueError, match="not the string"):
            await client.unsubscribe("ticker", symbol)
        assert client.subscriptions == frozenset()
        # Nothing was half done: the client subscribes as usual afterwards.
        await client.subscribe("ticker", [symbol])
        assert client.subscriptions == {Subscription(Channel.TICKER, symbol)}
        await client.unsubscribe("ticker", [])  # unsubscribing nothing is harmless
        assert client.subscriptions == {Subscription(Channel.TICKER, symbol)}
