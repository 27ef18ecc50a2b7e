"""Fuzz: a hostile Kraken public socket (the tests' own server) cannot end the stream.

Over a real socket on 127.0.0.1, :class:`~.hostile.HostileKraken` acks the instrument and
channel subscriptions, then interleaves good frames (ticker, trade, book updates with
CRC32 checksums it computes itself) with the bad kinds below, each alone and all mixed.
Asserted every time: no exception reaches the caller and ``events()`` keeps yielding;
every good event arrives; each bad frame yields exactly one ``StreamError``; no
delivered value breaks the rules; the client's book equals the server's afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tickwire.adapters.kraken import client as kraken_client
from tickwire.core.config import ClientConfig, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.ratelimit import Quota
from tickwire.core.types import BookUpdate, Event, StreamError, Ticker, Trade
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS, ZERO

from .hostile import SYMBOL, HostileKraken, crc32

MAX_FRAME = 64 * 1024  # small, so an oversized frame is cheap to send
SENTINEL = 1  # the `last` of the ticker that ends a run (good markers start at 1001)
MARK = "__MARK__"
FAST = ReconnectPolicy(base_delay=0.005, max_delay=0.05)


def replaced(message: dict[str, Any], path: list[Any], raw: str | None) -> bytes:
    """``message`` with the value at ``path`` replaced by raw JSON text (None deletes)."""
    node = message
    for key in path[:-1]:
        node = node[key]
    if raw is None:
        del node[path[-1]]
        return json.dumps(message).encode()
    node[path[-1]] = MARK
    return json.dumps(message).replace(f'"{MARK}"', raw).encode()


def ticker(s: HostileKraken, field: str, raw: str | None) -> bytes:
    return replaced(s.ticker(0), ["data", 0, field], raw)


def trade(s: HostileKraken, field: str, raw: str | None) -> bytes:
    return replaced(s.trade(0), ["data", 0, field], raw)


def book(s: HostileKraken, path: list[Any], raw: str) -> bytes:
    """A book update on a level the server has, one value broken; the server's book
    does not change (a refused message must not change the client's either)."""
    price = max(s.bids)
    level = {"price": float(price), "qty": float(s.bids[price])}
    entry = {"symbol": SYMBOL, "bids": [level], "asks": [], "checksum": crc32(s.bids, s.asks)}
    entry["timestamp"] = "2026-09-25T17:00:00.000001Z"
    return replaced({"channel": "book", "type": "update", "data": [entry]}, path, raw)


@dataclass(frozen=True)
class Kind:
    """One kind of bad frame: how to build it, and what the client must do about it."""

    build: Callable[[HostileKraken], bytes]
    binary: bool = False
    resync: bool = False  # a book message the client refuses after decoding: it resyncs
    reconnect: bool = False  # refused by size: the socket is replaced


def reply(message: dict[str, Any]) -> Callable[[HostileKraken], bytes]:
    return lambda s: json.dumps(message).encode()


KINDS: dict[str, Kind] = {
    "truncated_json": Kind(lambda s: json.dumps(s.ticker(0)).encode()[:60]),
    "plain_text": Kind(lambda s: b"CloudFlare WebSocket proxy restarting"),
    "binary_garbage": Kind(lambda s: bytes(range(256)), binary=True),
    "binary_compressed": Kind(lambda s: zlib.compress(json.dumps(s.ticker(0)).encode()), True),
    "json_array": Kind(lambda s: b'[1, "two", null]'),
    "json_number": Kind(lambda s: b"42"),
    "empty_object": Kind(lambda s: b"{}"),
    "unknown_channel": Kind(reply({"channel": "level9", "type": "update", "data": []})),
    "ticker_wrong_type": Kind(lambda s: ticker(s, "bid", '{"x": 1}')),
    "ticker_missing_field": Kind(lambda s: ticker(s, "ask", None)),
    "ticker_not_a_date": Kind(lambda s: ticker(s, "timestamp", '"not-a-date"')),
    "ticker_year_1970": Kind(lambda s: ticker(s, "timestamp", '"1970-01-01T00:00:00Z"')),
    "ticker_nan_string": Kind(lambda s: ticker(s, "bid", '"NaN"')),
    "ticker_bare_nan": Kind(lambda s: ticker(s, "bid", "NaN")),
    "ticker_infinity_like": Kind(lambda s: ticker(s, "bid", "1e99999")),
    "ticker_negative_bid": Kind(lambda s: ticker(s, "bid", "-5")),
    "ticker_400_digits": Kind(lambda s: ticker(s, "ask", "1" + "0" * 400)),
    "ticker_negative_volume": Kind(lambda s: ticker(s, "volume", "-0.1")),
    "ticker_invalid_utf8": Kind(
        lambda s: json.dumps(s.ticker(0)).encode().replace(b"BTC/USD", b"BTC/\xff\xfeUSD")
    ),
    "trade_negative_price": Kind(lambda s: trade(s, "price", "-50000")),
    "trade_not_a_date": Kind(lambda s: trade(s, "timestamp", '"not-a-date"')),
    "trade_id_400_digits": Kind(lambda s: trade(s, "trade_id", "9" * 400)),
    "trade_unknown_side": Kind(lambda s: trade(s, "side", '"sideways"')),
    "book_negative_qty": Kind(lambda s: book(s, ["data", 0, "bids", 0, "qty"], "-1"), resync=True),
    "book_nan_price": Kind(
        lambda s: book(s, ["data", 0, "bids", 0, "price"], '"NaN"'), resync=True
    ),
    "book_not_a_date": Kind(lambda s: book(s, ["data", 0, "timestamp"], '"x"'), resync=True),
    "book_empty_data": Kind(lambda s: book(s, ["data"], "[]")),
    "book_negative_checksum": Kind(lambda s: book(s, ["data", 0, "checksum"], "-1")),
    "ohlc_infinite_close": Kind(
        reply(
            {
                "channel": "ohlc",
                "type": "update",
                "data": [
                    {
                        "symbol": SYMBOL,
                        **{k: 50_000.0 for k in ("open", "high", "low", "vwap", "volume")},
                        "close": "Infinity",
                        "trades": 3,
                        "interval_begin": "2026-09-25T17:48:00.000000000Z",
                        "interval": 1,
                    }
                ],
            }
        )
    ),
    "deep_nesting": Kind(
        lambda s: (
            b'{"channel": "ticker", "type": "update", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        )
    ),
    "reply_unknown_req_id": Kind(
        reply(
            {
                "method": "subscribe",
                "req_id": 987654321,
                "success": True,
                "result": {"channel": "ticker", "symbol": SYMBOL},
            }
        )
    ),
    "reply_unknown_method": Kind(
        reply({"method": "frobnicate", "req_id": 123456789, "success": False, "error": "E"})
    ),
    "reply_bad_result": Kind(
        reply({"method": "subscribe", "req_id": 55555, "success": True, "result": {"symbol": 5}})
    ),
    "oversized": Kind(
        lambda s: json.dumps({**s.ticker(0), "pad": "x" * MAX_FRAME}).encode(), reconnect=True
    ),
}


@dataclass
class Seen:
    """What the consumer read, up to the sentinel ticker."""

    tickers: list[int] = field(default_factory=list)  # markers (`last`)
    trades: list[int] = field(default_factory=list)  # trade ids
    deltas: int = 0
    snapshots: int = 0
    errors: list[StreamError] = field(default_factory=list)


def assert_lawful(event: Event) -> None:
    """No delivered value may break the rules of tickwire.core.validation."""
    if isinstance(event, Ticker):
        prices, sizes = [event.bid, event.ask, event.last], [event.bid_size, event.ask_size]
        sizes.append(event.volume_24h)  # type: ignore[arg-type]
    elif isinstance(event, Trade):
        prices, sizes = [event.price], [event.size]
    elif isinstance(event, BookUpdate):
        levels = event.bids + event.asks
        prices, sizes = [lv.price for lv in levels], [lv.size for lv in levels]
    else:
        return
    assert all(ZERO < p < MAX_PRICE for p in prices), event  # type: ignore[operator]
    assert all(ZERO <= s < MAX_SIZE for s in sizes), event  # type: ignore[operator]
    assert MIN_TS_NS <= event.ts <= MAX_TS_NS, event


async def consume(events: AsyncIterator[Event]) -> Seen:
    seen = Seen()
    async for event in events:
        assert_lawful(event)
        if isinstance(event, Ticker):
            if event.last == SENTINEL:
                return seen
            seen.tickers.append(int(event.last))
        elif isinstance(event, Trade):
            seen.trades.append(int(event.trade_id))
        elif isinstance(event, BookUpdate):
            if event.snapshot:
                seen.snapshots += 1
            else:
                seen.deltas += 1
        elif isinstance(event, StreamError):
            seen.errors.append(event)
    raise AssertionError("the stream ended")


async def run(plan: list[str | None]) -> None:
    """Play ``plan`` (a bad kind's name, or None for a round of good frames) and check."""
    async with HostileKraken() as server:
        config = ClientConfig(
            venue="kraken",
            ws_url=server.url,
            reconnect=FAST,
            heartbeat=HeartbeatPolicy(stale_after={}),  # no renewals but the ones we cause
            max_frame_size=MAX_FRAME,
        )
        async with connect(config) as client:
            consumer = asyncio.create_task(consume(client.events()))
            await client.subscribe("ticker", [SYMBOL])
            await client.subscribe("trades", [SYMBOL])
            await client.subscribe("book", [SYMBOL], depth=10)
            await server.wait_subscribed()
            sent: dict[str, list[int]] = {"ticker": [], "trade": [], "book": []}
            bad = 0
            resync_after: int | None = None  # book subscribes before a pending resync

            async def settle_book() -> None:
                # The resync a refused book message started must finish before the next
                # book frame (it would be ignored meanwhile) and before a reconnect.
                nonlocal resync_after
                if resync_after is not None:
                    await server.wait_book_resubscribed(resync_after)
                    resync_after = None

            for step in plan:
                if step is None:
                    sent["ticker"].append(await server.send_good("ticker"))
                    sent["trade"].append(await server.send_good("trade"))
                    await settle_book()
                    sent["book"].append(await server.send_good("book"))
                    continue
                kind = KINDS[step]
                if kind.resync or kind.reconnect:
                    await settle_book()
                connections = server.connections
                await server.send_raw(kind.build(server), binary=kind.binary)
                bad += 1
                if kind.resync:
                    resync_after = server.book_subscribes
                if kind.reconnect:
                    await server.wait_subscribed(connections + 1)
            await settle_book()
            await server.send_raw(replaced(server.ticker(0), ["data", 0, "last"], str(SENTINEL)))
            async with asyncio.timeout(120):
                seen = await consumer
            bids, asks = server.book_levels()
            live = client.book(SYMBOL)
            assert [(lv.price, lv.size) for lv in live.bids()] == bids
            assert [(lv.price, lv.size) for lv in live.asks()] == asks
    assert seen.tickers == [1000 + i for i in sent["ticker"]]
    assert seen.trades == sent["trade"]
    assert seen.deltas == len(sent["book"])
    assert seen.snapshots == server.book_subscribes
    assert len(seen.errors) == bad, [e.message for e in seen.errors][:20]


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_each_bad_kind_alone(kind: str) -> None:
    await run([None, kind, None, None])


async def test_every_kind_mixed_with_good_frames() -> None:
    rng = random.Random(8)
    plan: list[str | None] = [*sorted(KINDS) * 3, *[None] * 60]
    rng.shuffle(plan)
    await run([None, *plan, None])


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_a_hundred_thousand_bad_frames_mixed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Socket replacements take a reconnect each (backoff included), so the oversized kind
    # comes 10 times; every other kind is drawn at random, a good round every 4 frames.
    # Each refused book message costs a resync (2 messages), which the client paces at
    # Kraken's 20 messages/s: lifted here, or ~9,000 resyncs would take 15 minutes.
    monkeypatch.setattr(
        kraken_client.KrakenClient, "request_quota", Quota(limit=100_000, window=1.0)
    )
    rng = random.Random(100_000)
    cheap = sorted(k for k, kind in KINDS.items() if not kind.reconnect)
    plan: list[str | None] = [None]
    for n in range(100_000):
        plan.append("oversized" if n % 10_000 == 5_000 else rng.choice(cheap))
        if n % 4 == 3:
            plan.append(None)
    plan.append(None)
    await run(plan)


async def test_keepalive_pongs_are_not_reported() -> None:
    # Pongs answer our pings and nobody waits for them: expected, so they must not count
    # as replies to unknown requests.
    async with HostileKraken() as server:
        config = ClientConfig(
            venue="kraken", ws_url=server.url, heartbeat=HeartbeatPolicy(ping_interval=0.01)
        )
        async with connect(config) as client:
            consumer = asyncio.create_task(consume(client.events()))
            await server.wait_pings(20)
            await server.send_raw(replaced(server.ticker(0), ["data", 0, "last"], str(SENTINEL)))
            async with asyncio.timeout(10):
                seen = await consumer
    assert seen.errors == []
