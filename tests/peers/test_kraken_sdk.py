"""python-kraken-sdk against the Kraken emulator: SpotWSClient (public and private) and
SpotOrderBookClient, whose CRC32 checksums must verify against the emulator's books.

SpotWSClient takes ``rest_url``/``ws_url``/``auth_ws_url`` and appends ``/v2`` to the
socket URLs itself, so it gets the emulator's base URLs (the auth host is also served at
``/ws-auth/v2`` for that). SpotOrderBookClient takes no URL at all: pointing it needs a
subclass that sets ``WS_URL`` and a replacement of its private ``Market`` (the REST
client it asks for ``pair_decimals``/``lot_decimals``), i.e. patching; the network
guard in ``conftest.py`` proves it reaches nothing else.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

kraken_spot = pytest.importorskip("kraken.spot")

from tickwire.exchanges.kraken import KrakenEmulator  # noqa: E402
from tickwire.exchanges.kraken.emulator import TEST_KEY, TEST_SECRET  # noqa: E402

BTC = "BTC/USD"
WAIT = 10.0


class Recorder(kraken_spot.SpotWSClient):  # type: ignore[misc]
    """A SpotWSClient that queues every message it receives."""

    def __init__(self, **kwargs: Any) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        super().__init__(**kwargs)

    async def on_message(self, message: Any) -> None:
        if isinstance(message, dict):
            self.inbox.put_nowait(message)

    async def next(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.inbox.get()
                assert message.get("success") is not False or wanted(message), message
                if wanted(message):
                    return message


def channel(name: str, kind: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("channel") == name and (kind is None or m.get("type") == kind)


def method(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("method") == name


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=13, interval=None, heartbeat_interval=0.2) as ex:
        yield ex


def urls(ex: KrakenEmulator) -> dict[str, str]:
    return {"rest_url": ex.rest_url, "ws_url": ex.ws_base, "auth_ws_url": ex.ws_auth_base}


@pytest.fixture
async def public(kraken: KrakenEmulator) -> AsyncIterator[Recorder]:
    client = Recorder(**urls(kraken))
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def private(kraken: KrakenEmulator) -> AsyncIterator[Recorder]:
    client = Recorder(key=TEST_KEY, secret=TEST_SECRET, no_public=True, **urls(kraken))
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def test_public_ticker_and_book_are_the_emulators(public, kraken) -> None:
    await public.subscribe(params={"channel": "ticker", "symbol": [BTC]})
    ticker = (await public.next(channel("ticker", "snapshot")))["data"][0]
    (bid, _), (ask, _) = kraken.book(BTC, 1)[0][0], kraken.book(BTC, 1)[1][0]
    assert (Decimal(str(ticker["bid"])), Decimal(str(ticker["ask"]))) == (bid, ask)
    await public.subscribe(params={"channel": "book", "symbol": [BTC], "depth": 10})
    book = (await public.next(channel("book", "snapshot")))["data"][0]
    bids, asks = kraken.book(BTC, 10)
    assert [(Decimal(str(r["price"])), Decimal(str(r["qty"]))) for r in book["bids"]] == bids
    assert [(Decimal(str(r["price"])), Decimal(str(r["qty"]))) for r in book["asks"]] == asks
    assert public.active_public_subscriptions


async def test_private_executions_and_balances_are_the_account(private, kraken) -> None:
    await private.subscribe(params={"channel": "balances"})
    snapshot = (await private.next(channel("balances", "snapshot")))["data"]
    totals = {row["asset"]: Decimal(str(row["balance"])) for row in snapshot}
    assert totals == {a: t for a, (t, _, _) in kraken.engine.balances().items()}
    await private.subscribe(params={"channel": "executions"})
    await private.next(channel("executions", "snapshot"))
    await private.send_message(
        message={"method": "add_order", "params": {
            "order_type": "limit", "side": "buy", "order_qty": 0.001, "limit_price": 1000.0,
            "symbol": BTC, "cl_ord_id": "sdk-ws-1"}}
    )  # fmt: skip
    ack = await private.next(method("add_order"))
    assert ack["success"] is True, ack
    order_id = ack["result"]["order_id"]
    held = kraken.engine.order(order_id=order_id)
    assert held is not None and held.client_id == "sdk-ws-1" and held.is_open
    new = await private.next(lambda m: channel("executions")(m)
                             and m["data"][0].get("exec_type") == "new")  # fmt: skip
    assert new["data"][0]["order_id"] == order_id
    await private.send_message(message={"method": "cancel_order",
                                        "params": {"order_id": [order_id]}})  # fmt: skip
    assert (await private.next(method("cancel_order")))["success"] is True
    assert held.state == "canceled"


async def test_what_the_venue_refuses_comes_back_as_its_error(private, kraken) -> None:
    await private.send_message(
        message={"method": "add_order", "params": {
            "order_type": "limit", "side": "buy", "order_qty": 0.00000001,
            "limit_price": 1000.0, "symbol": BTC}}
    )  # fmt: skip
    refused = await private.next(method("add_order"))
    assert refused["success"] is False
    assert refused["error"] == "EOrder:Order minimum not met"
    assert kraken.engine.open_orders() == []


# -- SpotOrderBookClient ---------------------------------------------------------------
# Its message handler asks REST for a pair's decimals with a *blocking* call (requests)
# inside the event loop; an emulator on that same loop could never answer it. So these
# tests run the emulator on its own loop in a thread, as a remote venue would be.


class ThreadedKraken:
    """A KrakenEmulator running on its own event loop in a thread."""

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.ex = KrakenEmulator(**kwargs)
        self._thread = threading.Thread(target=self.loop.run_forever, name="kraken-venue")

    async def call(self, coro: Any) -> Any:
        """Run ``coro`` on the emulator's loop; its result."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def run(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` on the emulator's loop (its state is that loop's alone)."""

        async def inside() -> Any:
            return fn()

        return await self.call(inside())

    async def __aenter__(self) -> ThreadedKraken:
        self._thread.start()
        await self.call(self.ex.__aenter__())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.call(self.ex.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join, 5)
            self.loop.close()


@pytest.fixture
async def remote() -> AsyncIterator[ThreadedKraken]:
    async with ThreadedKraken(seed=13, interval=None) as venue:
        yield venue


class BookWatch:
    """SpotOrderBookClient's callbacks: every update, and any checksum error."""

    def __init__(self) -> None:
        self.updates = 0
        self.errors: list[str] = []
        self.changed = asyncio.Event()

    async def on_update(self, pair: str, message: dict[str, Any]) -> None:
        if "error" in message:
            self.errors.append(message["error"])
        else:
            self.updates += 1
        self.changed.set()


def order_book_client(ex: KrakenEmulator, watch: BookWatch) -> Any:
    """SpotOrderBookClient aimed at ``ex``: no URL parameters exist, so this patches."""
    aimed = type("AimedOrderBook", (kraken_spot.SpotOrderBookClient,), {"WS_URL": ex.ws_base})
    client = aimed(depth=10, callback=watch.on_update)  # an async def, as it checks
    client._SpotOrderBookClient__market = kraken_spot.Market(url=ex.rest_url)
    return client


async def wait_until(watch: BookWatch, done: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not done():
            watch.changed.clear()
            await watch.changed.wait()


def top(book: dict[str, Any]) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    return tuple(
        [(Decimal(p), Decimal(v[0])) for p, v in list(book[side].items())[:10]]
        for side in ("bid", "ask")
    )


async def test_order_book_client_checksums_verify_and_match_the_truth(remote) -> None:
    watch = BookWatch()
    client = order_book_client(remote.ex, watch)
    await client.start()
    try:
        await client.add_book(pairs=[BTC])
        await wait_until(watch, lambda: client.get(BTC) is not None)
        await remote.call(remote.ex.step(300, BTC))
        truth = tuple(await remote.run(lambda: remote.ex.book(BTC, 10)))
        await wait_until(watch, lambda: top(client.get(BTC)) == truth or bool(watch.errors))
        book = client.get(BTC)
        assert watch.errors == [] and book["valid"], watch.errors
        assert watch.updates > 1  # deltas were checked, not only the snapshot
        assert Decimal(next(iter(book["bid"]))) < Decimal(next(iter(book["ask"])))
    finally:
        await client.close()


async def test_order_book_client_catches_a_corrupted_checksum(remote) -> None:
    watch = BookWatch()
    client = order_book_client(remote.ex, watch)
    await client.start()
    try:
        await client.add_book(pairs=[BTC])
        await wait_until(watch, lambda: client.get(BTC) is not None)
        await remote.run(lambda: remote.ex.corrupt_next_checksum(BTC))
        await remote.call(remote.ex.step(50, BTC))
        await wait_until(watch, lambda: bool(watch.errors))
        assert "Checksum mismatch" in watch.errors[0]
    finally:
        await client.close()
