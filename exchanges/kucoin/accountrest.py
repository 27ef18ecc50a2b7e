"""The account routes a client reads at start-up, and the HF fills (General permission).

What each answers, after the venue's docs (docs-new "Account Info", "Spot Trading"):

| route | data |
|---|---|
| ``GET /api/v1/accounts[?currency=&type=]`` | one row per currency and account type |
| ``GET /api/v1/hf/accounts/opened`` | ``true``: the emulated user is a high-frequency user |
| ``GET /api/ua/v1/account/mode`` | ``{"selfAccountMode": "CLASSIC", ...}`` (not unified) |
| ``GET /api/v3/margin/symbols`` | ``{"timestamp", "items": []}``: no margin here |
| ``GET /api/v1/isolated/symbols`` | ``[]``: no isolated margin either |
| ``GET /api/v1/hf/fills?symbol=`` | ``{"items", "lastId"}``: the caller's executions |

Accounts: an HF user's spot funds live in its ``trade_hf`` account, which is what the
paper engine holds (HF orders trade against it), so ``trade_hf`` rows carry the engine's
totals, available and held amounts; the classic ``trade`` account is listed with zeros
for the same currencies (its funds were migrated), and there is no ``main`` or
``margin`` account. A ``type`` filter narrows the list, as on the venue.

Fills: newest first, ``limit`` 1..100 (default 20), optionally one ``orderId`` or
``side``, and ``lastId`` pages to older fills (ids below it). ``id`` is the fill's
position in the account's history, so it only grows.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.paper import Fill
from tickwire.exchanges.kucoin.account import MAKER_FEE, TAKER_FEE, Account
from tickwire.exchanges.kucoin.frames import dec
from tickwire.exchanges.kucoin.keys import GENERAL
from tickwire.exchanges.kucoin.privrest import Call, Guard, RestError, param_error

__all__ = ["ACCOUNT_TYPES", "AccountRoutes"]

ACCOUNT_TYPES = ("trade", "trade_hf")
"""The account types the emulated user has (``trade`` is empty: see the module doc)."""


def _fill_row(account: Account, n: int, fill: Fill) -> dict[str, Any]:
    rec = account.record(fill.order_id)
    order = account.engine.order(order_id=fill.order_id)
    rate = MAKER_FEE if fill.liquidity == "maker" else TAKER_FEE
    return {
        "id": n,
        "orderId": fill.order_id,
        "counterOrderId": "",
        # Documented as an integer here (a hex ObjectId in the pushes): the same id, read
        # as the number it spells, so the two can be matched.
        "tradeId": int(fill.trade_id, 16),
        "symbol": rec.symbol if rec is not None else account.name(fill.symbol),
        "side": fill.side,
        "liquidity": fill.liquidity,
        "type": order.type if order is not None else "limit",
        "forceTaker": False,
        "price": dec(fill.price),
        "size": dec(fill.size),
        "funds": dec(fill.cost),
        "fee": dec(fill.fee),
        "feeRate": dec(rate),
        "feeCurrency": fill.fee_asset,
        "stop": "",
        "tradeType": "TRADE",
        "taxRate": "0",
        "tax": "0",
        "createdAt": fill.ts // 1_000_000,
    }


class AccountRoutes:
    """The start-up account routes and fills, answered from the caller's account."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def add_routes(self, app: web.Application) -> None:
        """Mount the routes (fixed paths: register before any ``{param}`` pattern)."""
        w, r = self.guard.wrap, app.router
        r.add_get("/api/v1/accounts", w(GENERAL, self.accounts))
        r.add_get("/api/v1/hf/accounts/opened", w(GENERAL, self.hf_opened))
        r.add_get("/api/ua/v1/account/mode", w(GENERAL, self.account_mode))
        r.add_get("/api/v3/margin/symbols", w(GENERAL, self.margin_symbols))
        r.add_get("/api/v1/isolated/symbols", w(GENERAL, self.isolated_symbols))
        r.add_get("/api/v1/hf/fills", w(GENERAL, self.fills))

    async def accounts(self, call: Call) -> list[dict[str, Any]]:
        """``trade`` (zeros) and ``trade_hf`` (the engine) rows, filtered as asked."""
        account = call.account
        currency = call.request.query.get("currency") or None
        kind = call.request.query.get("type") or None
        rows = []
        for asset, (total, available, hold) in sorted(account.engine.balances().items()):
            if currency is not None and asset != currency:
                continue
            for type_ in ACCOUNT_TYPES:
                if kind is not None and kind != type_:
                    continue
                hf = type_ == "trade_hf"
                rows.append(
                    {
                        # trade_hf ids are the ones balance pushes carry
                        "id": account.account_id(asset if hf else f"{asset}:{type_}"),
                        "currency": asset,
                        "type": type_,
                        "balance": dec(total) if hf else "0",
                        "available": dec(available) if hf else "0",
                        "holds": dec(hold) if hf else "0",
                    }
                )
        return rows

    async def hf_opened(self, call: Call) -> bool:
        """Whether the user trades through the HF account: always, here."""
        return True

    async def account_mode(self, call: Call) -> dict[str, Any]:
        """A classic (not unified) account without sub-accounts."""
        return {"selfAccountMode": "CLASSIC", "unifiedSubAccount": [], "classicSubAccount": []}

    async def margin_symbols(self, call: Call) -> dict[str, Any]:
        """Cross-margin symbols: none, the emulator has no margin trading."""
        return {"timestamp": time.time_ns() // 1_000_000, "items": []}

    async def isolated_symbols(self, call: Call) -> list[dict[str, Any]]:
        """Isolated-margin symbols: none."""
        return []

    async def fills(self, call: Call) -> dict[str, Any]:
        """The caller's executions of ``symbol``, newest first, paged by ``lastId``."""
        account = call.account
        name = call.query("symbol")
        if name not in account.symbols:
            raise RestError("900001", "symbol not exists")
        query = call.request.query
        try:
            limit = int(query.get("limit") or 20)
            last_id = int(query["lastId"]) if query.get("lastId") else None
        except ValueError:
            raise param_error("limit and lastId must be integers") from None
        if not 1 <= limit <= 100:
            raise param_error("limit must be between 1 and 100")
        spec = account.spec_symbol(name)
        order_id, side = query.get("orderId"), query.get("side")
        items: list[dict[str, Any]] = []
        for n in range(len(account.fills), 0, -1):  # ids are 1-based positions
            fill = account.fills[n - 1]
            if last_id is not None and n >= last_id:
                continue
            if fill.symbol != spec or (order_id and fill.order_id != order_id):
                continue
            if side and fill.side != side:
                continue
            items.append(_fill_row(account, n, fill))
            if len(items) == limit:
                break
        return {"items": items, "lastId": items[-1]["id"] if items else 0}
