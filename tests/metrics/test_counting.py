"""Counting inside the hub: every push counted once, whatever the consumers; ages sampled."""

from __future__ import annotations

from decimal import Decimal

from tickwire.core import connect
from tickwire.core.metrics import AGE_SAMPLE, instrument
from tickwire.core.types import Balance, Event, StreamError, StreamState, StreamStatus, Ticker


def ticker(n: int, symbol: str = "BTC/USD") -> Ticker:
    return Ticker(
        venue="kraken", symbol=symbol, bid=Decimal(1), bid_size=None, ask=None,
        ask_size=None, ts=n * 1000, received=n * 1000 + 300_000,  # 300 µs old
    )  # fmt: skip


def balance(n: int) -> Balance:
    return Balance(venue="kraken", asset="USD", total=Decimal(n), ts=n, received=n + 2_000_000)


async def test_every_push_is_counted_once_as_consumers_come_and_go() -> None:
    client = connect("kraken")  # never connected: the test pushes as its readers would
    metrics = instrument(client)  # type: ignore[arg-type]
    hub = client.hub  # type: ignore[attr-defined]
    pushed: list[Event] = []

    def push(event: Event) -> None:
        pushed.append(event)
        hub.push(event)

    n = 0
    for step in range(5):
        if step == 1:
            first = client.events()  # takes the buffer over: the fast path
        elif step == 2:
            second = client.events(symbols=["ETH/USD"])  # fan-out, filtered
        elif step == 3:
            await second.aclose()
            await first.aclose()  # nobody left to deliver to
        elif step == 4:
            client.events(types=[Balance])  # one consumer, filtered
        for _ in range(3 * AGE_SAMPLE + 1):
            n += 1
            push(ticker(n, ("BTC/USD", "ETH/USD")[n % 2]))
        push(balance(step))
        push(StreamStatus(venue="kraken", state=StreamState.RECONNECTING, ts=step))
    push(StreamError(venue="kraken", error="DecodeError", message="bad", ts=1))

    stats = metrics.snapshot()
    tickers = sum(isinstance(event, Ticker) for event in pushed)
    assert stats.events == {
        "ticker": {"ticker": tickers},
        "balances": {"balance": 5},
        "": {"status": 5, "error": 1},
    }
    assert stats.reconnects == 5
    assert stats.stream_errors == {"DecodeError": 1}
    # The first ticker, then one in AGE_SAMPLE; every balance.
    assert stats.frame_age["ticker"].count == (tickers - 1) // AGE_SAMPLE + 1
    assert stats.frame_age["ticker"].quantile(1.0) == 0.0005  # 300 µs: the 500 µs bucket
    assert stats.frame_age["balances"].count == 5
    assert stats.frame_age["balances"].quantile(1.0) == 0.0025
