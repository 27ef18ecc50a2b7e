"""ccxt (async_support and ccxt.pro) against the Kraken emulator, by URL override only.

The client runs with its default options; only ``exchange.urls['api']`` points it at
127.0.0.1. Each test compares ccxt's own objects with the emulator's truth: markets with
the listed pairs, books with the true book (never crossed), trades with the market's
prints, balances and orders with the key's paper account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

ccxtpro = pytest.importorskip("ccxt.pro")
ccxt_errors = pytest.importorskip("ccxt.base.errors")

from tickwire.exchanges.kraken import KrakenEmulator  # noqa: E402
from tickwire.exchanges.kraken.emulator import TEST_KEY, TEST_SECRET  # noqa: E402

BTC = "BTC/USD"


def point_at(exchange: Any, ex: KrakenEmulator) -> Any:
    """The one change a user makes: every API URL to the emulator."""
    exchange.urls["api"] = {
        "public": ex.rest_url,
        "private": ex.rest_url,
        "ws": {
            "public": ex.ws_url,
            "private": ex.ws_auth_url,
            "publicV2": ex.ws_url,
            "privateV2": ex.ws_auth_url,
        },
    }
    return exchange


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=11, interval=None) as ex:
        yield ex


@pytest.fixture
async def client(kraken: KrakenEmulator) -> AsyncIterator[Any]:
    exchange = point_at(ccxtpro.kraken({"apiKey": TEST_KEY, "secret": TEST_SECRET}), kraken)
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


def levels(rows: list[list[float]], depth: int) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(str(p)), Decimal(str(q))) for p, q, *_ in rows[:depth]]


async def test_load_markets_lists_the_emulators_pairs(client, kraken) -> None:
    assert set(client.markets) == set(kraken.pairs)
    for symbol, market in client.markets.items():
        spec = kraken.pairs[symbol].spec
        price_digits, qty_digits = kraken.precisions(symbol)
        assert market["spot"] and market["active"]
        assert Decimal(str(market["precision"]["price"])) == Decimal(1).scaleb(-price_digits)
        assert Decimal(str(market["precision"]["amount"])) == Decimal(1).scaleb(-qty_digits)
        assert Decimal(str(market["limits"]["amount"]["min"])) == spec.qty_min
    assert client.markets[BTC]["id"] == "XXBTZUSD"
    assert client.markets[BTC]["taker"] == 0.002  # the paper engine's fee


async def test_watch_ticker_quotes_the_true_top_of_book(client, kraken) -> None:
    ticker = await client.watch_ticker(BTC)
    (bid, _), (ask, _) = kraken.book(BTC, 1)[0][0], kraken.book(BTC, 1)[1][0]
    assert ticker["symbol"] == BTC
    assert (Decimal(str(ticker["bid"])), Decimal(str(ticker["ask"]))) == (bid, ask)
    assert ticker["bid"] < ticker["ask"]


async def test_watch_order_book_follows_the_true_book(client, kraken) -> None:
    book = await client.watch_order_book(BTC)
    bids, asks = kraken.book(BTC, 10)
    assert (levels(book["bids"], 10), levels(book["asks"], 10)) == (bids, asks)
    await kraken.step(60, BTC)
    truth = kraken.book(BTC, 10)
    for _ in range(200):  # one watch per update frame, until ccxt has them all
        book = await client.watch_order_book(BTC)
        assert book["bids"][0][0] < book["asks"][0][0], "ccxt's book crossed"
        if (levels(book["bids"], 10), levels(book["asks"], 10)) == truth:
            break
    else:
        pytest.fail("ccxt's book never matched the emulator's true book")


async def test_watch_trades_are_the_markets_prints(client, kraken) -> None:
    watching = asyncio.ensure_future(client.watch_trades(BTC))
    async with asyncio.timeout(20):
        while not watching.done():  # drive the market until ccxt hands over prints
            await kraken.step(5, BTC)
            await asyncio.wait({watching}, timeout=0.05)
    seen = watching.result()
    truth = {str(t.trade_id): t for t in kraken.market.recent_trades(BTC, 1000)}
    assert seen
    for trade in seen:
        print_ = truth[trade["id"]]
        assert trade["symbol"] == BTC and trade["side"] == print_.side
        assert Decimal(str(trade["price"])) == print_.price
        assert Decimal(str(trade["amount"])) == print_.qty


async def test_fetch_balance_is_the_paper_account(client, kraken) -> None:
    balance = await client.fetch_balance()
    for asset, (total, available, hold) in kraken.engine.balances().items():
        assert Decimal(str(balance["total"][asset])) == total
        assert Decimal(str(balance["used"][asset])) == hold
        assert Decimal(str(balance["free"][asset])) == available


async def test_order_lifecycle_is_the_order_the_emulator_holds(client, kraken) -> None:
    order = await client.create_order(BTC, "limit", "buy", 0.001, 1000,
                                      {"clientOrderId": "ccxt-rest-1"})  # fmt: skip
    held = kraken.engine.order(order_id=order["id"])
    assert held is not None and held.is_open and held.client_id == "ccxt-rest-1"
    assert (held.side, held.size, held.price) == ("buy", Decimal("0.001"), Decimal(1000))
    fetched = await client.fetch_order(order["id"], BTC)
    assert (fetched["status"], fetched["amount"], fetched["price"]) == ("open", 0.001, 1000.0)
    assert fetched["clientOrderId"] == "ccxt-rest-1"
    opened = await client.fetch_open_orders(BTC)
    assert [o["id"] for o in opened] == [o.order_id for o in kraken.engine.open_orders()]
    balance = await client.fetch_balance()
    assert Decimal(str(balance["used"]["USD"])) == kraken.engine.balances()["USD"][2] > 0
    await client.cancel_order(order["id"], BTC)
    assert held.state == "canceled"
    assert (await client.fetch_order(order["id"], BTC))["status"] == "canceled"
    assert await client.fetch_open_orders(BTC) == []


async def test_a_crossing_order_fills_on_the_paper_account(client, kraken) -> None:
    _, asks = kraken.book(BTC, 1)
    order = await client.create_order(BTC, "limit", "buy", 0.001, float(asks[0][0] * 2))
    fetched = await client.fetch_order(order["id"], BTC)
    held = kraken.engine.order(order_id=order["id"])
    assert fetched["status"] == "closed" and held.state == "filled"
    assert Decimal(str(fetched["filled"])) == held.filled == Decimal("0.001")
    balance = await client.fetch_balance()
    assert Decimal(str(balance["total"]["BTC"])) == kraken.engine.balances()["BTC"][0]


@pytest.mark.parametrize(
    ("amount", "price", "error", "venue_says"),
    [
        (0.00001, 1000, "InvalidOrder", "EOrder:Order minimum not met"),
        (50, 60000, "InsufficientFunds", "EOrder:Insufficient funds"),
    ],
    ids=["below-ordermin", "beyond-balance"],
)
async def test_what_the_venue_refuses_ccxt_raises_typed(
    client, kraken, amount, price, error, venue_says
) -> None:
    with pytest.raises(getattr(ccxt_errors, error)) as refused:
        await client.create_order(BTC, "limit", "buy", amount, price)
    assert venue_says in str(refused.value)
    assert kraken.engine.open_orders() == []
