"""cryptofeed 2.4.1's ``KuCoin`` feed against the emulator: what the venue refuses, what works.

Two limitations of the client, named here:

* **Topics KuCoin rejects.** It subscribes ``"/market/match: BTC-USDT"`` (a space after
  the colon) for trades, ticker and book; since February 2026 KuCoin answers
  ``{"id":"1","type":"error","code":400,"data":"topic /market/match: BTC-USDT is
  invalid"}`` (cryptofeed issue #1100) and so does the emulator: the feed gets no data
  on those channels, only that error in its log. Its candles topic has no space and works.
* **A hard-coded host.** Its token call is the literal ``https://api.kucoin.com/api/v1/
  bullet-public`` (no setting changes it), so that one address is rewritten to the
  emulator's; the symbol list comes from the class's ``rest_endpoints`` table, pointed
  at the emulator. It only accepts a ``wss://`` push address, so the emulator serves its
  push socket over TLS (``push_tls``) with a certificate trusted via ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kucoin_peers import Inbox, ThreadedEmulator, loopback_tls, stop_stray_tasks

pytest.importorskip("cryptofeed")

from cryptofeed import connection  # after the importorskip
from cryptofeed.defines import CANDLES, TICKER, TRADES
from cryptofeed.exchanges import KuCoin

NAME = "BTC-USDT"
VENUE_HOST = "https://api.kucoin.com"


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedEmulator]:
    context, pem = loopback_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    with ThreadedEmulator(seed=9, interval=None, push_tls=context) as threaded:
        url = threaded.ex.rest_url
        real_write = connection.HTTPSync.write

        def write(self: Any, address: str, *args: Any, **kwargs: Any) -> Any:
            # Only the hard-coded venue host is rewritten; nothing else changes.
            return real_write(self, address.replace(VENUE_HOST, url), *args, **kwargs)

        endpoint = KuCoin.rest_endpoints[0]
        routes = connection.Routes(endpoint.routes.instruments, l2book=endpoint.routes.l2book)
        monkeypatch.setattr(connection.HTTPSync, "write", write)
        monkeypatch.setattr(KuCoin, "rest_endpoints", [connection.RestEndpoint(url, routes=routes)])
        yield threaded


async def run_feed(
    emulator: ThreadedEmulator, channels: list[str], steps: int
) -> tuple[Any, Inbox]:
    """Start a feed of ``channels`` on BTC-USDT, move the market: the feed and its inbox."""
    inbox = Inbox()

    async def deliver(obj: Any, receipt_timestamp: float) -> None:
        inbox.add(obj)

    feed = KuCoin(symbols=[NAME], channels=channels, callbacks=dict.fromkeys(channels, deliver))
    feed.start(asyncio.get_running_loop())
    try:
        for _ in range(steps // 5):
            await emulator.run(lambda ex: ex.step(5, NAME))
            await asyncio.sleep(0.01)  # the feed reads its socket meanwhile
    except BaseException:
        await stop(feed, emulator)
        raise
    return feed, inbox


async def stop(feed: Any, emulator: ThreadedEmulator) -> None:
    feed.stop()
    await feed.shutdown()
    # Its connection watcher is a task nobody keeps; end it with the rest.
    await stop_stray_tasks(lambda: emulator.run(lambda ex: ex.drop_all()))


async def test_trades_and_ticker_topics_are_refused_as_kucoin_does(emulator, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="feedhandler")
    feed, inbox = await run_feed(emulator, [TRADES, TICKER], steps=200)
    try:
        refused = {"/market/match", "/market/ticker"}

        def both_refused(_: list[Any]) -> bool:
            text = caplog.text
            return all(f"topic {t}: {NAME} is invalid" in text for t in refused)

        await inbox.until(both_refused)
        for topic in refused:
            assert (
                f"{{'id': '1', 'type': 'error', 'code': 400, "
                f"'data': 'topic {topic}: {NAME} is invalid'}}" in caplog.text
            )
        traded = await emulator.read(lambda ex: len(ex.feed.history[NAME].recent(10_000)))
        assert traded > 0  # the market did print trades...
        assert inbox.items == []  # ...and the feed, refused, got none of them
    finally:
        await stop(feed, emulator)


async def test_candles_work_and_match_the_market(emulator) -> None:
    feed, inbox = await run_feed(emulator, [CANDLES], steps=100)
    try:
        await inbox.until(lambda items: bool(items))
        await emulator.run(lambda ex: ex.burst("/market/candles", NAME, 1))
        bar = await emulator.read(lambda ex: ex.market.candle("BTC/USDT", 60))
        truth = (bar.open, bar.close, bar.high, bar.low, bar.volume)

        def latest(items: list[Any]) -> tuple[Decimal, ...]:
            c = items[-1]
            return (c.open, c.close, c.high, c.low, c.volume)

        await inbox.until(lambda items: latest(items) == truth)
        candle = inbox.items[-1]
        assert (candle.symbol, candle.interval) == (NAME, "1m")
        assert candle.start == bar.begin // 1_000_000_000
        assert candle.low <= min(candle.open, candle.close) <= candle.high
    finally:
        await stop(feed, emulator)
