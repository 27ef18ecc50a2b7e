"""The emulator's private side, assembled: keys, account, pushes and the signed routes.

=================================  ======================================================
``POST /api/v1/bullet-private``     signed, General: a private token (same shape as the
                                    public bullet); its connections may subscribe
                                    the private topics of :mod:`.private`
HF placement                        :mod:`.orders`
HF cancels, queries, accounts       :mod:`.cancels`
dead-cancel-all                     :mod:`.dcp`
=================================  ======================================================
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.account import Account
from tickwire.exchanges.kucoin.cancels import CancelRoutes
from tickwire.exchanges.kucoin.dcp import DeadCancel
from tickwire.exchanges.kucoin.keys import GENERAL, ApiKey
from tickwire.exchanges.kucoin.orders import OrderRoutes
from tickwire.exchanges.kucoin.private import PrivateFeed
from tickwire.exchanges.kucoin.privrest import Call, Guard
from tickwire.exchanges.kucoin.symbols import KucoinSymbol
from tickwire.exchanges.kucoin.tokens import TokenStore

__all__ = ["PrivateSide"]


class PrivateSide:
    """Everything private of one emulator; :meth:`add_routes` mounts its endpoints."""

    def __init__(
        self,
        market: SyntheticMarket,
        symbols: Iterable[KucoinSymbol],
        tokens: TokenStore,
        ws_endpoint: Callable[[], str],
        *,
        keys: Mapping[str, ApiKey] | None,
        balances: Mapping[str, Decimal] | None,
        ping_interval_ms: int,
        ping_timeout_ms: int,
        dcp_second: float,
        seed: int,
    ) -> None:
        self.tokens = tokens
        self.ws_endpoint = ws_endpoint
        self.ping_interval_ms = ping_interval_ms
        self.ping_timeout_ms = ping_timeout_ms
        self.feed = PrivateFeed()
        self.account = Account(
            market,
            symbols,
            self.feed,
            random.Random(f"kucoin-account-{seed}"),
            balances=balances,
        )
        self.guard = Guard(keys)
        self.orders = OrderRoutes(self.account, self.guard, random.Random(f"kucoin-oid-{seed}"))
        self.cancels = CancelRoutes(self.account, self.guard)
        self.dcp = DeadCancel(self.account, self.guard, second=dcp_second)

    def add_routes(self, app: web.Application) -> None:
        """Mount bullet-private, placement, DCP, then the cancel and query patterns."""
        app.router.add_post("/api/v1/bullet-private", self.guard.wrap(GENERAL, self.bullet))
        self.orders.add_routes(app)
        self.dcp.add_routes(app)
        self.cancels.add_routes(app)

    async def bullet(self, call: Call) -> dict[str, Any]:
        """A fresh private token and the push socket's address."""
        token = self.tokens.issue()
        self.feed.grant(token)
        return frames.bullet_data(
            token, self.ws_endpoint(), self.ping_interval_ms, self.ping_timeout_ms
        )
