"""KuCoin liveness: pong-only sockets stay up; a silent topic is reported and renewed."""

from __future__ import annotations

import asyncio
from typing import Any

from helpers import next_of

from tickwire.core.config import HeartbeatPolicy
from tickwire.core.types import BookUpdate, Channel, StreamState, StreamStatus, Ticker
from tickwire.exchanges.kucoin import KucoinEmulator

from .conftest import client_for


async def test_a_quiet_socket_kept_alive_by_pongs_is_not_replaced():
    # The token asks for a ping every 0.6 s; the configured idle timeout (0.3 s) is
    # shorter than that, so without the token-derived threshold the watchdog would
    # replace this healthy but quiet socket every 0.3 s.
    async with KucoinEmulator(
        seed=5, interval=None, ping_interval_ms=600, ping_timeout_ms=400
    ) as ex:
        async with client_for(ex, heartbeat=HeartbeatPolicy(idle_timeout=0.3)) as client:
            events = client.events()
            await client.subscribe("ticker", ["BTC/USDT"])
            # Asserting that nothing happens needs time to pass: ~4 ping periods.
            await asyncio.sleep(2.5)
            await ex.step(20, symbol="BTC-USDT")
            await next_of(events, Ticker, symbol="BTC/USDT")
            assert len(ex.connection_stats) == 1  # every socket ever accepted, closed ones too


TOPIC = "/spotMarket/level2Depth5:SOL-USDT"


def record_requests(ex: KucoinEmulator) -> tuple[list[tuple[str, str]], asyncio.Event]:
    """What the emulator's gateway is asked, in order; the event is set once TOPIC is
    subscribed again after an unsubscribe (the renewal done)."""
    gateway = ex.gateway
    seen: list[tuple[str, str]] = []
    renewed = asyncio.Event()
    subscribe, unsubscribe = gateway._subscribe, gateway._unsubscribe

    def on_subscribe(session: Any, msg: dict[str, Any], msg_id: str) -> None:
        seen.append(("subscribe", msg.get("topic", "")))
        subscribe(session, msg, msg_id)
        if ("unsubscribe", TOPIC) in seen and seen[-1] == ("subscribe", TOPIC):
            renewed.set()

    def on_unsubscribe(session: Any, msg: dict[str, Any], msg_id: str) -> None:
        seen.append(("unsubscribe", msg.get("topic", "")))
        unsubscribe(session, msg, msg_id)

    gateway._subscribe, gateway._unsubscribe = on_subscribe, on_unsubscribe  # type: ignore[method-assign]
    return seen, renewed


async def test_a_silent_book_topic_is_reported_stale_and_renewed_on_the_same_socket():
    heartbeat = HeartbeatPolicy(stale_after={"book": 0.3})
    async with KucoinEmulator(seed=6, interval=None) as ex:
        seen, renewed = record_requests(ex)
        async with client_for(ex, heartbeat=heartbeat) as client:
            events = client.events()
            await client.subscribe("book", ["SOL/USDT"], depth=5)
            stale = await next_of(events, StreamStatus, state=StreamState.STALE)
            assert (stale.channel, stale.symbol) == (Channel.BOOK, "SOL/USDT")
            # Renewed: unsubscribed, then subscribed again, on the one socket there is.
            async with asyncio.timeout(10):
                await renewed.wait()
            first = seen.index(("subscribe", TOPIC))
            assert seen[first:][:3] == [
                ("subscribe", TOPIC),
                ("unsubscribe", TOPIC),
                ("subscribe", TOPIC),
            ]
            assert len(ex.connection_stats) == 1
            assert TOPIC in ex.connection_stats[0].topics
            # And live again: the renewed subscription delivers.
            await ex.step(30, symbol="SOL-USDT")
            update = await next_of(events, BookUpdate, symbol="SOL/USDT")
            assert update.snapshot  # depth5 pushes are whole-book replacements
