"""core.parsing and core.decoding.either: what every venue's parse module shares."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tickwire.core.checks import Fields
from tickwire.core.decoding import Wire, either
from tickwire.core.errors import DecodeError
from tickwire.core.parsing import (
    SYMBOL_CACHE_SIZE,
    joined_by,
    out_of_range,
    price_levels,
    refusal,
    unchanged,
)
from tickwire.core.types import BookLevel

D = Decimal


class Ping(Wire, frozen=True, gc=False):
    ping: int


class Pong(Wire, frozen=True, gc=False):
    pong: str


decode = either(msgspec.json.Decoder(Ping), "a ping", msgspec.json.Decoder(Pong), "a pong", "v")


def test_either_tries_both_decoders_in_order() -> None:
    assert decode(b'{"ping":1}') == Ping(1)
    assert decode(b'{"pong":"x"}') == Pong("x")


@pytest.mark.parametrize("frame", [b"", b"[]", b'{"ping":"1"}', b"\xff", b"[" * 100_000])
def test_either_refuses_what_fits_neither_naming_both(frame: bytes) -> None:
    with pytest.raises(DecodeError, match=r"^v: neither a ping \(.*\) nor a pong \(") as info:
        decode(frame)
    assert info.value.frame == frame[:200].decode("utf-8", "replace")


def test_joined_by_maps_both_ways_idempotently_within_a_bound() -> None:
    to_unified, to_native = joined_by("_")
    assert to_unified("BTC_USD") == "BTC/USD" == to_unified("BTC/USD")
    assert to_native("BTC/USD") == "BTC_USD" == to_native("BTC_USD")
    assert to_unified("BTC") == "BTC" and unchanged("BTC/USD") == "BTC/USD"
    for i in range(SYMBOL_CACHE_SIZE + 10):
        to_unified(f"A{i}_B")
    assert to_unified.cache_info().currsize <= SYMBOL_CACHE_SIZE  # type: ignore[attr-defined]


def test_price_levels_checks_every_row() -> None:
    rows = [(D("1.5"), D("0")), (D("2"), D("3"))]
    assert price_levels(rows, "v: bid") == [BookLevel(D("1.5"), D("0")), BookLevel(D("2"), D("3"))]
    for bad in [(D("0"), D("1")), (D("1"), D("-1")), (D("NaN"), D("1")), (D("1"), D("sNaN"))]:
        with pytest.raises(DecodeError, match=r"^v: bid out of range"):
            price_levels([*rows, bad], "v: bid")


def test_out_of_range_keeps_the_value() -> None:
    with pytest.raises(DecodeError, match=r"^v: ticker out of range") as info:
        out_of_range("v: ticker", (D("-1"), D("2")))
    assert "-1" in (info.value.frame or "")


class Entry(msgspec.Struct):
    price: Decimal
    qty: Decimal


def test_refusal_names_the_field_then_the_timestamp() -> None:
    fields = Fields(prices=("price",), sizes=("qty",))
    error = refusal(fields, Entry(D("1"), D("-2")), "v: trade")
    assert str(error).startswith("v: trade qty out of range: -2")
    assert "NaN" in str(refusal(fields, Entry(D("NaN"), D("1")), "v: trade"))
    assert "v: trade timestamp" in str(refusal(fields, Entry(D("1"), D("1")), "v: trade", ts=-1))
