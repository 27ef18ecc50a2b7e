"""Every API key's paper account, and the venue-wide auth state they share.

Kraken keeps one account per API key: its balances, orders and private channels are its
own. :class:`Accounts` creates a :class:`~.private.PrivateDesk` for a key the first time
the key is used (a signed REST call, a token), each starting from the emulator's
``balances``; the keys, nonces, tokens and the fault plan are the venue's, shared.
:class:`PrivateRouter` hands each authenticated WebSocket request to the account its
token was issued for.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.faults import FaultPlan
from tickwire.exchanges.base.keytable import KeyTable
from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken.auth import KrakenKey, TokenStore
from tickwire.exchanges.kraken.channels import subscription
from tickwire.exchanges.kraken.instruments import KrakenPair
from tickwire.exchanges.kraken.private import PrivateDesk
from tickwire.exchanges.kraken.trading import Trading

__all__ = ["Accounts", "PrivateRouter"]

_decode = msgspec.json.Decoder().decode


class Accounts:
    """One :class:`PrivateDesk` (and its :class:`Trading`) per API key, made on first use.

    ``default`` names the key whose account exists from the start (the test key).
    """

    def __init__(
        self,
        market: SyntheticMarket,
        pairs: Mapping[str, KrakenPair],
        *,
        api_keys: KeyTable[KrakenKey],
        balances: Mapping[str, Decimal],
        clock: Callable[[], int],
        seed: int,
        faults: FaultPlan,
        default: str,
        token_ttl: int = 900,
        batch_cancel_form: str = "documented",
        dead_man_second: float = 1.0,
    ) -> None:
        self.api_keys = api_keys
        self.nonces: dict[str, int] = {}
        self.tokens = TokenStore(token_ttl)
        self.faults = faults
        self._make = functools.partial(
            PrivateDesk,
            market,
            pairs,
            api_keys=api_keys,
            balances=dict(balances),
            clock=clock,
            faults=faults,
            tokens=self.tokens,
            nonces=self.nonces,
            batch_cancel_form=batch_cancel_form,
            dead_man_second=dead_man_second,
        )
        self._seed = seed
        self.clock = clock
        self._desks: dict[str, PrivateDesk] = {}
        self._trading: dict[str, Trading] = {}
        self.default_name = default
        self.default = self.desk(default)

    def desk(self, name: str) -> PrivateDesk:
        """The account of API key ``name`` (created with the starting balances if new)."""
        desk = self._desks.get(name)
        if desk is None:
            # The default account keeps the seed's own id stream; others get their own.
            seed: int | str = self._seed if not self._desks else f"{self._seed}/{name}"
            desk = self._desks[name] = self._make(seed=seed)
            self._trading[name] = Trading(desk, self.clock)
        return desk

    def trading(self, name: str) -> Trading:
        """The order methods of ``name``'s account."""
        self.desk(name)
        return self._trading[name]

    def __iter__(self) -> Iterator[PrivateDesk]:
        """Every account so far (a copy: iterating may create none)."""
        return iter(list(self._desks.values()))

    def names(self) -> list[str]:
        """The API keys that have an account so far."""
        return list(self._desks)

    def on_market_step(self) -> None:
        """The market moved: every account's resting orders may fill."""
        for desk in self._desks.values():
            desk.engine.on_market_step()

    def close(self) -> None:
        """The emulator stops: no account's timer may outlive it."""
        for desk in self._desks.values():
            desk.close()


class PrivateRouter:
    """The auth host's private side: each request goes to its token's account."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def _for(self, token: object) -> Trading:
        # A token nobody issued still needs an answer: the default account refuses it.
        name = self.accounts.tokens.account_for(token)
        return self.accounts.trading(self.accounts.default_name if name is None else name)

    def handle(
        self, conn: Connection, method: str, data: bytes, req_id: int | None, time_in: int
    ) -> Awaitable[None] | None:
        """Answer one order method on the account of the request's token."""
        return self._for(_token(data)).handle(conn, method, data, req_id, time_in)

    def subscription(
        self, conn: Connection, method: str, params: dict[str, Any], req_id: int | None,
        time_in: int,
    ) -> None:  # fmt: skip
        """Answer an ``executions``/``balances`` (un)subscribe on the token's account."""
        desk = self._for(params.get("token")).desk
        subscription(desk, conn, method, params, req_id, time_in)

    def subscribed(self, conn: Connection) -> bool:
        """Whether ``conn`` holds a private subscription on any account."""
        return any(desk.subscribed(conn) for desk in self.accounts)

    def disconnect(self, conn: Connection) -> None:
        """``conn`` closed: every account forgets its subscriptions."""
        for desk in self.accounts:
            desk.disconnect(conn)


def _token(data: bytes) -> object:
    try:
        msg = _decode(data)
    except msgspec.DecodeError:
        return None
    params = msg.get("params") if isinstance(msg, dict) else None
    return params.get("token") if isinstance(params, dict) else None
