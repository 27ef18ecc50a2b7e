"""core/timestamps.py: RFC 3339 text -> exact integer nanoseconds."""

from __future__ import annotations

import calendar
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickwire.core import timestamps
from tickwire.core.errors import DecodeError
from tickwire.core.timestamps import parse_timestamp, rfc3339_to_ns


def epoch_ns(y: int, mo: int, d: int, h: int, mi: int, s: int, frac_ns: int = 0) -> int:
    return calendar.timegm((y, mo, d, h, mi, s)) * 1_000_000_000 + frac_ns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-09-21T15:49:29Z", epoch_ns(2023, 9, 21, 15, 49, 29)),
        ("2023-09-22T10:33:05.709950Z", epoch_ns(2023, 9, 22, 10, 33, 5, 709_950_000)),
        ("2023-10-04T15:25:00.000000000Z", epoch_ns(2023, 10, 4, 15, 25, 0)),
        ("2023-10-04T16:26:01.806315597Z", epoch_ns(2023, 10, 4, 16, 26, 1, 806_315_597)),
        ("2023-10-04T16:26:01.000000001Z", epoch_ns(2023, 10, 4, 16, 26, 1, 1)),
        ("2022-06-13T08:09:10.7890123Z", epoch_ns(2022, 6, 13, 8, 9, 10, 789_012_300)),
        ("2022-06-13T08:09:10.5Z", epoch_ns(2022, 6, 13, 8, 9, 10, 500_000_000)),
        ("2022-06-13T08:09:10.1234567891Z", epoch_ns(2022, 6, 13, 8, 9, 10, 123_456_789)),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T23:59:59.999999Z", epoch_ns(2024, 2, 29, 23, 59, 59, 999_999_000)),
        ("2023-09-22t10:33:05.709950z", epoch_ns(2023, 9, 22, 10, 33, 5, 709_950_000)),
        ("2023-09-22T12:33:05.709950+02:00", epoch_ns(2023, 9, 22, 10, 33, 5, 709_950_000)),
        ("2023-09-22T08:03:05-02:30", epoch_ns(2023, 9, 22, 10, 33, 5)),
    ],
)
def test_rfc3339_to_ns_is_exact(text: str, expected: int) -> None:
    assert rfc3339_to_ns(text) == expected
    assert rfc3339_to_ns(text) == expected  # the second call takes the cached prefix


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2023-09-22",
        "2023-09-22T10:33:05",  # no offset
        "2023-09-22T10:33:05.Z",  # empty fraction
        "2023-09-22T10:33:05.70995",  # no offset after the fraction
        "2023-09-22 10:33:05Z",
        "2023-13-22T10:33:05Z",
        "2023-02-30T10:33:05Z",
        "2023-09-22T24:00:00Z",
        "2016-12-31T23:59:60Z",  # leap seconds have no epoch time
        "2023-09-22T10:33:05.7_9Z",
        "2023-09-22T10:33:05.٣٣Z",  # non-ASCII digits
        "٢٠٢٣-09-22T10:33:05Z",
        "2023-09-22T10:33:05+2:00",
        "2023-09-22T10:33:05+25:00",
        "2023-09-22T10:33:05.123456ZZ",
        "CloudFlare WebSocket proxy restarting",
    ],
)
def test_rfc3339_to_ns_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        rfc3339_to_ns(text)


@given(st.text(max_size=40))
def test_rfc3339_to_ns_raises_only_value_error(text: str) -> None:
    try:
        assert isinstance(rfc3339_to_ns(text), int)
    except ValueError:
        pass


@given(st.datetimes(), st.integers(0, 999_999_999), st.sampled_from([0, 1, 3, 6, 9]))
def test_rfc3339_to_ns_round_trips(moment: datetime, ns: int, digits: int) -> None:
    moment = moment.replace(microsecond=0)
    ns = ns - ns % 10 ** (9 - digits)
    fraction = f".{ns:09d}"[: digits + 1] if digits else ""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0") + fraction + "Z"
    expected = calendar.timegm(moment.timetuple()) * 1_000_000_000 + ns
    assert rfc3339_to_ns(text) == expected


def test_prefix_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timestamps, "_PREFIX_CACHE_SIZE", 3)
    timestamps._prefix_cache.clear()
    for second in range(10):
        assert rfc3339_to_ns(f"1970-01-01T00:00:{second:02d}Z") == second * 1_000_000_000
    assert len(timestamps._prefix_cache) <= 3


def test_microsecond_fast_path_checks_the_digits_after_a_cached_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timestamps, "_PREFIX_CACHE_SIZE", 3)
    timestamps._milli_cache.clear()
    base = epoch_ns(2023, 9, 22, 10, 33, 5)
    assert rfc3339_to_ns("2023-09-22T10:33:05.709950Z") == base + 709_950_000
    assert rfc3339_to_ns("2023-09-22T10:33:05.709001Z") == base + 709_001_000  # cached ms
    for bad in ("2023-09-22T10:33:05.7099_0Z", "2023-09-22T10:33:05.709٣٣٣Z"):
        with pytest.raises(ValueError):
            rfc3339_to_ns(bad)
    for milli in range(10):
        assert rfc3339_to_ns(f"1970-01-01T00:00:00.{milli:03d}000Z") == milli * 1_000_000
    assert len(timestamps._milli_cache) <= 3


def test_parse_timestamp_defaults_and_refuses_with_one_error_type() -> None:
    assert parse_timestamp(None, 42, "venue") == 42
    assert parse_timestamp("2023-10-04T15:25:00Z", 0, "venue") == epoch_ns(2023, 10, 4, 15, 25, 0)
    with pytest.raises(DecodeError, match="venue: bad timestamp"):
        parse_timestamp("yesterday", 0, "venue")
    with pytest.raises(DecodeError, match="venue: timestamp"):
        parse_timestamp("1999-12-31T23:59:59Z", 0, "venue")  # outside 2000-2100
