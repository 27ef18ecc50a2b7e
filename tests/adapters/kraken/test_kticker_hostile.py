"""Hostile ticker frames through the C ticker path and the pure-Python path: the same
outcome every time (the same events, the same StreamErrors, the same ticker cache and
activity). The C path must refuse each one it cannot be sure of, touching nothing, so
that msgspec and ``parse.to_tickers`` give their precise errors."""

from __future__ import annotations

import pytest

from tickwire.core.types import StreamError, Ticker

from .kticker_driver import HAVE_TICKER_PATH, TickerSide, assert_same
from .kticker_frames import SAMPLE

pytestmark = pytest.mark.skipif(not HAVE_TICKER_PATH, reason="the C extension is not built")


def swap(old: bytes, new: bytes) -> bytes:
    """The sample with one piece replaced (which must be there)."""
    assert old in SAMPLE
    return SAMPLE.replace(old, new, 1)


HOSTILE = {
    "bad UTF-8 in the symbol": swap(b'"BTC/USD"', b'"BTC/\xff\xfeUSD"'),
    "a surrogate in the symbol": swap(b'"BTC/USD"', b'"BTC/\xed\xa0\x80"'),
    "bad UTF-8 in the timestamp": swap(b"844359Z", b"84\xc3\x28359Z"),
    "bad UTF-8 outside strings": swap(b'"bid":', b'"bid":\xc3\xa9'),
    "a negative price": swap(b'"bid":83744.2', b'"bid":-83744.2'),
    "a negative size": swap(b'"bid_qty":0.56251979', b'"bid_qty":-0.56251979'),
    "a negative zero size": swap(b'"bid_qty":0.56251979', b'"bid_qty":-0.0'),
    "a zero price": swap(b'"last":83744.3', b'"last":0.000'),
    "a zero size": swap(b'"ask_qty":0.00044780', b'"ask_qty":0'),
    "NaN": swap(b'"ask":83744.3', b'"ask":NaN'),
    "Infinity": swap(b'"ask":83744.3', b'"ask":Infinity'),
    "a huge exponent": swap(b'"ask":83744.3', b'"ask":1e400'),
    "a price at the limit": swap(b'"ask":83744.3', b'"ask":1000000000000'),
    "a price just below it": swap(b'"ask":83744.3', b'"ask":999999999999.99999'),
    "a size at the limit": swap(b'"volume":3156.84782110', b'"volume":1000000000000000000.0'),
    "a size just below it": swap(b'"volume":3156.84782110', b'"volume":999999999999999999.9'),
    "a 60-digit fraction": swap(b'"bid_qty":0.56251979', b'"bid_qty":0.' + b"1" * 60),
    "a tiny price": swap(b'"bid":83744.2', b'"bid":0.' + b"0" * 40 + b"1"),
    "a 400-digit price": swap(b'"ask":83744.3', b'"ask":' + b"9" * 400),
    "a string price": swap(b'"bid":83744.2', b'"bid":"83744.2"'),
    "a null price": swap(b'"bid":83744.2', b'"bid":null'),
    "a leading zero": swap(b'"bid":83744.2', b'"bid":083744.2'),
    "a leading plus": swap(b'"bid":83744.2', b'"bid":+83744.2'),
    "a bare dot": swap(b'"bid":83744.2', b'"bid":83744.'),
    "a dot first": swap(b'"bid_qty":0.56251979', b'"bid_qty":.56251979'),
    "two dots": swap(b'"bid":83744.2', b'"bid":83.744.2'),
    "a bad skipped number": swap(b'"vwap":84174.6', b'"vwap":84174.6.1'),
    "a skipped number with a leading zero": swap(b'"trades":135262', b'"trades":0135262'),
    "a skipped string": swap(b'"vwap":84174.6', b'"vwap":"84174.6"'),
    "a skipped huge number": swap(b'"trades":135262', b'"trades":1' + b"0" * 500),
    "an unknown key": swap(b'"vwap":84174.6', b'"vwap":84174.6,"extra":[1,{"a":null}]'),
    "an unknown top-level key": swap(b'"type":"update"', b'"type":"update","seq":1'),
    "a repeated key": swap(b'"bid":83744.2', b'"bid":83744.2,"bid":83744.1'),
    "a repeated symbol": swap(b'"symbol":"BTC/USD"', b'"symbol":"ETH/USD","symbol":"BTC/USD"'),
    "a missing value": swap(b'"bid_qty":0.56251979,', b""),
    "a missing symbol": swap(b'"symbol":"BTC/USD",', b""),
    "a symbol that is a number": swap(b'"BTC/USD"', b"42"),
    "an escaped symbol": swap(b'"BTC/USD"', b'"BTC\\/USD"'),
    "a unicode escape": swap(b'"BTC/USD"', b'"BTC\\u002fUSD"'),
    "a control character": swap(b'"BTC/USD"', b'"BTC/\x01USD"'),
    "a symbol not subscribed": swap(b'"BTC/USD"', b'"NOPE/XYZ"'),
    "an empty symbol": swap(b'"BTC/USD"', b'""'),
    "a bad timestamp": swap(b"2026-09-25T17", b"2026-13-25T17"),
    "a timestamp in 1999": swap(b"2026-09-25", b"1999-09-25"),
    "a timestamp in 2101": swap(b"2026-09-25", b"2101-09-25"),
    "a number timestamp": swap(b'"2026-09-25T17:48:26.844359Z"', b"1790358506"),
    "a null timestamp": swap(b'"2026-09-25T17:48:26.844359Z"', b"null"),
    "an empty timestamp": swap(b'"2026-09-25T17:48:26.844359Z"', b'""'),
    "a timestamp without a zone": swap(b'26.844359Z"', b'26.844359"'),
    "a fraction with a letter": swap(b'26.844359Z"', b'26.84a359Z"'),
    "no data entry": swap(SAMPLE[SAMPLE.index(b"[") : SAMPLE.rindex(b"]") + 1], b"[]"),
    "two data entries": swap(b"}]}", b"}," + SAMPLE[SAMPLE.index(b"[") + 1 : -2] + b"]}"),
    "data not a list": swap(b'"data":[', b'"data":').replace(b"}]}", b"}}"),
    "another channel": swap(b'"channel":"ticker"', b'"channel":"tickers"'),
    "another type": swap(b'"type":"update"', b'"type":"delta"'),
    "a snapshot": swap(b'"type":"update"', b'"type":"snapshot"'),
    "trailing junk": SAMPLE + b"x",
    "a second object": SAMPLE + SAMPLE,
    "trailing whitespace": SAMPLE + b" \n",
    "a trailing comma": swap(b"}]}", b",}]}"),
    "an empty frame": b"",
    "a NUL": swap(b'"bid":83744.2', b'"bid":83744.2\x00'),
    "not JSON at all": b"<html>502 Bad Gateway</html>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_frames_give_the_same_outcome(name: str) -> None:
    sides = [TickerSide(fast) for fast in (True, False)]
    for n, frame in enumerate((SAMPLE, HOSTILE[name], SAMPLE)):
        for side in sides:
            side.feed(frame, 100 + n)
    assert_same(*sides)


def test_every_truncation_gives_the_same_outcome() -> None:
    sides = [TickerSide(fast) for fast in (True, False)]
    for cut in range(len(SAMPLE)):
        for side in sides:
            side.feed(SAMPLE[:cut], cut)
    assert_same(*sides)
    fast = sides[0]
    assert fast.taken == 0 and all(isinstance(e, StreamError) for e in fast.events)


def test_every_single_byte_change_gives_the_same_outcome() -> None:
    """Each byte of the sample replaced in turn by a few others: wherever the scanner
    looks, it agrees with the Python path."""
    sides = [TickerSide(fast) for fast in (True, False)]
    received = 0
    for at in range(len(SAMPLE)):
        for byte in b'0 9."-eE,:}]\\\xff':
            frame = SAMPLE[:at] + bytes([byte]) + SAMPLE[at + 1 :]
            received += 1
            for side in sides:
                side.feed(frame, received)
    assert_same(*sides)
    fast = sides[0]
    assert fast.taken > 0 and any(isinstance(e, Ticker) for e in fast.events)


def test_a_refused_frame_touches_nothing() -> None:
    """A refusal after a good frame: the cache and activity still hold the good one."""
    side = TickerSide(True)
    side.feed(SAMPLE, 1)
    before = dict(side.client._tickers), dict(side.client._activity)
    side.feed(HOSTILE["a zero price"], 2)
    assert side.taken == 1
    assert (dict(side.client._tickers), dict(side.client._activity)) == before
    assert isinstance(side.events[-1], StreamError)
