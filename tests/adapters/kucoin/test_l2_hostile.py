"""Hostile level2 frames through the C path and the Python path: the same outcome
(events, errors, books, sequences, resyncs), whatever the bytes (l2_driver.py)."""

from __future__ import annotations

import pytest

from .l2_driver import HAVE_EXTENSION, Pair, snapshot
from .l2_frames import l2_frame

NATIVE, SYMBOL = "BTC-USDT", "BTC/USDT"
GOOD = l2_frame(NATIVE, 11, 12, [("5.5", "2", "11")], [("6", "0", "12")])


def fresh_pair() -> Pair:
    pair = Pair({NATIVE: SYMBOL, "ETH-USDT": "ETH/USDT"})
    pair.load(NATIVE, snapshot(10, [("5", "1")], [("6", "1"), ("7", "2")]))
    return pair


def variant(old: bytes, new: bytes) -> bytes:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


HOSTILE = {
    "bad utf-8 in a price": variant(b'"5.5"', b'"5.\xff"'),
    "bad utf-8 in the symbol": variant(b'"symbol":"BTC-USDT"', b'"symbol":"BTC-\xc3("'),
    "utf-8 in the topic": variant(b"level2:BTC-USDT", "level2:BTC-ÜSDT".encode()),
    "a control character": variant(b'"5.5"', b'"5.\x015"'),
    "negative size": variant(b'"2"', b'"-2"'),
    "negative price": variant(b'"5.5"', b'"-5.5"'),
    "nan size": variant(b'"2"', b'"NaN"'),
    "snan size": variant(b'"2"', b'"sNaN"'),
    "infinite price": variant(b'"5.5"', b'"Infinity"'),
    "huge price": variant(b'"5.5"', b'"1000000000000"'),
    "price at the limit": variant(b'"5.5"', b'"999999999999.999999"'),
    "huge size": variant(b'"2"', b'"1000000000000000000"'),
    "size with an exponent": variant(b'"2"', b'"2E-3"'),
    "price with leading zeros": variant(b'"5.5"', b'"005.5"'),
    "size with a plus": variant(b'"2"', b'"+2"'),
    "price a number": variant(b'"5.5"', b"5.5"),
    "size a number": variant(b'"2"', b"2"),
    "empty price": variant(b'"5.5"', b'""'),
    "start a string": variant(b'"sequenceStart":11', b'"sequenceStart":"11"'),
    "end a float": variant(b'"sequenceEnd":12', b'"sequenceEnd":12.0'),
    "end an exponent": variant(b'"sequenceEnd":12', b'"sequenceEnd":1.2e1'),
    "negative start": variant(b'"sequenceStart":11', b'"sequenceStart":-11'),
    "start beyond int64": variant(b'"sequenceStart":11', b'"sequenceStart":9223372036854775808'),
    "end at int64 max": variant(b'"sequenceEnd":12', b'"sequenceEnd":9223372036854775807'),
    "time before 2000": variant(b'"time":1700000000000', b'"time":946684799999'),
    "time after 2100": variant(b'"time":1700000000000', b'"time":4102444800001'),
    "time a float": variant(b'"time":1700000000000', b'"time":1700000000000.5'),
    "time with a leading zero": variant(b'"time":1700000000000', b'"time":01700000000000'),
    "an unknown key": variant(b'"time"', b'"x":[1,{"a":2}],"time"'),
    "an unknown outer key": variant(b'"data"', b'"id":"7","data"'),
    "a repeated key": variant(
        b'"time":1700000000000', b'"time":1700000000000,"time":1700000000001'
    ),
    "a repeated side": variant(b'"bids"', b'"asks":[],"bids"'),
    "a missing side": variant(b'"asks":[["6","0","12"]],', b""),
    "a missing key": variant(b',"symbol":"BTC-USDT"', b""),
    "a two-item row": variant(b'["5.5","2","11"]', b'["5.5","2"]'),
    "a four-item row": variant(b'["5.5","2","11"]', b'["5.5","2","11","x"]'),
    "a row sequence float": variant(b'"11"]', b"11.5]"),
    "a row sequence text": variant(b'"11"]', b'"abc"]'),
    "a row an object": variant(b'["5.5","2","11"]', b'{"p":"5.5"}'),
    "another subject": variant(b"trade.l2update", b"trade.l2updates"),
    "another type": variant(b'"message"', b'"notice"'),
    "another topic": variant(b"/market/level2:", b"/market/level3:"),
    "topic and symbol differ": variant(b"level2:BTC-USDT", b"level2:ETH-USDT"),
    "a stray symbol": variant(b'"symbol":"BTC-USDT"', b'"symbol":"XRP-USDT"'),
    "an unsynced book": variant(b'"symbol":"BTC-USDT"', b'"symbol":"ETH-USDT"'),
    "junk after": GOOD + b"x",
    "a second object after": GOOD + b"{}",
    "whitespace after": GOOD + b" \n",
    "not json": b"\x00\x01junk",
    "empty": b"",
    "an array": b"[" + GOOD + b"]",
    "deeply nested": variant(b'"time"', b'"x":' + b"[" * 3000 + b"]" * 3000 + b',"time"'),
    "a gap": variant(b'"sequenceStart":11', b'"sequenceStart":13').replace(b":12,", b":14,"),
    "a straddle": variant(b'"sequenceStart":11', b'"sequenceStart":10'),
    "stale": variant(b'"sequenceStart":11', b'"sequenceStart":9').replace(b":12,", b":10,"),
    "end before start": variant(b'"sequenceStart":11', b'"sequenceStart":13'),
    "an impossible span": variant(b'"sequenceEnd":12', b'"sequenceEnd":5000000000000'),
    "too many rows": variant(
        b'["5.5","2","11"]', b",".join(b'["%d","1","11"]' % (100 + i) for i in range(65))
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_frame_then_a_good_one(name: str) -> None:
    pair = fresh_pair()
    pair.feed(HOSTILE[name], 1)
    pair.assert_equal()
    pair.feed(GOOD, 2)  # whatever the first did, the next frame is judged alike
    pair.assert_equal()
    pair.feed(l2_frame(NATIVE, 13, 13, [("5.5", "0", "13")], []), 3)
    pair.assert_equal()


def test_every_truncation_then_the_whole_frame() -> None:
    pair = fresh_pair()
    for length in range(len(GOOD)):
        pair.feed(GOOD[:length], length)
    pair.feed(GOOD, len(GOOD))
    pair.assert_equal()
    assert pair.c.events[-1] == pair.py.events[-1]
    if HAVE_EXTENSION:
        assert pair.in_c == 1


def test_rejects_in_a_row_then_fresh_increments() -> None:
    """After a refused increment the book counts rejects: the next good one resets the
    count on the Python path (the C path leaves that case to it), then C takes over."""
    pair = fresh_pair()
    pair.feed(HOSTILE["end before start"], 1)
    pair.feed(HOSTILE["nan size"], 2)
    pair.feed(GOOD, 3)
    pair.feed(l2_frame(NATIVE, 13, 13, [("5.5", "0", "13")], []), 4)
    pair.assert_equal()
    if HAVE_EXTENSION:
        assert pair.in_c == 1


def test_ten_impossible_increments_resync_alike() -> None:
    pair = fresh_pair()
    for received in range(12):
        pair.feed(HOSTILE["end before start"], received)
    pair.feed(GOOD, 99)
    pair.assert_equal()
    assert pair.c.resyncs


def test_a_tap_or_a_socket_not_primary_leaves_it_to_python() -> None:
    pair = fresh_pair()
    taps: list[bytes] = []
    for side in (pair.c, pair.py):
        side.client.native.add_tap(taps.append)
    pair.feed(GOOD, 1)
    pair.assert_equal()
    assert len(taps) == 2
    if HAVE_EXTENSION:
        assert pair.in_c == 0
    for side in (pair.c, pair.py):  # a socket being swapped in holds its pushes
        side.shard.incoming, side.shard.primary = side.shard.primary, None  # type: ignore[assignment]
    pair.feed(l2_frame(NATIVE, 13, 13, [("5.5", "0", "13")], []), 2)
    pair.assert_equal()
    assert len(pair.c.shard.held) == len(pair.py.shard.held) == 1
    if HAVE_EXTENSION:
        assert pair.in_c == 0
