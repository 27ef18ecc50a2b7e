"""EventHub: filters, per-consumer overflow, release, the first consumer's backlog."""

from __future__ import annotations

import asyncio
import gc
from decimal import Decimal

import pytest

from tickwire.core.fanout import EventFilter, EventHub
from tickwire.core.metrics.table import PushCounts
from tickwire.core.streams import OverflowPolicy
from tickwire.core.types import (
    Balance,
    Event,
    OrderStatus,
    OrderUpdate,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
)


def ticker(n: int, symbol: str = "BTC/USD") -> Ticker:
    price = Decimal(n + 1)
    return Ticker(
        venue="v", symbol=symbol, bid=price, bid_size=None, ask=None, ask_size=None, ts=n,
        received=n,
    )  # fmt: skip


def balance(n: int) -> Balance:
    return Balance(venue="v", asset="USD", total=Decimal(n), ts=n, received=n)


def order(n: int, symbol: str = "ETH/USD") -> OrderUpdate:
    return OrderUpdate(
        venue="v", symbol=symbol, order_id=str(n), status=OrderStatus.OPEN, ts=n, received=n
    )


def status(symbol: str | None = None) -> StreamStatus:
    return StreamStatus(venue="v", state=StreamState.RESYNCED, symbol=symbol, ts=1)


def error() -> StreamError:
    return StreamError(venue="v", error="DecodeError", message="bad", ts=1)


def buffered(consumer: object) -> list[Event]:
    stream = consumer.stream  # type: ignore[attr-defined]
    return list(stream._buffer)


def test_the_first_consumer_gets_what_arrived_since_connect_the_next_only_what_follows() -> None:
    hub = EventHub(venue="v")
    early = status()
    hub.push(early)
    first = hub.attach()
    second = hub.attach()
    later = ticker(1)
    hub.push(later)
    assert buffered(first) == [early, later]
    assert buffered(second) == [later]


def test_one_unfiltered_consumer_is_pushed_to_directly() -> None:
    hub = EventHub(venue="v")
    consumer = hub.attach()
    assert hub.push == consumer.stream.push  # the fast path: no loop, no filter call
    filtered = hub.attach(EventFilter(symbols=["ETH/USD"]))
    assert hub.push == hub._fan_out
    del filtered
    gc.collect()
    assert hub.push == consumer.stream.push


def test_filters_by_symbol_channel_and_type() -> None:
    hub = EventHub(venue="v")
    everything = hub.attach()
    btc = hub.attach(EventFilter(symbols=["BTC/USD"]))
    account = hub.attach(EventFilter(channels=["orders", "balances"]))
    statuses = hub.attach(EventFilter(types=[StreamStatus]))
    events: list[Event] = [
        ticker(1),
        ticker(2, "ETH/USD"),
        balance(3),
        order(4),
        status(),
        status("ETH/USD"),
        status("BTC/USD"),
        error(),
    ]
    for event in events:
        hub.push(event)
    assert buffered(everything) == events
    # Market data of its symbol; account events are account-wide; statuses about the
    # connection or its symbol; every stream error.
    assert buffered(btc) == [
        events[0], events[2], events[3], events[4], events[6], events[7]
    ]  # fmt: skip
    assert buffered(account) == [events[2], events[3], events[4], events[5], events[6], events[7]]
    assert buffered(statuses) == [events[4], events[5], events[6]]


def test_a_filter_refuses_a_single_string_and_unknown_types() -> None:
    with pytest.raises(ValueError, match="not a single string"):
        EventFilter(symbols="BTC/USD")
    with pytest.raises(ValueError, match="not event types"):
        EventFilter(types=[int])
    with pytest.raises(ValueError):
        EventFilter(channels=["tickers"])


async def test_a_slow_drop_consumer_never_holds_the_reader_and_reports_its_drops() -> None:
    hub = EventHub(venue="v", maxsize=100)
    fast = hub.attach()
    slow = hub.attach(maxsize=2, policy=OverflowPolicy.DROP_MARKET_DATA)
    for n in range(10):
        hub.push(ticker(n))
        hub.push(balance(n))
        assert not hub.full
    assert len(fast) == 20
    # Once full, every ticker is dropped; balances are kept beyond the bound.
    assert slow.dropped == 9
    kept = [await anext(slow) for _ in range(11)]
    assert kept == [ticker(0), *(balance(n) for n in range(10))]
    lagging = await anext(slow)
    assert isinstance(lagging, StreamStatus) and lagging.state is StreamState.LAGGING
    assert "dropped 9" in lagging.reason


async def test_a_full_block_consumer_holds_the_reader_until_it_has_room() -> None:
    hub = EventHub(venue="v", maxsize=2)
    consumer = hub.attach()
    hub.push(ticker(1))
    hub.push(ticker(2))
    assert hub.full
    waiter = asyncio.ensure_future(hub.drained())
    await asyncio.sleep(0)
    assert not waiter.done()
    await anext(consumer)
    await asyncio.wait_for(waiter, 1)


async def test_pressed_is_set_whenever_a_block_consumer_is_full() -> None:
    # Readers test `pressed` per frame and ask `full` only when it is set: it must never
    # be False while a block consumer is full, whichever consumer filled up.
    hub = EventHub(venue="v", maxsize=2)
    drop = hub.attach(policy="drop_market_data", maxsize=1)
    block = hub.attach(EventFilter(channels=["balances"]))
    for n in range(3):
        hub.push(ticker(n))
    assert drop.dropped == 2 and not hub.pressed and not hub.full  # drops never press
    hub.push(balance(1))
    assert not hub.pressed
    hub.push(balance(2))
    assert hub.pressed and hub.full
    await anext(block)
    assert hub.pressed  # a hint: full, the exact test, clears it once nothing is full
    assert not hub.full and not hub.pressed
    hub.push(balance(3))
    assert hub.pressed and hub.full
    waiter = asyncio.ensure_future(hub.drained())
    await asyncio.sleep(0)
    await anext(block)
    await asyncio.wait_for(waiter, 1)
    assert not hub.pressed
    late = hub.attach(maxsize=1)  # a consumer attached full (after a rewire) presses too
    hub.push(balance(4))
    assert hub.pressed and late.stream.full


async def test_a_released_consumer_stops_receiving_and_frees_a_held_reader() -> None:
    hub = EventHub(venue="v", maxsize=1)
    hub.attach()  # dropped at once: the hub holds its queue only while it is referenced
    gc.collect()
    assert hub.consumers == 0
    kept = hub.attach()
    hub.push(ticker(1))
    assert hub.full
    waiter = asyncio.ensure_future(hub.drained())
    await asyncio.sleep(0)
    await kept.aclose()
    await asyncio.wait_for(waiter, 1)
    assert hub.consumers == 0
    assert await anext(kept) == ticker(1)  # what it held, then the end
    with pytest.raises(StopAsyncIteration):
        await anext(kept)
    hub.push(ticker(2))  # nowhere to go, no error


async def test_breaking_out_of_async_for_releases_the_consumer() -> None:
    hub = EventHub(venue="v")
    backlog = hub.attach()  # the first consumer takes the backlog; this is about later ones

    async def first_event() -> Event:
        async for event in hub.attach():
            return event  # leaves the loop: nothing refers to the consumer any more
        raise AssertionError("no event")

    task = asyncio.create_task(first_event())
    await asyncio.sleep(0)  # let it attach and wait
    assert hub.consumers == 2
    hub.push(ticker(1))
    assert await task == ticker(1)
    gc.collect()
    assert hub.consumers == 1
    assert buffered(backlog) == [ticker(1)]


async def test_close_ends_every_consumer_after_its_backlog() -> None:
    hub = EventHub(venue="v")
    one, two = hub.attach(), hub.attach()
    hub.push(ticker(1))
    hub.close()
    assert [e async for e in one] == [ticker(1)]
    assert [e async for e in two] == [ticker(1)]
    late = hub.attach()
    assert [e async for e in late] == []


def test_an_unclaimed_hub_never_holds_a_reader() -> None:
    hub = EventHub(venue="v", maxsize=3, policy=OverflowPolicy.BLOCK)
    for n in range(10):
        hub.push(ticker(n))
        assert not hub.full
    hub.push(balance(1))
    consumer = hub.attach()
    assert consumer.dropped == 7
    assert buffered(consumer)[-1] == balance(1)


async def test_an_intercepting_step_sees_every_push_and_survives_rewiring() -> None:
    hub = EventHub(maxsize=10, policy="block", venue="v")
    seen: list[Event] = []

    def counting(push):
        def step(event):
            seen.append(event)
            push(event)

        return step

    remove = hub.intercept(counting)
    hub.push(ticker(1))  # into the unclaimed buffer
    consumer = hub.attach()  # the consumers changed: the step is re-applied
    hub.push(ticker(2))
    assert [e.ts for e in seen] == [1, 2]
    assert hub.queues and len(hub.queues[0]) == 2
    remove()
    hub.push(ticker(3))
    assert len(seen) == 2
    assert [(await anext(consumer)).ts for _ in range(3)] == [1, 2, 3]


def test_a_counts_table_counts_every_push_once_whatever_the_consumers() -> None:
    hub = EventHub(maxsize=100, policy="drop_market_data", venue="v")
    rows: dict[type, list[int]] = {}
    observed: list[Event] = []

    def new_row(kind: type) -> list[int]:
        rows[kind] = [0, 1]  # a step of 1: every event is observed too
        return rows[kind]

    table = PushCounts(rows, lambda row, event: observed.append(event), new_row)
    hub.count(table)
    pushed: list[Event] = []

    def push(event: Event) -> None:
        pushed.append(event)
        hub.push(event)

    push(ticker(1))  # the unclaimed buffer counts
    push(balance(1))
    first = hub.attach()
    assert hub.push == first.stream.push  # counting keeps the fast path one call
    push(ticker(2))
    second = hub.attach(EventFilter(symbols=["ETH/USD"]))  # the fan-out loop counts
    push(ticker(3))
    fan_out = hub.push  # kept by someone across the next rewire
    push(ticker(4, "ETH/USD"))
    push(status())
    stop = hub.listen(EventFilter(types=[StreamError]), lambda event: None)
    push(error())
    stop()
    hub.detach(second.stream)
    assert hub.push == first.stream.push
    push(order(5))
    pushed.append(ticker(51))
    fan_out(ticker(51))  # delivered to the one stream, which counts it: once
    hub.detach(first.stream)  # no consumer left: still counted, by the loop
    push(ticker(6))
    stop = hub.listen(EventFilter(), lambda event: None)  # one listener for everything
    push(ticker(7))
    stop()
    first.stream.push(ticker(8))  # a released stream counts no more
    table.flush()  # the run being counted, into the rows
    counted = {kind: row[0] for kind, row in rows.items()}
    expected: dict[type, int] = {}
    for event in pushed:
        expected[type(event)] = expected.get(type(event), 0) + 1
    assert counted == expected
    assert observed == pushed
    hub.count(None)
    third = hub.attach()
    hub.push(ticker(9))
    assert {kind: row[0] for kind, row in rows.items()} == counted
    assert hub.push == third.stream.push


def test_a_counts_row_mask_picks_the_events_observed() -> None:
    hub = EventHub(maxsize=100, venue="v")
    rows = {Ticker: [0, 4]}  # the first, then one in 4
    observed: list[int] = []
    table = PushCounts(rows, lambda row, event: observed.append(event.ts), rows.__getitem__)
    hub.count(table)
    for n in range(10):
        hub.push(ticker(n))
    assert rows[Ticker][0] == 0  # the run is counted by the push, not in the table yet
    table.flush()
    assert rows[Ticker][0] == 10
    assert observed == [0, 4, 8]
