"""The loopback guard must bite: a peer left at its default URLs cannot reach Kraken."""

from __future__ import annotations

import pytest

ccxt_async = pytest.importorskip("ccxt.async_support")
kraken_spot = pytest.importorskip("kraken.spot")


async def test_ccxt_at_its_default_urls_is_refused_and_recorded(loopback_only) -> None:
    exchange = ccxt_async.kraken()
    try:
        with pytest.raises(ccxt_async.NetworkError):
            await exchange.load_markets()
    finally:
        await exchange.close()
    assert {host for host, _ in loopback_only.attempts} == {"api.kraken.com"}
    loopback_only.attempts.clear()  # seen: the guard did its job


def test_the_sdks_default_rest_client_is_refused_too(loopback_only) -> None:
    with pytest.raises(Exception, match="loopback"):
        kraken_spot.Market().get_system_status()
    assert [host for host, _ in loopback_only.attempts] == ["api.kraken.com"]
    loopback_only.attempts.clear()
