"""ccxt.pro ``kucoin`` against the KuCoin emulator: balances and the order lifecycle.

Default options (ccxt finds the HF account through ``/api/v1/hf/accounts/opened`` and
reads ``trade_hf`` balances), URL override only. ccxt's answers are compared with the
emulator's paper account: the balances it holds and the orders it keeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from kucoin_peers import ccxt_kucoin

from tickwire.exchanges.kucoin import KucoinEmulator

pytest.importorskip("ccxt.pro")


@pytest.fixture
async def emulator() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=4, interval=None) as ex:
        yield ex


def floats(values: tuple[Decimal, Decimal, Decimal]) -> tuple[float, float, float]:
    total, available, hold = values
    return float(total), float(available), float(hold)


async def test_balance_is_the_paper_account(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        balance = await client.fetch_balance()
        truth = emulator.engine.balances()
        assert truth  # the account has funds: an empty answer would be wrong
        for asset, values in truth.items():
            got = balance[asset]
            assert (got["total"], got["free"], got["used"]) == floats(values), asset


async def test_order_lifecycle_is_the_emulator_order(emulator) -> None:
    async with ccxt_kucoin(emulator) as client:
        await client.load_markets()
        ((best_bid, _),) = emulator.book("BTC-USDT", 1)[0]
        price = float(best_bid - 1000)  # rests far below the touch
        created = await client.create_order("BTC/USDT", "limit", "buy", 0.002, price)
        held = emulator.engine.order(order_id=created["id"])
        assert held is not None, "ccxt's order id is not an order the emulator holds"
        assert held.client_id == created["clientOrderId"]
        assert (held.side, held.type, float(held.size), float(held.price)) == (
            "buy",
            "limit",
            0.002,
            price,
        )

        fetched = await client.fetch_order(created["id"], "BTC/USDT")
        assert (fetched["id"], fetched["status"]) == (created["id"], "open")
        assert (fetched["amount"], fetched["price"], fetched["filled"]) == (0.002, price, 0.0)
        opened = await client.fetch_open_orders("BTC/USDT")
        assert [o["id"] for o in opened] == [o.order_id for o in emulator.engine.open_orders()]

        # The hold shows as used funds, as the engine books it.
        balance = await client.fetch_balance()
        usdt = emulator.engine.balances()["USDT"]
        assert (balance["USDT"]["free"], balance["USDT"]["used"]) == floats(usdt)[1:]

        await client.cancel_order(created["id"], "BTC/USDT")
        assert emulator.engine.open_orders() == []
        assert held.state == "canceled"
        assert (await client.fetch_order(created["id"], "BTC/USDT"))["status"] == "canceled"
        assert await client.fetch_open_orders("BTC/USDT") == []
