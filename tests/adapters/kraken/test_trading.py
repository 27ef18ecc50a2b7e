"""Kraken order methods against the emulator's paper account, over real sockets.

The emulator's engine is the truth every answer is checked against.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import msgspec
import pytest
from helpers import next_of

from tickwire.core.errors import (
    BatchRejected,
    InsufficientFunds,
    InvalidOrder,
    UnknownOrder,
)
from tickwire.core.types import (
    Balance,
    Event,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    TimeInForce,
)
from tickwire.exchanges.kraken import KrakenEmulator

from .test_private import (
    KEY,
    SECRET,
    book_prices,
    crossing_buy,
    kraken,
    private_client,
    resting_buy,
    updates_until,
)

__all__ = ["kraken"]  # the fixture, imported for this module

D = Decimal


async def test_a_crossing_limit_order_fills_with_the_whole_lifecycle_and_balances(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        await client.subscribe("balances")
        _, ask = await book_prices(client)
        request = crossing_buy(ask, "0.05")
        ack = await client.place_order(request, timeout=5)
        assert ack.client_id is not None and len(ack.client_id) == 32  # generated
        seen: list[Event] = []
        async with asyncio.timeout(10):
            async for event in events:
                seen.append(event)
                if isinstance(event, OrderUpdate) and event.status is OrderStatus.FILLED:
                    break
        updates = [e for e in seen if isinstance(e, OrderUpdate) and e.order_id == ack.order_id]
        ledger = [e for e in seen if isinstance(e, Balance) and e.ts >= updates[0].ts]
        statuses = [u.status for u in updates]
        assert statuses[:2] == [OrderStatus.PENDING, OrderStatus.OPEN]
        assert set(statuses[2:-1]) == {OrderStatus.PARTIALLY_FILLED}  # one per fill
        assert statuses[-1] is OrderStatus.FILLED
        fills = updates[2:-1]
        truth = kraken.engine.order(order_id=ack.order_id)
        assert truth is not None and truth.state == "filled"
        for update in updates:
            assert (update.symbol, update.side, update.order_type) == (
                "BTC/USD",
                Side.BUY,
                OrderType.LIMIT,
            )
            assert (update.price, update.size, update.client_id) == (
                request.price,
                D("0.05"),
                ack.client_id,
            )
            assert update.remaining == update.size - update.filled or update.status.is_terminal
        assert sum(f.last_fill_size or 0 for f in fills) == D("0.05")
        assert fills[-1].filled == D("0.05") and fills[-1].remaining == 0  # completes, yet...
        assert all(f.last_fill_price and f.fee is not None for f in fills)
        # Fees go out at the fee asset's precision (USD: 4 places).
        assert sum(f.fee or 0 for f in fills) == truth.fee.quantize(D("0.0001"))
        assert {f.fee_asset for f in fills} == {"USD"}
        final = updates[-1]
        assert (final.filled, final.remaining) == (D("0.05"), 0)
        assert final.avg_price == truth.cost / truth.filled
        # Balances: one ledger line per asset per fill, ending at the engine's totals.
        assert len(ledger) == 2 * len(fills)
        after = {b.asset: b.total for b in ledger}
        totals = kraken.engine.balances()
        assert after["BTC"] == totals["BTC"][0] == D("2.05")
        spent = truth.cost + truth.fee
        assert after["USD"] == (D("100000") - spent).quantize(D("0.0001"))
        assert totals["USD"][0] == D("100000") - spent


async def test_amend_in_place_then_cancel_by_client_id(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        bid, _ = await book_prices(client)
        request = resting_buy(bid, client_id="tw-amend-1")
        ack = await client.place_order(request, timeout=5)
        assert ack.client_id == "tw-amend-1"
        await next_of(events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.OPEN)
        new_price = request.price - D("10")  # type: ignore[operator]
        amended = await client.amend_order(
            "BTC/USD", order_id=ack.order_id, price=new_price, size="0.02", timeout=5
        )
        assert (amended.order_id, amended.client_id) == (ack.order_id, "tw-amend-1")
        update = await next_of(events, OrderUpdate, order_id=ack.order_id, size=D("0.02"))
        assert (update.status, update.price, update.remaining) == (
            OrderStatus.OPEN,
            new_price,
            D("0.02"),
        )
        truth = kraken.engine.order(order_id=ack.order_id)
        assert truth is not None and (truth.price, truth.size) == (new_price, D("0.02"))
        # By client id, a price-only amend keeps the size.
        await client.amend_order("BTC/USD", client_id="tw-amend-1", price=new_price - 1, timeout=5)
        update = await next_of(events, OrderUpdate, order_id=ack.order_id, price=new_price - 1)
        assert update.size == D("0.02")
        canceled = await client.cancel_order("BTC/USD", client_id="tw-amend-1", timeout=5)
        assert (canceled.order_id, canceled.client_id) == (ack.order_id, "tw-amend-1")
        update = await next_of(
            events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.CANCELED
        )
        assert (update.reason, update.remaining) == ("User requested", 0)
        with pytest.raises(UnknownOrder):
            await client.cancel_order("BTC/USD", order_id=ack.order_id, timeout=5)
        with pytest.raises(UnknownOrder):
            await client.amend_order("BTC/USD", order_id="NOPE-NOPE-NOPE", price=1, timeout=5)


async def test_cancel_all_and_cancel_all_of_one_symbol(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        bid, _ = await book_prices(client)
        eth_bid, _ = await book_prices(client, "ETH/USD")
        acks = [await client.place_order(resting_buy(bid), timeout=5) for _ in range(2)]
        eth = OrderRequest(
            symbol="ETH/USD",
            side=Side.BUY,
            size=D("0.1"),
            price=(eth_bid * D("0.9")).quantize(D("0.01")),
        )
        eth_ack = await client.place_order(eth, timeout=5)
        for ack in [*acks, eth_ack]:
            await next_of(events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.OPEN)
        assert await client.cancel_all("BTC/USD", timeout=5) == 2
        assert [o.symbol for o in kraken.engine.open_orders()] == ["ETH/USD"]
        assert await client.cancel_all(timeout=5) == 1
        assert kraken.engine.open_orders() == []
        assert await client.cancel_all(timeout=5) == 0
        await next_of(events, OrderUpdate, order_id=eth_ack.order_id, status=OrderStatus.CANCELED)


@pytest.mark.parametrize("form", ["documented", "observed"])
async def test_batch_place_and_batch_cancel(form):
    async with KrakenEmulator(
        seed=7, interval=None, api_keys={KEY: SECRET}, batch_cancel_form=form
    ) as ex:
        async with private_client(ex) as client:
            events = client.events()
            await client.subscribe("orders")
            bid, _ = await book_prices(client)
            requests = [resting_buy(bid - i, client_id=f"tw-batch-{i}") for i in range(3)]
            acks = await client.place_orders(requests, timeout=5)
            assert [a.client_id for a in acks] == ["tw-batch-0", "tw-batch-1", "tw-batch-2"]
            assert {o.order_id for o in ex.engine.open_orders()} == {a.order_id for a in acks}
            for ack in acks:
                await next_of(events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.OPEN)
            ids = [a.order_id for a in acks]
            assert await client.cancel_orders("BTC/USD", ids, timeout=5) == 3
            assert ex.engine.open_orders() == []
            assert await client.cancel_orders("BTC/USD", ids[:2], timeout=5) == 0
            assert await client.cancel_orders("BTC/USD", ids[:1], timeout=5) == 0
            assert await client.cancel_orders("BTC/USD", [], timeout=5) == 0


async def test_a_batch_with_a_row_the_engine_refuses(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        small = resting_buy(bid, "0.01", client_id="tw-row-ok")
        huge = resting_buy(bid, "100", client_id="tw-row-huge")  # far beyond 100k USD
        with pytest.raises(BatchRejected) as caught:
            await client.place_orders([small, huge], timeout=5)
        rejected = caught.value
        assert [a.client_id for a in rejected.acks] == ["tw-row-ok"]
        assert isinstance(rejected.failures["tw-row-huge"], InsufficientFunds)
        assert [o.client_id for o in kraken.engine.open_orders()] == ["tw-row-ok"]
        # A batch refused as a whole places nothing.
        tiny = msgspec.structs.replace(small, size=D("0.00000001"), client_id="tw-row-tiny")
        with pytest.raises(InvalidOrder):
            await client.place_orders(
                [tiny, msgspec.structs.replace(small, client_id="b")], timeout=5
            )
        assert len(kraken.engine.open_orders()) == 1
        with pytest.raises(ValueError, match="one symbol"):
            eth = msgspec.structs.replace(small, symbol="ETH/USD")
            await client.place_orders([small, eth], timeout=5)


async def test_refusals_are_typed(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        bid, ask = await book_prices(client)
        with pytest.raises(InsufficientFunds):
            await client.place_order(resting_buy(bid, "100"), timeout=5)
        with pytest.raises(InvalidOrder, match="minimum"):
            await client.place_order(resting_buy(bid, "0.00000001"), timeout=5)
        off_tick = msgspec.structs.replace(
            resting_buy(bid), price=(bid * D("0.95")).quantize(D("0.01")) + D("0.01")
        )
        with pytest.raises(InvalidOrder, match="price"):
            await client.place_order(off_tick, timeout=5)
        with pytest.raises(InvalidOrder, match="time_in_force"):
            fok = resting_buy(bid, time_in_force=TimeInForce.FOK)
            await client.place_order(fok, timeout=5)
        assert kraken.engine.open_orders() == []
        # Post-only that would take: accepted, then refused by the engine → REJECTED.
        ack = await client.place_order(crossing_buy(ask, post_only=True), timeout=5)
        updates = await updates_until(events, ack.order_id, OrderStatus.REJECTED)
        assert [u.status for u in updates] == [OrderStatus.PENDING, OrderStatus.REJECTED]
        assert updates[-1].reason == "Post only order"


async def test_a_market_order_fills(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        await book_prices(client)
        request = OrderRequest(
            symbol="BTC/USD", side=Side.SELL, size=D("0.02"), type=OrderType.MARKET
        )
        ack = await client.place_order(request, timeout=5)
        updates = await updates_until(events, ack.order_id, OrderStatus.FILLED)
        assert updates[-1].price is None and updates[-1].order_type is OrderType.MARKET
        assert updates[-1].filled == D("0.02")


async def test_a_second_order_with_a_live_client_id_is_refused(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        await client.place_order(resting_buy(bid, client_id="tw-twice"), timeout=5)
        with pytest.raises(InvalidOrder):
            await client.place_order(resting_buy(bid, client_id="tw-twice"), timeout=5)
        assert len(kraken.engine.open_orders()) == 1
