"""Kraken emulator, private side: token signing, private channels and frame shapes.

A plain aiohttp client (``conftest.KrakenAccount``) signs the REST call with its own
implementation of the reference's recipe; every private frame is compared, key set and
JSON types, with Kraken's own sample of that kind.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tickwire.exchanges.kraken.auth import KrakenKey

BTC = "BTC/USD"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "kraken"


def load_sample(name: str) -> Any:
    """A golden frame, numbers as Decimal (ints stay int), like the venue wrote them."""
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def kind(value: Any) -> str:
    """A JSON value's type as the wire shows it (ints and decimals stay apart)."""
    return type(value).__name__


def assert_shape(
    frame: dict[str, Any], sample: dict[str, Any], extra: frozenset[str] = frozenset()
) -> None:
    """Same keys as ``sample`` (plus ``extra``) and the same JSON type for each."""
    assert set(frame) == set(sample) | extra, set(frame) ^ (set(sample) | extra)
    for key, want in sample.items():
        got = frame[key]
        assert kind(got) == kind(want), (key, got, want)
        if isinstance(want, list) and want and isinstance(want[0], dict):
            assert_shape(got[0], want[0])


def executions(frames: list[Any]) -> list[dict[str, Any]]:
    return [f for f in frames if f.get("channel") == "executions"]


def reports(frames: list[Any]) -> list[dict[str, Any]]:
    return [r for f in executions(frames) for r in f["data"]]


async def subscribe(ws: Any, channel: str, **params: Any) -> list[Any]:
    await ws.call("subscribe", channel=channel, **params)
    return await ws.drain()


async def crossing_price(account: Any) -> tuple[float, float, Decimal]:
    """``(limit price, qty, first-level size)`` of a buy that takes two ask levels."""
    asks = account.ex.book(BTC, 3)[1]
    qty = asks[0][1] + Decimal("0.01")
    return float(asks[1][0]), float(qty), asks[0][1]


# -- REST token -----------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
async def test_token_from_a_signed_form_or_json_body(kraken_account, as_json) -> None:
    reply = await kraken_account.token_call(as_json=as_json)
    sample = load_sample("rest_get_websockets_token_response.json")
    assert_shape(reply, sample)
    assert_shape(reply["result"], sample["result"])
    assert reply["error"] == [] and reply["result"]["expires"] == 900
    assert len(reply["result"]["token"]) >= 40


async def test_signature_refusals_use_krakens_rest_errors(kraken_account) -> None:
    acct = kraken_account
    wrong = await acct.token_call(sign="c2lnbmF0dXJl")
    assert wrong == {"error": ["EAPI:Invalid signature"]}
    other_secret = await acct.token_call(secret=acct.secret_of("no-trade"))
    assert other_secret == {"error": ["EAPI:Invalid signature"]}
    assert await acct.token_call(key="nobody") == {"error": ["EAPI:Invalid key"]}
    nonce = acct.nonce()
    assert "result" in await acct.token_call(nonce=nonce)
    assert await acct.token_call(nonce=nonce) == {"error": ["EAPI:Invalid nonce"]}  # replay
    assert await acct.token_call(nonce="1") == {"error": ["EAPI:Invalid nonce"]}  # old
    no_ws = await acct.token_call(key="no-websocket", secret=acct.secret_of("no-websocket"))
    assert no_ws == {"error": ["EGeneral:Permission denied"]}


async def test_a_refused_signature_does_not_burn_the_nonce(kraken_account) -> None:
    nonce = kraken_account.nonce()
    assert "error" in await kraken_account.token_call(nonce=nonce, sign="AAAA")
    assert "result" in await kraken_account.token_call(nonce=nonce)


def test_secrets_stay_out_of_reprs() -> None:
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
    key = KrakenKey(secret, frozenset({"trade"}))
    assert secret not in repr(key) and "trade" in repr(key)


# -- tokens on the auth socket --------------------------------------------------------


async def test_bad_token_is_an_invalid_session_or_token_not_found(kraken_account) -> None:
    ws = await kraken_account.connect(token="not-a-token")
    await ws.call("subscribe", channel="executions")
    refused = await ws.recv()
    sample = load_sample("error_invalid_session.json")
    assert_shape(refused, sample, frozenset({"req_id"}))
    assert refused["error"] == "ESession:Invalid session" and refused["channel"] == "executions"
    await ws.call("add_order", order_type="market", side="buy", order_qty=0.01, symbol=BTC)
    refused = await ws.recv()
    assert_shape(refused, load_sample("error_token_not_found.json"))
    assert refused["error"] == "Token(s) not found" and refused["method"] == "add_order"
    assert kraken_account.ex.engine.open_orders() == []


async def test_private_requests_on_the_public_host_are_refused(kraken_account) -> None:
    token = await kraken_account.token()
    ws = await kraken_account.connect()
    public = type(ws)(await kraken_account.http.ws_connect(kraken_account.ex.ws_url), token)
    kraken_account.opened.append(public)
    await public.recv()  # status
    await public.call("subscribe", channel="executions")
    refused = await public.recv()
    assert refused["error"] == load_sample("error_private_on_public_host.json")["error"]
    await public.call("cancel_all")
    assert (await public.recv())["error"].startswith("Private data and trading are unavailable")


async def test_permissions_of_the_key_are_enforced(kraken_account) -> None:
    no_trade = await kraken_account.connect(token=await kraken_account.token("no-trade"))
    await no_trade.call("cancel_all")
    refused = await no_trade.recv()
    assert refused["error"] == "EGeneral:Permission denied"
    assert_shape(refused, load_sample("error_permission_denied.json"))
    no_query = await kraken_account.connect(token=await kraken_account.token("no-query"))
    await no_query.call("subscribe", channel="balances")
    assert (await no_query.recv())["error"] == "EGeneral:Permission denied"


async def test_an_unused_token_expires_and_a_used_one_keeps_its_connection(
    kraken_account,
) -> None:
    acct = kraken_account
    used, unused = await acct.token(), await acct.token()
    ws = await acct.connect(token=used)
    assert (await subscribe(ws, "balances"))[0]["success"] is True
    acct.skew(901)  # past the 15 minutes
    await ws.call("cancel_all")
    assert (await ws.recv())["success"] is True  # used here: still good here
    late = await acct.connect(token=unused)
    await late.call("cancel_all")
    assert (await late.recv())["error"] == "Token(s) not found"
    other = await acct.connect(token=used)  # on another connection it has expired
    await other.call("subscribe", channel="executions")
    assert (await other.recv())["error"] == "ESession:Invalid session"


# -- subscriptions --------------------------------------------------------------------


async def test_subscription_acks_and_snapshots_match_the_samples(kraken_account) -> None:
    ws = await kraken_account.connect()
    ack, snap = await subscribe(ws, "executions")
    assert_shape(ack, load_sample("subscribe_executions_ack.json"), frozenset({"req_id"}))
    assert_shape(ack["result"], load_sample("subscribe_executions_ack.json")["result"])
    assert ack["result"]["snap_orders"] is True and ack["result"]["snap_trades"] is False
    assert (snap["type"], snap["sequence"], snap["data"]) == ("snapshot", 1, [])
    ack, snap = await subscribe(ws, "balances")
    assert_shape(ack, load_sample("subscribe_balances_ack.json"))
    sample = load_sample("balances_snapshot.json")
    assert_shape(snap, sample)
    assert snap["sequence"] == 1 and [e["asset"] for e in snap["data"]] == ["BTC", "ETH", "USD"]
    for entry in snap["data"]:
        assert_shape(entry, sample["data"][0])
    assert snap["data"][2]["balance"] == Decimal("1000000")
    await ws.call("subscribe", channel="balances")
    assert (await ws.recv())["error"] == "Already subscribed"


async def test_unsubscribe_and_the_subscription_not_found_quirk(kraken_account) -> None:
    ws = await kraken_account.connect()
    await subscribe(ws, "balances")
    await ws.call("unsubscribe", channel="balances")
    assert (await ws.recv())["result"] == {"channel": "balances"}
    await ws.call("unsubscribe", channel="balances")
    refused = await ws.recv()
    assert (refused["error"], refused["method"]) == ("Subscription Not Found", "subscribe")


# -- a crossing limit order end to end ------------------------------------------------


async def test_crossing_limit_order_reports_and_ledger_match_the_samples(kraken_account) -> None:
    ex = kraken_account.ex
    ws = await kraken_account.connect()
    await subscribe(ws, "executions")
    await subscribe(ws, "balances")
    price, qty, first = await crossing_price(kraken_account)
    req_id = await ws.call(
        "add_order", order_type="limit", side="buy", order_qty=qty, limit_price=price,
        symbol=BTC, order_userref=7,
    )  # fmt: skip
    frames = await ws.drain()
    ack = frames[0]  # the ack comes before the reports it causes
    assert_shape(ack, load_sample("add_order_response.json"))
    assert ack["req_id"] == req_id and ack["result"]["order_userref"] == 7
    order_id = ack["result"]["order_id"]
    got = reports(frames)
    assert [r["exec_type"] for r in got] == ["pending_new", "new", "trade", "trade", "filled"]
    assert [f["sequence"] for f in executions(frames)] == [2, 3, 4, 5, 6]
    assert all(r["order_id"] == order_id and r["order_userref"] == 7 for r in got)
    assert_shape(got[0], load_sample("executions_pending_new.json")["data"][0])
    assert_shape(got[1], load_sample("executions_new.json")["data"][0])
    trade_sample = load_sample("executions_trade.json")["data"][0]
    for trade in got[2:4]:
        assert_shape(trade, trade_sample)
        assert trade["liquidity_ind"] == "t" and trade["order_status"] == "partially_filled"
    assert got[2]["last_qty"] == first and got[2]["last_price"] < got[3]["last_price"]
    assert got[3]["cum_qty"] == Decimal(str(qty)) == got[4]["cum_qty"]
    assert got[4]["order_status"] == "filled"
    # The ledger: per trade, one entry per asset, sharing the trade's ref_id.
    ledger = [f for f in frames if f.get("channel") == "balances"]
    assert [f["sequence"] for f in ledger] == [2, 3]
    entry_sample = load_sample("balances_update_trade.json")["data"][0]
    for update, trade in zip(ledger, got[2:4], strict=True):
        assert {e["ref_id"] for e in update["data"]} == {trade["exec_id"]}
        by_asset = {e["asset"]: e for e in update["data"]}
        assert set(by_asset) == {"BTC", "USD"}
        for entry in update["data"]:
            assert_shape(entry, entry_sample)
        assert by_asset["BTC"]["amount"] == trade["last_qty"]
        assert by_asset["USD"]["fee"] == trade["fees"][0]["qty"]
        assert abs(by_asset["USD"]["amount"] + trade["cost"]) < Decimal("0.0001")
    totals = {a: t for a, (t, _, _) in ex.engine.balances().items()}
    final = {e["asset"]: e["balance"] for e in ledger[-1]["data"]}
    assert final["BTC"] == totals["BTC"] == Decimal(5) + Decimal(str(qty))
    assert abs(final["USD"] - totals["USD"]) < Decimal("0.0001")
    assert ex.engine.order(order_id=order_id).state == "filled"


async def test_cl_ord_id_rides_along_every_report(kraken_account) -> None:
    ws = await kraken_account.connect()
    await subscribe(ws, "executions")
    await ws.call(
        "add_order", order_type="limit", side="sell", order_qty=0.01, limit_price=99999.0,
        symbol=BTC, cl_ord_id="client-zero",
    )  # fmt: skip
    frames = await ws.drain()
    assert_shape(frames[0], load_sample("add_order_response_cl_ord_id.json"))
    assert frames[0]["result"]["cl_ord_id"] == "client-zero"
    pending, new = reports(frames)
    assert_shape(
        pending, load_sample("executions_pending_new.json")["data"][0], frozenset({"cl_ord_id"})
    )
    assert pending["order_userref"] == 0 and new["cl_ord_id"] == "client-zero"


async def test_resting_order_fills_as_maker_when_the_market_moves(kraken_account) -> None:
    ex = kraken_account.ex
    ws = await kraken_account.connect()
    await subscribe(ws, "executions")
    best_ask = ex.book(BTC, 1)[1][0][0]
    await ws.call(
        "add_order", order_type="limit", side="sell", order_qty=0.05,
        limit_price=float(best_ask), symbol=BTC, post_only=True,
    )  # fmt: skip
    order_id = (await ws.drain())[0]["result"]["order_id"]
    order = ex.engine.order(order_id=order_id)
    for _ in range(500):
        if order.filled:
            break
        await ex.step(10, BTC)
    assert order.filled, "the market never reached the order"
    trades = [r for r in reports(await ws.drain()) if r["exec_type"] == "trade"]
    assert trades and trades[0]["liquidity_ind"] == "m"
    assert trades[0]["last_price"] == best_ask


async def test_snapshots_list_open_orders_and_recent_fills(kraken_account) -> None:
    ws = await kraken_account.connect()
    price, qty, _ = await crossing_price(kraken_account)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=qty, limit_price=price,
                  symbol=BTC)  # fmt: skip
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol=BTC, cl_ord_id="resting")  # fmt: skip
    await ws.drain()
    _, snap = await subscribe(ws, "executions", snap_trades=True)
    resting, *fills = snap["data"]
    assert resting["cl_ord_id"] == "resting" and resting["order_status"] == "new"
    assert resting["limit_price"] == Decimal("1000.0") and "order_qty" in resting
    sample = load_sample("executions_snapshot_trades.json")["data"][0]
    del sample["sender_sub_id"]  # only orders placed with one carry it
    assert len(fills) == 2
    for fill in fills:
        assert_shape(fill, sample)
        assert fill["order_status"] == "filled"
    assert fills[0]["trade_id"] > fills[1]["trade_id"]  # newest first


async def test_sequences_are_per_subscription(kraken_account) -> None:
    a = await kraken_account.connect()
    b = await kraken_account.connect()
    await subscribe(a, "executions")
    await a.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                 limit_price=1000.0, symbol=BTC)  # fmt: skip
    await a.drain()
    await subscribe(b, "executions")
    await a.call("cancel_all")
    seq_a = [f["sequence"] for f in executions(await a.drain())]
    seq_b = [f["sequence"] for f in executions(await b.drain())]
    assert seq_a == [4] and seq_b == [2]


async def test_no_secret_or_token_in_any_frame(kraken_account) -> None:
    ws = await kraken_account.connect()
    await subscribe(ws, "executions")
    await ws.call("add_order", order_type="market", side="buy", order_qty=0.01, symbol=BTC)
    await ws.call("add_order", order_type="market", side="buy", order_qty="x", symbol=BTC)
    await ws.drain()
    text = "".join(ws.raw)
    secret, key = kraken_account.secret, kraken_account.key
    assert ws.token not in text and secret not in text and key not in text
    assert json.loads(ws.raw[-1])["method"] == "pong"
