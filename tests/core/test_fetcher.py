"""core.fetcher and core.rest's envelope helpers: what every venue's one-shot calls share."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import msgspec
import pytest

from tickwire.core.errors import (
    DecodeError,
    NotSupported,
    RateLimited,
    RequestTimeout,
    TransportError,
)
from tickwire.core.fetcher import (
    NS,
    Fetcher,
    Names,
    ServerTime,
    book_snapshot,
    check_interval,
    page_candles,
    window_candles,
)
from tickwire.core.rest import ErrorTable, decode, decode_or_none, unwrap
from tickwire.core.types import Candle, Trade

MINUTE = 60


def bar(start_s: int, close: str = "1") -> Candle:
    price = Decimal(close)
    return Candle(venue="v", symbol="A/B", interval=MINUTE, start=start_s * NS, open=price,
                  high=price, low=price, close=price, volume=Decimal(1), ts=start_s * NS,
                  received=0)  # fmt: skip


class _Slow(Fetcher):
    venue = "v"

    async def fetch_trades(self, symbol: str, limit: int, *, timeout: float) -> list[Trade]:
        await asyncio.sleep(10)  # a venue that never answers
        return []


async def test_every_fetch_a_subclass_defines_runs_within_its_timeout() -> None:
    started = asyncio.get_running_loop().time()
    with pytest.raises(RequestTimeout, match="v fetch_trades"):
        await _Slow().fetch_trades("A/B", 1, timeout=0.05)
    assert asyncio.get_running_loop().time() - started < 1
    with pytest.raises(ValueError, match="timeout must be positive"):
        await _Slow().fetch_trades("A/B", 1, timeout=0)


async def test_names_load_once_however_many_ask_at_once() -> None:
    loads = 0

    class _Named(Fetcher):
        async def load_names(self) -> Names:
            nonlocal loads
            loads += 1
            await asyncio.sleep(0)
            return Names({"XXBT": "BTC"}, {"XXBTZUSD": "BTC/USD"}, {"BTC/USD": "XBTUSD"})

    fetcher = _Named()
    tables = await asyncio.gather(*(fetcher.names() for _ in range(5)))
    assert loads == 1 and all(t is tables[0] for t in tables)
    names = tables[0]
    assert (names.asset("XXBT"), names.symbol("XXBTZUSD"), names.native("BTC/USD")) == (
        "BTC",
        "BTC/USD",
        "XBTUSD",
    )
    assert (names.asset("SOL"), names.symbol("SOLUSD"), names.native("SOL/USD")) == (
        "SOL",
        "SOLUSD",
        "SOL/USD",
    )  # unknown names pass through, for the venue to refuse


async def test_server_time_is_read_at_the_round_trips_middle() -> None:
    async def venue_clock() -> int:
        await asyncio.sleep(0.02)
        return 5_000 * NS

    measured = await ServerTime.measure("v", venue_clock())
    assert measured.round_trip >= 20_000_000
    assert measured.offset == 5_000 * NS - measured.local


def test_an_interval_the_venue_lacks_is_a_value_error() -> None:
    check_interval("v", 60, (60, 300))
    with pytest.raises(ValueError, match=r"v: no 120 s candles \(offered: 60, 300 seconds\)"):
        check_interval("v", 120, (300, 60))


async def test_cursor_pages_merge_filter_and_stop_when_the_cursor_stalls() -> None:
    asked: list[int | None] = []

    async def ask(cursor: int | None) -> tuple[list[Candle], int | None]:
        asked.append(cursor)
        first = 0 if cursor is None else cursor
        # Overlapping pages; the last bar of each is the running one, repeated newer.
        page = [bar(first + MINUTE * i, close=str(first + i)) for i in range(4)]
        return page, min(first + 3 * MINUTE, 6 * MINUTE)  # then stalls at 360

    candles = await page_candles(ask, None, MINUTE, 30 * NS, None)
    assert asked == [None, 180, 360]  # the third page named its own cursor again: the end
    assert [c.start // NS for c in candles] == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]
    assert candles[3].close == Decimal(180)  # the later page's copy won
    asked.clear()
    early = await page_candles(ask, None, MINUTE, None, 100 * NS)
    assert asked == [None] and [c.start // NS for c in early] == [0, 60]  # past ``end``


async def test_windows_cover_the_range_oldest_first() -> None:
    windows: list[tuple[int | None, int | None]] = []

    async def ask(since: int | None, until: int | None) -> list[Candle]:
        windows.append((since, until))
        assert since is not None and until is not None
        return [bar(t) for t in range(since, until, MINUTE)]

    candles = await window_candles(ask, MINUTE, 0, 25 * MINUTE * NS - 1, max_bars=10, now=0)
    assert windows == [(0, 600), (600, 1200), (1200, 1500)]
    assert [c.start // NS for c in candles] == list(range(0, 1500, MINUTE))
    windows.clear()
    assert await window_candles(ask, MINUTE, 5 * NS, 5 * NS, max_bars=10, now=0) == []
    assert windows == []  # nothing can begin in an empty range: nothing asked


# --- core.rest: envelopes and shapes ---------------------------------------------------

TABLE = ErrorTable("v", {"E1": RateLimited})


class _Env(msgspec.Struct):
    ok: bool
    result: msgspec.Raw = msgspec.Raw()


def _open(body: bytes, status: int) -> msgspec.Raw | tuple[str, str]:
    envelope = msgspec.json.decode(body, type=_Env)
    return envelope.result if envelope.ok else ("E1", "slow down")


def _response(status: int, content: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=content, headers=headers)


def test_unwrap_judges_the_venue_code_then_the_status_then_the_shape() -> None:
    ok = unwrap(_response(200, b'{"ok":true,"result":[1]}'), "GET /x", TABLE, _open)
    assert bytes(ok) == b"[1]"
    with pytest.raises(RateLimited) as limited:
        unwrap(_response(200, b'{"ok":false}', **{"Retry-After": "2"}), "GET /x", TABLE, _open)
    assert limited.value.retry_after == 2.0
    with pytest.raises(TransportError, match="HTTP 502"):
        unwrap(_response(502, b"<html>bad gateway</html>"), "GET /x", TABLE, _open)
    with pytest.raises(DecodeError, match="not a v result") as garbled:
        unwrap(_response(200, b"<html>hi</html>"), "GET /x", TABLE, _open)
    assert garbled.value.frame == "<html>hi</html>"


def test_decode_names_the_call_and_keeps_data_unless_secret() -> None:
    assert decode("v", b"[1, 2]", list[int], "GET /x") == [1, 2]
    assert decode("v", b"3", msgspec.json.Decoder(int), "GET /x") == 3
    with pytest.raises(DecodeError, match="v: GET /x: unexpected data") as shown:
        decode("v", b'{"token": "abc"}', list[int], "GET /x")
    assert "abc" in shown.value.frame
    with pytest.raises(DecodeError) as hidden:
        decode("v", b'{"token": "abc"}', list[int], "GET /x", secret=True)
    assert hidden.value.frame == ""


def test_decode_or_none_reads_null_as_none_and_decodes_the_rest() -> None:
    assert decode_or_none("v", msgspec.Raw(b"null"), list[int], "GET /x") is None
    assert decode_or_none("v", msgspec.Raw(b"[1]"), list[int], "GET /x") == [1]
    with pytest.raises(DecodeError, match="v: GET /x: unexpected data"):
        decode_or_none("v", b'"null"', list[int], "GET /x")


async def test_fetch_time_times_the_venues_server_time_hook() -> None:
    class Clocked(Fetcher):
        venue = "v"

        async def server_time(self) -> int:
            return 42 * NS

    measured = await Clocked().fetch_time(timeout=1)
    assert measured.venue == "v" and measured.server == 42 * NS
    with pytest.raises(NotSupported, match="v: fetch_time is not supported"):
        await _Slow().fetch_time(timeout=1)


def test_book_snapshot_is_a_synced_book_of_the_given_rows() -> None:
    bids = [(Decimal(1), Decimal(2)), (Decimal("0.5"), Decimal(1))]
    book = book_snapshot("v", "A/B", 1, bids, [(Decimal(3), Decimal(4))], ts=7, sequence=9)
    assert book.synced and (book.ts, book.sequence) == (7, 9)
    assert [level.price for level in book.bids()] == [Decimal(1)]  # depth 1
