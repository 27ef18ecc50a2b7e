"""The emulator's private side, assembled: keys, accounts, pushes and the signed routes.

=================================  ======================================================
``POST /api/v1/bullet-private``     signed, General: a private token (same shape as the
                                    public bullet) bound to the caller's account; its
                                    connections may subscribe the private topics of
                                    :mod:`.private` and receive that account's pushes
HF placement                        :mod:`.orders`
HF cancels, order queries           :mod:`.cancels`
accounts, fills, start-up reads     :mod:`.accountrest`
dead-cancel-all                     :mod:`.dcp`
=================================  ======================================================

Every API key has its own paper account (engine, orders, balances, pushes, dead-man
switch), made on the key's first signed request from the same starting ``balances``;
:attr:`PrivateSide.default_key`'s account exists from the start (``emulator.engine``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.exchanges.base.faults import FaultPlan
from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.account import Account
from tickwire.exchanges.kucoin.accountrest import AccountRoutes
from tickwire.exchanges.kucoin.cancels import CancelRoutes
from tickwire.exchanges.kucoin.dcp import DcpRoutes, DeadCancel
from tickwire.exchanges.kucoin.keys import GENERAL, ApiKey
from tickwire.exchanges.kucoin.orders import InFlight, OrderRoutes
from tickwire.exchanges.kucoin.private import PrivateFeed, PrivateTokens
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
        default_key: str,
        balances: Mapping[str, Decimal] | None,
        ping_interval_ms: int,
        ping_timeout_ms: int,
        dcp_second: float,
        seed: int,
        faults: FaultPlan,
        now_ms: Callable[[], int],
    ) -> None:
        self.market = market
        self.symbols = list(symbols)
        self.tokens = tokens
        self.ws_endpoint = ws_endpoint
        self.ping_interval_ms = ping_interval_ms
        self.ping_timeout_ms = ping_timeout_ms
        self.balances = balances
        self.seed = seed
        self.default_key = default_key
        self.private_tokens = PrivateTokens()
        self._accounts: dict[str, Account] = {}
        self.guard = Guard(keys, self.account, now_ms)
        self.released = asyncio.Event()
        """Set when the venue stops: held order requests end (their connection cut)."""
        self.orders = OrderRoutes(
            self.guard, random.Random(f"kucoin-oid-{seed}"), InFlight(faults, self.released)
        )
        self.cancels = CancelRoutes(self.guard)
        self.account_routes = AccountRoutes(self.guard)
        self.dcp_routes = DcpRoutes(self.guard, second=dcp_second)
        self.account(default_key)

    # -- accounts --------------------------------------------------------------------

    def account(self, api_key: str) -> Account:
        """The paper account of ``api_key``, made with the starting balances on first use."""
        found = self._accounts.get(api_key)
        if found is None:
            # The default key keeps the stream the single account always had, so its
            # ids do not change; other keys get streams of their own.
            name = "" if api_key == self.default_key else f"-{api_key}"
            found = Account(
                self.market,
                self.symbols,
                PrivateFeed(),
                random.Random(f"kucoin-account-{self.seed}{name}"),
                balances=self.balances,
            )
            self._accounts[api_key] = found
        return found

    def accounts(self) -> Iterator[Account]:
        """Every account made so far."""
        return iter(list(self._accounts.values()))

    @property
    def default(self) -> Account:
        """The default key's account."""
        return self.account(self.default_key)

    def dcp(self, api_key: str) -> DeadCancel:
        """The dead-cancel-all switch of ``api_key``'s account."""
        return self.dcp_routes.switch(self.account(api_key))

    # -- routes ----------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Mount bullet-private, placement, DCP, accounts, then the ``{orderId}`` patterns."""
        app.router.add_post("/api/v1/bullet-private", self.guard.wrap(GENERAL, self.bullet))
        self.orders.add_routes(app)
        self.dcp_routes.add_routes(app)
        self.account_routes.add_routes(app)
        self.cancels.add_routes(app)

    async def bullet(self, call: Call) -> dict[str, Any]:
        """A fresh private token, bound to the caller's account, and the socket's address."""
        token = self.tokens.issue()
        self.private_tokens.grant(token, call.account.feed)
        return frames.bullet_data(
            token, self.ws_endpoint(), self.ping_interval_ms, self.ping_timeout_ms
        )
