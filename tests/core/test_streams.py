"""EventStream: ordering, both overflow policies, close/fail, and callbacks."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tickwire.core.metrics.table import PushCounts
from tickwire.core.streams import EventStream, OverflowPolicy
from tickwire.core.types import (
    Balance,
    BookUpdate,
    Candle,
    Event,
    OrderStatus,
    OrderUpdate,
    Side,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)


def ticker(n: int) -> Ticker:
    return Ticker(
        venue="v",
        symbol="BTC/USD",
        bid=Decimal(n),
        bid_size=None,
        ask=None,
        ask_size=None,
        ts=n,
        received=n,
    )


def trade(n: int) -> Trade:
    return Trade(
        venue="v",
        symbol="BTC/USD",
        trade_id=str(n),
        price=Decimal(1),
        size=Decimal(1),
        side=Side.BUY,
        ts=n,
        received=n,
    )


def book(n: int) -> BookUpdate:
    return BookUpdate(
        venue="v", symbol="BTC/USD", bids=(), asks=(), snapshot=False, ts=n, received=n
    )


def candle(n: int) -> Candle:
    one = Decimal(1)
    return Candle(
        venue="v",
        symbol="BTC/USD",
        interval=60,
        start=0,
        open=one,
        high=one,
        low=one,
        close=one,
        volume=one,
        ts=n,
        received=n,
    )


def balance(n: int) -> Balance:
    return Balance(venue="v", asset="BTC", total=Decimal(n), ts=n, received=n)


def order(n: int) -> OrderUpdate:
    return OrderUpdate(
        venue="v", symbol="BTC/USD", order_id=str(n), status=OrderStatus.OPEN, ts=n, received=n
    )


def error(n: int) -> StreamError:
    return StreamError(venue="v", error="DecodeError", message="bad", ts=n)


def status(n: int) -> StreamStatus:
    return StreamStatus(venue="v", state=StreamState.CONNECTED, ts=n)


async def collect(stream: EventStream) -> list[Event]:
    return [event async for event in stream]


async def test_events_come_out_in_push_order() -> None:
    stream = EventStream()
    events: list[Event] = [ticker(1), trade(2), book(3), balance(4), order(5), status(6)]
    for event in events:
        stream.push(event)
    assert len(stream) == 6
    stream.close()
    assert await collect(stream) == events
    assert len(stream) == 0


async def test_consumer_waits_for_a_push() -> None:
    stream = EventStream()
    consumer = asyncio.create_task(collect(stream))
    await asyncio.sleep(0)  # let the consumer park on its future
    assert not consumer.done()
    stream.push(ticker(1))
    stream.push(ticker(2))
    await asyncio.sleep(0)
    stream.push(ticker(3))
    stream.close()
    assert await consumer == [ticker(1), ticker(2), ticker(3)]


async def test_close_drains_buffer_then_stops_and_ignores_later_pushes() -> None:
    stream = EventStream()
    stream.push(ticker(1))
    stream.close()
    stream.close()  # idempotent
    stream.push(ticker(2))
    assert stream.closed
    assert await collect(stream) == [ticker(1)]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_fail_raises_after_draining_then_stops() -> None:
    stream = EventStream()
    stream.push(ticker(1))
    boom = ConnectionError("gave up")
    stream.fail(boom)
    stream.fail(ValueError("second failure is ignored"))
    received: list[Event] = []
    with pytest.raises(ConnectionError) as caught:
        async for event in stream:
            received.append(event)
    assert caught.value is boom
    assert received == [ticker(1)]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_fail_wakes_a_waiting_consumer() -> None:
    stream = EventStream()
    consumer = asyncio.create_task(collect(stream))
    await asyncio.sleep(0)
    stream.fail(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        await consumer


async def test_only_one_consumer_may_wait() -> None:
    stream = EventStream()
    first = asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one consumer"):
        await stream.__anext__()
    stream.push(ticker(1))
    assert await first == ticker(1)


async def test_cancelled_consumer_does_not_lose_events() -> None:
    stream = EventStream()
    first = asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    stream.push(ticker(1))
    assert await stream.__anext__() == ticker(1)


# --- BLOCK -------------------------------------------------------------------------------


async def test_block_never_drops_and_producer_waits_for_room() -> None:
    stream = EventStream(maxsize=3, policy=OverflowPolicy.BLOCK)
    for n in range(5):  # the bound is soft: a producer finishes its frame
        stream.push(ticker(n))
    assert stream.full and len(stream) == 5 and stream.dropped == 0

    producer = asyncio.create_task(stream.drained())
    await asyncio.sleep(0)
    assert not producer.done()
    assert await stream.__anext__() == ticker(0)
    assert await stream.__anext__() == ticker(1)
    await asyncio.sleep(0)
    assert not producer.done()  # 3 still buffered: still full
    assert await stream.__anext__() == ticker(2)
    await producer  # 2 < 3: room again
    assert not stream.full


async def test_drained_returns_at_once_when_not_full_or_closed() -> None:
    stream = EventStream(maxsize=1)
    await stream.drained()
    stream.push(ticker(1))
    waiting = asyncio.create_task(stream.drained())
    await asyncio.sleep(0)
    assert not waiting.done()
    stream.close()  # a closed stream will never drain further: release the producer
    await waiting
    await stream.drained()


async def test_block_backpressure_end_to_end() -> None:
    stream = EventStream(maxsize=4)
    total = 200

    async def producer() -> None:
        for n in range(total):
            stream.push(ticker(n))
            assert len(stream) <= 4
            if stream.full:
                await stream.drained()
        stream.close()

    async with asyncio.TaskGroup() as tg:
        tg.create_task(producer())
        consumer = tg.create_task(collect(stream))
    assert consumer.result() == [ticker(n) for n in range(total)]


# --- DROP_MARKET_DATA --------------------------------------------------------------------


async def test_drop_market_data_keeps_account_and_status_events() -> None:
    stream = EventStream(maxsize=2, policy=OverflowPolicy.DROP_MARKET_DATA, venue="kucoin")
    stream.push(ticker(1))
    stream.push(ticker(2))
    kept: list[Event] = [balance(3), order(4), status(5), error(6)]
    stream.push(trade(10))
    stream.push(kept[0])
    stream.push(book(11))
    stream.push(kept[1])
    stream.push(candle(12))
    stream.push(ticker(13))
    stream.push(kept[2])
    stream.push(kept[3])
    assert stream.dropped == 4
    assert len(stream) == 6

    out = [await stream.__anext__() for _ in range(6)]
    assert out == [ticker(1), ticker(2), *kept]
    # The backlog fell below half on the last pop: one lagging status follows.
    lag = await stream.__anext__()
    assert isinstance(lag, StreamStatus)
    assert lag.state is StreamState.LAGGING
    assert lag.reason == "dropped 4 market-data events"
    assert lag.venue == "kucoin" and lag.ts > 0
    assert len(stream) == 0


async def test_lagging_status_once_per_episode_and_only_below_half() -> None:
    stream = EventStream(maxsize=4, policy=OverflowPolicy.DROP_MARKET_DATA)
    for n in range(6):
        stream.push(ticker(n))  # 4 kept, 2 dropped
    assert await stream.__anext__() == ticker(0)  # 3 left: not below half
    assert await stream.__anext__() == ticker(1)  # 2 left: not below half (2*2 == 4)
    assert len(stream) == 2
    assert await stream.__anext__() == ticker(2)  # 1 left: report
    assert len(stream) == 2  # ticker(3) and the status
    assert await stream.__anext__() == ticker(3)
    lag = await stream.__anext__()
    assert isinstance(lag, StreamStatus) and lag.reason == "dropped 2 market-data events"

    # A second episode reports only its own drops; with no drops, no status.
    for n in range(5):
        stream.push(ticker(n))
    stream.close()
    events = await collect(stream)
    assert [e for e in events if isinstance(e, StreamStatus)] == [
        StreamStatus(
            venue="",
            state=StreamState.LAGGING,
            reason="dropped 1 market-data events",
            ts=events[-1].ts,
        )
    ]
    assert stream.dropped == 3


async def test_block_policy_keeps_market_data_when_full() -> None:
    stream = EventStream(maxsize=1, policy=OverflowPolicy.BLOCK)
    stream.push(ticker(1))
    stream.push(trade(2))
    assert len(stream) == 2 and stream.dropped == 0


# --- callbacks ---------------------------------------------------------------------------


async def test_run_callback_sync() -> None:
    stream = EventStream()
    seen: list[Event] = []
    for n in range(3):
        stream.push(ticker(n))
    stream.close()
    await stream.run_callback(seen.append)
    assert seen == [ticker(0), ticker(1), ticker(2)]


async def test_run_callback_async_is_awaited_in_order() -> None:
    stream = EventStream()
    seen: list[int] = []

    async def callback(event: Event) -> None:
        assert isinstance(event, Ticker)
        await asyncio.sleep(0)  # yield mid-callback: the next event must still wait
        seen.append(event.ts)

    runner = asyncio.create_task(stream.run_callback(callback))
    for n in range(3):
        stream.push(ticker(n))
    await asyncio.sleep(0)
    stream.push(ticker(3))
    stream.close()
    await runner
    assert seen == [0, 1, 2, 3]


async def test_run_callback_propagates_failures() -> None:
    stream = EventStream()
    stream.push(ticker(1))
    stream.fail(ConnectionError("down"))
    seen: list[Event] = []
    with pytest.raises(ConnectionError):
        await stream.run_callback(seen.append)
    assert seen == [ticker(1)]

    def broken(event: Event) -> None:
        raise ZeroDivisionError

    other = EventStream()
    other.push(ticker(1))
    with pytest.raises(ZeroDivisionError):
        await other.run_callback(broken)


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        EventStream(maxsize=0)


def test_policy_accepts_its_string_value() -> None:
    stream = EventStream(maxsize=1, policy="drop_market_data")  # type: ignore[arg-type]
    stream.push(ticker(1))
    stream.push(ticker(2))
    assert stream.dropped == 1


def test_a_counting_stream_counts_what_it_drops_and_ignores_and_runs_by_type() -> None:
    stream = EventStream(maxsize=1, policy=OverflowPolicy.DROP_MARKET_DATA)
    rows: dict[type, list[int]] = {Ticker: [0, 2], Trade: [0, 0]}  # one in 2; the first
    observed: list[Event] = []
    table = PushCounts(rows, lambda row, event: observed.append(event), rows.__getitem__)
    stream.count_pushes(table)
    pushed = [ticker(1), ticker(2), ticker(3), trade(4), trade(5), ticker(6), ticker(7)]
    for event in pushed[:-1]:
        stream.push(event)  # all but the first dropped: the stream is full
    stream.close()
    stream.push(pushed[-1])  # ignored: the stream ended
    table.flush()
    assert rows[Ticker][0] == 5 and rows[Trade][0] == 2
    # Ticker ordinals 0, 2, 4 (the runs do not matter); the first trade only.
    assert observed == [pushed[0], pushed[2], pushed[3], pushed[6]]
    assert stream.dropped == 5
    stream.count_pushes(None)
    assert table.holder is None
