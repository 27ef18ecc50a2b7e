"""Kraken emulator, REST history: ``OHLC`` keeps the 720 latest entries (a synthetic past
before the start, the market's own candles after it, the running one last) and
``ClosedOrders``/``TradesHistory`` page by ``ofs``, as docs.kraken.com documents them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from test_kraken_rest_private import result

from tickwire.exchanges.kraken import KrakenEmulator

START = 1_800_000_030 * 10**9  # 30 s into a minute: the start's bucket is a live one
NS = 10**9


class Clocked:
    """An emulator whose clock moves only when the test says so."""

    def __init__(self, ex: KrakenEmulator, now: list[int]) -> None:
        self.ex, self._now = ex, now

    def advance(self, seconds: int) -> None:
        self._now[0] += seconds * NS


@pytest.fixture
async def clocked() -> AsyncIterator[Clocked]:
    now = [START]
    async with KrakenEmulator(seed=7, interval=None, clock=lambda: now[0]) as ex:
        yield Clocked(ex, now)


async def ohlc(ex: KrakenEmulator, http: Any, **query: Any) -> tuple[list[list[Any]], int]:
    params = {"pair": "XBTUSD", **{k: str(v) for k, v in query.items()}}
    async with http.get(f"{ex.rest_url}/0/public/OHLC", params=params) as resp:
        body = result(json.loads(await resp.read()))
    return body["XXBTZUSD"], body["last"]


def running_row(ex: KrakenEmulator, minutes: int) -> list[Any]:
    c = ex.market.candle("BTC/USD", minutes * 60)
    return [c.begin // NS, f"{c.open:.1f}", f"{c.high:.1f}", f"{c.low:.1f}", f"{c.close:.1f}",
            f"{c.vwap(1):.1f}", f"{c.volume:.8f}", c.trades]  # fmt: skip


async def test_ohlc_keeps_the_720_latest_entries_the_running_one_last(clocked, http) -> None:
    ex = clocked.ex
    await ex.step(150, "BTC/USD")
    for minutes in (1, 15, 1440):
        rows, last = await ohlc(ex, http, interval=minutes)
        span = minutes * 60
        assert len(rows) == 720
        assert [r[0] for r in rows] == list(range(rows[0][0], rows[-1][0] + 1, span))
        assert rows[-1] == running_row(ex, minutes)
        assert last == rows[-2][0] == rows[-1][0] - span
        for _, o, h, low, c, vwap, volume, count in rows:
            o, h, low, c, vwap = (Decimal(v) for v in (o, h, low, c, vwap))
            assert low <= min(o, c) <= max(o, c) <= h and low <= vwap <= h
            assert Decimal(volume) >= 0 and count >= 0


async def test_since_gives_the_entries_after_it_and_never_older_ones(clocked, http) -> None:
    ex = clocked.ex
    rows, last = await ohlc(ex, http, interval=5)
    assert (await ohlc(ex, http, interval=5, since=rows[-4][0]))[0] == rows[-3:]
    assert (await ohlc(ex, http, interval=5, since=last))[0] == rows[-1:]
    # "older data cannot be retrieved, regardless of the value of since"
    assert (await ohlc(ex, http, interval=5, since=1))[0] == rows
    # the running entry "will always be present, regardless of the value of since"
    assert (await ohlc(ex, http, interval=5, since=rows[-1][0] + 10**6))[0] == rows[-1:]


async def test_a_running_candle_is_committed_as_it_ran(clocked, http) -> None:
    ex = clocked.ex
    await ex.step(200, "BTC/USD")
    before, _ = await ohlc(ex, http, interval=1)
    running = before[-1]
    assert running[7] > 0, "200 steps made no trade"
    clocked.advance(60)
    await ex.step(50, "BTC/USD")
    clocked.advance(180)  # three minutes without a step: flat at the close, no volume
    after, last = await ohlc(ex, http, interval=1)
    assert after[-5] == running and last == after[-2][0]
    # The minute after it was stepped; then two without a print.
    assert after[-4][7] > 0, "50 steps made no trade"
    for gap in after[-3:-1]:
        close = after[-4][4]
        assert gap[1:5] == [close] * 4 and Decimal(gap[6]) == 0 and gap[7] == 0
    assert after[:-5] == before[4:-1], "the past changed"


async def test_the_synthetic_past_is_seeded_and_ends_at_the_start(http) -> None:
    answers = []
    for seed in (7, 7, 8):
        async with KrakenEmulator(seed=seed, interval=None, clock=lambda: START) as ex:
            answers.append((await ohlc(ex, http, interval=60))[0][:-2])
            start = ex.market.stats("BTC/USD").last
    assert answers[0] == answers[1] != answers[2]
    # The hour before the start's own ends at the starting price, within the wiggle.
    close = Decimal(answers[0][-1][4])
    assert abs(close - start) / start < Decimal("0.01")


# --- ofs paging -------------------------------------------------------------------------


async def pages(acct: Any, method: str, key: str) -> tuple[list[str], int]:
    ids: list[str] = []
    for _ in range(10):  # bounded: a venue ignoring ofs would repeat page one forever
        page = result(await acct.private(method, ofs=len(ids)))
        rows = list(page[key])
        assert len(rows) <= 50
        if not rows:
            return ids, page["count"]
        ids += rows
    raise AssertionError(f"{method} never ran out of rows")


async def test_closed_orders_page_by_ofs(kraken_account) -> None:
    acct, ex = kraken_account, kraken_account.ex
    for i in range(60):
        placed = await acct.private("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                                    volume="0.01", price="1000.0", cl_ord_id=f"o-{i}")  # fmt: skip
        (txid,) = result(placed)["txid"]
        assert result(await acct.private("CancelOrder", txid=txid)) == {"count": 1}
    first = result(await acct.private("ClosedOrders"))
    assert first["count"] == 60 and len(first["closed"]) == 50
    ids, count = await pages(acct, "ClosedOrders", "closed")
    assert count == 60 and len(ids) == len(set(ids)) == 60
    assert ids[:50] == list(first["closed"])
    clients = [ex.engine.order(order_id=i).client_id for i in ids]
    assert clients == [f"o-{i}" for i in reversed(range(60))]  # newest first
    tail = result(await acct.private("ClosedOrders", ofs=50))
    assert list(tail["closed"]) == ids[50:] and tail["count"] == 60


async def test_trades_history_pages_by_ofs(kraken_account) -> None:
    acct, ex = kraken_account, kraken_account.ex
    for _ in range(60):  # one fill each: two pages and a bit
        _, asks = ex.book("BTC/USD", 1)
        placed = await acct.private("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                                    volume="0.002", price=str(asks[0][0] * 2))  # fmt: skip
        result(placed)
    ids, count = await pages(acct, "TradesHistory", "trades")
    log = ex.desk.trade_log
    assert count == len(log) > 50, "too few fills to need a second page"
    assert ids == [f.trade_id for f in reversed(log)]


@pytest.mark.parametrize("ofs", ["-1", "x"])
async def test_a_bad_ofs_is_refused(kraken_account, ofs) -> None:
    for method in ("ClosedOrders", "TradesHistory"):
        reply = await kraken_account.private(method, ofs=ofs)
        assert reply == {"error": ["EGeneral:Invalid arguments:ofs"], "result": {}}
