"""Kraken emulator behaviour: subscription rules and quirks, heartbeats, faults, control."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tickwire.core.hookspecs import EmulatorSpec
from tickwire.exchanges.__main__ import available
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kraken.plugin import register_emulators


async def _silent(ws, seconds: float) -> bool:
    """True if nothing arrives for ``seconds`` (used only to prove an absence)."""
    try:
        async with asyncio.timeout(seconds):
            await ws.ws.receive()
    except TimeoutError:
        return True
    return False


def _errors(frames: list[Any]) -> list[str]:
    return [f["error"] for f in frames if f.get("success") is False]


# -- subscriptions -------------------------------------------------------------------


async def test_one_ack_per_symbol_then_snapshot(connect) -> None:
    ws = await connect()
    replies = await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]})
    kinds = [
        (r.get("method"), r.get("type"), r.get("result", r.get("data", [{}])[0])["symbol"])
        for r in replies
    ]
    assert kinds == [
        ("subscribe", None, "BTC/USD"),
        (None, "snapshot", "BTC/USD"),
        ("subscribe", None, "ETH/USD"),
        (None, "snapshot", "ETH/USD"),
    ]


async def test_unknown_symbol_fails_alone(connect) -> None:
    ws = await connect()
    await ws.request("subscribe", {"channel": "trade", "symbol": ["XBT/USD", "BTC/USD"]})
    bad, good = await ws.recv(), await ws.recv()
    assert bad["error"] == "Currency pair not supported XBT/USD" and bad["symbol"] == "XBT/USD"
    assert "result" not in bad
    assert good["success"] is True and good["result"]["symbol"] == "BTC/USD"


async def test_already_subscribed_even_at_another_depth(connect) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 10})
    for depth in (10, 25):
        await ws.request("subscribe", {"channel": "book", "symbol": ["BTC/USD"], "depth": depth})
        reply = await ws.recv()
        assert (reply["error"], reply["symbol"], reply["method"]) == (
            "Already subscribed",
            "BTC/USD",
            "subscribe",
        )


async def test_unsubscribe_must_match_and_stops_updates(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 25})
    await ws.request("unsubscribe", {"channel": "book", "symbol": ["BTC/USD"]})  # depth 10
    reply = await ws.recv()
    assert (reply["error"], reply["method"]) == ("Subscription Not Found", "subscribe")
    await ws.request("unsubscribe", {"channel": "book", "symbol": ["BTC/USD"], "depth": 25})
    ack = await ws.recv()
    assert ack["method"] == "unsubscribe" and ack["success"] is True
    assert ack["result"] == {"channel": "book", "depth": 25, "symbol": "BTC/USD"}
    await kraken.step(50, "BTC/USD")
    assert await ws.drain() == []
    # Subscribing again works, at any depth, with a fresh snapshot.
    replies = await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 100})
    assert len(replies[1]["data"][0]["bids"]) == 100


async def test_ohlc_intervals_are_separate_subscriptions(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 1})
    [ack, snap] = await ws.subscribe({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 5})
    assert ack["result"]["interval"] == 5 and snap["data"][0]["interval"] == 5
    await kraken.step(200, "BTC/USD")
    intervals = {m["data"][0]["interval"] for m in await ws.drain()}
    assert intervals == {1, 5}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"channel": "book", "symbol": ["BTC/USD"], "depth": 20}, "EGeneral:Invalid arguments"),
        ({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 2}, "EGeneral:Invalid arguments"),
        (
            {"channel": "ticker", "symbol": ["BTC/USD"], "event_trigger": "x"},
            "EGeneral:Invalid arguments",
        ),
        ({"channel": "candles", "symbol": ["BTC/USD"]}, "Subscription name invalid"),
        ({"channel": "ticker", "symbol": "BTC/USD"}, "Unsupported event"),
        ({"channel": "ticker", "symbol": ["BTC/USD"], "snapshot": "yes"}, "Unsupported event"),
        (
            {"channel": "ticker", "symbol": ["BTC/USD"], "depth": 10},
            "Unsupported field: 'depth' for the given msg type: subscribe",
        ),
    ],
)
async def test_bad_subscribe_requests(connect, kraken, params, error) -> None:
    ws = await connect()
    req_id = await ws.request("subscribe", params)
    reply = await ws.recv()
    assert reply["error"].startswith(error), reply
    assert reply["req_id"] == req_id and reply["method"] == "subscribe"
    assert "symbol" not in reply  # a request-level failure, not per symbol
    assert await ws.drain() == []  # and nothing else was sent


async def test_unknown_method_and_trading_on_public_host(connect) -> None:
    ws = await connect()
    await ws.request("frobnicate")
    reply = await ws.recv()
    assert (reply["error"], reply["method"]) == ("Unsupported event", "frobnicate")
    await ws.request("add_order", {"order_type": "limit"})
    reply = await ws.recv()
    assert reply["error"].startswith("Private data and trading are unavailable")
    await ws.ws.send_str("CloudFlare says hi")
    assert (await ws.recv())["error"] == "Unsupported event"


async def test_subscribe_requests_are_counted(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]})
    await ws.request("subscribe", {"channel": "nope"})
    await ws.recv()
    assert kraken.subscribe_requests == 2


# -- heartbeats and ping -------------------------------------------------------------


async def test_heartbeats_start_with_the_first_subscription(connect, kraken) -> None:
    ws = await connect()
    assert await _silent(ws, kraken.heartbeat_interval * 3)
    await ws.request("subscribe", {"channel": "instrument"})
    # The ack, the snapshot and heartbeats; on a busy machine the first heartbeat may
    # come between them, as it may from Kraken.
    frames = [await ws.recv() for _ in range(4)]
    acks = [f for f in frames if f.get("method") == "subscribe" and f["success"] is True]
    kinds = sorted((f["channel"], f.get("type")) for f in frames if "channel" in f)
    assert len(acks) == 1
    assert kinds == [("heartbeat", None), ("heartbeat", None), ("instrument", "snapshot")]
    assert frames.count({"channel": "heartbeat"}) == 2


async def test_ping_without_req_id(connect) -> None:
    ws = await connect()
    await ws.send({"method": "ping"})
    pong = await ws.recv()
    assert pong["method"] == "pong" and "req_id" not in pong and "success" not in pong


# -- faults --------------------------------------------------------------------------


async def test_drop_all_cuts_every_socket(connect, kraken) -> None:
    first, second = await connect(), await connect()
    assert kraken.connections == 2
    await kraken.drop_all()
    assert kraken.connections == 0
    for ws in (first, second):
        async with asyncio.timeout(2):
            msg = await ws.ws.receive()
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert ws.ws.close_code != 1000  # no orderly close: the network just went away
    again = await connect()
    await again.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    assert kraken.connection_count == 3 and kraken.connections == 1


async def test_stop_heartbeats_goes_silent_until_resumed(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    await ws.drain()
    kraken.stop_heartbeats()
    await kraken.step(20, "BTC/USD")
    req_id = await ws.request("ping")
    assert await _silent(ws, kraken.heartbeat_interval * 4)
    # A new connection is served normally meanwhile (so a reconnect recovers).
    fresh = await connect()
    await fresh.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    kraken.resume_heartbeats()
    held = []
    while (msg := await ws.recv()).get("method") != "pong":
        if msg.get("channel") != "heartbeat":
            held.append(msg)
    assert msg["req_id"] == req_id
    assert held and all(m["channel"] == "book" for m in held)  # delayed, not lost


# -- market control ------------------------------------------------------------------


async def test_same_seed_same_stream() -> None:
    def clock() -> int:
        return 1_700_000_000_000_000_000

    async def record(seed: int) -> list[str]:
        async with (
            KrakenEmulator(seed, interval=None, clock=clock) as ex,
            aiohttp.ClientSession() as http,
            http.ws_connect(ex.ws_url) as raw,
        ):
            await raw.receive()  # status: its connection id is seeded too
            for channel in ("book", "trade", "ticker"):
                await raw.send_json(
                    {
                        "method": "subscribe",
                        "params": {"channel": channel, "symbol": ["SOL/USD", "ETH/BTC"]},
                    }
                )
            # Acks and snapshots first (trade: no snapshot), then move the market.
            out = [await raw.receive_str() for _ in range(10)]
            await ex.step(300)
            await raw.send_json({"method": "ping", "req_id": 1})
            while '"pong"' not in (text := await raw.receive_str()):
                out.append(text)
            return out

    first, second, other = await record(3), await record(3), await record(4)
    assert first == second and len(first) > 100
    assert first != other


async def test_automatic_market_steps(http) -> None:
    async with KrakenEmulator(seed=1, interval=0.005, symbols=["BTC/USD"]) as ex:
        async with http.ws_connect(ex.ws_url) as ws:
            await ws.receive()
            await ws.send_json(
                {"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD"]}}
            )
            seen = set()
            async with asyncio.timeout(5):
                while "update" not in seen:
                    seen.add((await ws.receive_json()).get("type"))


async def test_ticker_burst(connect, kraken) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"], "event_trigger": "bbo"})
    assert await kraken.burst("ticker", "BTC/USD", 300) == 300
    assert len(await ws.drain()) == 300
    assert await kraken.burst("trade", "ETH/USD", 5) == 0  # nobody listens: nothing to do


async def test_truth_and_argument_checks(kraken) -> None:
    bids, asks = kraken.book("BTC/USD", 5)
    assert len(bids) == len(asks) == 5 and bids[0][0] < asks[0][0]
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    full_bids, _ = kraken.book("BTC/USD")
    assert len(full_bids) > 1000
    with pytest.raises(ValueError):
        kraken.book("XBT/USD")
    with pytest.raises(ValueError):
        await kraken.burst("ohlc", "BTC/USD", 1)


def test_plugin_and_cli_registry() -> None:
    [spec] = register_emulators()
    assert isinstance(spec, EmulatorSpec)
    assert (spec.name, spec.venue, spec.factory) == ("kraken", "kraken", KrakenEmulator)
    assert available()["kraken"].factory is KrakenEmulator


async def test_endpoints(kraken) -> None:
    assert kraken.endpoints == {
        "ws_url": f"ws://127.0.0.1:{kraken.port}/v2",
        "ws_auth_url": f"ws://127.0.0.1:{kraken.port}/v2-auth",
        "rest_url": f"http://127.0.0.1:{kraken.port}",
    }
