"""decode_frame/decode_data routing and errors, and KuCoin wire → core normalization."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickwire.adapters.kucoin.book import KucoinBook
from tickwire.adapters.kucoin.parse import (
    CANDLE_INTERVALS,
    CANDLE_TYPES,
    decode_data,
    decode_frame,
    to_candle,
    to_depth_update,
    to_instrument,
    to_native,
    to_ticker,
    to_trade,
    to_unified,
)
from tickwire.adapters.kucoin.schemas import (
    Ack,
    CandleData,
    DepthData,
    Envelope,
    ErrorFrame,
    L2UpdateData,
    Level2Snapshot,
    MarketData,
    MatchData,
    Message,
    Pong,
    SymbolEntry,
    TickerData,
    Welcome,
)
from tickwire.core.errors import DecodeError
from tickwire.core.parsing import SYMBOL_CACHE_SIZE, decimals
from tickwire.core.types import (
    BookLevel,
    BookUpdate,
    Candle,
    Instrument,
    Side,
    Ticker,
    Trade,
    decode_event,
    encode_event,
)
from tickwire.core.validation import MAX_TS_NS, MIN_TS_NS

from .conftest import message_symbol

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"
RECEIVED = 1_800_000_000_000_000_000


def frame(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def D(text: str) -> Decimal:
    return Decimal(text)


def message(name: str) -> Message:
    msg = decode_frame(frame(name))
    assert isinstance(msg, Message)
    return msg


def data_of(name: str) -> tuple[Message, MarketData]:
    msg = message(name)
    return msg, decode_data(msg)


# --- decode_frame / decode_data: routing ---------------------------------------------------

CONTROL = {
    "welcome.json": Welcome,
    "pong.json": Pong,
    "ack.json": Ack,
    **{p.name: ErrorFrame for p in FIXTURES.glob("error*.json")},
}
DATA = {
    "ticker.json": TickerData,
    "ticker_all.json": TickerData,
    "ticker_docs_example.json": TickerData,
    "level2_depth5.json": DepthData,
    "level2_depth50.json": DepthData,
    "level2_update.json": L2UpdateData,
    "level2_update_multi.json": L2UpdateData,
    "match.json": MatchData,
    "match_recorded.json": MatchData,
    "candles.json": CandleData,
}


@pytest.mark.parametrize("name", sorted(CONTROL))
def test_decode_frame_routes_control_frames(name: str) -> None:
    assert type(decode_frame(frame(name))) is CONTROL[name]


@pytest.mark.parametrize("name", sorted(DATA))
def test_decode_data_routes_every_market_fixture(name: str) -> None:
    _, data = data_of(name)
    assert type(data) is DATA[name]


def test_decode_frame_accepts_str() -> None:
    assert decode_frame('{"type":"pong","id":"7"}') == Pong(id="7")


def test_candles_add_decodes_like_update() -> None:
    raw = json.loads(frame("candles.json"))
    raw["subject"] = "trade.candles.add"
    msg = decode_frame(json.dumps(raw).encode())
    assert isinstance(msg, Message)
    assert isinstance(decode_data(msg), CandleData)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"", "not a push frame"),
        (b"\xff\xfe", "not a push frame"),
        (b"[]", "not a push frame"),
        (b'{"id":"1"}', "not a push frame"),  # no type
        (b'{"type":"notice","id":"1"}', "not a push frame"),  # a legacy type we do not use
        (b'{"type":"ping","id":"1"}', "not a push frame"),  # the client's, never the server's
        (b'{"type":"error","code":"509","data":"x"}', "not a push frame"),  # code must be int
        (b'{"type":"message","topic":"/market/ticker:BTC-USDT","data":{}}', "not a push frame"),
        (b"CloudFlare WebSocket proxy restarting", "not a push frame"),
    ],
)
def test_decode_frame_raises_decode_error(text: bytes, fragment: str) -> None:
    with pytest.raises(DecodeError, match=fragment) as info:
        decode_frame(text)
    assert info.value.frame == text[:200].decode("utf-8", "replace")


def test_absurd_nesting_is_a_decode_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    frame_ = b'{"type":"message","topic":"t","subject":"level2","data":' + deep + b"}"
    with pytest.raises(DecodeError, match="recursion"):
        decode_frame(frame_)


PUSH_TYPES = {"welcome": Welcome, "pong": Pong, "ack": Ack, "error": ErrorFrame, "message": Message}
PUSH_FIXTURES = sorted(
    p.name for p in FIXTURES.glob("*.json") if json.loads(p.read_bytes()).get("type") in PUSH_TYPES
)


@pytest.mark.parametrize("name", PUSH_FIXTURES)
def test_every_push_fixture_decodes(name: str) -> None:
    # Private pushes included: their envelope is the same, their data is the client's.
    assert type(decode_frame(frame(name))) is PUSH_TYPES[json.loads(frame(name))["type"]]


def test_decode_data_rejects_unknown_subjects() -> None:
    # Private subjects are not market data: the client routes them elsewhere.
    msg = message("tradeOrdersV2_open.json")
    with pytest.raises(DecodeError, match="unknown subject 'orderChange'"):
        decode_data(msg)


def test_decode_data_routes_ticker_all_by_exact_topic_only() -> None:
    msg = message("ticker_all.json")
    assert isinstance(decode_data(msg), TickerData)
    stray = msgspec.structs.replace(msg, topic="/market/ticker:allx")
    with pytest.raises(DecodeError, match="unknown subject 'BTC-USDT'"):
        decode_data(stray)


def test_decode_data_rejects_data_of_the_wrong_shape() -> None:
    msg = message("level2_update.json")
    wrong = msgspec.structs.replace(msg, subject="trade.ticker")
    with pytest.raises(DecodeError, match=r"bad 'trade\.ticker' data") as info:
        decode_data(wrong)
    assert info.value.frame.startswith('{\n    "changes"')


def test_message_symbol() -> None:
    assert message_symbol(message("ticker.json")) == "BTC-USDT"
    assert message_symbol(message("ticker_all.json")) == "BTC-USDT"  # the subject
    assert message_symbol(message("level2_depth50.json")) == "BTC-USDT"
    assert message_symbol(message("candles.json")) == "BTC-USDT_1hour"


# --- symbols -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("native", "unified"),
    [("BTC-USDT", "BTC/USDT"), ("ETH-BTC", "ETH/BTC"), ("BTC3L-USDT", "BTC3L/USDT")],
)
def test_symbols_round_trip(native: str, unified: str) -> None:
    assert to_unified(native) == unified
    assert to_native(unified) == native
    assert to_unified(unified) == unified  # idempotent
    assert to_native(native) == native


def test_symbols_without_separator_pass_through() -> None:
    assert to_unified("BTC") == "BTC"
    assert to_native("USDS") == "USDS"


def test_symbol_caches_are_bounded() -> None:
    for i in range(SYMBOL_CACHE_SIZE + 10):
        assert to_unified(f"A{i}-B") == f"A{i}/B"
        assert to_native(f"A{i}/B") == f"A{i}-B"
    for convert in (to_unified, to_native):
        assert convert.cache_info().currsize <= SYMBOL_CACHE_SIZE


# --- market data → core ------------------------------------------------------------------


def test_ticker() -> None:
    msg, data = data_of("ticker.json")
    assert isinstance(data, TickerData)
    assert to_ticker(data, message_symbol(msg), RECEIVED) == Ticker(
        venue="kucoin",
        symbol="BTC/USDT",
        bid=D("62162.9"),
        bid_size=D("0.04794181"),
        ask=D("62163"),
        ask_size=D("0.99011388"),
        last=D("62162.9"),
        last_size=D("0.00832274"),
        ts=1634641987564_000_000,
        received=RECEIVED,
    )


def test_ticker_all_takes_the_symbol_from_the_subject() -> None:
    msg, data = data_of("ticker_all.json")
    assert isinstance(data, TickerData)
    ticker = to_ticker(data, message_symbol(msg), RECEIVED)
    assert ticker.symbol == "BTC/USDT"
    assert (ticker.bid, ticker.ask, ticker.last) == (D("67218.6"), D("67218.7"), D("67220"))
    assert (ticker.bid_size, ticker.ask_size) == (D("0.01045638"), D("1.92318539"))
    assert ticker.ts == 1729757723612_000_000


def test_ticker_docs_example_reads_the_capitalized_time() -> None:
    msg, data = data_of("ticker_docs_example.json")
    assert isinstance(data, TickerData)
    ticker = to_ticker(data, message_symbol(msg), RECEIVED)
    assert ticker.ts == 1704873323416_000_000
    assert (ticker.last, ticker.last_size) == (D("0.08"), D("0.011"))


def test_ticker_without_time_uses_received() -> None:
    data = msgspec.structs.replace(
        msgspec.json.decode(message("ticker.json").data, type=TickerData), time=None
    )
    assert to_ticker(data, "BTC-USDT", RECEIVED).ts == RECEIVED


@pytest.mark.parametrize(
    ("name", "trade_id", "price", "size", "ts"),
    [
        ("match.json", "11067996711960577", "67523", "0.003", 1729843222921000000),
        (
            "match_recorded.json",
            "5e356c4aeefabd62c62a1ece",
            "9345",
            "0.00536577",
            1580559434436443257,
        ),
    ],
)
def test_trade(name: str, trade_id: str, price: str, size: str, ts: int) -> None:
    _, data = data_of(name)
    assert isinstance(data, MatchData)
    assert to_trade(data, RECEIVED) == Trade(
        venue="kucoin",
        symbol="BTC/USDT",
        trade_id=trade_id,
        price=D(price),
        size=D(size),
        side=Side.BUY,
        ts=ts,
        received=RECEIVED,
    )


def test_trade_sell_side() -> None:
    _, data = data_of("match.json")
    assert isinstance(data, MatchData)
    assert to_trade(msgspec.structs.replace(data, side="sell"), RECEIVED).side is Side.SELL


@pytest.mark.parametrize("bad", ["", "abc", " 1", "1_0", "١٢", "-5", "1.5"])
def test_trade_bad_time_is_a_decode_error(bad: str) -> None:
    _, data = data_of("match.json")
    assert isinstance(data, MatchData)
    with pytest.raises(DecodeError, match="bad match time"):
        to_trade(msgspec.structs.replace(data, time=bad), RECEIVED)


def test_candle() -> None:
    msg, data = data_of("candles.json")
    assert isinstance(data, CandleData)
    interval = CANDLE_INTERVALS[msg.topic.rpartition("_")[2]]
    assert interval == 3600
    assert to_candle(data, interval, RECEIVED) == Candle(
        venue="kucoin",
        symbol="BTC/USDT",
        interval=3600,
        start=1729839600_000_000_000,
        open=D("67644.9"),
        high=D("67724.8"),
        low=D("67243.8"),
        close=D("67437.6"),
        volume=D("44.88321441"),
        ts=1729842192785164840,
        received=RECEIVED,
    )


def test_candle_bad_start_is_a_decode_error() -> None:
    _, data = data_of("candles.json")
    assert isinstance(data, CandleData)
    bad = msgspec.structs.replace(data, candles=("x", *data.candles[1:]))
    with pytest.raises(DecodeError, match="bad candle start"):
        to_candle(bad, 3600, RECEIVED)


def test_candle_types() -> None:
    assert CANDLE_TYPES[60] == "1min" and CANDLE_TYPES[3600] == "1hour"
    assert CANDLE_TYPES[86400] == "1day" and CANDLE_TYPES[604800] == "1week"
    assert len(CANDLE_TYPES) == 13  # every REST type but "1month"
    assert all(CANDLE_INTERVALS[name] == seconds for seconds, name in CANDLE_TYPES.items())


@pytest.mark.parametrize(
    ("name", "levels"), [("level2_depth5.json", 5), ("level2_depth50.json", 50)]
)
def test_depth_update_is_a_snapshot(name: str, levels: int) -> None:
    msg, data = data_of(name)
    assert isinstance(data, DepthData)
    update = to_depth_update(data, message_symbol(msg), RECEIVED)
    assert isinstance(update, BookUpdate)
    assert (update.symbol, update.snapshot, update.sequence) == ("BTC/USDT", True, None)
    assert len(update.bids) == len(update.asks) == levels
    assert update.ts == data.timestamp * 1_000_000
    if levels == 5:
        assert update.bids[0] == BookLevel(D("67996.6"), D("0.37969491"))
        assert update.asks[0] == BookLevel(D("67996.7"), D("1.14213262"))
        assert update.ts == 1729822226746_000_000
    assert decode_event(encode_event(update)) == update


# --- instruments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("increment", "places"),
    [("0.00001", 5), ("0.00000001", 8), ("0.1", 1), ("0.10", 1), ("1", 0), ("10", 0), ("1E-3", 3)],
)
def test_decimals(increment: str, places: int) -> None:
    assert decimals(D(increment), "kucoin") == places


@pytest.mark.parametrize("bad", ["0", "-0.1", "NaN", "Infinity", "sNaN"])
def test_decimals_rejects_non_positive_increments(bad: str) -> None:
    with pytest.raises(DecodeError, match="positive"):
        decimals(D(bad), "kucoin")


def test_instrument_from_symbols_excerpt() -> None:
    envelope = msgspec.json.decode(frame("symbols_response_excerpt.json"), type=Envelope)
    (entry,) = msgspec.json.decode(envelope.data, type=list[SymbolEntry])
    assert to_instrument(entry) == Instrument(
        venue="kucoin",
        symbol="BTC/USDT",
        native_symbol="BTC-USDT",
        base="BTC",
        quote="USDT",
        price_increment=D("0.1"),
        size_increment=D("0.00000001"),
        min_size=D("0.00001"),
        price_precision=1,
        size_precision=8,
        min_notional=D("0.1"),
        tradable=True,
    )
    without_min_funds = msgspec.structs.replace(
        entry, min_funds=None, quote_min_size=D("5"), enable_trading=False
    )
    instrument = to_instrument(without_min_funds)
    assert instrument.min_notional == D("5") and instrument.tradable is False


# --- malformed frames: only DecodeError ----------------------------------------------------

MUTABLE = sorted({*DATA, "welcome.json", "ack.json", "pong.json", "error.json"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (not the root)."""
    found = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def mutate(doc: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> bytes:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return json.dumps(doc).encode()


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    doc = json.loads(frame(draw(st.sampled_from(MUTABLE))))
    path = draw(st.sampled_from(paths(doc)))
    return mutate(doc, path, draw(json_values), draw(st.booleans()))


malformed = st.one_of(
    st.binary(max_size=64),
    json_values.map(msgspec.json.encode),
    st.dictionaries(
        st.sampled_from(["type", "id", "topic", "subject", "data", "code"]), json_values
    ).map(msgspec.json.encode),
    mutated_fixture(),
)


def normalize(raw: bytes) -> object:
    """The whole pure path the client runs on a frame, up to the core event."""
    msg = decode_frame(raw)
    if not isinstance(msg, Message):
        return msg
    data = decode_data(msg)
    symbol = message_symbol(msg)
    match data:
        case TickerData():
            return to_ticker(data, symbol, RECEIVED)
        case MatchData():
            return to_trade(data, RECEIVED)
        case CandleData():
            return to_candle(data, 60, RECEIVED)
        case DepthData():
            return to_depth_update(data, symbol, RECEIVED)
        case L2UpdateData():
            # An increment normalizes through the book it continues.
            kbook = KucoinBook(to_unified(data.symbol))
            start = str(data.sequence_start - 1)
            kbook.apply_snapshot(Level2Snapshot(start, data.time, [], []), RECEIVED)
            return kbook.apply(data, RECEIVED)
    return data


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(malformed)
def test_malformed_frames_raise_only_decode_error(raw: bytes) -> None:
    try:
        normalize(raw)
    except DecodeError:
        pass


NORMALIZED: dict[str, type] = {
    "ticker.json": Ticker,
    "ticker_all.json": Ticker,
    "ticker_docs_example.json": Ticker,
    "level2_depth5.json": BookUpdate,
    "level2_depth50.json": BookUpdate,
    "level2_update.json": BookUpdate,
    "level2_update_multi.json": BookUpdate,
    "match.json": Trade,
    "match_recorded.json": Trade,
    "candles.json": Candle,
}
"""The core event each routed market fixture becomes."""


@pytest.mark.parametrize("name", sorted(NORMALIZED))
def test_every_fixture_normalizes(name: str) -> None:
    # Normalized means: the core event of its kind, for the fixture's own symbol, with
    # values inside the rules, that survives the JSONL round trip of a recorded stream.
    msg = message(name)
    event = normalize(frame(name))
    assert type(event) is NORMALIZED[name]
    native = json.loads(frame(name))["data"].get("symbol") or message_symbol(msg)
    assert event.venue == "kucoin" and event.symbol == to_unified(native)
    assert MIN_TS_NS <= event.ts <= MAX_TS_NS and event.received == RECEIVED
    assert decode_event(encode_event(event)) == event


def test_every_market_fixture_has_a_normalization_or_a_reason() -> None:
    assert set(DATA) == set(NORMALIZED)


# --- values outside the rules (core/validation.py) are DecodeErrors, never events ----------

IMPOSSIBLE = ["NaN", "sNaN", "Infinity", "-Infinity", "1E+99999", "-5"]


def with_data(name: str, **changes: Any) -> bytes:
    doc = json.loads(frame(name))
    doc["data"].update(changes)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("value", IMPOSSIBLE)
@pytest.mark.parametrize(
    "field", ["bestBid", "bestAsk", "price", "bestBidSize", "bestAskSize", "size"]
)
def test_an_impossible_ticker_value_is_a_decode_error(field: str, value: str) -> None:
    with pytest.raises(DecodeError, match="out of range"):
        normalize(with_data("ticker.json", **{field: value}))


@pytest.mark.parametrize("value", ["0", "-0.1"])
def test_a_ticker_price_must_be_positive(value: str) -> None:
    with pytest.raises(DecodeError):
        normalize(with_data("ticker.json", bestBid=value))
    assert isinstance(normalize(with_data("ticker.json", bestBidSize="0")), Ticker)


@pytest.mark.parametrize("value", IMPOSSIBLE)
@pytest.mark.parametrize("field", ["price", "size"])
def test_an_impossible_trade_value_is_a_decode_error(field: str, value: str) -> None:
    with pytest.raises(DecodeError, match="out of range"):
        normalize(with_data("match.json", **{field: value}))


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("ticker.json", {"time": -5}),
        ("ticker.json", {"time": 10**31}),
        ("ticker.json", {"time": 10**13 * 1000}),  # ns where ms belong: year 2500+
        ("match.json", {"time": "-5"}),
        ("match.json", {"time": str(10**31)}),
        ("level2_update.json", {"time": -5}),
        ("level2_update.json", {"sequenceStart": -1}),
        ("level2_update.json", {"sequenceEnd": 10**30}),
        ("level2_depth5.json", {"timestamp": 0}),
        ("candles.json", {"time": -5}),
    ],
)
def test_an_impossible_time_or_sequence_is_a_decode_error(name: str, changes: Any) -> None:
    with pytest.raises(DecodeError):
        normalize(with_data(name, **changes))


@pytest.mark.parametrize("value", IMPOSSIBLE)
def test_an_impossible_depth_level_is_a_decode_error(value: str) -> None:
    doc = json.loads(frame("level2_depth5.json"))
    doc["data"]["asks"][0][0] = value
    with pytest.raises(DecodeError, match="out of range"):
        normalize(json.dumps(doc).encode())


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"message","topic":"/market/ticker:BTC-\xff","subject":"trade.ticker","data":{}}',
        b'{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.\xc3(","data":{}}',
        b'{"type":"ack","id":"\xed\xa0\x80"}',
        b'{"type":"pong","id":"\xfe"}',
        b'{"type":"error","code":401,"data":"\xff","id":"1"}',
    ],
)
def test_invalid_utf8_is_a_decode_error(raw: bytes) -> None:
    # msgspec < 0.23 raises UnicodeDecodeError here; the adapter reports DecodeError only.
    with pytest.raises(DecodeError):
        decode_frame(raw)


def test_invalid_utf8_inside_data_is_a_decode_error() -> None:
    raw = frame("match.json").replace(b'"BTC-USDT"', b'"BTC-\xffUSDT"', 1)
    with pytest.raises(DecodeError):
        normalize(raw)
