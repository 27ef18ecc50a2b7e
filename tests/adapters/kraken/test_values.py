"""The value rules at the Kraken decode boundary, on golden frames with one value broken.

Each case takes a real sample frame, replaces one value with raw JSON text (so
``NaN``-like, ``1e99999`` and 400-digit numbers reach msgspec exactly as a venue would
write them), and checks the frame is refused with a precise ``DecodeError`` — never an
event — and, through ``KrakenClient.on_frame``, that it becomes exactly one
``StreamError`` carrying the frame.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tickwire.adapters.kraken import parse
from tickwire.adapters.kraken.client import KrakenClient
from tickwire.adapters.kraken.private import check_execution
from tickwire.adapters.kraken.schemas import (
    InstrumentMessage,
    OhlcMessage,
    TickerMessage,
    TradeMessage,
)
from tickwire.adapters.kraken.schemas_private import BalancesMessage, ExecutionsMessage
from tickwire.core.config import ClientConfig
from tickwire.core.errors import DecodeError
from tickwire.core.types import StreamError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"
RECEIVED = 1_700_000_000_000_000_000
MARK = "__MARK__"

# Raw JSON texts a hostile venue may write where a price or a size belongs.
NOT_FINITE = ['"NaN"', '"Infinity"', '"-Infinity"', "1e99999", "1" + "0" * 400]
NOT_A_PRICE = [*NOT_FINITE, "0", "-1", "-0.0"]
NOT_A_SIZE = [*NOT_FINITE, "-1", "-1e-8"]
NOT_A_TIME = [
    '"not-a-date"',
    '"1999-12-31T23:59:59Z"',
    '"2100-01-02T00:00:00Z"',
    '"2024-13-01T00:00:00Z"',
]


def with_value(name: str, path: list[Any], raw: str) -> bytes:
    """The sample ``name`` with the value at ``path`` replaced by the raw JSON ``raw``."""
    message = json.loads((FIXTURES / name).read_text())
    node = message
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = MARK
    return json.dumps(message).replace(f'"{MARK}"', raw).encode()


PUBLIC_CASES = [
    *[
        ("ticker_update.json", ["data", 0, field], raw, field)
        for field in ("bid", "ask", "last")
        for raw in NOT_A_PRICE
    ],
    *[
        ("ticker_update.json", ["data", 0, field], raw, field)
        for field in ("bid_qty", "ask_qty", "volume")
        for raw in NOT_A_SIZE
    ],
    *[("ticker_update.json", ["data", 0, "timestamp"], raw, "timestamp") for raw in NOT_A_TIME],
    *[("trade_update.json", ["data", 1, "price"], raw, "price") for raw in NOT_A_PRICE],
    *[("trade_update.json", ["data", 1, "qty"], raw, "qty") for raw in NOT_A_SIZE],
    *[("trade_update.json", ["data", 1, "timestamp"], raw, "timestamp") for raw in NOT_A_TIME],
    *[
        ("ohlc_update.json", ["data", 0, field], raw, field)
        for field in ("open", "high", "low", "close")
        for raw in NOT_A_PRICE
    ],
    *[("ohlc_update.json", ["data", 0, "volume"], raw, "volume") for raw in NOT_A_SIZE],
    *[("ohlc_update.json", ["timestamp"], raw, "timestamp") for raw in NOT_A_TIME],
    *[("ohlc_update.json", ["data", 0, "interval_begin"], raw, "timestamp") for raw in NOT_A_TIME],
    # Integer ranges are checked by msgspec while decoding.
    ("trade_update.json", ["data", 0, "trade_id"], "1" + "0" * 400, "trade_id"),
    ("trade_update.json", ["data", 0, "trade_id"], "-1", "trade_id"),
    ("ohlc_update.json", ["data", 0, "interval"], "0", "interval"),
    ("book_update.json", ["data", 0, "checksum"], "-1", "checksum"),
    ("book_update.json", ["data", 0, "checksum"], str(2**32), "checksum"),
    ("book_update.json", ["data"], "[]", "data"),
    ("instrument_snapshot.json", ["data", "pairs", 0, "price_precision"], "-1", "precision"),
    ("instrument_snapshot.json", ["data", "pairs", 0, "qty_precision"], "1000", "precision"),
    ("instrument_snapshot.json", ["data", "pairs", 0, "price_increment"], "0", "increment"),
    ("instrument_snapshot.json", ["data", "pairs", 0, "qty_min"], '"NaN"', "qty_min"),
]


def normalize(frame: bytes) -> list[Any]:
    """Decode and normalize one public frame the way the client does."""
    message = parse.decode_frame(frame)
    if isinstance(message, TickerMessage):
        return list(parse.to_tickers(message, RECEIVED))
    if isinstance(message, TradeMessage):
        return list(parse.to_trades(message, RECEIVED))
    if isinstance(message, OhlcMessage):
        return list(parse.to_candles(message, RECEIVED))
    if isinstance(message, InstrumentMessage):
        return list(parse.to_instruments(message))
    return [message]


@pytest.mark.parametrize("name", ["ticker_update.json", "trade_update.json", "ohlc_update.json"])
def test_the_unbroken_samples_normalize(name: str) -> None:
    assert normalize((FIXTURES / name).read_bytes())


@pytest.mark.parametrize(("name", "path", "raw", "field"), PUBLIC_CASES)
def test_a_value_breaking_the_rules_is_a_precise_decode_error(
    name: str, path: list[Any], raw: str, field: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        normalize(with_value(name, path, raw))
    assert field in str(caught.value)


@pytest.mark.parametrize(("name", "path", "raw", "field"), PUBLIC_CASES[::7])
async def test_through_the_client_a_refused_frame_is_one_stream_error_with_its_frame(
    name: str, path: list[Any], raw: str, field: str
) -> None:
    client = KrakenClient(ClientConfig(venue="kraken"))  # no socket: on_frame is pure
    stream = client.events()
    frame = with_value(name, path, raw)
    client.on_frame(frame, RECEIVED)
    events = [await anext(stream) for _ in range(len(stream))]  # type: ignore[arg-type]
    assert len(events) == 1, events
    (error,) = events
    assert isinstance(error, StreamError) and error.error == "DecodeError"
    assert field in error.message
    assert error.frame == frame[:200].decode()


def test_invalid_utf8_inside_a_string_is_a_decode_error() -> None:
    frame = (FIXTURES / "ticker_update.json").read_bytes().replace(b"BTC/USD", b"BTC/\xff\xfeUSD")
    with pytest.raises(DecodeError):
        parse.decode_frame(frame)
    with pytest.raises(DecodeError):
        parse.decode_private_frame(frame)


class _Utf8Failing:
    """A decoder that fails the way msgspec < 0.23 does on invalid UTF-8 in a string."""

    def decode(self, frame: bytes) -> Any:
        raise UnicodeDecodeError("utf-8", frame, 0, 1, "invalid start byte")


@pytest.mark.parametrize(
    ("decoders", "decode"),
    [
        (("_channel_decoder", "_response_decoder"), parse.decode_frame),
        (("_private_decoder", "_response_decoder"), parse.decode_private_frame),
    ],
)
def test_unicode_decode_error_of_older_msgspec_becomes_a_decode_error(
    monkeypatch: pytest.MonkeyPatch, decoders: tuple[str, str], decode: Any
) -> None:
    # msgspec 0.22 raises UnicodeDecodeError where 0.23 raises DecodeError: whichever
    # msgspec runs this suite, both must end as tickwire's DecodeError.
    for name in decoders:
        monkeypatch.setattr(parse, name, _Utf8Failing())
    with pytest.raises(DecodeError):
        decode(b'{"channel": "ticker"}')


# --- the private side ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        *[(["data", 0, f], raw, f) for f in ("last_price",) for raw in NOT_A_PRICE],
        *[(["data", 0, f], raw, f) for f in ("limit_price", "avg_price") for raw in NOT_FINITE],
        *[(["data", 0, f], "-1", f) for f in ("limit_price", "avg_price")],
        *[
            (["data", 0, f], raw, f)
            for f in ("last_qty", "cum_qty", "cum_cost", "cost")
            for raw in NOT_A_SIZE
        ],
        *[(["data", 0, "fees", 0, "qty"], raw, "fee") for raw in NOT_FINITE],
        *[(["data", 0, "timestamp"], raw, "timestamp") for raw in NOT_A_TIME],
    ],
)
def test_an_execution_report_breaking_the_rules_is_refused(
    path: list[Any], raw: str, field: str
) -> None:
    message = parse.decode_private_frame(with_value("executions_trade.json", path, raw))
    assert isinstance(message, ExecutionsMessage)
    with pytest.raises(DecodeError, match=field):
        check_execution(message.data[0])


def test_a_market_order_reporting_price_zero_is_accepted() -> None:
    frame = with_value("executions_trade.json", ["data", 0, "avg_price"], "0")
    message = parse.decode_private_frame(frame)
    assert isinstance(message, ExecutionsMessage)
    check_execution(message.data[0])


@pytest.mark.parametrize(
    ("name", "path", "raw", "field"),
    [
        *[("balances_snapshot.json", ["data", 0, "balance"], raw, "balance") for raw in NOT_FINITE],
        *[("balances_update_trade.json", ["data", 0, "amount"], r, "amount") for r in NOT_FINITE],
        ("balances_update_trade.json", ["data", 0, "fee"], "-1", "fee"),
        *[
            ("balances_update_trade.json", ["data", 0, "timestamp"], raw, "timestamp")
            for raw in NOT_A_TIME
        ],
        ("balances_update_trade.json", ["sequence"], "-1", "sequence"),
    ],
)
def test_a_balance_breaking_the_rules_is_refused(
    name: str, path: list[Any], raw: str, field: str
) -> None:
    with pytest.raises(DecodeError, match=field):
        message = parse.decode_private_frame(with_value(name, path, raw))
        assert isinstance(message, BalancesMessage)
        parse.to_balances(message, RECEIVED)


def test_a_negative_balance_total_is_a_value_kraken_may_report() -> None:
    frame = with_value("balances_snapshot.json", ["data", 0, "balance"], "-0.5")
    message = parse.decode_private_frame(frame)
    assert isinstance(message, BalancesMessage)
    assert parse.to_balances(message, RECEIVED)[0].total == Decimal("-0.5")


def test_the_broken_values_are_json_the_decoder_accepts() -> None:
    # Guards the cases above: they must reach the value rules, not fail as bad JSON.
    for raw in NOT_A_PRICE + NOT_A_SIZE:
        if raw != "NaN":  # bare NaN is not JSON: msgspec refuses it while decoding
            msgspec.json.decode(raw.encode(), type=Decimal)
