"""Hostile KuCoin: bad frames of 30+ kinds, each alone and mixed, against a server of the
tests' own (:mod:`.hostile`), never the emulator.

For every kind: the stream survives (no exception reaches the caller), every good event
sent around the bad frame arrives, each bad frame yields exactly one ``StreamError``,
no delivered value breaks the rules of :mod:`tickwire.core.validation`, and the book is
equal to the server's after every bad increment.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from helpers import drain, until

from tickwire.core.config import ClientConfig
from tickwire.core.connect import connect
from tickwire.core.protocol import StreamClient
from tickwire.core.types import (
    BookUpdate,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)
from tickwire.core.validation import MAX_PRICE, MAX_SIZE, MAX_TS_NS, MIN_TS_NS, ZERO

from .conftest import FAST_RECONNECT
from .hostile import NATIVE, SYMBOL, TOPICS, HostileKucoin, message

STREAMS = ("ticker", "match", "level2")
MAX_FRAME = 64 * 1024  # the client's cap in these tests; the oversized frame is above it
DELETE = object()


# --- bad frames: (the stream a good frame should follow it on, bytes, binary) -------------


def ticker_doc(venue: HostileKucoin, **changes: Any) -> dict[str, Any]:
    """A ticker as the next one would be, changed, without advancing the venue."""
    doc = venue.ticker()
    venue.ticker_sequence -= 1
    for key, value in changes.items():
        if value is DELETE:
            del doc["data"][key]
        elif key in ("topic", "subject"):
            doc[key] = value
        else:
            doc["data"][key] = value
    return doc


def match_doc(venue: HostileKucoin, **changes: Any) -> dict[str, Any]:
    """A match as the next one would be, changed, without advancing the venue."""
    doc = venue.match()
    venue.match_sequence -= 1
    doc["data"].update(changes)
    return doc


def l2_doc(venue: HostileKucoin, start: int, end: int, row: list[Any] | None = None) -> dict:
    """A level2 increment that the venue's book does not follow."""
    row = row or ["0", "0", str(end)]  # a sequence-only row unless told
    data = {
        "changes": {"asks": [row], "bids": []},
        "sequenceEnd": end,
        "sequenceStart": start,
        "symbol": NATIVE,
        "time": 1_729_816_425_625,
    }
    return message(TOPICS[2], "trade.l2update", data)


def dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()


Bad = Callable[[HostileKucoin], bytes]
S_AHEAD = 10**12  # beyond book.MAX_SEQUENCE_JUMP (1e9): impossible, not a gap


KINDS: dict[str, tuple[str, Bad]] = {
    "truncated json": ("ticker", lambda v: dumps(ticker_doc(v))[:70]),
    "not an object": ("ticker", lambda v: b"[1, 2, 3]"),
    "wrong type: price": ("ticker", lambda v: dumps(ticker_doc(v, bestBid=[1]))),
    "wrong type: topic": ("ticker", lambda v: dumps({**ticker_doc(v), "topic": 5})),
    "missing field": ("ticker", lambda v: dumps(ticker_doc(v, bestBid=DELETE))),
    "missing sequenceEnd": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence + 1, v.sequence + 1)).replace(
            b'"sequenceEnd"', b'"x"'
        ),
    ),
    "time -5 ms": ("ticker", lambda v: dumps(ticker_doc(v, time=-5))),
    "time 1e31 ms": ("ticker", lambda v: dumps(ticker_doc(v, time=10**31))),
    "match time 1e31 ns": ("match", lambda v: dumps(match_doc(v, time=str(10**31)))),
    "utf-8 in topic": (
        "ticker",
        lambda v: dumps(ticker_doc(v)).replace(b"ticker:BTC", b"ticker:\xffBTC"),
    ),
    "utf-8 in subject": (
        "ticker",
        lambda v: dumps(ticker_doc(v)).replace(b'"trade.ticker"', b'"trade.\xc3("'),
    ),
    "utf-8 in ack id": ("ticker", lambda v: b'{"id": "\xed\xa0\x80", "type": "ack"}'),
    "binary frame": ("ticker", lambda v: b"\x00\x9f\xff garbage"),
    "bid NaN": ("ticker", lambda v: dumps(ticker_doc(v, bestBid="NaN"))),
    "ask Infinity": ("ticker", lambda v: dumps(ticker_doc(v, bestAsk="Infinity"))),
    "last 1E+99999": ("ticker", lambda v: dumps(ticker_doc(v, price="1E+99999"))),
    "bid -5": ("ticker", lambda v: dumps(ticker_doc(v, bestBid="-5"))),
    "trade size NaN": ("match", lambda v: dumps(match_doc(v, size="NaN"))),
    "unknown subject": ("ticker", lambda v: dumps(ticker_doc(v, subject="trade.bogus"))),
    "unknown topic": ("ticker", lambda v: dumps(ticker_doc(v, topic="/market/bogus:BTC-USDT"))),
    "unknown type": ("ticker", lambda v: dumps({"type": "notice", "id": "1"})),
    "unknown ack id": ("ticker", lambda v: dumps({"type": "ack", "id": "never-sent"})),
    "deep nesting": (
        "ticker",
        lambda v: dumps(ticker_doc(v))[:-1] + b', "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    ),
    "ticker sequence 1e30": ("ticker", lambda v: dumps(ticker_doc(v, sequence=str(10**30)))),
    "ticker sequence far ahead": (
        "ticker",
        lambda v: dumps(ticker_doc(v, sequence=str(v.ticker_sequence + 10**15))),
    ),
    "ticker sequence backwards": (
        "ticker",
        lambda v: dumps(ticker_doc(v, sequence=str(v.ticker_sequence - 2 * 10**9))),
    ),
    "match sequence -5": ("match", lambda v: dumps(match_doc(v, sequence="-5"))),
    "level2 far ahead": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence + S_AHEAD, v.sequence + S_AHEAD)),
    ),
    "level2 backwards": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence - 2 * 10**9, v.sequence - 2 * 10**9)),
    ),
    "level2 end < start": ("level2", lambda v: dumps(l2_doc(v, v.sequence + 2, v.sequence + 1))),
    "level2 end S+1e15": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence + 1, v.sequence + 10**15)),
    ),
    "level2 row NaN": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence + 1, v.sequence + 1, ["NaN", "1", "1"])),
    ),
    "level2 row size -1": (
        "level2",
        lambda v: dumps(l2_doc(v, v.sequence + 1, v.sequence + 1, ["60001", "-1", "1"])),
    ),
}
BINARY = {"binary frame"}


# --- the client and what it delivered --------------------------------------------------


def client_of(venue: HostileKucoin, **fields: Any) -> StreamClient:
    config = ClientConfig(venue="kucoin", rest_url=venue.rest_url, reconnect=FAST_RECONNECT)
    return connect(config, max_frame_size=MAX_FRAME, **fields)


async def subscribed(client: StreamClient) -> AsyncIterator[Event]:
    events = client.events()
    await client.subscribe("ticker", [SYMBOL])
    await client.subscribe("trades", [SYMBOL])
    await client.subscribe("book", [SYMBOL])  # returns once synced
    return events


class Tally:
    """What was sent, and everything the client delivered, checked against the rules."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.bad = 0
        self.seen: list[Event] = []

    async def good(self, venue: HostileKucoin, kind: str) -> None:
        await venue.send_good(kind)
        self.sent[kind] += 1

    async def collect(self, client: StreamClient, events: AsyncIterator[Event]) -> None:
        """Everything the client delivered for what was sent before now."""
        await client.native.barrier()  # type: ignore[attr-defined]
        self.seen += await drain(events)

    def check(self, client: StreamClient, venue: HostileKucoin, *, resyncs: bool = False) -> None:
        kinds = Counter(type(e) for e in self.seen)
        errors = [e for e in self.seen if isinstance(e, StreamError)]
        assert len(errors) == self.bad, Counter(e.message[:60] for e in errors)
        assert kinds[Ticker] == self.sent["ticker"]
        assert kinds[Trade] == self.sent["match"]
        if not resyncs:
            deltas = [e for e in self.seen if isinstance(e, BookUpdate) and not e.snapshot]
            assert len(deltas) == self.sent["level2"]
            states = {e.state for e in self.seen if isinstance(e, StreamStatus)}
            assert not states & {StreamState.RESYNCING, StreamState.RECONNECTING}
        for event in self.seen:
            assert_within_rules(event)
        bids, asks = venue.book()
        book = client.book(SYMBOL)
        assert [(lv.price, lv.size) for lv in book.bids()] == bids
        assert [(lv.price, lv.size) for lv in book.asks()] == asks


def assert_within_rules(event: Event) -> None:
    prices: list[Any] = []
    sizes: list[Any] = []
    if isinstance(event, Ticker):
        prices, sizes = [event.bid, event.ask, event.last], [event.bid_size, event.ask_size]
    elif isinstance(event, Trade):
        prices, sizes = [event.price], [event.size]
    elif isinstance(event, BookUpdate):
        prices = [lv.price for lv in (*event.bids, *event.asks)]
        sizes = [lv.size for lv in (*event.bids, *event.asks)]
    else:
        return
    assert all(ZERO < p < MAX_PRICE for p in prices), event
    assert all(ZERO <= s < MAX_SIZE for s in sizes), event
    assert MIN_TS_NS <= event.ts <= MAX_TS_NS, event


async def send_bad(venue: HostileKucoin, tally: Tally, kind: str) -> None:
    stream, build = KINDS[kind]
    await venue.send_raw(build(venue), binary=kind in BINARY)
    tally.bad += 1
    # A good frame of the same stream right after: the stream must go on from where it
    # was (and no two impossible sequences of one stream ever come in a row here).
    await tally.good(venue, stream)


# --- each kind alone ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_each_bad_frame_kind_alone(kind: str) -> None:
    async with HostileKucoin() as venue, client_of(venue) as client:
        events = await subscribed(client)
        tally = Tally()
        for stream in STREAMS * 3:
            await tally.good(venue, stream)
        await send_bad(venue, tally, kind)
        for stream in STREAMS * 3:
            await tally.good(venue, stream)
        await tally.collect(client, events)
        tally.check(client, venue)


async def test_an_oversized_frame_replaces_the_socket_and_the_stream_goes_on() -> None:
    async with HostileKucoin() as venue, client_of(venue) as client:
        events = await subscribed(client)
        tally = Tally()
        for stream in STREAMS:
            await tally.good(venue, stream)
        await tally.collect(client, events)
        await venue.send_raw(dumps(ticker_doc(venue, pad="x" * MAX_FRAME)))
        tally.bad += 1
        await venue.wait_subscribed(connections=2)  # the client came back by itself
        tally.seen += await until(events, StreamStatus, state=StreamState.RESYNCED)
        for stream in STREAMS * 3:
            await tally.good(venue, stream)
        await tally.collect(client, events)
        tally.check(client, venue, resyncs=True)
        assert venue.connections == 2


# --- all mixed ---------------------------------------------------------------------------


async def mixed_run(bad_frames: int, seed: int) -> None:
    rng = random.Random(seed)
    kinds = sorted(KINDS)
    async with HostileKucoin(seed=seed) as venue, client_of(venue) as client:
        events = await subscribed(client)
        tally = Tally()
        for n in range(bad_frames):
            await send_bad(venue, tally, rng.choice(kinds))
            await tally.good(venue, rng.choice(STREAMS))
            if n % 500 == 499:  # bounded queues: collect as we go
                await tally.collect(client, events)
        await tally.collect(client, events)
        tally.check(client, venue)
        assert tally.bad == bad_frames and venue.connections == 1


async def test_every_kind_mixed() -> None:
    await mixed_run(bad_frames=20 * len(KINDS), seed=1)


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_a_hundred_thousand_bad_frames_mixed() -> None:
    await mixed_run(bad_frames=100_000, seed=2)


# --- books that heal ---------------------------------------------------------------------


async def test_a_real_gap_resyncs_and_a_failing_snapshot_is_retried_until_it_works() -> None:
    # The old client gave up after 5 attempts; this venue fails 6 snapshots, then behaves.
    async with HostileKucoin() as venue, client_of(venue) as client:
        events = await subscribed(client)
        venue.fail_snapshots = 6
        venue.increment()  # a frame lost on the way: the next one reveals the gap
        await venue.send_good("level2")
        seen = await until(events, StreamStatus, state=StreamState.RESYNCED)
        await client.native.barrier()  # type: ignore[attr-defined]
        resyncing = [
            e for e in seen if isinstance(e, StreamStatus) and e.state is StreamState.RESYNCING
        ]
        assert len(resyncing) == 1 + 6  # the gap, then each failed attempt, reported
        assert "sync attempt 6 failed" in (resyncing[-1].reason or "")
        assert not [e for e in seen if isinstance(e, StreamError)]
        tally = Tally()
        await tally.good(venue, "level2")
        await tally.collect(client, events)
        tally.check(client, venue)


async def test_a_forged_gap_within_the_bound_is_discarded_and_the_book_heals() -> None:
    # start = S + 1000 looks like frames lost: the book resyncs, no snapshot ever reaches
    # it, and after two tries it is discarded (one StreamError) instead of blocking.
    async with HostileKucoin() as venue, client_of(venue) as client:
        events = await subscribed(client)
        start = venue.sequence + 1000
        await venue.send_json(l2_doc(venue, start, start))
        await venue.send_good("level2")
        seen = await until(events, StreamStatus, state=StreamState.RESYNCED)
        errors = [e for e in seen if isinstance(e, StreamError)]
        assert len(errors) == 1 and "discarded an increment" in errors[0].message
        tally = Tally()
        for stream in STREAMS * 3:
            await tally.good(venue, stream)
        await tally.collect(client, events)
        tally.check(client, venue)
