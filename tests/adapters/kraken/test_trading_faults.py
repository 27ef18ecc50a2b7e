"""Kraken order calls under faults: sockets cut in flight, lost replies, the dead man's switch.

Every call must resolve within its own timeout, and no placement may ever happen twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from helpers import next_of

from tickwire.core.errors import Disconnected, RequestTimeout
from tickwire.core.types import OrderStatus, OrderUpdate
from tickwire.exchanges.base.matching import EngineEvent, OrderEvent
from tickwire.exchanges.kraken import KrakenEmulator

from .test_private import KEY, book_prices, crossing_buy, kraken, private_client, resting_buy

__all__ = ["kraken"]  # the fixture, imported for this module

TIMEOUT = 3.0


class Placements:
    """Counts the orders the emulator's engine accepted, by client id."""

    def __init__(self, ex: KrakenEmulator) -> None:
        self.count: Counter[str | None] = Counter()
        self.canceled: dict[str, str] = {}  # order id → engine cancel reason
        self.dead_man = asyncio.Event()
        self.remove = ex.engine.add_listener(self)

    def __call__(self, events: list[EngineEvent]) -> None:
        for event in events:
            if isinstance(event, OrderEvent) and event.kind == "new":
                self.count[event.order.client_id] += 1
            if isinstance(event, OrderEvent) and event.kind == "canceled":
                self.canceled[event.order.order_id] = event.reason
                if event.reason == "dead_man":
                    self.dead_man.set()


async def timed(awaitable: Any) -> tuple[Any, float]:
    """Await ``awaitable``; its result (or exception) and how long it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        result = await awaitable
    except Exception as exc:
        result = exc
    return result, loop.time() - start


@pytest.mark.parametrize("crossing", [False, True], ids=["resting", "crossing"])
@pytest.mark.parametrize("stage", ["before", "after"])
async def test_socket_killed_under_place_order(kraken, stage, crossing):
    placements = Placements(kraken)
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        bid, ask = await book_prices(client)
        make = crossing_buy if crossing else resting_buy
        request = make(ask if crossing else bid, client_id="tw-once")
        kraken.fail_next_order(stage, method="add_order")
        result, took = await timed(client.place_order(request, timeout=TIMEOUT))
        assert took < TIMEOUT
        truth = kraken.engine.order(client_id="tw-once")
        if stage == "before":
            assert isinstance(result, Disconnected) and "not placed" in str(result)
            assert truth is None and placements.count["tw-once"] == 0
            # Nothing was placed, so the same client id may be used again, once.
            ack = await client.place_order(request, timeout=TIMEOUT)
            assert placements.count["tw-once"] == 1
        else:
            ack = result
            assert truth is not None and ack.order_id == truth.order_id
            assert ack.client_id == "tw-once" and placements.count["tw-once"] == 1
        final = OrderStatus.FILLED if crossing else OrderStatus.OPEN
        update = await next_of(events, OrderUpdate, order_id=ack.order_id, status=final)
        assert update.client_id == "tw-once"
    assert placements.count["tw-once"] == 1


async def test_socket_killed_under_batch_add_reconciles_every_row(kraken):
    placements = Placements(kraken)
    async with private_client(kraken) as client:
        bid, ask = await book_prices(client)
        requests = [
            resting_buy(bid, client_id="tw-b-rest"),
            crossing_buy(ask, client_id="tw-b-cross"),
        ]
        kraken.fail_next_order("after", method="batch_add")
        acks, took = await timed(client.place_orders(requests, timeout=TIMEOUT))
        assert took < TIMEOUT
        assert [a.client_id for a in acks] == ["tw-b-rest", "tw-b-cross"]
        for ack in acks:
            truth = kraken.engine.order(client_id=ack.client_id)
            assert truth is not None and truth.order_id == ack.order_id
    assert placements.count == Counter({"tw-b-rest": 1, "tw-b-cross": 1})


async def test_a_lost_add_order_reply_resolves_from_the_executions_stream(kraken):
    placements = Placements(kraken)
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        kraken.hold_next_order(method="add_order")
        ack, took = await timed(
            client.place_order(resting_buy(bid, client_id="tw-held"), timeout=1.0)
        )
        assert took < 1.5
        truth = kraken.engine.order(client_id="tw-held")
        assert truth is not None and ack.order_id == truth.order_id
    assert placements.count["tw-held"] == 1


async def test_no_new_connection_in_time_is_a_request_timeout_naming_the_client_id(kraken):
    placements = Placements(kraken)
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        keys = kraken.desk.api_keys
        assert keys is not None
        revoked = keys.pop(KEY)  # every new token is refused: the socket cannot come back
        kraken.fail_next_order("after", method="add_order")
        request = resting_buy(bid, client_id="tw-lost")
        result, took = await timed(client.place_order(request, timeout=1.0))
        assert isinstance(result, RequestTimeout) and took < 1.5
        assert "tw-lost" in str(result) and "unknown" in str(result)
        keys[KEY] = revoked
        await client.context.wait_ready(
            client.account_socket.session, client.context.deadline("up", 5)
        )
    assert placements.count["tw-lost"] == 1  # it was placed; the caller can look it up


async def test_a_lost_reply_is_a_request_timeout_within_the_timeout(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid), timeout=TIMEOUT)
        kraken.hold_next_order(method="cancel_order")
        result, took = await timed(
            client.cancel_order("BTC/USD", order_id=ack.order_id, timeout=0.5)
        )
        assert isinstance(result, RequestTimeout) and took < 1.0
        kraken.fail_next_order("before", method="cancel_all")
        result, took = await timed(client.cancel_all(timeout=TIMEOUT))
        assert isinstance(result, Disconnected) and took < TIMEOUT  # never re-sent either


async def test_the_dead_man_switch_arms_and_disarms(kraken):
    async with private_client(kraken) as client:
        await client.cancel_all_after(60, timeout=TIMEOUT)
        assert kraken.desk.dead_man_trigger is not None
        await client.cancel_all_after(0, timeout=TIMEOUT)
        assert kraken.desk.dead_man_trigger is None
        with pytest.raises(ValueError):
            await client.cancel_all_after(86400)


async def test_the_managed_switch_holds_while_healthy_and_fires_when_refreshing_stops(kraken):
    placements = Placements(kraken)
    refreshes = Counter[str]()
    enough = asyncio.Event()
    arm = kraken.desk.arm_dead_man

    def counting_arm(timeout: int) -> tuple[int, int | None]:
        refreshes["armed"] += 1
        if refreshes["armed"] >= 8:  # 8 refreshes of a 1 s switch span ~2 s: > its timeout
            enough.set()
        return arm(timeout)

    kraken.desk.arm_dead_man = counting_arm  # type: ignore[method-assign]
    client = private_client(kraken, options={"dead_man_switch": 1})
    async with client:
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid), timeout=TIMEOUT)
        async with asyncio.timeout(5):
            await enough.wait()
        truth = kraken.engine.order(order_id=ack.order_id)
        assert truth is not None and truth.is_open  # kept alive by the refreshes
        assert ack.order_id not in placements.canceled
    # The client is gone: nothing refreshes the switch, and the venue fires it.
    async with asyncio.timeout(3):
        await placements.dead_man.wait()
    assert placements.canceled[ack.order_id] == "dead_man"
    assert kraken.engine.open_orders() == []
