"""The subject token rule: reversible, collision-free, never a character NATS forbids."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickwire.core.nats.codec import decode, encode
from tickwire.core.nats.subjects import (
    event_subject,
    filter_subject,
    parse_subject,
    symbol_token,
    token_symbol,
)
from tickwire.core.types import Side, StreamState, StreamStatus, Trade

FORBIDDEN = set(".*> \t\r\n")


@pytest.mark.parametrize(
    ("symbol", "token"),
    [
        ("BTC/USD", "BTC_USD"),
        ("BTC/USDT", "BTC_USDT"),
        ("A_B/C", "A%5FB_C"),
        ("A/B_C", "A_B%5FC"),
        ("X.Y/Z", "X%2EY_Z"),
        ("1000SHIB/USD", "1000SHIB_USD"),
        ("USD%/EUR", "USD%25_EUR"),
        ("BTC-PERP", "BTC-PERP"),
        ("€/$", "%E2%82%AC_%24"),
        (None, "%"),
    ],
)
def test_documented_examples(symbol, token):
    assert symbol_token(symbol) == token
    assert token_symbol(token) == symbol


@given(st.text(min_size=1, max_size=20))
def test_any_symbol_round_trips_to_a_legal_token(symbol):
    token = symbol_token(symbol)
    assert token and not FORBIDDEN & set(token)
    assert token_symbol(token) == symbol


@given(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8))
def test_two_symbols_never_share_a_token(a, b):
    if a != b:
        assert symbol_token(a) != symbol_token(b)


@pytest.mark.parametrize("token", ["%4", "%41", "%zz", "a.b", "%FF", ""])
def test_tokens_the_rule_never_makes_are_refused(token):
    with pytest.raises(ValueError):
        token_symbol(token)


def test_subjects_of_events_and_filters():
    trade = Trade(
        venue="kraken",
        symbol="BTC/USD",
        trade_id="1",
        price=Decimal("1.5"),
        size=Decimal("2"),
        side=Side.BUY,
        ts=1,
        received=2,
    )
    assert event_subject("tickwire", trade) == "tickwire.kraken.trades.BTC_USD"
    status = StreamStatus(venue="kucoin", state=StreamState.CONNECTED, ts=1)
    assert event_subject("md.prod", status) == "md.prod.kucoin.status.%"
    assert parse_subject("tickwire", "tickwire.kraken.trades.BTC_USD") == (
        "kraken",
        "trades",
        "BTC/USD",
    )
    assert filter_subject("tickwire", None, "book", "ETH/USDT") == "tickwire.*.book.ETH_USDT"
    assert filter_subject("tickwire", "kraken") == "tickwire.kraken.*.*"
    assert decode(encode(trade)) == trade
