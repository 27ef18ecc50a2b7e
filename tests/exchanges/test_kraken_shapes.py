"""Every frame kind the Kraken emulator sends has the shape of the real sample.

Shape = key sets, JSON value types (numbers with a fraction vs integers vs strings vs
booleans) and nesting. Keys a sample lacks are allowed only where the reference
documents them as optional (``req_id`` echoed when the client sent one, ticker
``trades``, ``warnings``, the margin fields of marginable pairs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest

OPTIONAL_EVERYWHERE = frozenset({"req_id"})


def assert_like(actual: Any, sample: Any, optional: Iterable[str] = (), path: str = "$") -> None:
    """``actual`` has ``sample``'s structure; keys in ``optional`` may be missing or extra."""
    opt = frozenset(optional) | OPTIONAL_EVERYWHERE
    if isinstance(sample, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        missing = set(sample) - set(actual) - opt
        extra = set(actual) - set(sample) - opt
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        assert not extra, f"{path}: unexpected keys {sorted(extra)}"
        for key in set(sample) & set(actual):
            assert_like(actual[key], sample[key], optional, f"{path}.{key}")
    elif isinstance(sample, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not an array"
        if not sample:
            return
        if all(isinstance(s, dict) for s in sample):
            # Elements may differ (EUR/USD lacks ETH/BTC's margin keys): keys that only
            # some sample elements have are optional; types come from any element.
            merged: dict[str, Any] = {}
            for s in sample:
                merged.update(s)
            partial = set(merged) - set.intersection(*(set(s) for s in sample))
            for i, item in enumerate(actual):
                assert_like(item, merged, set(optional) | partial, f"{path}[{i}]")
        else:
            for i, item in enumerate(actual):
                assert_like(item, sample[0], optional, f"{path}[{i}]")
    else:
        assert type(actual) is type(sample), (
            f"{path}: {actual!r} is {type(actual).__name__}, sample has {type(sample).__name__}"
        )


async def test_status_banner(connect, sample) -> None:
    ws = await connect(read_status=False)
    status = await ws.recv()
    assert_like(status, sample("status.json"))
    entry = status["data"][0]
    assert entry["system"] == "online" and entry["api_version"] == "v2"
    assert 2**63 <= entry["connection_id"] < 2**64  # u64: a client must not use int64


async def test_heartbeat_and_pong(connect, kraken, sample) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    assert await ws.recv() == sample("heartbeat.json")
    req_id = await ws.request("ping")
    pong = await ws.recv()
    while pong.get("channel") == "heartbeat":
        pong = await ws.recv()
    assert_like(pong, sample("pong.json"))
    assert pong["req_id"] == req_id
    for key in ("time_in", "time_out"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", pong[key])


@pytest.mark.parametrize(
    ("params", "ack_sample"),
    [
        ({"channel": "ticker", "symbol": ["BTC/USD"]}, "subscribe_ticker_ack.json"),
        ({"channel": "book", "symbol": ["BTC/USD"]}, "subscribe_book_ack.json"),
        ({"channel": "trade", "symbol": ["BTC/USD"]}, "subscribe_trade_ack.json"),
        ({"channel": "ohlc", "symbol": ["ETH/USD"], "interval": 60}, "subscribe_ohlc_ack.json"),
        ({"channel": "instrument"}, "subscribe_instrument_ack.json"),
    ],
)
async def test_subscribe_acks(connect, sample, params, ack_sample) -> None:
    ws = await connect()
    snapshot = params["channel"] != "trade"  # trade snapshots default to false
    [ack, *_] = await ws.subscribe(params, snapshot=snapshot)
    expected = sample(ack_sample)
    assert_like(ack, expected)
    # The result echoes exactly what the recorded ack echoes (defaults filled in).
    assert ack["result"] == expected["result"]
    assert ack["success"] is True


async def test_unsubscribe_ack(connect, sample) -> None:
    ws = await connect()
    await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    await ws.request("unsubscribe", {"channel": "ticker", "symbol": ["BTC/USD"]})
    ack = await ws.recv()
    expected = sample("unsubscribe_ticker_ack.json")
    assert_like(ack, expected)
    assert ack["result"] == {**expected["result"], "symbol": "BTC/USD"}


async def test_channel_messages_match_samples(connect, kraken, sample) -> None:
    ws = await connect()
    _, ticker_snap = await ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    _, book_snap = await ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    _, trade_snap = await ws.subscribe(
        {"channel": "trade", "symbol": ["BTC/USD"], "snapshot": True}
    )
    _, ohlc_snap = await ws.subscribe({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 1})
    _, instrument_snap = await ws.subscribe({"channel": "instrument"})

    assert_like(ticker_snap, sample("ticker_snapshot.json"), {"trades"})
    assert_like(book_snap, sample("book_snapshot.json"))
    assert_like(trade_snap, sample("trade_snapshot.json"))
    assert_like(ohlc_snap, sample("ohlc_snapshot.json"))
    assert_like(instrument_snap, sample("instrument_snapshot.json"))
    assert len(book_snap["data"][0]["bids"]) == len(book_snap["data"][0]["asks"]) == 10

    await kraken.step(300, "BTC/USD")
    updates: dict[str, list[Any]] = {}
    for msg in await ws.drain():
        updates.setdefault(msg["channel"], []).append(msg)
    assert {"ticker", "book", "trade", "ohlc"} <= set(updates)
    for msg in updates["ticker"]:
        assert_like(msg, sample("ticker_update.json"))
    for msg in updates["book"]:
        assert msg["type"] == "update"
        assert_like(msg, sample("book_update.json"))
    for msg in updates["trade"]:
        assert_like(msg, sample("trade_update.json"))
    for msg in updates["ohlc"]:
        assert_like(msg, sample("ohlc_update.json"))


async def test_instrument_lists_precisions(connect, kraken) -> None:
    ws = await connect()
    _, snap = await ws.subscribe({"channel": "instrument"})
    pairs = {p["symbol"]: p for p in snap["data"]["pairs"]}
    assert set(pairs) == set(kraken.pairs)
    btc = pairs["BTC/USD"]
    assert (btc["price_precision"], btc["qty_precision"]) == kraken.precisions("BTC/USD") == (1, 8)
    assert btc["price_increment"] == Decimal("0.1") and btc["qty_increment"] == Decimal("1E-8")
    assert {a["id"] for a in snap["data"]["assets"]} == {"BTC", "ETH", "SOL", "USD"}


async def test_wire_numbers_carry_full_precision(connect, kraken) -> None:
    """Prices at price_precision and sizes at qty_precision decimals, zeros kept."""
    ws = await connect()
    await ws.subscribe({"channel": "book", "symbol": ["BTC/USD", "ETH/BTC"], "depth": 25})
    await kraken.step(400)
    await ws.drain()
    book_frames = [raw for raw in ws.raw if raw.startswith('{"channel":"book"')]
    assert len(book_frames) > 20
    deletes = 0
    for raw in book_frames:
        decimals = 1 if '"symbol":"BTC/USD"' in raw else 5
        for price, qty in re.findall(r'"price":([-\d.eE+]+),"qty":([-\d.eE+]+)', raw):
            assert re.fullmatch(rf"\d+\.\d{{{decimals}}}", price), raw
            assert re.fullmatch(r"\d+\.\d{8}", qty), raw
            deletes += qty == "0.00000000"
    assert deletes > 0  # deletes are written 0.00000000, never 0E-8


@pytest.mark.parametrize(
    ("request_", "sample_name", "message"),
    [
        (
            {"method": "subscribe", "params": {"channel": "ticker", "symbol": ["XBT/USD"]}},
            "error_currency_pair_not_supported.json",
            "Currency pair not supported XBT/USD",
        ),
        (
            {"method": "ping", "params": {}},
            "error_unsupported_field.json",
            "Unsupported field: 'params' for the given msg type: ping",
        ),
        (
            {"method": "subscribe", "params": {"channel": "executions", "token": "x"}},
            "error_private_on_public_host.json",
            "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com",
        ),
        (
            {"method": "subscribe", "params": {"symbol": ["BTC/USD"]}},  # no channel
            "error_unsupported_event.json",
            "Unsupported event",
        ),
        (
            {"method": "unsubscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD"]}},
            "error_subscription_not_found.json",
            "Subscription Not Found",
        ),
    ],
)
async def test_error_replies(connect, sample, request_, sample_name, message) -> None:
    ws = await connect()
    await ws.send({**request_, "req_id": 5})
    reply = await ws.recv()
    expected = sample(sample_name)
    assert_like(reply, expected)
    assert reply["error"] == message
    assert reply["method"] == expected["method"]  # "subscribe" even for the unsubscribe
    assert reply["req_id"] == 5 and reply["success"] is False


async def test_auth_host_refusals(connect, kraken, sample) -> None:
    ws = await connect(kraken.ws_auth_url)
    await ws.send({"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD"]}})
    reply = await ws.recv()
    assert_like(reply, sample("error_public_on_private_host.json"))
    assert reply["error"] == sample("error_public_on_private_host.json")["error"]
    await ws.send({"method": "subscribe", "params": {"channel": "executions", "token": "bad"}})
    reply = await ws.recv()
    assert_like(reply, sample("error_invalid_session.json"))
    assert reply["error"] == "ESession:Invalid session" and reply["channel"] == "executions"
    await ws.send({"method": "ping", "req_id": 3})
    assert (await ws.recv())["method"] == "pong"
