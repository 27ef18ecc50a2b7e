"""Kraken emulator, private REST: signed calls on each API key's own paper account.

Values are compared with the account's engine (the truth), shapes with the documented
fields; errors in Kraken's envelope.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_kraken_private_orders import reports, trader

OTHER = "no-websocket"  # a second key (query + trade): its own account
ORDER_KEYS = {
    "refid",
    "userref",
    "status",
    "opentm",
    "starttm",
    "expiretm",
    "descr",
    "vol",
    "vol_exec",
    "cost",
    "fee",
    "price",
    "stopprice",
    "limitprice",
    "misc",
    "oflags",
}


def result(reply: Any) -> Any:
    assert reply["error"] == [], reply
    return reply["result"]


async def resting(acct, key: str = "tickwire-test-key", **extra: Any) -> str:
    placed = await acct.private("AddOrder", key, pair="XBTUSD", type="buy", ordertype="limit",
                                volume="0.01", price="1000.0", **extra)  # fmt: skip
    (txid,) = result(placed)["txid"]
    return str(txid)


async def test_balance_is_the_accounts_engine_totals(kraken_account) -> None:
    ex = kraken_account.ex
    balance = result(await kraken_account.private("Balance"))
    truth = {a: total for a, (total, _, _) in ex.engine.balances().items()}
    assert balance == {"ZUSD": "1000000.0000", "XXBT": "5.0000000000", "XETH": "50.0000000000"}
    assert {k: Decimal(v) for k, v in balance.items()} == {
        {"USD": "ZUSD", "BTC": "XXBT", "ETH": "XETH"}[a]: t for a, t in truth.items()
    }
    ex_balance = result(await kraken_account.private("BalanceEx", as_json=True))
    assert ex_balance["ZUSD"] == {"balance": "1000000.0000", "hold_trade": "0.0000"}


async def test_add_query_cancel_round_trip(kraken_account) -> None:
    ex, acct = kraken_account.ex, kraken_account
    order = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
             "price": "1000.0", "cl_ord_id": "rest-1"}  # fmt: skip
    placed = result(await acct.private("AddOrder", **order))
    assert placed["descr"] == {"order": "buy 0.01000000 XBTUSD @ limit 1000.0"}
    (txid,) = placed["txid"]
    truth = ex.engine.order(order_id=txid)
    assert truth is not None and truth.client_id == "rest-1" and truth.is_open
    opened = result(await acct.private("OpenOrders"))["open"]
    assert set(opened) == {txid}
    entry = opened[txid]
    assert set(entry) >= ORDER_KEYS and entry["status"] == "open"
    assert (entry["vol"], entry["descr"]["pair"], entry["cl_ord_id"]) == (
        "0.01000000", "XBTUSD", "rest-1"
    )  # fmt: skip
    assert result(await acct.private("QueryOrders", txid=txid))[txid] == entry
    hold = result(await acct.private("BalanceEx"))["ZUSD"]["hold_trade"]
    assert Decimal(hold) == ex.engine.balances()["USD"][2] > 0
    assert result(await acct.private("CancelOrder", txid=txid)) == {"count": 1}
    assert not ex.engine.order(order_id=txid).is_open
    closed = result(await acct.private("ClosedOrders"))
    assert closed["count"] == 1 and closed["closed"][txid]["status"] == "canceled"
    assert result(await acct.private("OpenOrders"))["open"] == {}
    again = await acct.private("CancelOrder", txid=txid)
    assert again == {"error": ["EOrder:Unknown order"], "result": {}}


async def test_cancel_by_client_id_and_cancel_all(kraken_account) -> None:
    acct = kraken_account
    await resting(acct, cl_ord_id="by-client")
    await resting(acct)
    assert result(await acct.private("CancelOrder", cl_ord_id="by-client")) == {"count": 1}
    assert result(await acct.private("CancelAll")) == {"count": 1}
    assert acct.ex.engine.open_orders() == []


async def test_a_fill_shows_in_trades_history_and_balances(kraken_account) -> None:
    ex, acct = kraken_account.ex, kraken_account
    _, asks = ex.book("BTC/USD", 1)
    price = str(asks[0][0] * 2)
    placed = result(await acct.private("AddOrder", pair="BTC/USD", type="buy",
                                       ordertype="limit", volume="0.001", price=price))  # fmt: skip
    (txid,) = placed["txid"]
    history = result(await acct.private("TradesHistory"))
    assert history["count"] >= 1
    trade = next(iter(history["trades"].values()))
    assert (trade["ordertxid"], trade["pair"], trade["type"]) == (txid, "XXBTZUSD", "buy")
    assert Decimal(trade["vol"]) <= Decimal("0.001") and trade["maker"] is False
    order = ex.engine.order(order_id=txid)
    assert result(await acct.private("QueryOrders", txid=txid))[txid]["status"] == "closed"
    balance = result(await acct.private("Balance"))
    assert Decimal(balance["XXBT"]) == ex.engine.balances()["BTC"][0] == 5 + order.filled


async def test_each_key_trades_on_its_own_account(kraken_account) -> None:
    ex, acct = kraken_account.ex, kraken_account
    mine = await resting(acct)
    theirs = await resting(acct, OTHER)
    assert [o.order_id for o in ex.engine.open_orders()] == [mine]
    assert [o.order_id for o in ex.account_engine(OTHER).open_orders()] == [theirs]
    assert set(result(await acct.private("OpenOrders", OTHER))["open"]) == {theirs}
    refused = await acct.private("CancelOrder", OTHER, txid=mine)
    assert refused["error"] == ["EOrder:Unknown order"]
    assert result(await acct.private("CancelAll", OTHER)) == {"count": 1}
    assert ex.engine.order(order_id=mine).is_open


async def test_rest_orders_reach_the_accounts_websocket_subscribers(kraken_account) -> None:
    ws = await trader(kraken_account)  # executions on the default key's account
    other = await resting(kraken_account, OTHER)
    txid = await resting(kraken_account)
    seen = reports(await ws.drain())
    assert [(r["order_id"], r["exec_type"]) for r in seen] == [
        (txid, "pending_new"), (txid, "new")
    ]  # fmt: skip
    assert other not in {r["order_id"] for r in seen}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"pair": "NOPE", "volume": "1"}, "EQuery:Unknown asset pair"),
        ({"volume": "0.0000001"}, "EOrder:Order minimum not met"),
        ({"volume": "100000"}, "EOrder:Insufficient funds"),
        ({"ordertype": "stop-loss"}, "EGeneral:Invalid arguments:ordertype"),
        ({"oflags": "post,weird"}, "EGeneral:Invalid arguments:oflags"),
        ({"leverage": "2"}, "EGeneral:Invalid arguments:leverage is not supported"),
    ],
)
async def test_add_order_refusals_are_kraken_errors(kraken_account, fields, error) -> None:
    order = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01",
             "price": "1000.0", **fields}  # fmt: skip
    reply = await kraken_account.private("AddOrder", **order)
    assert reply["result"] == {} and reply["error"][0].startswith(error), reply
    assert kraken_account.ex.engine.open_orders() == []


async def test_validate_checks_without_placing(kraken_account) -> None:
    reply = result(await kraken_account.private("AddOrder", pair="XBTUSD", type="sell",
                                                ordertype="market", volume="0.5",
                                                validate="true"))  # fmt: skip
    assert reply == {"descr": {"order": "sell 0.50000000 XBTUSD @ market"}}
    assert kraken_account.ex.engine.open_orders() == []


async def test_signature_nonce_and_permission_are_checked_first(kraken_account) -> None:
    acct = kraken_account
    assert await acct.private("Balance", "nobody") == {"error": ["EAPI:Invalid key"]}
    refused = await acct.private("AddOrder", "no-trade", pair="XBTUSD", type="buy",
                                 ordertype="limit", volume="0.01", price="1000.0")  # fmt: skip
    assert refused == {"error": ["EGeneral:Permission denied"]}
    assert await acct.private("Balance", "no-query") == {"error": ["EGeneral:Permission denied"]}
    result(await acct.private("Balance"))
    reply = await acct.token_call(nonce="5")  # below the nonce the Balance call used
    assert reply == {"error": ["EAPI:Invalid nonce"]}


async def test_a_token_trades_on_its_keys_account(kraken_account) -> None:
    ex = kraken_account.ex
    token = await kraken_account.token("no-query")  # websocket + trade, no query
    ws = await kraken_account.connect(token=token)
    await ws.call("add_order", order_type="limit", side="buy", order_qty=0.01,
                  limit_price=1000.0, symbol="BTC/USD", cl_ord_id="ws-other")  # fmt: skip
    await ws.drain()
    assert ex.engine.order(client_id="ws-other") is None
    assert ex.account_engine("no-query").order(client_id="ws-other") is not None
