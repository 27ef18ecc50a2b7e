"""KuCoin HF order REST against respx: bodies, signatures, error mapping, exactly-once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
import respx

from tickwire.adapters.kucoin.rest import KucoinRest
from tickwire.adapters.kucoin.signing import sign
from tickwire.adapters.kucoin.trading import KucoinTrader
from tickwire.core.config import Credentials
from tickwire.core.errors import (
    AuthError,
    BatchRejected,
    Disconnected,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    RequestTimeout,
    TransportError,
    UnknownOrder,
)
from tickwire.core.types import OrderRequest, OrderType, Side, TimeInForce

BASE = "https://api.kucoin.test"
KEYS = Credentials("key-1", "secret-XYZ-123", "phrase-456")
ORDERS = "/api/v1/hf/orders"
LOOKUP = ORDERS + "/client-order/{cid}"
NOT_EXIST = {"code": "400100", "msg": "order_not_exist"}


def ok(data: object) -> dict[str, object]:
    return {"code": "200000", "data": data}


def buy(client_id: str | None = "cid-1", **fields: object) -> OrderRequest:
    values: dict[str, object] = {
        "symbol": "BTC/USDT",
        "side": Side.BUY,
        "size": Decimal("0.5"),
        "price": Decimal("30000.1"),
        "client_id": client_id,
    }
    return OrderRequest(**(values | fields))  # type: ignore[arg-type]


def detail(cid: str, order_id: str = "oid-1", **fields: object) -> dict[str, object]:
    base = {"id": order_id, "clientOid": cid, "symbol": "BTC-USDT", "side": "buy",
            "type": "limit", "price": "30000.1", "size": "0.5", "active": True}  # fmt: skip
    return base | fields


@pytest.fixture
async def trading() -> AsyncIterator[KucoinTrader]:
    async with KucoinRest(BASE, timeout=5.0, credentials=KEYS) as rest:
        yield KucoinTrader(rest)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def sent(route: respx.Route, index: int = -1) -> dict[str, object]:
    request = route.calls[index].request
    body: dict[str, object] = json.loads(request.content)
    return body


def assert_signed(request: httpx.Request) -> None:
    stamp = request.headers["KC-API-TIMESTAMP"]
    target = request.url.raw_path.decode()
    expected = sign(KEYS.api_secret, stamp + request.method + target + request.content.decode())
    assert request.headers["KC-API-SIGN"] == expected
    assert request.headers["KC-API-KEY"] == KEYS.api_key


# --- placing ---------------------------------------------------------------------------


async def test_place_sends_one_signed_body_and_acks(trading, mock) -> None:
    route = mock.post(ORDERS).respond(200, json=ok({"orderId": "o-9", "clientOid": "cid-1"}))
    ack = await trading.place_order(buy(post_only=True), timeout=2.0)
    assert (ack.venue, ack.symbol, ack.order_id, ack.client_id) == (
        "kucoin", "BTC/USDT", "o-9", "cid-1"
    )  # fmt: skip
    assert route.call_count == 1
    assert sent(route) == {
        "clientOid": "cid-1", "symbol": "BTC-USDT", "side": "buy", "type": "limit",
        "price": "30000.1", "size": "0.5", "timeInForce": "GTC", "postOnly": True,
    }  # fmt: skip
    assert_signed(route.calls.last.request)


async def test_place_generates_a_client_id_and_formats_decimals_plainly(trading, mock) -> None:
    route = mock.post(ORDERS).respond(200, json=ok({"orderId": "o-1"}))
    request = OrderRequest(symbol="ETH/USDT", side=Side.SELL, size=Decimal("1E+1"),
                           type=OrderType.MARKET)  # fmt: skip
    ack = await trading.place_order(request, timeout=2.0)
    body = sent(route)
    assert body["size"] == "10" and "price" not in body and "timeInForce" not in body
    cid = body["clientOid"]
    assert isinstance(cid, str) and len(cid) == 32 and ack.client_id == cid


@pytest.mark.parametrize(
    "request_",
    [buy(client_id="bad id!"), buy(client_id="x" * 41), buy(time_in_force=TimeInForce.GTD)],
)
async def test_bad_input_is_refused_before_sending(trading, mock, request_) -> None:
    route = mock.post(ORDERS)
    with pytest.raises(InvalidOrder):
        await trading.place_order(request_, timeout=1.0)
    assert not route.called


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, {"code": "126013", "msg": "Balance insufficient!"}, InsufficientFunds),
        (200, {"code": "200004", "msg": "Balance insufficient"}, InsufficientFunds),
        (200, {"code": "400100", "msg": "Price increment invalid."}, InvalidOrder),
        (429, {"code": "429000", "msg": "Too Many Requests"}, RateLimited),
        (401, {"code": "400005", "msg": "Invalid KC-API-SIGN"}, AuthError),
        (401, {"code": "400004", "msg": "Invalid KC-API-PASSPHRASE"}, AuthError),
        (403, {"code": "400007", "msg": "Access denied"}, AuthError),
    ],
)
async def test_refusals_map_to_typed_errors_without_secrets(
    trading, mock, status, body, error
) -> None:
    route = mock.post(ORDERS).respond(status, json=body)
    lookup = mock.get(LOOKUP.format(cid="cid-1"))
    with pytest.raises(ExchangeError) as info:
        await trading.place_order(buy(), timeout=2.0)
    assert type(info.value) is error and info.value.code == body["code"]
    text = f"{info.value} {info.value!r}"
    assert KEYS.api_secret not in text and KEYS.passphrase not in text  # type: ignore[operator]
    assert route.call_count == 1 and not lookup.called  # a refusal is final: no lookup


# --- exactly once ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("broken pipe"),
    ],
)
async def test_a_reply_lost_after_processing_reconciles_to_the_ack(trading, mock, failure) -> None:
    route = mock.post(ORDERS).mock(side_effect=failure)
    lookup = mock.get(LOOKUP.format(cid="cid-1"), params={"symbol": "BTC-USDT"})
    lookup.respond(200, json=ok(detail("cid-1", "o-77")))
    ack = await trading.place_order(buy(), timeout=2.0)
    assert (ack.order_id, ack.client_id) == ("o-77", "cid-1")
    assert route.call_count == 1  # never sent again
    assert_signed(lookup.calls.last.request)


async def test_a_request_lost_before_processing_is_a_disconnect(trading, mock) -> None:
    route = mock.post(ORDERS).mock(side_effect=httpx.RemoteProtocolError("closed"))
    lookup = mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=NOT_EXIST)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(Disconnected, match="same client_id is safe"):
        await trading.place_order(buy(), timeout=5.0)
    assert loop.time() - started < 2.0  # two misses settle it; no waiting for the deadline
    assert route.call_count == 1 and lookup.call_count == 2


async def test_not_found_as_null_data_counts_as_a_miss(trading, mock) -> None:
    mock.post(ORDERS).mock(side_effect=httpx.ReadError("reset"))
    lookup = mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=ok(None))
    with pytest.raises(Disconnected):
        await trading.place_order(buy(), timeout=3.0)
    assert lookup.call_count == 2


async def test_a_request_that_never_left_is_not_looked_up(trading, mock) -> None:
    mock.post(ORDERS).mock(side_effect=httpx.ConnectError("refused"))
    lookup = mock.get(LOOKUP.format(cid="cid-1"))
    with pytest.raises(TransportError):
        await trading.place_order(buy(), timeout=2.0)
    assert not lookup.called


async def test_a_hung_request_resolves_within_its_timeout(trading, mock) -> None:
    never = asyncio.Event()
    posts = []

    async def hang(request: httpx.Request) -> httpx.Response:
        posts.append(request)  # respx records a call only once it returns
        await never.wait()
        raise AssertionError("unreachable")

    mock.post(ORDERS).mock(side_effect=hang)
    lookup = mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=NOT_EXIST)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RequestTimeout, match="outcome is unknown"):
        await trading.place_order(buy(), timeout=1.0)
    assert loop.time() - started < 1.2
    assert len(posts) == 1 and lookup.call_count >= 2  # asked until the deadline


async def test_a_hung_request_found_later_is_acked(trading, mock) -> None:
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    mock.post(ORDERS).mock(side_effect=hang)
    mock.get(LOOKUP.format(cid="cid-1")).mock(
        side_effect=[
            httpx.Response(200, json=NOT_EXIST),
            httpx.Response(200, json=ok(detail("cid-1"))),
        ]
    )
    ack = await trading.place_order(buy(), timeout=2.0)
    assert ack.order_id == "oid-1"


async def test_unanswered_lookups_end_in_a_timeout(trading, mock) -> None:
    mock.post(ORDERS).mock(side_effect=httpx.ReadError("reset"))
    mock.get(LOOKUP.format(cid="cid-1")).mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(RequestTimeout):
        await trading.place_order(buy(), timeout=0.6)


async def test_a_garbled_success_reply_is_reconciled(trading, mock) -> None:
    mock.post(ORDERS).respond(200, content=b'{"code":"200000","data":{"nope":1}}')
    mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=ok(detail("cid-1", "o-5")))
    assert (await trading.place_order(buy(), timeout=2.0)).order_id == "o-5"


async def test_a_duplicate_client_id_of_the_same_order_is_its_ack(trading, mock) -> None:
    route = mock.post(ORDERS).respond(200, json={"code": "126044", "msg": "clientOid duplicated"})
    mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=ok(detail("cid-1", "o-3")))
    ack = await trading.place_order(buy(), timeout=2.0)
    assert ack.order_id == "o-3" and route.call_count == 1


async def test_a_duplicate_client_id_of_another_order_stays_refused(trading, mock) -> None:
    mock.post(ORDERS).respond(200, json={"code": "126044", "msg": "clientOid duplicated"})
    mock.get(LOOKUP.format(cid="cid-1")).respond(200, json=ok(detail("cid-1", price="1")))
    with pytest.raises(InvalidOrder) as info:
        await trading.place_order(buy(), timeout=2.0)
    assert info.value.code == "126044"


# --- batches ------------------------------------------------------------------------------


async def test_place_many_chunks_by_five(trading, mock) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        orders = json.loads(request.content)["orderList"]
        results = [{"orderId": "o-" + o["clientOid"], "clientOid": o["clientOid"],
                    "success": True} for o in orders]  # fmt: skip
        return httpx.Response(200, json=ok(results))

    route = mock.post(ORDERS + "/multi").mock(side_effect=answer)
    acks = await trading.place_orders([buy(f"c{i}") for i in range(7)], timeout=2.0)
    assert [a.order_id for a in acks] == [f"o-c{i}" for i in range(7)]
    assert [len(sent(route, i)["orderList"]) for i in range(2)] == [5, 2]  # type: ignore[arg-type]


async def test_place_many_reports_refusals_with_the_placed_acks(trading, mock) -> None:
    results = [{"orderId": "o-a", "clientOid": "a", "success": True},
               {"success": False, "failMsg": "Balance insufficient!"}]  # fmt: skip
    mock.post(ORDERS + "/multi").respond(200, json=ok(results))
    with pytest.raises(BatchRejected) as info:
        await trading.place_orders([buy("a"), buy("b")], timeout=2.0)
    assert [a.order_id for a in info.value.acks] == ["o-a"]
    assert list(info.value.failures) == ["b"] and isinstance(info.value, InvalidOrder)


async def test_place_many_reconciles_a_lost_chunk(trading, mock) -> None:
    route = mock.post(ORDERS + "/multi").mock(side_effect=httpx.ReadError("reset"))
    mock.get(LOOKUP.format(cid="a")).respond(200, json=ok(detail("a", "o-a")))
    mock.get(LOOKUP.format(cid="b")).respond(200, json=NOT_EXIST)
    with pytest.raises(BatchRejected) as info:
        await trading.place_orders([buy("a"), buy("b")], timeout=2.0)
    assert [a.order_id for a in info.value.acks] == ["o-a"]
    assert isinstance(info.value.failures["b"], Disconnected)
    assert route.call_count == 1


async def test_place_many_takes_limit_orders_with_distinct_ids(trading, mock) -> None:
    market = buy("m", type=OrderType.MARKET, price=None)
    with pytest.raises(InvalidOrder, match="limit orders only"):
        await trading.place_orders([market], timeout=1.0)
    with pytest.raises(InvalidOrder, match="must differ"):
        await trading.place_orders([buy("x"), buy("x")], timeout=1.0)


# --- amend, cancel, dead man's switch -----------------------------------------------


async def test_amend_is_alter_and_acks_the_new_order(trading, mock) -> None:
    route = mock.post(ORDERS + "/alter").respond(
        200, json=ok({"newOrderId": "o-new", "clientOid": "cid-1"})
    )
    ack = await trading.amend_order(
        "BTC/USDT", order_id="o-old", client_id=None, price=Decimal("29000"), size=None, timeout=1.0
    )
    assert (ack.order_id, ack.client_id) == ("o-new", "cid-1")
    assert sent(route) == {"symbol": "BTC-USDT", "orderId": "o-old", "newPrice": "29000"}
    await trading.amend_order(
        "BTC/USDT", order_id=None, client_id="cid-1", price=None, size=Decimal("0.25"), timeout=1.0
    )
    assert sent(route) == {"symbol": "BTC-USDT", "clientOid": "cid-1", "newSize": "0.25"}
    with pytest.raises(ValueError):
        await trading.amend_order(
            "BTC/USDT", order_id="o", client_id="c", price=Decimal(1), size=None, timeout=1.0
        )


@pytest.fixture
def cancels(trading: KucoinTrader) -> KucoinTrader:
    return trading  # the cancels are the trader's


async def test_cancel_by_order_id_and_by_client_id(cancels, mock) -> None:
    by_id = mock.delete(ORDERS + "/o-1", params={"symbol": "BTC-USDT"}).respond(
        200, json=ok({"orderId": "o-1"})
    )
    by_client = mock.delete(ORDERS + "/client-order/cid-1").respond(
        200, json=ok({"clientOid": "cid-1"})
    )
    assert (
        await cancels.cancel_order("BTC/USDT", order_id="o-1", client_id=None, timeout=1.0)
    ).order_id == "o-1"
    ack = await cancels.cancel_order("BTC/USDT", order_id=None, client_id="cid-1", timeout=1.0)
    assert (ack.order_id, ack.client_id) == ("", "cid-1")
    assert_signed(by_id.calls.last.request)
    assert by_client.calls.last.request.url.params["symbol"] == "BTC-USDT"


async def test_cancel_of_an_unknown_order(cancels, mock) -> None:
    body = {"code": "400100", "msg": "order_not_exist_or_not_allow_to_cancel"}
    mock.delete(ORDERS + "/o-x").respond(200, json=body)
    with pytest.raises(UnknownOrder):
        await cancels.cancel_order("BTC/USDT", order_id="o-x", client_id=None, timeout=1.0)


async def test_cancel_many_counts_what_was_accepted(cancels, mock) -> None:
    mock.delete(ORDERS + "/o-1").respond(200, json=ok({"orderId": "o-1"}))
    mock.delete(ORDERS + "/o-2").respond(200, json=ok({"orderId": "o-2"}))
    body = {"code": "400100", "msg": "order_not_exist_or_not_allow_to_cancel"}
    mock.delete(ORDERS + "/o-3").respond(200, json=body)
    assert await cancels.cancel_orders("BTC/USDT", ["o-1", "o-2", "o-3"], timeout=1.0) == 2
    mock.delete(ORDERS + "/o-4").respond(429, json={"code": "429000", "msg": "Too Many Requests"})
    with pytest.raises(RateLimited):
        await cancels.cancel_orders("BTC/USDT", ["o-1", "o-4"], timeout=1.0)


async def test_cancel_all_of_a_symbol_counts_the_open_orders(cancels, mock) -> None:
    mock.get(ORDERS + "/active", params={"symbol": "BTC-USDT"}).respond(
        200, json=ok([detail("a"), detail("b", "oid-2")])
    )
    route = mock.delete(ORDERS, params={"symbol": "BTC-USDT"}).respond(200, json=ok("success"))
    assert await cancels.cancel_all("BTC/USDT", timeout=1.0) == 2
    assert route.called


async def test_cancel_all_of_every_symbol(cancels, mock) -> None:
    mock.get(ORDERS + "/active/symbols").respond(
        200, json=ok({"symbols": ["BTC-USDT", "ETH-USDT"]})
    )
    mock.get(ORDERS + "/active", params={"symbol": "BTC-USDT"}).respond(200, json=ok([detail("a")]))
    mock.get(ORDERS + "/active", params={"symbol": "ETH-USDT"}).respond(
        200, json=ok([detail("b"), detail("c")])
    )
    everything = mock.delete(ORDERS + "/cancelAll").respond(
        200, json=ok({"succeedSymbols": ["ETH-USDT", "BTC-USDT"], "failedSymbols": []})
    )
    assert await cancels.cancel_all(None, timeout=1.0) == 3
    assert everything.called
    failed = [{"symbol": "BTC-USDT", "error": "busy"}]
    everything.respond(200, json=ok({"succeedSymbols": [], "failedSymbols": failed}))
    with pytest.raises(ExchangeError, match="BTC-USDT"):
        await cancels.cancel_all(None, timeout=1.0)


@pytest.mark.parametrize(
    ("seconds", "sent_timeout"), [(0, -1), (-5, -1), (4.5, 5), (7.2, 8), (86400, 86400)]
)
async def test_dead_cancel_all(cancels, mock, seconds, sent_timeout) -> None:
    route = mock.post(ORDERS + "/dead-cancel-all").respond(
        200, json=ok({"currentTime": 1729656588, "triggerTime": 1729656593})
    )
    result = await cancels.dead_cancel_all(seconds, 1.0)
    assert sent(route) == {"timeout": sent_timeout}
    assert result is not None and (result.current_time, result.trigger_time) == (
        1729656588,
        1729656593,
    )


async def test_disarming_answers_an_empty_object(cancels, mock) -> None:
    mock.post(ORDERS + "/dead-cancel-all").respond(200, json=ok({}))
    assert await cancels.dead_cancel_all(0, 1.0) is None


@pytest.mark.parametrize("seconds", [1, 4, 86400.5])
async def test_dead_cancel_all_range(cancels, mock, seconds) -> None:
    route = mock.post(ORDERS + "/dead-cancel-all")
    with pytest.raises(ValueError, match=r"5\.\.86400"):
        await cancels.dead_cancel_all(seconds, 1.0)
    assert not route.called


async def test_dead_cancel_all_for_some_symbols(cancels, mock) -> None:
    route = mock.post(ORDERS + "/dead-cancel-all").respond(200, json=ok(None))
    assert await cancels.dead_cancel_all(10, 1.0, ["BTC/USDT", "ETH/USDT"]) is None
    assert sent(route) == {"timeout": 10, "symbols": "BTC-USDT,ETH-USDT"}


async def test_cancel_many_keeps_few_requests_in_flight(cancels, mock) -> None:
    in_flight = peak = 0
    release = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if peak == 8:
            release.set()  # the gate is full: let them all through
        await release.wait()
        in_flight -= 1
        return httpx.Response(200, json=ok({"orderId": request.url.path.rsplit("/", 1)[1]}))

    mock.delete(url__regex=r"/api/v1/hf/orders/o-\d+").mock(side_effect=answer)
    ids = [f"o-{i}" for i in range(20)]
    assert await cancels.cancel_orders("BTC/USDT", ids, timeout=2.0) == 20
    assert peak == 8
