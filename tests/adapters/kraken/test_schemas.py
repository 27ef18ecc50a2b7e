"""Kraken v2 wire schemas against the golden frames."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tickwire.adapters.kraken.schemas import (
    BookMessage,
    ChannelMessage,
    HeartbeatMessage,
    InstrumentMessage,
    MethodResponse,
    OhlcMessage,
    StatusMessage,
    TickerMessage,
    TradeMessage,
)
from tickwire.core.timestamps import rfc3339_to_ns

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"

channel_decoder: msgspec.json.Decoder[ChannelMessage] = msgspec.json.Decoder(ChannelMessage)
response_decoder = msgspec.json.Decoder(MethodResponse)


def channel(name: str) -> ChannelMessage:
    return channel_decoder.decode((FIXTURES / name).read_bytes())


def response(name: str) -> MethodResponse:
    return response_decoder.decode((FIXTURES / name).read_bytes())


def D(text: str) -> Decimal:
    return Decimal(text)


# --- channel messages ------------------------------------------------------------------


def test_status_frames_decode_without_their_unread_data() -> None:
    # Nothing of a status is read (every frame counts as liveness), so nothing is decoded:
    # the u64 connection_id and the maintenance arrays (absent in 2024) are skipped.
    assert channel("status.json") == StatusMessage()
    assert channel("status_2024.json") == StatusMessage()


def test_heartbeat() -> None:
    assert channel("heartbeat.json") == HeartbeatMessage()


def test_ticker_update_keeps_wire_digits() -> None:
    msg = channel("ticker_update.json")
    assert isinstance(msg, TickerMessage)
    assert msg.type == "update"
    (entry,) = msg.data
    assert entry.symbol == "BTC/USD"
    assert entry.bid == D("83744.2")
    assert str(entry.ask_qty) == "0.00044780"  # trailing zero kept
    assert str(entry.volume) == "3156.84782110"
    assert entry.timestamp == "2026-09-25T17:48:26.844359Z"


def test_ticker_snapshot() -> None:
    msg = channel("ticker_snapshot.json")
    assert isinstance(msg, TickerMessage)
    (entry,) = msg.data
    assert msg.type == "snapshot"
    assert (entry.symbol, entry.bid, entry.bid_qty) == ("ALGO/USD", D("0.10025"), D("740.0"))


def test_ticker_optional_and_unknown_fields() -> None:
    frame = (
        b'{"channel":"ticker","type":"update","future":{"x":[1]},"data":[{"symbol":"BTC/USD",'
        b'"bid":1,"bid_qty":2,"ask":3,"ask_qty":4,"last":5,"volume":6,"vwap":7,"low":8,'
        b'"high":9,"change":10,"change_pct":11,"brand_new":"field"}]}'
    )
    msg = channel_decoder.decode(frame)
    assert isinstance(msg, TickerMessage)
    assert msg.data[0].timestamp is None


def test_book_snapshot() -> None:
    msg = channel("book_snapshot.json")
    assert isinstance(msg, BookMessage)
    (entry,) = msg.data
    assert msg.type == "snapshot"
    assert entry.symbol == "MATIC/USD"
    assert entry.checksum == 2439117997
    assert len(entry.bids) == len(entry.asks) == 10
    assert (entry.bids[0].price, entry.bids[0].qty) == (D("0.5666"), D("4831.75496356"))
    assert (entry.asks[-1].price, entry.asks[-1].qty) == (D("0.5677"), D("36304.0847022"))
    assert entry.timestamp == "2023-10-06T17:35:55.440295Z"


def test_book_update_wire_precision() -> None:
    msg = channel("book_update_wire_precision.json")
    assert isinstance(msg, BookMessage)
    (entry,) = msg.data
    assert msg.type == "update"
    assert entry.asks == []
    assert [str(level.qty) for level in entry.bids] == ["0E-8", "0.01470022", "0.12440000"]
    assert entry.bids[0].qty == 0 and entry.bids[0].qty.as_tuple().exponent == -8
    assert entry.checksum == 902440905


def test_book_snapshot_timestamp_is_optional() -> None:
    frame = (
        b'{"channel":"book","type":"snapshot",'
        b'"data":[{"symbol":"X/Y","bids":[],"asks":[],"checksum":0}]}'
    )
    msg = channel_decoder.decode(frame)
    assert isinstance(msg, BookMessage)
    assert msg.data[0].timestamp is None


def test_trade_update() -> None:
    msg = channel("trade_update.json")
    assert isinstance(msg, TradeMessage)
    first, second = msg.data
    assert (first.side, first.trade_id) == ("buy", 70635299)
    assert str(first.price) == "68500.0"
    assert second.qty == D("0.00483192")


def test_trade_snapshot() -> None:
    msg = channel("trade_snapshot.json")
    assert isinstance(msg, TradeMessage)
    assert msg.type == "snapshot"
    assert [t.trade_id for t in msg.data] == [4665846, 4665847]


def test_ohlc_snapshot() -> None:
    msg = channel("ohlc_snapshot.json")
    assert isinstance(msg, OhlcMessage)
    assert msg.timestamp == "2023-10-04T16:26:01.806315597Z"
    first = msg.data[0]
    assert (first.interval, first.volume) == (5, D("201.86015"))
    assert first.interval_begin == "2023-10-04T15:25:00.000000000Z"


def test_ohlc_update() -> None:
    msg = channel("ohlc_update.json")
    assert isinstance(msg, OhlcMessage)
    (entry,) = msg.data
    assert (entry.open, entry.close, entry.interval) == (D("83729.5"), D("83744.3"), 1)


def test_instrument_snapshot() -> None:
    msg = channel("instrument_snapshot.json")
    assert isinstance(msg, InstrumentMessage)
    eth_btc = msg.data.pairs[1]
    assert eth_btc.symbol == "ETH/BTC"
    assert (eth_btc.price_precision, eth_btc.qty_precision) == (5, 8)
    assert (eth_btc.qty_min, eth_btc.cost_min) == (D("0.00200000"), D("0.00002"))


# --- method responses ------------------------------------------------------------------


def test_pong_has_no_success_field() -> None:
    msg = response("pong.json")
    assert (msg.method, msg.req_id, msg.success) == ("pong", 1, None)
    assert not msg.result


@pytest.mark.parametrize(
    ("name", "method", "req_id", "result"),
    [
        (
            "subscribe_ticker_ack.json",
            "subscribe",
            42,
            {"channel": "ticker", "event_trigger": "trades", "snapshot": True, "symbol": "BTC/USD"},
        ),
        (
            "subscribe_book_ack.json",
            "subscribe",
            11,
            {"channel": "book", "depth": 10, "snapshot": True, "symbol": "BTC/USD"},
        ),
        (
            "subscribe_trade_ack.json",
            "subscribe",
            None,
            {"channel": "trade", "snapshot": False, "symbol": "BTC/USD"},
        ),
        (
            "subscribe_instrument_ack.json",
            "subscribe",
            0,
            {
                "channel": "instrument",
                "snapshot": True,
                "warnings": ["tick_size is deprecated, use price_increment"],
            },
        ),
        (
            "subscribe_ohlc_ack.json",
            "subscribe",
            121,
            {
                "channel": "ohlc",
                "interval": 60,
                "snapshot": True,
                "symbol": "ETH/USD",
                "warnings": ["timestamp is deprecated, use interval_begin"],
            },
        ),
        (
            "unsubscribe_ticker_ack.json",
            "unsubscribe",
            None,
            {"channel": "ticker", "event_trigger": "trades", "symbol": "ALGO/USD"},
        ),
    ],
)
def test_acks(name: str, method: str, req_id: int | None, result: dict[str, object]) -> None:
    msg = response(name)
    assert (msg.method, msg.success, msg.req_id, msg.error) == (method, True, req_id, None)
    assert msgspec.json.decode(msg.result) == result


ERRORS = {
    "error_already_subscribed.json": ("subscribe", 2, "Already subscribed", "BTC/USD"),
    "error_amend_field_type.json": (
        "amend_order",
        0,
        "Limit_price field must be a number_float",
        None,
    ),
    "error_currency_pair_not_supported.json": (
        "subscribe",
        None,
        "Currency pair not supported XBT/USD",
        "XBT/USD",
    ),
    "error_field_type.json": ("add_order", 7, "Cash_order_qty field must be a number_float", None),
    "error_invalid_arguments.json": (
        "add_order",
        0,
        "EGeneral:Invalid arguments:no_mpp order option is only available when ordertype = market",
        None,
    ),
    "error_invalid_session.json": ("subscribe", None, "ESession:Invalid session", None),
    "error_permission_denied.json": ("add_order", 0, "EGeneral:Permission denied", None),
    "error_private_on_public_host.json": (
        "subscribe",
        None,
        "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com",
        None,
    ),
    "error_public_on_private_host.json": (
        "subscribe",
        None,
        "Public market data subscriptions are unavailable on this endpoint. Try ws.kraken.com",
        None,
    ),
    "error_subscription_not_found.json": ("subscribe", 4, "Subscription Not Found", "BTC/USD"),
    "error_token_not_found.json": ("edit_order", 0, "Token(s) not found", None),
    "error_unsupported_event.json": ("subscribe", 0, "Unsupported event", None),
    "error_unsupported_field.json": (
        "ping",
        0,
        "Unsupported field: 'params' for the given msg type: ping",
        None,
    ),
}


def test_every_error_fixture_is_listed() -> None:
    assert {p.name for p in FIXTURES.glob("error_*.json")} == set(ERRORS)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name: str) -> None:
    method, req_id, error, symbol = ERRORS[name]
    msg = response(name)
    assert (msg.method, msg.req_id, msg.error, msg.symbol) == (method, req_id, error, symbol)
    assert msg.success is False
    assert not msg.result
    assert rfc3339_to_ns(msg.time_out or "") > 0


def test_batch_cancel_as_observed_live() -> None:
    msg = response("batch_cancel_response_observed.json")
    assert (msg.method, msg.orders_cancelled, msg.success) == ("batch_cancel", 2, True)
    assert not msg.result


def test_batch_add_result_is_a_list() -> None:
    msg = response("batch_add_response.json")
    assert msgspec.json.decode(msg.result) == [
        {"order_id": "JQDNTT-MZEIZ-OZKUDD"},
        {"order_id": "X67GEK-3VQWM-HPNQ89"},
    ]
