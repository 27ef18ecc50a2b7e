"""Kraken's private REST API (``POST /0/private/*``), one paper account per API key.

Every call is signed (reference §4.2: ``API-Key``, ``API-Sign`` over the path and
``SHA256(nonce + body)``, a strictly growing ``nonce`` in the form or JSON body);
a refused signature answers HTTP 200 ``{"error": ["EAPI:Invalid key"]}`` (or
``EAPI:Invalid signature``, ``EAPI:Invalid nonce``), a key without the method's
permission ``EGeneral:Permission denied``. The key's own account then answers:

==========================  ============================================================
method                      result
==========================  ============================================================
``Balance``                 asset code → total (``{"ZUSD": "100000.0000"}``)
``BalanceEx``               asset code → ``{balance, hold_trade}``
``OpenOrders``              ``{open: {txid: order}}``
``ClosedOrders``            ``{closed: {txid: order}, count}``, newest first, 50 from ``ofs``
``QueryOrders``             ``txid`` (comma list) → ``{txid: order}``
``TradesHistory``           ``{trades: {trade txid: trade}, count}``, newest first, 50 from
                            ``ofs``
``AddOrder``                ``{descr: {order}, txid: [id]}`` (``validate``: no ``txid``)
``CancelOrder``             ``txid`` (an order id or a ``cl_ord_id``) → ``{count}``
``CancelAll``               ``{count}``
``GetWebSocketsToken``      ``{token, expires}``
==========================  ============================================================

docs.kraken.com ("Get Closed Orders", "Get Trades History"): "50 results are returned at a
time, the most recent by default"; ``ofs`` is the result offset for pagination and
``count`` the number of matching results in all, so ``ofs=50`` is the second page.

Method errors look like ``{"error": ["EOrder:Unknown order"], "result": {}}``.
Orders placed here are the account's like any other: its WebSocket ``executions`` and
``balances`` subscribers see them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from tickwire.exchanges.base.paper import PaperError
from tickwire.exchanges.kraken.accounts import Accounts
from tickwire.exchanges.kraken.auth import PERMISSION_DENIED, KrakenKey, check_signed
from tickwire.exchanges.kraken.instruments import asset_for
from tickwire.exchanges.kraken.orderparams import Refuse, engine_error
from tickwire.exchanges.kraken.private import PrivateDesk
from tickwire.exchanges.kraken.restnames import (
    INVALID_ARGUMENTS,
    RestNames,
    decimal_text,
    fail,
    ok,
)
from tickwire.exchanges.kraken.restorders import add_order_args, describe, order_info, trade_info

__all__ = ["PRIVATE_PREFIX", "TOKEN_PATH", "PrivateRest"]

PRIVATE_PREFIX = "/0/private/"
TOKEN_PATH = PRIVATE_PREFIX + "GetWebSocketsToken"
UNKNOWN_ORDER = "EOrder:Unknown order"
INVALID_ORDER = "EOrder:Invalid order"

PAGE = 50
"""Rows ``ClosedOrders`` and ``TradesHistory`` answer per call."""

Form = dict[str, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One verified request: the key's account, its fields, the key and its name."""

    desk: PrivateDesk
    form: Form
    name: str
    key: KrakenKey


class PrivateRest:
    """The ``/0/private/{method}`` handler over every account of :class:`Accounts`."""

    def __init__(self, accounts: Accounts, names: RestNames, clock: Callable[[], int]) -> None:
        self.accounts = accounts
        self.names = names
        self.clock = clock
        # method -> (permission required, handler)
        self._methods: dict[str, tuple[str, Callable[[Call], Any]]] = {
            "Balance": ("query", self.balance),
            "BalanceEx": ("query", self.balance_ex),
            "OpenOrders": ("query", self.open_orders),
            "ClosedOrders": ("query", self.closed_orders),
            "QueryOrders": ("query", self.query_orders),
            "TradesHistory": ("query", self.trades_history),
            "AddOrder": ("trade", self.add_order),
            "CancelOrder": ("trade", self.cancel_order),
            "CancelAll": ("trade", self.cancel_all),
            "GetWebSocketsToken": ("websocket", self.token),
        }

    def routes(self, app: web.Application) -> None:
        """Register ``POST /0/private/{method}``."""
        app.router.add_post(PRIVATE_PREFIX + "{method}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Verify the signature, then answer on the key's own account."""
        entry = self._methods.get(request.match_info["method"])
        if entry is None:
            return fail("EGeneral:Unknown method", status=404)
        permission, method = entry
        body = await request.read()
        accounts = self.accounts
        error, key = check_signed(
            request.headers, request.path, body, accounts.api_keys, accounts.nonces
        )
        if error is None and key is not None and not key.allows(permission):
            error = PERMISSION_DENIED
        if error is not None or key is None:
            return web.json_response({"error": [error]})
        name = request.headers["API-Key"]
        form = _form(body, request.headers.get("Content-Type", ""))
        if form is None:
            return fail(INVALID_ARGUMENTS)
        try:
            return ok(method(Call(accounts.desk(name), form, name, key)))
        except Refuse as exc:
            return fail(str(exc))

    # -- account -------------------------------------------------------------------------

    def _totals(self, desk: PrivateDesk) -> dict[str, tuple[str, str]]:
        rows = {}
        for asset, (total, _, hold) in sorted(desk.engine.balances().items()):
            places = asset_for(asset).precision
            code = self.names.code_of(asset)
            rows[code] = (decimal_text(total, places), decimal_text(hold, places))
        return rows

    def balance(self, call: Call) -> dict[str, str]:
        """Asset code → total."""
        return {code: total for code, (total, _) in self._totals(call.desk).items()}

    def balance_ex(self, call: Call) -> dict[str, Any]:
        """Asset code → ``{balance, hold_trade}``."""
        rows = self._totals(call.desk).items()
        return {code: {"balance": total, "hold_trade": hold} for code, (total, hold) in rows}

    def _info(self, desk: PrivateDesk, order_id: str) -> dict[str, Any]:
        order = desk.engine.order(order_id=order_id)
        assert order is not None
        pair = self.names.by_symbol(order.symbol)
        return order_info(order, pair, desk.userrefs.get(order_id, 0))

    @staticmethod
    def _selected(call: Call, order_ids: list[str]) -> list[str]:
        """``order_ids`` narrowed by the call's ``userref`` / ``cl_ord_id`` filters."""
        desk, userref, cl_ord_id = call.desk, call.form.get("userref"), call.form.get("cl_ord_id")
        chosen = []
        for order_id in order_ids:
            order = desk.engine.order(order_id=order_id)
            if order is None or (cl_ord_id is not None and order.client_id != cl_ord_id):
                continue
            if userref is None or str(desk.userrefs.get(order_id, 0)) == userref:
                chosen.append(order_id)
        return chosen

    def open_orders(self, call: Call) -> dict[str, Any]:
        """``{open: {txid: order}}``."""
        ids = self._selected(call, [o.order_id for o in call.desk.engine.open_orders()])
        return {"open": {i: self._info(call.desk, i) for i in ids}}

    def closed_orders(self, call: Call) -> dict[str, Any]:
        """``{closed: {txid: order}, count}``, newest first, 50 from ``ofs``."""
        desk = call.desk
        ids = self._selected(call, list(reversed(desk.order_ids)))
        closed = [i for i in ids if not _is_open(desk, i)]
        page = _page(closed, call.form)
        return {"closed": {i: self._info(desk, i) for i in page}, "count": len(closed)}

    def query_orders(self, call: Call) -> dict[str, Any]:
        """``txid`` → order, for each id asked (an unknown one refuses the call)."""
        desk = call.desk
        ids = [i for i in call.form.get("txid", "").split(",") if i]
        if not ids or len(ids) > 50:
            raise Refuse(f"{INVALID_ARGUMENTS}:txid")
        if any(desk.engine.order(order_id=i) is None for i in ids):
            raise Refuse(INVALID_ORDER)
        return {i: self._info(desk, i) for i in ids}

    def trades_history(self, call: Call) -> dict[str, Any]:
        """``{trades: {trade txid: trade}, count}``, newest first, 50 from ``ofs``."""
        desk = call.desk
        fills = list(reversed(desk.trade_log))
        trades = {}
        for fill in _page(fills, call.form):
            pair = self.names.by_symbol(fill.symbol)
            order = desk.engine.order(order_id=fill.order_id)
            number = desk.trade_ids.get(fill.trade_id, 0)
            trades[fill.trade_id] = trade_info(fill, order, pair, number)
        return {"trades": trades, "count": len(fills)}

    # -- trading -------------------------------------------------------------------------

    def add_order(self, call: Call) -> dict[str, Any]:
        """Place an order on the account; ``validate`` only checks it."""
        args = add_order_args(call.form, self.names)
        trading = self.accounts.trading(call.name)
        pair = self.names.by_symbol(args.symbol)
        descr = {"order": describe(pair, args.side, args.type, args.size, args.price)}
        try:
            if args.validate:
                trading.check(args)
                return {"descr": descr}
            order_id = trading.place(args)
        except PaperError as exc:
            raise Refuse(engine_error(exc)) from None
        return {"descr": descr, "txid": [order_id]}

    def cancel_order(self, call: Call) -> dict[str, Any]:
        """Cancel one open order by ``txid`` (an order id or a ``cl_ord_id``)."""
        engine = call.desk.engine
        ident = call.form.get("txid") or call.form.get("cl_ord_id")
        if not ident:
            raise Refuse(f"{INVALID_ARGUMENTS}:txid")
        try:
            if engine.order(order_id=ident) is not None:
                engine.cancel(order_id=ident)
            else:
                engine.cancel(client_id=ident)
        except PaperError:
            raise Refuse(UNKNOWN_ORDER) from None
        return {"count": 1}

    def cancel_all(self, call: Call) -> dict[str, Any]:
        """Cancel every open order of the account."""
        return {"count": len(call.desk.engine.cancel_all())}

    def token(self, call: Call) -> dict[str, Any]:
        """A WebSocket token for the key's account."""
        tokens = self.accounts.tokens
        return {"token": tokens.issue(call.key, self.clock(), call.name), "expires": tokens.ttl}


def _page(rows: list[T], form: Form) -> list[T]:
    """The 50 rows from ``ofs`` (a non-negative integer; default 0)."""
    raw = form.get("ofs") or "0"
    try:
        ofs = int(raw)
    except ValueError:
        raise Refuse(f"{INVALID_ARGUMENTS}:ofs") from None
    if ofs < 0:
        raise Refuse(f"{INVALID_ARGUMENTS}:ofs")
    return rows[ofs : ofs + PAGE]


def _is_open(desk: PrivateDesk, order_id: str) -> bool:
    order = desk.engine.order(order_id=order_id)
    return order is not None and order.is_open


def _form(body: bytes, content_type: str) -> Form | None:
    """The request's fields as strings, from a form or a JSON body."""
    if "json" in content_type:
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
