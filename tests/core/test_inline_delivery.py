"""``client.on_event(callback, inline=True)``: delivery in the reader's own task.

Against the Kraken emulator over real sockets on 127.0.0.1: the inline callback sees the
same events, in the same order, as an ``events()`` consumer, each before that consumer's
task does; filters apply; an exception it raises is a StreamError and the stream goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from helpers import next_of

from tickwire.core.config import ClientConfig
from tickwire.core.connect import connect
from tickwire.core.consumers import inline_callback
from tickwire.core.protocol import StreamClient
from tickwire.core.types import Event, StreamError, StreamState, StreamStatus, Ticker, Trade
from tickwire.exchanges.kraken import KrakenEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=7, interval=None) as ex:
        yield ex


def client_for(ex: KrakenEmulator) -> StreamClient:
    return connect(ClientConfig(venue="kraken", **ex.endpoints))


async def barrier(client: StreamClient) -> None:
    """Wait until the client has read everything the emulator sent before now (a ping's
    pong travels behind every frame already queued on the socket)."""
    reply = await client.native.request({"method": "ping"}, timeout=30)
    assert reply["method"] == "pong"


async def test_inline_sees_what_a_consumer_sees_in_order_and_first(emulator):
    consumed: list[Event] = []
    seen_by_consumer: set[int] = set()
    inline: list[Event] = []
    early: list[bool] = []  # per inline event: had the consumer's task not seen it yet?

    def on_event(event: Event) -> None:
        inline.append(event)
        early.append(id(event) not in seen_by_consumer)

    async with client_for(emulator) as client:
        events = client.events()  # the first consumer: it has the connect-time buffer
        client.on_event(on_event, inline=True)

        async def consume() -> None:
            async for event in events:
                seen_by_consumer.add(id(event))
                consumed.append(event)

        async with asyncio.TaskGroup() as group:
            group.create_task(consume())
            await client.subscribe("ticker", ["BTC/USD", "ETH/USD"])
            await client.subscribe("trades", ["BTC/USD"])
            await emulator.burst("trade", "BTC/USD", 300)
            await emulator.step(40)
            await barrier(client)
            await client.close()  # the consumer ends after CLOSED; so does the callback
    trades = [e for e in inline if isinstance(e, Trade)]
    assert len(trades) >= 300 and any(isinstance(e, Ticker) for e in inline)
    # Complete and in the same order; before it, the consumer had the connect-time buffer.
    buffered = consumed[: len(consumed) - len(inline)]
    assert consumed[len(buffered) :] == inline
    assert buffered and all(isinstance(e, StreamStatus) for e in buffered)
    assert all(early)  # each one before the consumer's task had it
    last = inline[-1]
    assert isinstance(last, StreamStatus) and last.state is StreamState.CLOSED


async def test_inline_filters_are_those_of_events(emulator):
    picked: list[Event] = []
    async with client_for(emulator) as client:
        events = client.events()
        client.on_event(picked.append, symbols=["BTC/USD"], types=[Ticker], inline=True)
        await client.subscribe("ticker", ["BTC/USD", "ETH/USD"])
        await client.subscribe("trades", ["BTC/USD"])
        await emulator.step(60)
        await barrier(client)
        await client.close()
        everything = [event async for event in events]
    wanted = [e for e in everything if isinstance(e, Ticker) and e.symbol == "BTC/USD"]
    assert wanted and picked == wanted
    assert any(isinstance(e, Ticker) and e.symbol == "ETH/USD" for e in everything)


async def test_a_raising_callback_becomes_a_stream_error_and_delivery_goes_on(emulator):
    calls: list[Event] = []

    def broken(event: Event) -> None:
        calls.append(event)
        raise ValueError("strategy bug")  # on every ticker: and on its own errors too

    async with client_for(emulator) as client:
        events = client.events()
        client.on_event(broken, types=[Ticker, StreamError], inline=True)
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.step(20, symbol="BTC/USD")
        error = await next_of(events, StreamError)
        assert error.error == "ValueError"
        assert "inline callback" in error.message and "strategy bug" in error.message
        await next_of(events, Ticker, symbol="BTC/USD")  # the stream goes on
        await emulator.step(20, symbol="BTC/USD")
        await next_of(events, StreamError)
        await next_of(events, Ticker, symbol="BTC/USD")
    tickers = [e for e in calls if isinstance(e, Ticker)]
    errors = [e for e in calls if isinstance(e, StreamError)]
    # One StreamError per failed ticker; its failing again on that error is only logged.
    assert len(tickers) >= 2 and len(errors) == len(tickers)


async def test_coroutine_functions_and_queue_options_are_refused(emulator):
    async def asynchronous(event: Event) -> None:
        pass

    class AsyncCallable:
        async def __call__(self, event: Event) -> None:
            pass

    async with client_for(emulator) as client:
        for callback in (asynchronous, AsyncCallable()):
            with pytest.raises(TypeError, match="coroutine function"):
                client.on_event(callback, inline=True)
        with pytest.raises(TypeError, match="no queue"):
            client.on_event(print, inline=True, maxsize=10)
        with pytest.raises(TypeError, match="no queue"):
            client.on_event(print, inline=True, policy="drop_market_data")


async def test_an_awaitable_result_is_reported_not_awaited(emulator):
    async with client_for(emulator) as client:
        events = client.events()
        client.on_event(lambda event: asyncio.sleep(0), types=[Ticker], inline=True)
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.step(10, symbol="BTC/USD")
        error = await next_of(events, StreamError)
        assert error.error == "TypeError" and "never awaits" in error.message


@pytest.mark.parametrize("inline", [True, False])
async def test_the_returned_function_stops_delivery(emulator, inline):
    got: list[Event] = []
    async with client_for(emulator) as client:
        events = client.events()
        stop = client.on_event(got.append, types=[Ticker], inline=inline)
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.step(10, symbol="BTC/USD")
        await next_of(events, Ticker)
        await asyncio.sleep(0)  # a queued callback's task has its turn (inline: no need)
        stop()
        stop()  # idempotent
        await asyncio.sleep(0)  # a queued one delivers what it held, then ends
        before = len(got)
        assert before >= 1
        await emulator.step(20, symbol="BTC/USD")
        for _ in range(5):
            await next_of(events, Ticker)
        assert len(got) == before


async def test_registered_before_connect_it_sees_the_connection(emulator):
    got: list[Event] = []
    client = client_for(emulator)
    client.on_event(got.append, inline=True)
    async with client:
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD"])
        await emulator.step(5, symbol="BTC/USD")
        await next_of(events, Ticker)
    assert isinstance(got[0], StreamStatus) and got[0].state is StreamState.CONNECTED
    assert got[-1].state is StreamState.CLOSED  # type: ignore[union-attr]
    assert any(isinstance(e, Ticker) for e in got)


def test_base_exceptions_propagate() -> None:
    reported: list[Exception] = []

    def interrupted(event: Event) -> None:
        raise KeyboardInterrupt

    deliver = inline_callback(interrupted, lambda exc, context: reported.append(exc))
    status = StreamStatus(venue="kraken", state=StreamState.CONNECTED, ts=0)
    with pytest.raises(KeyboardInterrupt):
        deliver(status)
    assert reported == []
