"""KuCoin's own Python SDKs against the emulator's public push socket: ticker, trades, book.

* **kucoin-universal-sdk** (``SpotPublicWS``, websocket-client threads): REST endpoint
  overridden to the emulator, everything else default.
* **kucoin-python** (``KucoinWsClient``): token URL overridden. It always passes
  ``ssl=<encrypt>`` to ``websockets.connect``, which websockets 14+ refuses for a
  ``ws://`` address whatever the value, so it can only reach a ``wss://`` push socket —
  as the real venue's is. The emulator serves its push socket over TLS here
  (``push_tls``), with a throw-away certificate the client trusts via ``SSL_CERT_FILE``.

Both emulators run in their own thread: these clients block inside their coroutines or
run threads of their own. Each test reads the client's own parsed messages and checks
them against the emulator: every trade it got is the emulator's (none skipped), the
book increments are contiguous up to the emulator's sequence, the last 50-level book
equals the true book (not crossed), the last ticker equals the true top.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kucoin_peers import Inbox, ThreadedEmulator, loopback_tls, not_crossed, stop_stray_tasks

NAME = "BTC-USDT"
TOPICS = {
    "trade.ticker": f"/market/ticker:{NAME}",
    "trade.l3match": f"/market/match:{NAME}",
    "trade.l2update": f"/market/level2:{NAME}",
    "level2": f"/spotMarket/level2Depth50:{NAME}",
}
"""Subject of the pushes → the topic a client subscribes for them."""


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(seed=6, interval=None) as threaded:
        yield threaded


@pytest.fixture
def tls_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedEmulator]:
    context, pem = loopback_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))  # the client's default trust store
    with ThreadedEmulator(seed=6, interval=None, push_tls=context) as threaded:
        yield threaded


def of(inbox: Inbox, subject: str) -> list[dict[str, Any]]:
    """The ``data`` of every push of ``subject`` the client delivered, in order."""
    return [data for subj, data in inbox.items if subj == subject]


async def until_flowing(emulator: ThreadedEmulator, inbox: Inbox) -> None:
    """Step the market until every subscribed topic has delivered (subscribes are async)."""
    async with asyncio.timeout(10):
        while not all(of(inbox, subject) for subject in TOPICS):
            await emulator.run(lambda ex: ex.step(5, NAME))
            await asyncio.sleep(0.01)  # the client's thread reads the socket meanwhile


async def check_against_emulator(emulator: ThreadedEmulator, inbox: Inbox) -> None:
    """Move the market, then compare what the client holds with the emulator's truth."""
    await until_flowing(emulator, inbox)
    await emulator.run(lambda ex: ex.step(300, NAME))
    # One forced ticker, then one forced depth push: each shows the truth read after it.
    await emulator.run(lambda ex: ex.burst("/market/ticker", NAME, 1))
    top, tick_sequence, tick_last = await emulator.read(
        lambda ex: (ex.book(NAME, 1), ex.sequence(NAME), ex.feed.last_trade(NAME))
    )
    await emulator.run(lambda ex: ex.burst("/spotMarket/level2Depth50", NAME, 1))

    def truth(ex: Any) -> tuple[Any, ...]:
        history = {str(t.trade.trade_id): t for t in ex.feed.history[NAME].recent(10_000)}
        return ex.book(NAME, 50), ex.sequence(NAME), history, ex.feed.last_trade(NAME)

    (bids, asks), sequence, history, last = await emulator.read(truth)
    rows = [norm(bids), norm(asks)]

    def forced_ticker() -> list[dict[str, Any]]:
        return [t for t in of(inbox, "trade.ticker") if t["sequence"] == str(tick_sequence)]

    await inbox.until(lambda _: bool(forced_ticker()))
    await inbox.until(lambda _: [of(inbox, "level2")[-1][k] for k in ("bids", "asks")] == rows)
    ticker = forced_ticker()[-1]
    (bid, ask) = top[0][0], top[1][0]
    assert (Decimal(ticker["bestBid"]), Decimal(ticker["bestBidSize"])) == bid
    assert (Decimal(ticker["bestAsk"]), Decimal(ticker["bestAskSize"])) == ask
    assert Decimal(ticker["price"]) == tick_last.price
    depth = of(inbox, "level2")[-1]
    assert not_crossed(depth["bids"], depth["asks"]) and len(depth["bids"]) == 50

    increments = of(inbox, "trade.l2update")
    await inbox.until(lambda _: of(inbox, "trade.l2update")[-1]["sequenceEnd"] == sequence)
    increments = of(inbox, "trade.l2update")
    for before, after in itertools.pairwise(increments):
        assert after["sequenceStart"] == before["sequenceEnd"] + 1  # nothing skipped

    trades = of(inbox, "trade.l3match")
    assert trades[-1]["tradeId"] == str(last.trade_id)
    ids = [int(t["tradeId"]) for t in trades]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # every print, in order
    for got in trades:
        want = history[got["tradeId"]]
        assert (Decimal(got["price"]), Decimal(got["size"]), got["side"]) == (
            want.trade.price,
            want.trade.qty,
            want.trade.side,
        )
        assert got["sequence"] == str(want.sequence)


def norm(levels: Any) -> list[list[str]]:
    """``(Decimal, Decimal)`` levels spelled as KuCoin's pushes spell them."""
    return [[format(p.normalize(), "f"), format(q.normalize(), "f")] for p, q in levels]


async def test_universal_sdk_public_streams(emulator) -> None:
    with warnings.catch_warnings():
        # Its generated models use pydantic-1 spellings that pydantic 2 warns about.
        warnings.simplefilter("ignore", DeprecationWarning)
        pytest.importorskip("kucoin_universal_sdk")
        from kucoin_universal_sdk.api import DefaultClient
        from kucoin_universal_sdk.model import (
            ClientOptionBuilder,
            TransportOptionBuilder,
            WebSocketClientOptionBuilder,
        )

    inbox = Inbox()
    option = (
        ClientOptionBuilder()
        .set_spot_endpoint(emulator.ex.rest_url)  # the URL override; the rest is default
        .set_transport_option(TransportOptionBuilder().build())
        .set_websocket_client_option(WebSocketClientOptionBuilder().build())
        .build()
    )
    ws = DefaultClient(option).ws_service().new_spot_public_ws()

    def deliver(topic: str, subject: str, event: Any) -> None:
        inbox.put((subject, event.to_dict()))  # the SDK's parsed event, as it shows it

    await asyncio.to_thread(ws.start)
    try:
        subscribe: dict[str, Callable[..., str]] = {
            "trade.ticker": ws.ticker,
            "trade.l3match": ws.trade,
            "trade.l2update": ws.orderbook_increment,
            "level2": ws.orderbook_level50,
        }
        for method in subscribe.values():
            await asyncio.to_thread(method, [NAME], deliver)
        await check_against_emulator(emulator, inbox)
    finally:
        await asyncio.to_thread(ws.stop)


async def test_kucoin_python_public_streams(tls_emulator) -> None:
    pytest.importorskip("kucoin")
    from kucoin.client import WsToken
    from kucoin.ws_client import KucoinWsClient

    inbox = Inbox()

    async def deliver(msg: dict[str, Any]) -> None:
        inbox.add((msg["subject"], msg["data"]))

    try:
        token = WsToken(url=tls_emulator.ex.rest_url)  # the URL override
        server = (await asyncio.to_thread(token.get_ws_token))["instanceServers"][0]
        assert (server["endpoint"][:6], server["encrypt"]) == ("wss://", True)  # as the venue
        ws = await KucoinWsClient.create(None, token, deliver, private=False)
        for topic in TOPICS.values():
            await ws.subscribe(topic)
        await check_against_emulator(tls_emulator, inbox)
    finally:
        await stop_stray_tasks(lambda: tls_emulator.run(lambda ex: ex.drop_all()))
