"""The Kraken auth socket against the emulator: credentials, tokens, orders and balances.

Over real sockets on 127.0.0.1. Helpers here are shared with ``test_trading*.py``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from helpers import next_of, until

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.config import ClientConfig, Credentials, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.errors import AuthError, ConfigError
from tickwire.core.types import (
    Balance,
    Channel,
    Event,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Side,
    StreamState,
    StreamStatus,
    Subscription,
)
from tickwire.exchanges.kraken import KrakenEmulator, KrakenKey

KEY = "tickwire-test-key-0001"
SECRET = base64.b64encode(
    b"tickwire test secret, sixty-four bytes long, never shown anywhere"
).decode()
FAST_RECONNECT = ReconnectPolicy(base_delay=0.01, max_delay=0.1)
D = Decimal


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    """An emulator that moves only when the test says so, with one full-permission key."""
    async with KrakenEmulator(seed=7, interval=None, api_keys={KEY: SECRET}) as ex:
        yield ex


def private_client(
    ex: KrakenEmulator, *, secret: str = SECRET, key: str = KEY, **fields: Any
) -> KrakenClient:
    """A client of ``ex`` with credentials (fast reconnects)."""
    config = ClientConfig(
        venue="kraken",
        reconnect=FAST_RECONNECT,
        credentials=Credentials(key, secret),
        **ex.endpoints,
        **fields,
    )
    client = connect(config)
    assert isinstance(client, KrakenClient)
    return client


async def updates_until(
    events: AsyncIterator[Event], order_id: str, status: OrderStatus
) -> list[OrderUpdate]:
    """Every OrderUpdate of ``order_id`` up to the first with ``status``."""
    seen = await until(events, OrderUpdate, order_id=order_id, status=status)
    return [e for e in seen if isinstance(e, OrderUpdate) and e.order_id == order_id]


async def book_prices(client: KrakenClient, symbol: str = "BTC/USD") -> tuple[Decimal, Decimal]:
    """(best bid, best ask) once the symbol's book is live."""
    if Subscription(Channel.BOOK, symbol, (("depth", 10),)) not in client.subscriptions:
        await client.subscribe("book", [symbol])
    book = client.book(symbol)
    async with asyncio.timeout(10):
        while book.best_bid is None or book.best_ask is None:
            await book_updated(client)
    assert book.best_bid is not None and book.best_ask is not None
    return book.best_bid.price, book.best_ask.price


async def book_updated(client: KrakenClient) -> None:
    reply = await client.native.request({"method": "ping"})  # frames queued before it are read
    assert reply["method"] == "pong"


def resting_buy(bid: Decimal, size: str = "0.01", **fields: Any) -> OrderRequest:
    """A buy 5% under the bid, on BTC/USD's 0.1 tick: it rests."""
    price = (bid * D("0.95")).quantize(D("0.1"))
    return OrderRequest(symbol="BTC/USD", side=Side.BUY, size=D(size), price=price, **fields)


def crossing_buy(ask: Decimal, size: str = "0.01", **fields: Any) -> OrderRequest:
    """A buy 2% over the ask: it takes at once."""
    price = (ask * D("1.02")).quantize(D("0.1"))
    return OrderRequest(symbol="BTC/USD", side=Side.BUY, size=D(size), price=price, **fields)


# --- credentials -----------------------------------------------------------------------


async def test_a_wrong_secret_is_an_auth_error_that_never_shows_the_secret(kraken, caplog):
    wrong = base64.b64encode(b"not the secret the venue knows, but valid base64 all right").decode()
    caplog.set_level(logging.DEBUG)
    client = private_client(kraken, secret=wrong)
    with pytest.raises(AuthError) as caught:
        await client.connect()
    assert caught.value.code == "EAPI:Invalid signature"
    texts = [str(caught.value), repr(caught.value), repr(client), repr(client.config)]
    texts += [record.getMessage() for record in caplog.records]
    for secret in (wrong, SECRET):
        assert not any(secret in text for text in texts)


async def test_unknown_key_and_missing_permissions_are_auth_errors(caplog):
    keys = {
        KEY: SECRET,
        "no-websocket": KrakenKey(SECRET, frozenset({"query", "trade"})),
        "no-query": KrakenKey(SECRET, frozenset({"websocket", "trade"})),
        "no-trade": KrakenKey(SECRET, frozenset({"websocket", "query"})),
    }
    async with KrakenEmulator(seed=7, interval=None, api_keys=keys) as ex:
        for key, code in [
            ("who-is-this", "EAPI:Invalid key"),
            ("no-websocket", "EGeneral:Permission denied"),
        ]:
            with pytest.raises(AuthError) as caught:
                await private_client(ex, key=key).connect()
            assert caught.value.code == code
        # No "query" permission: the auth socket refuses the executions subscription.
        with pytest.raises(AuthError):
            await private_client(ex, key="no-query", connect_timeout=2).connect()
        async with private_client(ex, key="no-trade") as client:
            bid, _ = await book_prices(client)
            with pytest.raises(AuthError, match="Permission denied"):
                await client.place_order(resting_buy(bid), timeout=5)
    assert not any(SECRET in record.getMessage() for record in caplog.records)


async def test_without_credentials_account_features_are_a_config_error(kraken):
    config = ClientConfig(venue="kraken", reconnect=FAST_RECONNECT, **kraken.endpoints)
    async with connect(config) as client:
        with pytest.raises(ConfigError, match="credentials"):
            await client.subscribe("orders")
        with pytest.raises(ConfigError, match="credentials"):
            await client.cancel_all()
    with pytest.raises(ConfigError, match="dead_man_switch"):
        connect(msgspec.structs.replace(config, options={"dead_man_switch": 30}))
    with pytest.raises(ConfigError, match="dead_man_switch"):
        private_client(kraken, options={"dead_man_switch": 0})


# --- tokens and reconnects -------------------------------------------------------------


async def test_every_connect_uses_a_fresh_token_and_restores_both_channels(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        await client.subscribe("balances")
        first = await next_of(events, Balance, asset="USD")
        assert first.total == D("100000")
        # Old tokens die: only a token fetched for the new connection can work.
        await kraken.expire_tokens()
        await kraken.drop_all()
        # The new connection restores balances (its snapshot), then reports RESUBSCRIBED.
        again = await next_of(events, Balance, asset="USD")
        assert again.total == D("100000")
        await next_of(
            events,
            StreamStatus,
            state=StreamState.RESUBSCRIBED,
            where=lambda status: status.reason.startswith("private"),
        )
        assert {
            Subscription(Channel.ORDERS),
            Subscription(Channel.BALANCES),
        } <= client.subscriptions
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid), timeout=5)
        update = await next_of(events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.OPEN)
        assert update.client_id == ack.client_id


async def test_subscribing_orders_delivers_the_open_orders_first(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid), timeout=5)
        events = client.events()
        while not any(
            o.order_id == ack.order_id for o in client.account_socket.tracker.open_orders()
        ):
            await book_updated(client)  # wait until the executions stream saw the order
        await client.subscribe("orders")
        update = await next_of(events, OrderUpdate, order_id=ack.order_id)
        assert (update.status, update.size, update.filled) == (OrderStatus.OPEN, D("0.01"), 0)
        await client.unsubscribe("orders")
        assert Subscription(Channel.ORDERS) not in client.subscriptions


async def test_a_private_sequence_gap_resubscribes_and_resyncs(kraken):
    async with private_client(kraken) as client:
        events = client.events()
        await client.subscribe("orders")
        private = client.account_socket
        # Forge the symptom of a lost message: the next executions update skips ahead.
        last = private.sequences.last("executions")
        gap = (
            b'{"channel":"executions","type":"update","sequence":%d,"data":[{"exec_type":"status",'
            b'"order_id":"GAP-0","timestamp":"2024-01-01T00:00:00Z"}]}' % (last + 5)
        )
        private.on_frame(gap, 1)
        resync = await next_of(events, StreamStatus, state=StreamState.RESYNCING)
        assert resync.channel is Channel.ORDERS and "expected" in resync.reason
        done = await next_of(events, StreamStatus, state=StreamState.RESYNCED)
        assert done.channel is Channel.ORDERS
        assert private.sequences.last("executions") == 1  # the renewed subscription's snapshot
        # The stream goes on in order afterwards.
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid), timeout=5)
        await next_of(events, OrderUpdate, order_id=ack.order_id, status=OrderStatus.OPEN)


async def test_dead_man_switch_option_needs_a_real_duration(kraken):
    with pytest.raises(ConfigError):
        private_client(kraken, options={"dead_man_switch": "soon"})
    with pytest.raises(ConfigError):
        private_client(kraken, options={"dead_man_switch": True})
    client = private_client(kraken, heartbeat=HeartbeatPolicy(), options={"dead_man_switch": 60})
    assert isinstance(client, KrakenClient)
