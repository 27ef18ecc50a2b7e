"""KuCoin wire schemas against the golden frames and REST bodies (values from the files)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tickwire.adapters.kucoin.schemas import (
    Ack,
    BulletData,
    CandleData,
    DepthData,
    Envelope,
    ErrorFrame,
    L2UpdateData,
    Level2Snapshot,
    MatchData,
    Message,
    Pong,
    PushFrame,
    SymbolEntry,
    TickerData,
    Welcome,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kucoin"

push_decoder: msgspec.json.Decoder[PushFrame] = msgspec.json.Decoder(PushFrame)
envelope_decoder = msgspec.json.Decoder(Envelope)


def D(text: str) -> Decimal:
    return Decimal(text)


def push(name: str) -> PushFrame:
    return push_decoder.decode((FIXTURES / name).read_bytes())


def message_data(name: str, type_: Any) -> Any:
    msg = push(name)
    assert isinstance(msg, Message)
    return msgspec.json.decode(msg.data, type=type_)


def rest_data(name: str, type_: Any) -> Any:
    envelope = envelope_decoder.decode((FIXTURES / name).read_bytes())
    assert envelope.code == "200000" and envelope.msg is None
    return msgspec.json.decode(envelope.data, type=type_)


# --- control frames ----------------------------------------------------------------------


def test_control_frames() -> None:
    assert push("welcome.json") == Welcome()  # its id (the connectId) is not read
    assert push("pong.json") == Pong(id="1545910590801")
    assert push("ack.json") == Ack(id="1545910660739")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("error.json", ErrorFrame(509, "exceed max permits per 10 seconds", "XMFzvWJeHw")),
        (
            "error_batch_limit.json",
            ErrorFrame(509, "exceed max subscription count limitation of 100 per time", "1"),
        ),
        ("error_token_expired.json", ErrorFrame(401, "token is expired", None)),
        ("error_topic_not_exist.json", ErrorFrame(404, "topic does not exist", "1")),
        (
            "error_topic_not_found.json",
            ErrorFrame(404, "topic /market/level2:BSV-BTC is not found", "1551623050668"),
        ),
        ("error_type_not_supported.json", ErrorFrame(415, "type is not supported", "1")),
    ],
)
def test_error_frames(name: str, expected: ErrorFrame) -> None:
    assert push(name) == expected


def test_message_envelope_keeps_data_raw() -> None:
    msg = push("level2_update.json")
    assert isinstance(msg, Message)
    assert (msg.topic, msg.subject) == ("/market/level2:BTC-USDT", "trade.l2update")
    assert msgspec.json.decode(msg.data)["sequenceEnd"] == 14701689783


# --- market data -------------------------------------------------------------------------


def test_ticker() -> None:
    data = message_data("ticker.json", TickerData)
    assert data == TickerData(  # numbers stay KuCoin's text: parse.to_ticker parses them
        sequence="1621383371852",
        price="62162.9",
        size="0.00832274",
        best_ask="62163",
        best_ask_size="0.99011388",
        best_bid="62162.9",
        best_bid_size="0.04794181",
        time=1634641987564,
    )


def test_ticker_all_has_the_ticker_shape() -> None:
    data = message_data("ticker_all.json", TickerData)
    assert (data.sequence, data.price, data.size) == ("14691455768", "67220", "0.00004316")
    assert (data.best_bid, data.best_ask, data.time) == ("67218.6", "67218.7", 1729757723612)


def test_ticker_docs_example_spells_time_with_a_capital() -> None:
    data = message_data("ticker_docs_example.json", TickerData)
    assert data.time is None and data.time_alias == 1704873323416
    assert (data.best_bid, data.best_bid_size) == ("0.049", "0.036")


def test_depth5() -> None:
    data = message_data("level2_depth5.json", DepthData)
    assert data.timestamp == 1729822226746
    assert len(data.asks) == len(data.bids) == 5
    assert data.asks[0] == (D("67996.7"), D("1.14213262"))
    assert data.asks[-1] == (D("67997.1"), D("0.14842782"))
    assert data.bids[0] == (D("67996.6"), D("0.37969491"))
    assert data.bids[-1] == (D("67993.3"), D("0.13528566"))


def test_depth50() -> None:
    data = message_data("level2_depth50.json", DepthData)
    assert len(data.asks) == len(data.bids) == 50
    assert data.asks[0] == (D("95964.3"), D("0.08168874"))
    assert [p for p, _ in data.asks] == sorted(p for p, _ in data.asks)
    assert [p for p, _ in data.bids] == sorted((p for p, _ in data.bids), reverse=True)


def test_level2_update() -> None:
    data = message_data("level2_update.json", L2UpdateData)
    assert (data.sequence_start, data.sequence_end) == (14701689783, 14701689783)
    assert (data.symbol, data.time) == ("BTC-USDT", 1729816425625)
    # Rows keep KuCoin's text: the book parses each distinct price once (core.sync_book).
    assert data.changes.asks == [("67993.3", "1.21427407", "14701689783")]
    assert data.changes.bids == []


def test_level2_update_multi() -> None:
    data = message_data("level2_update_multi.json", L2UpdateData)
    assert (data.sequence_start, data.sequence_end) == (14103844, 14103847)
    assert data.changes.asks == [
        ("18906", "0.00331", "14103845"),
        ("18907.3", "0.58751503", "14103844"),
    ]
    assert data.changes.bids == [("18891.9", "0.15688", "14103847")]


def test_level2_row_sequence_may_be_an_int() -> None:
    # The docs' worked example prints the row sequence as a number.
    changes = msgspec.json.decode(
        b'{"changes":{"asks":[["3988.59","3",16]],"bids":[]},"sequenceStart":15,'
        b'"sequenceEnd":19,"symbol":"ETH-USDT","time":1729816425625}',
        type=L2UpdateData,
    ).changes
    assert changes.asks == [("3988.59", "3", 16)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "match.json",
            MatchData(
                price=D("67523"),
                size=D("0.003"),
                side="buy",
                sequence="11067996711960577",
                symbol="BTC-USDT",
                time="1729843222921000000",
                trade_id="11067996711960577",
            ),
        ),
        (
            "match_recorded.json",
            MatchData(
                price=D("9345"),
                size=D("0.00536577"),
                side="buy",
                sequence="1568787654360",
                symbol="BTC-USDT",
                time="1580559434436443257",
                trade_id="5e356c4aeefabd62c62a1ece",
            ),
        ),
    ],
)
def test_match(name: str, expected: MatchData) -> None:
    assert message_data(name, MatchData) == expected


def test_candles() -> None:
    data = message_data("candles.json", CandleData)
    assert data.symbol == "BTC-USDT"
    assert data.time == 1729842192785164840
    assert data.candles == (
        "1729839600",
        D("67644.9"),
        D("67437.6"),
        D("67724.8"),
        D("67243.8"),
        D("44.88321441"),
        D("3027558.991928447"),
    )


# --- REST ------------------------------------------------------------------------------


def test_bullet_public() -> None:
    data = rest_data("bullet_public_response.json", BulletData)
    assert data.token.startswith("2neAiuYvAU61ZDXANAGAsiL4") and data.token.endswith("yA==")
    (server,) = data.instance_servers
    assert server.endpoint == "wss://ws-api-spot.kucoin.com/"
    assert (server.ping_interval, server.ping_timeout) == (18000, 10000)


def test_bullet_private_has_the_same_shape() -> None:
    data = rest_data("bullet_private_response.json", BulletData)
    assert data.instance_servers[0].ping_interval == 18000


def test_symbols_excerpt() -> None:
    (entry,) = rest_data("symbols_response_excerpt.json", list[SymbolEntry])
    assert (entry.symbol, entry.base_currency, entry.quote_currency) == ("BTC-USDT", "BTC", "USDT")
    assert entry.base_increment == D("0.00000001")
    assert entry.price_increment == D("0.1")
    assert entry.base_min_size == D("0.00001")
    assert (entry.min_funds, entry.quote_min_size) == (D("0.1"), D("0.1"))
    assert entry.enable_trading is True


@pytest.mark.parametrize("name", ["level2_snapshot_rest.json", "level2_part_snapshot_rest.json"])
def test_level2_snapshot(name: str) -> None:
    data = rest_data(name, Level2Snapshot)
    assert (data.sequence, data.time) == ("14610502970", 1729176273859)
    assert data.bids == [(D("66976.4"), D("0.69109872")), (D("66976.3"), D("0.14377"))]
    assert data.asks == [(D("66976.5"), D("0.05408199")), (D("66976.8"), D("0.0005"))]


def test_server_time() -> None:
    assert rest_data("server_time_response.json", int) == 1729100692873


@pytest.mark.parametrize(
    ("name", "code", "msg"),
    [
        ("rest_error_cancel_unknown.json", "400100", "order_not_exist_or_not_allow_to_cancel"),
        ("rest_error_passphrase.json", "400004", "Invalid KC-API-PASSPHRASE"),
        ("rest_error_rate_limit.json", "429000", "Too Many Requests"),
        ("rest_error_signature.json", "400005", "Invalid KC-API-SIGN"),
    ],
)
def test_rest_error_envelopes(name: str, code: str, msg: str) -> None:
    envelope = envelope_decoder.decode((FIXTURES / name).read_bytes())
    assert (envelope.code, envelope.msg, envelope.data) == (code, msg, msgspec.Raw())
