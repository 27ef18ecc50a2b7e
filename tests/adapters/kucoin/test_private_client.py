"""KucoinClient's account side end to end, against the emulator over real sockets.

The emulator verifies every signature (``api_keys``); its matching engine is the truth the
client's orders, fills and balances are compared with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from helpers import next_of, until

from tickwire.adapters.kucoin.signing import sign
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.connect import connect
from tickwire.core.errors import (
    AuthError,
    BatchRejected,
    Disconnected,
    RequestTimeout,
    TickwireError,
    UnknownOrder,
)
from tickwire.core.protocol import StreamClient
from tickwire.core.types import (
    Balance,
    Channel,
    Event,
    OrderAck,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Side,
    StreamState,
    StreamStatus,
    Subscription,
)
from tickwire.exchanges.kucoin import KucoinEmulator
from tickwire.exchanges.kucoin.account import MAKER_FEE, TAKER_FEE

from .conftest import FAST_RECONNECT

KEY, SECRET, PASSPHRASE = "kc-e2e-key", "kc-e2e-secret-Hq72xP", "kc-e2e-pass-Lm09"
DCP_SECOND = 0.05  # one venue second of dead-cancel-all lasts 50 ms here
FEES = {"maker": str(MAKER_FEE), "taker": str(TAKER_FEE)}
SYMBOL, NATIVE = "BTC/USDT", "BTC-USDT"
SIZE = Decimal("0.001")


@pytest.fixture
async def ex() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(
        seed=11, interval=None, api_keys={KEY: (SECRET, PASSPHRASE)}, dcp_second=DCP_SECOND
    ) as emulator:
        yield emulator


def account(ex: KucoinEmulator, *, secret: str = SECRET, **options: Any) -> StreamClient:
    config = ClientConfig(
        venue="kucoin",
        reconnect=FAST_RECONNECT,
        credentials=Credentials(KEY, secret, PASSPHRASE),
        request_timeout=3.0,
        connect_timeout=5.0,
        options={"fee_rates": FEES} | options,
        **ex.endpoints,
    )
    return connect(config)


def updates(seen: list[Event], order_id: str) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate) and e.order_id == order_id]


def terminal(order_id: str) -> Any:
    return lambda e: isinstance(e, OrderUpdate) and e.order_id == order_id and e.status.is_terminal


def resting(ex: KucoinEmulator, client_id: str | None = None, ticks: int = 500) -> OrderRequest:
    """A buy far below the best bid: it rests (the market only moves when stepped)."""
    (bid, _), *_ = ex.book(NATIVE, 1)[0]
    price = (bid - ticks * Decimal("0.1")).quantize(Decimal("0.1"))
    return OrderRequest(symbol=SYMBOL, side=Side.BUY, size=SIZE, price=price, client_id=client_id)


def held_by(ex: KucoinEmulator, client_id: str) -> list[Any]:
    return [o for o in ex.engine.open_orders() if o.client_id == client_id]


# --- credentials -----------------------------------------------------------------------


def assert_no_secret(exc: BaseException) -> None:
    text = f"{exc} {exc!r} {exc.args!r} {getattr(exc, '__cause__', '')!r}"
    for secret in ("wrong-secret-value-0123", SECRET, PASSPHRASE):
        assert secret not in text


async def test_a_wrong_secret_is_an_auth_error_without_secrets(ex, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as at_connect:
        async with account(ex, secret="wrong-secret-value-0123"):
            pass
    # The passphrase is checked first, and it is encrypted with the secret: 400004.
    assert at_connect.value.code in ("400004", "400005")
    assert_no_secret(at_connect.value)
    async with account(ex, secret="wrong-secret-value-0123", private=False) as client:
        with pytest.raises(AuthError) as on_order:
            await client.place_order(resting(ex, "wrong-key-order"), timeout=2.0)
        assert_no_secret(on_order.value)
    assert held_by(ex, "wrong-key-order") == []
    for secret in ("wrong-secret-value-0123", SECRET, PASSPHRASE):
        assert secret not in caplog.text


async def test_nothing_logged_or_shown_carries_a_secret(ex, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = account(ex)
    async with client:
        events = client.events()
        await client.subscribe("orders")
        await client.place_order(resting(ex, "quiet"), timeout=3.0)
        await ex.drop_all()  # reconnect: a fresh signed bullet-private, logged reasons
        await until(
            events,
            where=lambda e: (
                isinstance(e, StreamStatus)
                and e.state is StreamState.RESUBSCRIBED
                and "private" in e.reason
            ),
        )
        shown = f"{client!r} {client.config!r} {client.private!r} {list(client.subscriptions)!r}"
    assert "bullet-private" in caplog.text  # the signed calls were logged (by httpx)
    encrypted = sign(SECRET, PASSPHRASE)  # the KC-API-PASSPHRASE header
    for secret in (SECRET, PASSPHRASE, encrypted):
        assert secret not in caplog.text and secret not in shown


async def test_account_channels_need_credentials(ex) -> None:
    config = ClientConfig(venue="kucoin", reconnect=FAST_RECONNECT, **ex.endpoints)
    async with connect(config) as client:
        with pytest.raises(TickwireError, match="credentials"):
            await client.subscribe("orders")
        with pytest.raises(TickwireError, match="credentials"):
            await client.place_order(resting(ex), timeout=1.0)


# --- a fill --------------------------------------------------------------------------------


async def test_a_crossing_limit_order_fills_with_its_updates_and_balances(ex) -> None:
    async with account(ex) as client:
        events = client.events()
        await client.subscribe("orders")
        await client.subscribe("balances")
        assert {Subscription(Channel.ORDERS), Subscription(Channel.BALANCES)} <= set(
            client.subscriptions
        )
        before = ex.engine.balances()
        (ask, ask_size), *_ = ex.book(NATIVE, 1)[1]
        size = min(SIZE, ask_size)
        request = OrderRequest(symbol=SYMBOL, side=Side.BUY, size=size, price=ask)
        ack = await client.place_order(request, timeout=3.0)
        assert ack.client_id and ex.engine.order(client_id=ack.client_id) is not None
        seen = await until(events, where=terminal(ack.order_id))
        after = ex.engine.balances()
        # Balance pushes of the settlement may trail the terminal order event.
        last: dict[str, Balance] = {}
        for event in seen:
            if isinstance(event, Balance):
                last[event.asset] = event

        def settled() -> bool:
            return all(
                asset in last and (last[asset].total, last[asset].available, last[asset].hold)
                == after[asset] for asset in ("BTC", "USDT")
            )  # fmt: skip

        while not settled():
            event = await next_of(events, Balance)
            last[event.asset] = event

    ours = updates(seen, ack.order_id)
    statuses = [u.status for u in ours]
    assert statuses[0] is OrderStatus.PENDING and statuses[-1] is OrderStatus.FILLED
    fills = [u for u in ours if u.status is OrderStatus.PARTIALLY_FILLED]
    assert fills and statuses[1:-1] == [OrderStatus.PARTIALLY_FILLED] * len(fills)
    assert all(u.client_id == ack.client_id and u.symbol == SYMBOL for u in ours)
    cost = sum(u.last_fill_price * u.last_fill_size for u in fills)  # type: ignore[operator]
    assert sum(u.last_fill_size for u in fills) == size  # type: ignore[misc]
    assert ours[-1].filled == size and ours[-1].remaining == 0
    assert ours[-1].avg_price == cost / size
    fee = sum(u.fee for u in fills)  # type: ignore[misc]
    assert fee == cost * TAKER_FEE and {u.fee_asset for u in fills} == {"USDT"}
    # The client's balances are the emulator's, and they moved by the trade and its fee.
    assert after["BTC"][0] - before["BTC"][0] == size
    assert before["USDT"][0] - after["USDT"][0] == cost + fee
    assert (last["USDT"].total, last["BTC"].total) == (after["USDT"][0], after["BTC"][0])


# --- amend, cancel, cancel all, batches -------------------------------------------------


async def test_amend_cancel_and_cancel_all(ex) -> None:
    async with account(ex) as client:
        events = client.events()
        await client.subscribe("orders")
        first = await client.place_order(resting(ex, "amend-me"), timeout=3.0)
        await next_of(events, OrderUpdate, status=OrderStatus.OPEN)
        new_price = resting(ex, ticks=600).price
        amended = await client.amend_order(
            SYMBOL, order_id=first.order_id, price=new_price, timeout=3.0
        )
        assert amended.order_id != first.order_id  # alter = cancel + new
        seen = await until(
            events,
            where=lambda e: isinstance(e, OrderUpdate) and e.order_id == amended.order_id
            and e.status is OrderStatus.OPEN,
        )  # fmt: skip
        assert updates(seen, first.order_id)[-1].status is OrderStatus.CANCELED
        assert updates(seen, amended.order_id)[-1].price == new_price
        (order,) = held_by(ex, "amend-me")
        assert (order.order_id, order.price) == (amended.order_id, new_price)

        canceled = await client.cancel_order(SYMBOL, client_id="amend-me", timeout=3.0)
        assert canceled.client_id == "amend-me"
        await until(events, where=terminal(amended.order_id))
        assert held_by(ex, "amend-me") == []
        with pytest.raises(UnknownOrder):
            await client.cancel_order(SYMBOL, order_id=amended.order_id, timeout=3.0)

        acks = [await client.place_order(resting(ex, f"all-{i}"), timeout=3.0) for i in range(3)]
        other = await client.place_order(
            OrderRequest(symbol="ETH/USDT", side=Side.SELL, size=Decimal("0.1"),
                         price=Decimal("999999"), client_id="eth-1"),
            timeout=3.0,
        )  # fmt: skip
        assert await client.cancel_all(SYMBOL, timeout=3.0) == 3
        for ack in acks:
            await until(events, where=terminal(ack.order_id))
        assert [o.client_id for o in ex.engine.open_orders()] == ["eth-1"]
        assert await client.cancel_all(timeout=3.0) == 1  # every symbol
        await until(events, where=terminal(other.order_id))
        assert ex.engine.open_orders() == []


async def test_batch_place_and_cancel(ex) -> None:
    async with account(ex) as client:
        events = client.events()
        await client.subscribe("orders")
        requests = [resting(ex, f"batch-{i}", ticks=500 + i) for i in range(7)]
        acks = await client.place_orders(requests, timeout=3.0)  # two calls: 5 + 2
        assert [a.client_id for a in acks] == [f"batch-{i}" for i in range(7)]
        assert len(ex.engine.open_orders()) == 7
        ids = [a.order_id for a in acks]
        assert await client.cancel_orders(SYMBOL, [*ids, "0" * 24], timeout=3.0) == 7
        for order_id in ids:
            await until(events, where=terminal(order_id))
        assert ex.engine.open_orders() == []

        too_big = resting(ex, "batch-rich")
        too_big = OrderRequest(symbol=SYMBOL, side=Side.BUY, size=Decimal(100), price=too_big.price,
                               client_id="batch-rich")  # fmt: skip
        with pytest.raises(BatchRejected) as info:
            await client.place_orders([resting(ex, "batch-ok"), too_big], timeout=3.0)
        assert [a.client_id for a in info.value.acks] == ["batch-ok"]
        assert list(info.value.failures) == ["batch-rich"]


# --- the dead man's switch ------------------------------------------------------------------


async def test_the_managed_switch_holds_while_refreshed_and_fires_when_it_stops(ex) -> None:
    # 5 venue seconds = 250 ms here; the client re-arms every 50 ms while its socket lives.
    guarded = account(ex, dead_man_switch=5, dead_man_refresh=DCP_SECOND)
    async with account(ex) as watcher:
        events = watcher.events()
        await watcher.subscribe("orders")
        await guarded.connect()
        try:
            ack = await guarded.place_order(resting(ex, "guarded"), timeout=3.0)
            # A quiet period (nothing to await): twice the switch's span, refreshed.
            await asyncio.sleep(10 * 5 * DCP_SECOND / 5)
            assert ex.dcp.setting is not None and ex.dcp.fired == 0
            assert held_by(ex, "guarded")
        finally:
            await guarded.close()  # refreshing stops
        seen = await until(events, where=terminal(ack.order_id), timeout=5.0)
        assert updates(seen, ack.order_id)[-1].status is OrderStatus.CANCELED
        assert ex.dcp.fired == 1 and held_by(ex, "guarded") == []


async def test_cancel_all_after_arms_and_disarms(ex) -> None:
    async with account(ex, private=False) as client:
        await client.cancel_all_after(60, timeout=3.0)
        assert ex.dcp.setting is not None and ex.dcp.setting.timeout == 60
        await client.cancel_all_after(0, timeout=3.0)
        assert ex.dcp.setting is None
        with pytest.raises(ValueError, match="5"):
            await client.cancel_all_after(2, timeout=3.0)


# --- exactly once ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["before", "after"])
async def test_a_connection_killed_in_flight_resolves_once(ex, stage) -> None:
    async with account(ex, private=False) as client:
        loop = asyncio.get_running_loop()
        ex.fail_next_order(stage)
        started = loop.time()
        outcome: OrderAck | TickwireError
        try:
            outcome = await client.place_order(resting(ex, f"cut-{stage}"), timeout=3.0)
        except TickwireError as exc:
            outcome = exc
        assert loop.time() - started < 3.0
        held = held_by(ex, f"cut-{stage}")
        if stage == "after":
            assert isinstance(outcome, OrderAck) and [o.order_id for o in held] == [
                outcome.order_id
            ]
        else:
            assert isinstance(outcome, Disconnected) and held == []
        # Placing again with the same client id never makes a second order.
        again = await client.place_order(resting(ex, f"cut-{stage}"), timeout=3.0)
        assert [o.order_id for o in held_by(ex, f"cut-{stage}")] == [again.order_id]


async def test_a_stalled_placement_resolves_within_its_timeout(ex) -> None:
    async with account(ex) as client:
        events = client.events()
        await client.subscribe("orders")
        loop = asyncio.get_running_loop()
        ex.delay_next_order(1.5)  # processed after the caller has given up
        started = loop.time()
        with pytest.raises(RequestTimeout):
            await client.place_order(resting(ex, "stalled"), timeout=1.0)
        assert loop.time() - started < 1.0 + 0.5
        # The venue places it later: the stream reports it, and a retry is its ack.
        seen = await until(
            events, where=lambda e: isinstance(e, OrderUpdate) and e.client_id == "stalled"
        )
        late = seen[-1]
        assert isinstance(late, OrderUpdate)
        again = await client.place_order(resting(ex, "stalled"), timeout=3.0)
        assert again.order_id == late.order_id
        assert [o.order_id for o in held_by(ex, "stalled")] == [late.order_id]


async def test_a_batch_cut_in_flight_is_reconciled(ex) -> None:
    async with account(ex, private=False) as client:
        ex.fail_next_order("after")
        requests = [resting(ex, f"cutb-{i}", ticks=500 + i) for i in range(3)]
        acks = await client.place_orders(requests, timeout=3.0)
        assert [a.client_id for a in acks] == [f"cutb-{i}" for i in range(3)]
        assert sorted(o.client_id for o in ex.engine.open_orders()) == [
            f"cutb-{i}" for i in range(3)
        ]


# --- the private socket ---------------------------------------------------------------


async def test_private_topics_are_restored_after_a_reconnect(ex) -> None:
    async with account(ex) as client:
        events = client.events()
        await client.subscribe("orders")
        await client.subscribe("balances")
        tokens = len(ex.connection_stats)
        await ex.drop_all()
        await until(
            events,
            where=lambda e: isinstance(e, StreamStatus) and e.state is StreamState.RESUBSCRIBED
            and "private" in e.reason,
        )  # fmt: skip
        assert len(ex.connection_stats) > tokens  # a new socket, on a fresh token
        ack = await client.place_order(resting(ex, "after-reconnect"), timeout=3.0)
        seen = await until(
            events,
            where=lambda e: (
                isinstance(e, OrderUpdate)
                and e.order_id == ack.order_id
                and e.status is OrderStatus.OPEN
            ),
        )
        assert any(isinstance(e, Balance) and e.asset == "USDT" for e in seen)  # the hold
        await client.unsubscribe("balances")
        assert Subscription(Channel.BALANCES) not in client.subscriptions
