"""decode_frame routing and errors, and Kraken wire → core normalization."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickwire.adapters.kraken.parse import (
    decode_frame,
    to_candles,
    to_instruments,
    to_native,
    to_tickers,
    to_trades,
    to_unified,
)
from tickwire.adapters.kraken.schemas import (
    BookMessage,
    HeartbeatMessage,
    InstrumentMessage,
    MethodResponse,
    OhlcMessage,
    StatusMessage,
    TickerMessage,
    TradeMessage,
)
from tickwire.core.errors import DecodeError
from tickwire.core.types import Candle, Instrument, Side, Ticker, Trade

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"
RECEIVED = 1_800_000_000_000_000_000


def frame(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def D(text: str) -> Decimal:
    return Decimal(text)


# --- decode_frame: routing -------------------------------------------------------------

SUPPORTED = {
    "status.json": StatusMessage,
    "status_2024.json": StatusMessage,
    "heartbeat.json": HeartbeatMessage,
    "ticker_snapshot.json": TickerMessage,
    "ticker_update.json": TickerMessage,
    "trade_snapshot.json": TradeMessage,
    "trade_update.json": TradeMessage,
    "book_snapshot.json": BookMessage,
    "book_update.json": BookMessage,
    "book_update_wire_precision.json": BookMessage,
    "ohlc_snapshot.json": OhlcMessage,
    "ohlc_update.json": OhlcMessage,
    "instrument_snapshot.json": InstrumentMessage,
    "pong.json": MethodResponse,
    "unsubscribe_ticker_ack.json": MethodResponse,
    **{p.name: MethodResponse for p in FIXTURES.glob("subscribe_*_ack*.json")},
    **{p.name: MethodResponse for p in FIXTURES.glob("error_*.json")},
    **{p.name: MethodResponse for p in FIXTURES.glob("*_response*.json") if "rest_" not in p.name},
}


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_decode_frame_routes_every_supported_fixture(name: str) -> None:
    assert type(decode_frame(frame(name))) is SUPPORTED[name]


def test_decode_frame_accepts_str() -> None:
    assert decode_frame('{"channel":"heartbeat"}') == HeartbeatMessage()


def test_error_with_a_channel_key_is_a_method_response() -> None:
    # A failed private subscribe carries "channel":"executions" next to "method".
    msg = decode_frame(frame("error_invalid_session.json"))
    assert isinstance(msg, MethodResponse)
    assert (msg.success, msg.error) == (False, "ESession:Invalid session")


@pytest.mark.parametrize(
    "name",
    ["executions_new.json", "balances_snapshot.json", "level3_update.json"],
)
def test_channels_not_supported_yet_raise_decode_error(name: str) -> None:
    with pytest.raises(DecodeError, match="channel"):
        decode_frame(frame(name))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"CloudFlare WebSocket proxy restarting",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"null",
        b"42",
        b'"heartbeat"',
        b"{}",
        b'{"channel":"heartbeat"',  # truncated
        b'{"channel":"nope"}',
        b'{"channel":7}',
        b'{"channel":"ticker","type":"update","data":{}}',
        b'{"channel":"ticker","type":"delete","data":[]}',
        b'{"channel":"book","type":"update","data":[{"symbol":"X/Y","bids":[],"asks":[]}]}',
        b'{"channel":"trade","type":"update","data":[{"symbol":"X/Y","side":"hold",'
        b'"price":1,"qty":1,"ord_type":"limit","trade_id":1,"timestamp":"x"}]}',
        b'{"method":7}',
        b'{"method":"pong","req_id":"1"}',
        b'{"method":"subscribe","success":"yes"}',
        b'{"method":"subscribe","error":["list","like","REST"]}',
        b'{"error":[],"result":{"token":"t","expires":900}}',
        b'{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":1,'
        b'"system":"online","version":"2","emergency":' + b"[" * 100_000 + b"]" * 100_000 + b"}]}",
    ],
)
def test_decode_frame_raises_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_frame(data)
    assert info.value.frame == data[:200].decode("utf-8", "replace")


def test_decode_error_names_both_attempts() -> None:
    with pytest.raises(DecodeError, match=r"channel message .*method response"):
        decode_frame(b'{"channel":"ticker"}')


# --- decode_frame: never anything but DecodeError (hypothesis) ---------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["ticker", "book", "snapshot", "update", "buy", "1.5", "NaN", "-1"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

GOLDEN = sorted(SUPPORTED)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node below the root of a JSON value."""
    found = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    else:
        return []
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    """A golden frame with a few fields deleted or replaced by other JSON values."""
    doc = json.loads(frame(draw(st.sampled_from(GOLDEN))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return json.dumps(doc).encode()


def _decodes_or_raises_decode_error(data: bytes) -> None:
    try:
        msg = decode_frame(data)
    except DecodeError:
        return
    assert isinstance(msg, (*set(SUPPORTED.values()),))
    # What decodes must normalize, or fail as a DecodeError too (e.g. a bad timestamp).
    try:
        if isinstance(msg, TickerMessage):
            to_tickers(msg, RECEIVED)
        elif isinstance(msg, TradeMessage):
            to_trades(msg, RECEIVED)
        elif isinstance(msg, OhlcMessage):
            to_candles(msg, RECEIVED)
        elif isinstance(msg, InstrumentMessage):
            to_instruments(msg)
    except DecodeError:
        pass


@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _decodes_or_raises_decode_error(data)


@given(json_values)
def test_random_json_values(value: Any) -> None:
    _decodes_or_raises_decode_error(json.dumps(value).encode())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_frames())
def test_golden_frames_with_fields_deleted_or_swapped(data: bytes) -> None:
    _decodes_or_raises_decode_error(data)


@given(st.sampled_from(GOLDEN), st.data())
def test_truncated_golden_frames(name: str, data: st.DataObject) -> None:
    raw = frame(name)
    cut = data.draw(st.integers(0, len(raw) - 1))
    _decodes_or_raises_decode_error(raw[:cut])


# --- symbols ---------------------------------------------------------------------------


def test_symbols_are_already_unified() -> None:
    assert to_unified("BTC/USD") == "BTC/USD"
    assert to_native(to_unified("ETH/BTC")) == "ETH/BTC"


# --- normalization ---------------------------------------------------------------------


def test_to_tickers_update() -> None:
    msg = decode_frame(frame("ticker_update.json"))
    assert isinstance(msg, TickerMessage)
    assert to_tickers(msg, RECEIVED) == [
        Ticker(
            venue="kraken",
            symbol="BTC/USD",
            bid=D("83744.2"),
            bid_size=D("0.56251979"),
            ask=D("83744.3"),
            ask_size=D("0.00044780"),
            last=D("83744.3"),
            last_size=None,
            volume_24h=D("3156.84782110"),
            ts=1_790_358_506_844_359_000,  # 2026-09-25T17:48:26.844359Z
            received=RECEIVED,
        )
    ]
    (ticker,) = to_tickers(msg, RECEIVED)
    assert str(ticker.ask_size) == "0.00044780"


def test_to_tickers_snapshot() -> None:
    msg = decode_frame(frame("ticker_snapshot.json"))
    assert isinstance(msg, TickerMessage)
    (ticker,) = to_tickers(msg, RECEIVED)
    assert (ticker.symbol, ticker.bid, ticker.ask) == ("ALGO/USD", D("0.10025"), D("0.10036"))
    assert (ticker.bid_size, ticker.ask_size) == (D("740.0"), D("1361.44813783"))
    assert (ticker.last, ticker.volume_24h) == (D("0.10035"), D("997038.98383185"))
    assert ticker.ts == 1_695_632_671_742_648_000  # 2023-09-25T09:04:31.742648Z


def test_ticker_without_timestamp_uses_received() -> None:
    doc = json.loads(frame("ticker_update.json"))
    del doc["data"][0]["timestamp"]
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, TickerMessage)
    assert to_tickers(msg, RECEIVED)[0].ts == RECEIVED


def test_ticker_bad_timestamp_is_a_decode_error() -> None:
    doc = json.loads(frame("ticker_update.json"))
    doc["data"][0]["timestamp"] = "yesterday"
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, TickerMessage)
    with pytest.raises(DecodeError, match="timestamp"):
        to_tickers(msg, RECEIVED)


def test_to_trades_update() -> None:
    msg = decode_frame(frame("trade_update.json"))
    assert isinstance(msg, TradeMessage)
    ts = 1_716_813_791_798_009_000  # 2024-05-27T12:43:11.798009Z
    assert to_trades(msg, RECEIVED) == [
        Trade(
            venue="kraken",
            symbol="BTC/USD",
            trade_id="70635299",
            price=D("68500.0"),
            size=D("0.01044926"),
            side=Side.BUY,
            ts=ts,
            received=RECEIVED,
        ),
        Trade(
            venue="kraken",
            symbol="BTC/USD",
            trade_id="70635300",
            price=D("68500.0"),
            size=D("0.00483192"),
            side=Side.BUY,
            ts=ts,
            received=RECEIVED,
        ),
    ]


def test_to_trades_snapshot_and_sell_side() -> None:
    doc = json.loads(frame("trade_snapshot.json"))
    doc["data"][1]["side"] = "sell"
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, TradeMessage)
    first, second = to_trades(msg, RECEIVED)
    assert (first.symbol, first.trade_id, first.size) == ("MATIC/USD", "4665846", D("6423.46326"))
    assert (first.side, second.side) == (Side.BUY, Side.SELL)
    assert second.ts == 1_695_628_176_925_603_000  # 2023-09-25T07:49:36.925603Z


def test_trade_bad_timestamp_is_a_decode_error() -> None:
    doc = json.loads(frame("trade_update.json"))
    doc["data"][1]["timestamp"] = "2024-05-27T12:43:11.798009"
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, TradeMessage)
    with pytest.raises(DecodeError):
        to_trades(msg, RECEIVED)


def test_to_candles_snapshot() -> None:
    msg = decode_frame(frame("ohlc_snapshot.json"))
    assert isinstance(msg, OhlcMessage)
    first, second = to_candles(msg, RECEIVED)
    sent = 1_696_436_761_806_315_597  # top-level 2023-10-04T16:26:01.806315597Z
    assert first == Candle(
        venue="kraken",
        symbol="ALGO/USD",
        interval=300,
        start=1_696_433_100_000_000_000,  # 2023-10-04T15:25:00.000000000Z
        open=D("0.09875"),
        high=D("0.09875"),
        low=D("0.09875"),
        close=D("0.09875"),
        volume=D("201.86015"),
        ts=sent,
        received=RECEIVED,
    )
    assert second.start - first.start == 300 * 1_000_000_000
    assert (second.high, second.volume, second.ts) == (D("0.0988"), D("16255.46368"), sent)


def test_to_candles_update() -> None:
    msg = decode_frame(frame("ohlc_update.json"))
    assert isinstance(msg, OhlcMessage)
    (candle,) = to_candles(msg, RECEIVED)
    assert (candle.symbol, candle.interval) == ("BTC/USD", 60)
    assert candle.start == 1_790_358_480_000_000_000  # 2026-09-25T17:48:00Z
    assert candle.ts == 1_790_358_506_844_359_566  # nanoseconds kept
    assert (candle.close, candle.volume) == (D("83744.3"), D("0.21155628"))


def test_candles_without_top_level_timestamp_use_received() -> None:
    doc = json.loads(frame("ohlc_update.json"))
    del doc["timestamp"]
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, OhlcMessage)
    assert to_candles(msg, RECEIVED)[0].ts == RECEIVED


def test_to_instruments() -> None:
    msg = decode_frame(frame("instrument_snapshot.json"))
    assert isinstance(msg, InstrumentMessage)
    eur_usd, eth_btc = to_instruments(msg)
    assert eur_usd == Instrument(
        venue="kraken",
        symbol="EUR/USD",
        native_symbol="EUR/USD",
        base="EUR",
        quote="USD",
        price_increment=D("0.00001"),
        size_increment=D("0.00000001"),
        min_size=D("0.50000000"),
        price_precision=5,
        size_precision=8,
        min_notional=D("0.50"),
        tradable=True,
    )
    assert (eth_btc.symbol, eth_btc.min_size, eth_btc.min_notional) == (
        "ETH/BTC",
        D("0.00200000"),
        D("0.00002"),
    )


@pytest.mark.parametrize(
    ("status", "tradable"),
    [("online", True), ("post_only", False), ("cancel_only", False), ("delisted", False)],
)
def test_instrument_tradable_only_when_online(status: str, tradable: bool) -> None:
    doc = json.loads(frame("instrument_snapshot.json"))
    doc["data"]["pairs"][0]["status"] = status
    msg = decode_frame(json.dumps(doc).encode())
    assert isinstance(msg, InstrumentMessage)
    assert to_instruments(msg)[0].tradable is tradable


def test_instrument_update_with_no_pairs() -> None:
    frame_ = b'{"channel":"instrument","type":"update","data":{"assets":[],"pairs":[]}}'
    msg = decode_frame(frame_)
    assert isinstance(msg, InstrumentMessage)
    assert to_instruments(msg) == []


def test_normalized_events_survive_the_core_jsonl_round_trip() -> None:
    from tickwire.core.types import decode_event, encode_event

    msg = decode_frame(frame("ticker_update.json"))
    assert isinstance(msg, TickerMessage)
    (ticker,) = to_tickers(msg, RECEIVED)
    assert decode_event(encode_event(ticker)) == ticker
    assert msgspec.json.decode(encode_event(ticker))["ask_size"] == "0.00044780"
