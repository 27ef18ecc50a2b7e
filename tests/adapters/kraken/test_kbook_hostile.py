"""Hostile frames through the C book path: never a crash, never a wrong write, and the
same outcome as the pure-Python path (the same StreamError and DecodeError text, the
same resync, the same book), with valid updates applied alike afterwards.

Each case starts both clients from the same synced book, sends one hostile frame made
from a valid update (the scanner's refusals, the value rules, JSON it does not take),
then a valid snapshot and updates, comparing after each step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from tickwire.core.types import StreamError

from .kbook_driver import HAVE_EXTENSION, Side, assert_same
from .kbook_frames import Model

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="the C extension is not built")

SYMBOL = "BTC/USD"


def sub(pattern: bytes, replacement: bytes) -> Callable[[bytes], bytes]:
    """The frame with the first match of ``pattern`` replaced."""
    return lambda frame: re.sub(pattern, replacement, frame, count=1)


EMPTY_ENTRY = b'{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1}'
PRICE = rb'"price":[0-9.]+'
QTY = rb'"qty":[0-9.]+'
STAMP = rb'"timestamp":"[^"]*"'
CHECKSUM = rb'"checksum":[0-9]+'


def snapshot_type(frame: bytes) -> bytes:
    """The frame as a snapshot."""
    return frame.replace(b'"update"', b'"snapshot"', 1)


HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "bad utf-8 in the symbol": sub(rb"BTC/USD", b"BTC\xff/USD"),
    "bad utf-8 in the timestamp": sub(STAMP, b'"timestamp":"2026-12-08T01:02:03.\xff\xfeZ"'),
    "overlong utf-8": sub(rb"BTC/USD", b"BTC\xc0\xafUSD"),
    "control character in the symbol": sub(rb"BTC/USD", b"BTC\x01USD"),
    "leading zeros": sub(PRICE, b'"price":0100.5'),
    "leading zero qty": sub(QTY, b'"qty":00.5'),
    "negative qty": sub(QTY, b'"qty":-1.5'),
    "negative zero qty": sub(QTY, b'"qty":-0'),
    "negative price": sub(PRICE, b'"price":-100.5'),
    "zero price": sub(PRICE, b'"price":0.0'),
    "price at the limit": sub(PRICE, b'"price":1000000000000.0'),
    "price just below the limit": sub(PRICE, b'"price":999999999999.9'),
    "qty at the limit": sub(QTY, b'"qty":1000000000000000000.00000000'),
    "huge exponent price": sub(PRICE, b'"price":1E+999999999'),
    "huge exponent qty": sub(QTY, b'"qty":1e400'),
    "tiny exponent qty": sub(QTY, b'"qty":1e-400'),
    "NaN": sub(QTY, b'"qty":NaN'),
    "Infinity": sub(PRICE, b'"price":Infinity'),
    "string price": lambda f: re.sub(rb'"price":([0-9.]+)', rb'"price":"\1"', f, count=1),
    "string qty nan": sub(QTY, b'"qty":"nan"'),
    "rounding needed": sub(PRICE, b'"price":100.55'),
    "two data entries": lambda f: f.replace(b'"data":[{', b'"data":[' + EMPTY_ENTRY + b",{", 1),
    "no data entry": lambda f: re.sub(rb'"data":\[.*\]\}$', b'"data":[]}', f),
    "truncated": lambda f: f[: len(f) // 2],
    "truncated at the end": lambda f: f[:-1],
    "trailing junk": lambda f: f + b"x",
    "trailing brace": lambda f: f + b"}",
    "trailing whitespace": lambda f: f + b" \n",
    "leading whitespace": lambda f: b"\t " + f,
    "unknown key in the entry": sub(CHECKSUM, b'"foo":[1,{"a":2}],\\g<0>'),
    "unknown key in a level": sub(PRICE, b'"x":1,\\g<0>'),
    "unknown top-level key": lambda f: f.replace(b"{", b'{"extra":null,', 1),
    "duplicate symbol": sub(rb'"symbol":"BTC/USD"', b'"symbol":"BTC/USD","symbol":"BTC/USD"'),
    "duplicate checksum": sub(CHECKSUM, b"\\g<0>,\\g<0>"),
    "duplicate price": sub(PRICE, b"\\g<0>,\\g<0>"),
    "missing qty": sub(QTY, b'"qtx":1'),
    "missing checksum": sub(rb',"checksum":[0-9]+', b""),
    "checksum 2**32": sub(CHECKSUM, b'"checksum":4294967296'),
    "checksum -1": sub(CHECKSUM, b'"checksum":-1'),
    "checksum 1.5": sub(CHECKSUM, b'"checksum":1.5'),
    "checksum string": sub(CHECKSUM, b'"checksum":"1"'),
    "checksum leading zero": sub(CHECKSUM, b'"checksum":0\\g<0>'.replace(b'"checksum":', b"")),
    "checksum huge": sub(CHECKSUM, b'"checksum":123456789012345678901234567890'),
    "month 13": sub(STAMP, b'"timestamp":"2026-13-08T01:02:03.000000Z"'),
    "year 2200": sub(STAMP, b'"timestamp":"2200-12-08T01:02:03.000000Z"'),
    "year 1999": sub(STAMP, b'"timestamp":"1999-12-08T01:02:03.000000Z"'),
    "garbage timestamp": sub(STAMP, b'"timestamp":"yesterday"'),
    "timestamp without zone": sub(STAMP, b'"timestamp":"2026-12-08T01:02:03.000000"'),
    "timestamp 10 digits": sub(STAMP, b'"timestamp":"2026-12-08T01:02:03.1234567891Z"'),
    "timestamp non-ascii digits": sub(STAMP, b'"timestamp":"2026-12-08T01:02:03.\xd9\xa1Z"'),
    "timestamp null": sub(STAMP, b'"timestamp":null'),
    "timestamp number": sub(STAMP, b'"timestamp":1765000000'),
    "escaped key": lambda f: f.replace(b'"price"', b'"\\u0070rice"', 1),
    "bids an object": sub(rb'"bids":\[', b'"bids":{"a":['),
    "levels not objects": sub(rb'"bids":\[', b'"bids":[[1,2],'),
    "unsubscribed symbol": sub(rb"BTC/USD", b"XBT/EUR"),
    "type snapshot with a bad value": lambda f: sub(QTY, b'"qty":-1')(snapshot_type(f)),
    "channel ticker": lambda f: f.replace(b'"book"', b'"ticker"', 1),
    "type bogus": lambda f: f.replace(b'"update"', b'"bogus"', 1),
    "deep nesting": sub(CHECKSUM, b'"junk":' + b"[" * 5000 + b"]" * 5000 + b",\\g<0>"),
    "empty frame": lambda f: b"",
    "not json": lambda f: b"<html>Cloudflare</html>",
    "a JSON array": lambda f: b"[" + f + b"]",
}


def synced_pair(seed: int) -> tuple[Model, list[Side]]:
    """Both clients with the same synced book and a few updates applied."""
    model = Model(SYMBOL, 1, 8, 10, random.Random(seed), plain=True)
    sides = [Side(fast, {SYMBOL: (1, 8)}, 10) for fast in (True, False)]
    frames = [model.snapshot()] + [model.update() for _ in range(5)]
    for frame in frames:
        for side in sides:
            side.feed(frame, 100)
    assert_same(*sides, [SYMBOL])
    return model, sides


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_frame_has_the_same_outcome_on_both_paths(case: str) -> None:
    model, sides = synced_pair(seed=len(case))
    good = model.update()  # applied to the model: what Kraken applied
    hostile = HOSTILE[case](good)
    for side in sides:
        side.feed(hostile, 200)
    assert_same(*sides, [SYMBOL])
    # Afterwards both recover alike: a snapshot, then valid updates.
    for frame in [model.snapshot()] + [model.update() for _ in range(5)]:
        for side in sides:
            side.feed(frame, 300)
    assert_same(*sides, [SYMBOL])
    assert sides[0].book(SYMBOL).synced


def test_every_hostile_case_changed_the_frame() -> None:
    model, _ = synced_pair(seed=1)
    good = model.update()
    unchanged = [case for case, make in HOSTILE.items() if make(good) == good]
    assert not unchanged


def test_errors_are_reported_with_the_python_paths_messages() -> None:
    model, sides = synced_pair(seed=2)
    for side in sides:
        side.feed(sub(QTY, b'"qty":-1.5')(model.update()), 200)
    errors = [e for e in sides[0].events if isinstance(e, StreamError)]
    assert len(errors) == 1 and "qty" in errors[0].message
    assert sides[0].resyncs and "refused a book message" in sides[0].resyncs[0][1]


def test_a_wrong_checksum_resets_both_books_and_ignores_updates_until_a_snapshot() -> None:
    model, sides = synced_pair(seed=3)
    fast = sides[0].book(SYMBOL)
    bad = sub(CHECKSUM, b'"checksum":7')(model.update())
    for side in sides:
        side.feed(bad, 200)
    assert sides[0].resyncs == [(SYMBOL, sides[0].resyncs[0][1], False)]
    assert sides[0].resyncs[0][1].startswith("checksum mismatch: kraken 7, local ")
    assert not fast.synced and len(fast) == 0 and fast.c_book is not None
    assert not fast.c_book.valid
    for frame in [model.update() for _ in range(3)]:  # ignored until the snapshot
        for side in sides:
            side.feed(frame, 300)
    assert_same(*sides, [SYMBOL])
    for frame in [model.snapshot(), model.update()]:
        for side in sides:
            side.feed(frame, 400)
    assert_same(*sides, [SYMBOL])
    assert fast.synced and fast.c_book.valid


def test_an_order_book_written_behind_the_c_books_back_never_raises_out_of_on_frame() -> None:
    """KrakenBook is written through apply(); the engine's own writers (set_level) leave
    the C twin behind. It notices a changed level count (the Python path takes over),
    and a level gone from under it becomes a resync, never an exception from on_frame."""
    from decimal import Decimal

    from tickwire.core.types import Side as BookSide

    model, sides = synced_pair(seed=4)
    fast = sides[0]
    book = fast.book(SYMBOL)
    best = book.bids(1)[0].price
    book.set_level(BookSide.BUY, best - Decimal("0.3") / 7, Decimal(1))  # one more level
    fast.feed(model.update(), 200)  # the Python path: its texts rebuilt from the book
    assert fast.resyncs or (book.c_book is not None and book.c_book.valid)
    model, sides = synced_pair(seed=5)
    fast = sides[0]
    book = fast.book(SYMBOL)
    victim = book.bids(1)[0].price
    book.set_level(BookSide.BUY, victim, Decimal(0))  # same count: one gone, one new
    book.set_level(BookSide.BUY, victim - Decimal(1000), Decimal(1))
    frame = model.frame("update", [(int(victim * 10), 0)], [])  # Kraken deletes it
    fast.feed(frame, 300)
    assert fast.resyncs and fast.resyncs[0][1].startswith("invalid level: KeyError(")
    assert not book.synced and book.c_book is not None and not book.c_book.valid
