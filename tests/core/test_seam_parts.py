"""The seam's core parts on their own: Deadline, BookKeeper, the REST boundary, the context."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from email.utils import formatdate
from time import time
from typing import Any

import httpx
import pytest

from tickwire.core.book import OrderBook
from tickwire.core.bookkeeper import BookKeeper
from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.context import AdapterContext
from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    AuthError,
    ConfigError,
    ConnectTimeout,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    NotSupported,
    RateLimited,
    RequestTimeout,
    TickwireError,
    TransportError,
)
from tickwire.core.fanout import EventHub
from tickwire.core.rest import ErrorTable, raise_for_status, retry_after, transport_errors
from tickwire.core.types import OrderRequest, OrderType, Side, StreamState, StreamStatus

# --- Deadline ---------------------------------------------------------------------------


async def test_a_deadline_turns_its_own_expiry_into_one_request_timeout() -> None:
    deadline = Deadline(0.05, "venue add_order")
    with pytest.raises(RequestTimeout, match=r"venue add_order: no reply within 0\.05s"):
        await deadline.run(asyncio.Event().wait())
    assert deadline.expired and deadline.remaining == 0
    with pytest.raises(RequestTimeout):
        deadline.check()


async def test_a_timeout_raised_inside_is_not_the_deadlines() -> None:
    async def inner() -> None:
        raise TimeoutError("someone else's")

    with pytest.raises(TimeoutError, match="someone else's"):
        await Deadline(5, "x").run(inner())


async def test_steps_spend_one_budget() -> None:
    deadline = Deadline(1.0, "x")
    assert await deadline.run(asyncio.sleep(0, "first")) == "first"
    assert 0 < deadline.remaining <= 1.0 and deadline.check() > 0


# --- BookKeeper -------------------------------------------------------------------------


class _Parts:
    """A context's delivery and task ownership, without a client."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.tasks: list[asyncio.Task[Any]] = []
        hub = EventHub(maxsize=100, policy="block", venue="v")
        self.context = AdapterContext(
            "v", ClientConfig(venue="v"), hub, {}, self.spawn, _no_http, _no_transport
        )
        self.context.emit = self.events.append

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.tasks.append(task)
        return task

    def states(self) -> list[tuple[StreamState, str]]:
        return [(e.state, e.reason) for e in self.events if isinstance(e, StreamStatus)]


def _no_http() -> Any:
    raise AssertionError("no HTTP in this test")


def _no_transport() -> Any:
    raise AssertionError("no REST in this test")


async def test_a_resync_reports_once_recovers_and_reports_resynced() -> None:
    parts = _Parts()
    calls: list[str] = []
    release = asyncio.Event()

    async def recover(symbol: str) -> bool:
        calls.append(symbol)
        await release.wait()
        return True

    keeper = BookKeeper(parts.context, recover)
    keeper.add("BTC/USD", OrderBook("v", "BTC/USD"))
    keeper.out_of_sync("BTC/USD", "checksum mismatch")
    keeper.out_of_sync("BTC/USD", "another mismatch")  # same desync: nothing new
    release.set()
    await asyncio.gather(*parts.tasks)
    assert calls == ["BTC/USD"]
    assert parts.states() == [
        (StreamState.RESYNCING, "checksum mismatch"),
        (StreamState.RESYNCED, "fresh snapshot applied"),
    ]
    assert parts.context.books["BTC/USD"] is keeper.books["BTC/USD"]


async def test_failed_attempts_back_off_and_say_so() -> None:
    parts = _Parts()
    outcomes = [TransportError("down"), TransportError("still down"), True]

    async def recover(symbol: str) -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, TickwireError):
            raise outcome
        return outcome

    keeper = BookKeeper(parts.context, recover, backoff=0.001, backoff_cap=0.002)
    keeper.add("ETH/USD", OrderBook("v", "ETH/USD"))
    await keeper.sync("ETH/USD")
    states = parts.states()
    assert [s for s, _ in states] == [StreamState.RESYNCING, StreamState.RESYNCING]
    assert "sync attempt 1 failed (down); next in" in states[0][1]
    assert "sync attempt 2 failed (still down)" in states[1][1]
    assert not outcomes


async def test_a_first_sync_that_succeeds_reports_nothing() -> None:
    parts = _Parts()

    async def recover(symbol: str) -> bool:
        return True

    keeper = BookKeeper(parts.context, recover)
    keeper.add("ETH/USD", OrderBook("v", "ETH/USD"))
    await keeper.sync("ETH/USD")
    assert parts.events == []


async def test_a_later_snapshot_resyncs_and_a_failed_one_retries() -> None:
    parts = _Parts()
    renewals: list[str] = []

    async def recover(symbol: str) -> bool:
        renewals.append(symbol)
        return False  # the venue sends the snapshot later

    keeper = BookKeeper(parts.context, recover, backoff=0.001)
    keeper.add("BTC/USD", OrderBook("v", "BTC/USD"))
    keeper.out_of_sync("BTC/USD", "mismatch")
    await asyncio.gather(*parts.tasks)
    keeper.out_of_sync("BTC/USD", "bad snapshot")  # no retry: ignored
    assert len(renewals) == 1
    keeper.out_of_sync("BTC/USD", "bad snapshot", retry=True)
    await asyncio.gather(*parts.tasks)
    assert len(renewals) == 2
    keeper.in_sync("BTC/USD")
    assert [s for s, _ in parts.states()] == [
        StreamState.RESYNCING,
        StreamState.RESYNCING,
        StreamState.RESYNCED,
    ]
    assert parts.states()[1][1] == "attempt 2: bad snapshot"


async def test_removing_a_book_stops_its_recovery() -> None:
    parts = _Parts()

    async def recover(symbol: str) -> bool:
        await asyncio.Event().wait()
        return True

    keeper = BookKeeper(parts.context, recover)
    keeper.add("BTC/USD", OrderBook("v", "BTC/USD"))
    keeper.out_of_sync("BTC/USD", "gap")
    await asyncio.sleep(0)
    assert keeper.recovering("BTC/USD")
    keeper.remove("BTC/USD")
    with pytest.raises(asyncio.CancelledError):
        await parts.tasks[0]
    assert "BTC/USD" not in parts.context.books and not keeper.resyncing("BTC/USD")


# --- the REST boundary ------------------------------------------------------------------


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "http://h/p"))


def test_statuses_map_once() -> None:
    raise_for_status(_response(200), "v", "GET /p")
    with pytest.raises(RateLimited) as limited:
        raise_for_status(_response(429, **{"Retry-After": "7"}), "v", "GET /p")
    assert limited.value.retry_after == 7.0
    with pytest.raises(AuthError):
        raise_for_status(_response(403), "v", "GET /p")
    with pytest.raises(TransportError, match="HTTP 502 on GET /p"):
        raise_for_status(_response(502), "v", "GET /p")


def test_retry_after_reads_seconds_dates_and_venue_headers() -> None:
    assert retry_after(_response(429)) is None
    later = retry_after(_response(429, **{"Retry-After": formatdate(time() + 30, usegmt=True)}))
    assert later is not None and 25 < later <= 30
    reset = _response(429, **{"gw-ratelimit-reset": "1500"})
    assert retry_after(reset, "gw-ratelimit-reset") == 1.5


def test_an_error_table_maps_codes_messages_and_statuses() -> None:
    table = ErrorTable(
        "v",
        {"400100": InvalidOrder, "429000": RateLimited},
        by_message={("400100", "Balance insufficient!"): InsufficientFunds},
    )
    assert isinstance(table.error("400100", "bad size"), InvalidOrder)
    assert isinstance(table.error("400100", "Balance insufficient!"), InsufficientFunds)
    limited = table.error("429000", "slow down", retry_after=2.0)
    assert isinstance(limited, RateLimited) and limited.retry_after == 2.0
    assert isinstance(table.error("999", "?", status=429), RateLimited)
    assert isinstance(table.error("999", "?", status=503), TransportError)
    other = table.error("999", "?")
    assert type(other) is ExchangeError and "400100" in table


async def test_a_refused_port_fails_at_once_naming_url_and_cause() -> None:
    url = "http://127.0.0.1:1/api/v1/bullet-public?token=secret-token-value"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TransportError) as failed:
        with transport_errors("v", "POST /api/v1/bullet-public", url):
            async with httpx.AsyncClient() as http:
                await http.post(url)
    assert loop.time() - started < 1.0
    message = str(failed.value)
    assert "http://127.0.0.1:1/api/v1/bullet-public" in message
    assert "refused" in message.lower() and "secret-token-value" not in message


async def test_timeouts_map_to_core_errors() -> None:
    with pytest.raises(ConnectTimeout):
        with transport_errors("v", "GET /p"):
            raise httpx.ConnectTimeout("slow")
    with pytest.raises(RequestTimeout):
        with transport_errors("v", "GET /p"):
            raise httpx.ReadTimeout("slow")


# --- the context and the private side's shape -----------------------------------------


class _NoOrders(BaseClient):
    venue = "none"


class _WithOrders(BaseClient):
    venue = "with"
    supports_orders = True


_REQUEST = OrderRequest(symbol="BTC/USD", side=Side.BUY, type=OrderType.MARKET, size=Decimal(1))


async def test_order_methods_say_why_there_is_no_private_side() -> None:
    with pytest.raises(NotSupported):
        await _NoOrders(ClientConfig(venue="none")).place_order(_REQUEST)
    with pytest.raises(ConfigError, match="need credentials"):
        await _WithOrders(ClientConfig(venue="with")).cancel_all()
    keyed = _WithOrders(ClientConfig(venue="with", credentials=Credentials("k", "s")))
    with pytest.raises(RuntimeError, match="not connected"):
        await keyed.cancel_all_after(5)


async def test_wait_ready_names_the_last_reason() -> None:
    client = _NoOrders(ClientConfig(venue="none", request_timeout=0.05))

    class _Down:
        name = "public"
        ready = False
        last_reason = "ConnectionRefusedError: Connect call failed"

        async def wait_ready(self) -> None:
            await asyncio.Event().wait()

    with pytest.raises(RequestTimeout, match=r"not connected within 0\.05s \(ConnectionRefused"):
        await client.context.wait_ready(_Down())  # type: ignore[arg-type]


async def test_one_shot_calls_say_when_a_venue_has_none_and_check_their_arguments() -> None:
    client = _NoOrders(ClientConfig(venue="none"))
    with pytest.raises(NotSupported):
        await client.fetch_balances()
    with pytest.raises(ValueError, match="exactly one of order_id and client_id"):
        await client.fetch_order()
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await client.fetch_trades("BTC/USD", 0)


async def test_a_partial_fetcher_supports_what_it_overrides() -> None:
    from tickwire.core.fetcher import Fetcher, ServerTime

    class _Clock(Fetcher):
        venue = "none"

        async def fetch_time(self, *, timeout: float) -> ServerTime:
            return ServerTime(venue="none", server=1_000, local=400, round_trip=50)

    client = _NoOrders(ClientConfig(venue="none"))
    client._fetcher = _Clock()
    assert (await client.fetch_time()).offset == 600
    with pytest.raises(NotSupported, match="none: fetch_candles is not supported"):
        await client.fetch_candles("BTC/USD", 60)
