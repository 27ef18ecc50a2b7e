"""One emulated Kraken account: paper engine and the private channels.

:class:`PrivateDesk` is one API key's account (:mod:`.accounts` keeps one per key; the
keys, nonces, tokens and faults are the venue's, shared by every desk). It owns the
:class:`~tickwire.exchanges.base.matching.MatchingEngine`, turns its events into
``executions`` reports and ``balances`` ledger entries (reference §7,
:mod:`.execframes`), and serves the ``executions``/``balances`` subscriptions with a
``sequence`` per subscription that starts at 1 with the snapshot.

Reports go out one per message, in the engine's order: ``pending_new`` → ``new`` →
``trade``… → ``filled``, or ``canceled``/``expired``. During a trading request they
are held back until the method's ack is queued (:meth:`deferred`), so the requesting
socket sees the ack first.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tickwire.exchanges.base.faults import FaultPlan
from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.base.matching import BalanceEvent, EngineEvent, MatchingEngine, OrderEvent
from tickwire.exchanges.base.paper import Fill
from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken import execframes as ef
from tickwire.exchanges.kraken.auth import KrakenKey, TokenStore
from tickwire.exchanges.kraken.instruments import KrakenPair

__all__ = ["CANCEL_REASONS", "PrivateDesk", "Subscription"]

#: Engine cancel reasons → the ``reason`` text of Kraken's ``canceled`` report. Only
#: "User requested" is recorded (sample); the others are the emulator's wording.
CANCEL_REASONS = {
    "user": "User requested",
    "cancel_all": "User requested",
    "replaced": "Order replaced",
    "post_only": "Post only order",
    "ioc": "Immediate or cancel",
    "fok": "Fill or kill",
    "market": "Insufficient liquidity",
    "dead_man": "Dead man's switch",
}
#: Report kinds a subscription with ``order_status: false`` does not get.
_STATUS_ONLY = frozenset({"pending_new", "amended"})
_TXID = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(slots=True)
class Subscription:
    """One private subscription of one connection."""

    order_status: bool = True
    sequence: int = 0

    def next(self) -> int:
        """The ``sequence`` of the next message (1 for the first)."""
        self.sequence += 1
        return self.sequence


class PrivateDesk:
    """One Kraken account: engine, private subscriptions, dead man's switch (keys, nonces,
    tokens and faults are the venue's, shared)."""

    def __init__(
        self,
        market: SyntheticMarket,
        pairs: Mapping[str, KrakenPair],
        *,
        api_keys: Mapping[str, KrakenKey] | None,
        balances: Mapping[str, Decimal],
        clock: Callable[[], int],
        seed: int | str,
        faults: FaultPlan,
        tokens: TokenStore,
        nonces: dict[str, int],
        batch_cancel_form: str = "documented",
        dead_man_second: float = 1.0,
    ) -> None:
        self.market = market
        self.pairs = pairs
        self.api_keys = api_keys
        self.clock = clock
        self.faults = faults
        self.batch_cancel_form = batch_cancel_form
        self.dead_man_second = dead_man_second
        self.nonces = nonces
        self.tokens = tokens
        # Ids from their own generator, so trading never shifts the market's draws.
        self._rng = random.Random(f"kraken-private/{seed}")
        self._used_ids: set[str] = set()
        self._next_trade_id = self._rng.randint(50_000_000, 90_000_000)
        self.engine = MatchingEngine(
            market,
            balances=balances,
            clock=clock,
            order_id=lambda n: self.txid("O"),
            trade_id=lambda n: self.txid("T"),
            post_only_action="cancel",  # Kraken accepts, then cancels "Post only order"
        )
        self.engine.add_listener(self._on_events)
        self.userrefs: dict[str, int] = {}  # order id -> order_userref (0 when none)
        self.order_ids: list[str] = []  # every order accepted, oldest first (REST queries)
        self.trade_log: list[Fill] = []  # every fill, oldest first (REST TradesHistory)
        self.next_userref = 0
        """The ``order_userref`` of the order being placed (its id is not known yet)."""
        self.trade_ids: dict[str, int] = {}  # exec id -> integer trade_id
        self.fills: deque[tuple[ef.Report, str]] = deque(maxlen=50)  # (report, order id)
        self.executions: dict[Connection, Subscription] = {}
        self.balances: dict[Connection, Subscription] = {}
        self._deferred: list[tuple[str, list[Any], str]] | None = None
        self._dead_man: asyncio.TimerHandle | None = None
        self.dead_man_trigger: int | None = None
        """When the armed dead man's switch fires (ns), ``None`` while disarmed."""

    # -- ids ---------------------------------------------------------------------------

    def txid(self, prefix: str) -> str:
        """A fresh Kraken-looking id (``OK4GJX-KSTLS-7DZZO5``), unique in this account.

        ``prefix`` is its first character (``""``: a random one).
        """
        while True:
            c = prefix + "".join(self._rng.choice(_TXID) for _ in range(17 - len(prefix)))
            txid = f"{c[:6]}-{c[6:11]}-{c[11:]}"
            if txid not in self._used_ids:
                self._used_ids.add(txid)
                return txid

    # -- subscriptions -----------------------------------------------------------------

    def subscribed(self, conn: Connection) -> bool:
        """Whether ``conn`` holds a private subscription (heartbeats start then)."""
        return conn in self.executions or conn in self.balances

    def subscribe_executions(
        self, conn: Connection, *, snap_orders: bool, snap_trades: bool, order_status: bool
    ) -> None:
        """Register ``conn`` and queue its snapshot (sequence 1)."""
        sub = self.executions[conn] = Subscription(order_status=order_status)
        now = self.clock()
        data: list[Any] = []
        if snap_orders:
            for live in self.engine.open_orders():
                o = live.snapshot()
                fee_usd = self._usd(o.fee_asset, o.fee)
                userref = self.userrefs.get(o.order_id, 0)
                data.append(ef.open_order(self.pairs[o.symbol], o, userref, fee_usd, now))
        if snap_trades:
            for report, order_id in reversed(self.fills):  # newest first, like the venue
                order = self.engine.order(order_id=order_id)
                status = "filled" if order is None else order.state
                if status == "open":  # kraken has no "open" status: live means "new"
                    status = "new"
                data.append(ef.snapshot_trade(report, status))
        conn.send(ef.channel_message("executions", "snapshot", data, sub.next()))

    def subscribe_balances(self, conn: Connection, *, snapshot: bool) -> None:
        """Register ``conn``; with ``snapshot``, queue every asset's total (sequence 1)."""
        sub = self.balances[conn] = Subscription()
        if snapshot:
            totals = sorted(self.engine.balances().items())
            data = [ef.balance_entry(asset, total) for asset, (total, _, _) in totals]
            conn.send(ef.channel_message("balances", "snapshot", data, sub.next()))

    def unsubscribe(self, conn: Connection, channel: str) -> bool:
        """Drop ``conn``'s ``channel`` subscription; ``False`` if it had none."""
        subs = self.executions if channel == "executions" else self.balances
        return subs.pop(conn, None) is not None

    def disconnect(self, conn: Connection) -> None:
        """``conn`` closed: forget its subscriptions (orders and the switch live on)."""
        self.executions.pop(conn, None)
        self.balances.pop(conn, None)

    # -- publication -------------------------------------------------------------------

    @contextmanager
    def deferred(self) -> Iterator[Callable[[], None]]:
        """Hold reports back; the yielded function publishes them (call it after the ack).

        Whatever was not published by the end of the block is published then.
        """
        held: list[tuple[str, list[Any], str]] = []
        self._deferred = held

        def publish() -> None:
            self._deferred = None
            for item in held:
                self._publish(*item)
            held.clear()

        try:
            yield publish
        finally:
            publish()

    def _send(self, channel: str, data: list[Any], kind: str) -> None:
        if self._deferred is not None:
            self._deferred.append((channel, data, kind))
        else:
            self._publish(channel, data, kind)

    def _publish(self, channel: str, data: list[Any], kind: str) -> None:
        if channel == "executions":
            for conn, sub in list(self.executions.items()):
                if sub.order_status or kind not in _STATUS_ONLY:
                    conn.send(ef.channel_message("executions", "update", data, sub.next()))
        else:
            for conn, sub in list(self.balances.items()):
                conn.send(ef.channel_message("balances", "update", data, sub.next()))

    def _usd(self, asset: str, amount: Decimal) -> Decimal:
        """``amount`` of ``asset`` in USD (``fee_usd_equiv``), at the last price."""
        if asset == "USD" or not amount:
            return amount
        ref = f"{asset}/USD"
        return amount * self.market.stats(ref).last if ref in self.pairs else Decimal(0)

    def _on_events(self, events: list[EngineEvent]) -> None:
        """Translate one engine operation into reports and ledger lines, in order."""
        # A fill's balance events follow it: gather each trade's lines per asset first.
        # trade id -> asset -> [amount, fee, total after]
        ledger: dict[str, dict[str, list[Decimal]]] = {}
        for ev in events:
            if isinstance(ev, BalanceEvent) and ev.reason in ("trade", "fee"):
                line = ledger.setdefault(ev.ref, {}).setdefault(ev.asset, [Decimal(0)] * 3)
                if ev.reason == "trade":
                    line[0] += ev.delta_total
                else:
                    line[1] -= ev.delta_total
                line[2] = ev.total
        for i, ev in enumerate(events):
            if isinstance(ev, OrderEvent):
                if ev.kind == "new":
                    self.order_ids.append(ev.order.order_id)
                elif ev.fill is not None:
                    self.trade_log.append(ev.fill)
                self._report(ev, events[i + 1 :])
                if ev.fill is not None:
                    self._ledger(ev.fill.trade_id, ev.fill.ts, ledger.pop(ev.fill.trade_id, {}))

    def _ledger(self, trade_id: str, ts: int, lines: dict[str, list[Decimal]]) -> None:
        if not lines:
            return
        data = [
            ef.ledger_entry(self.txid("L"), trade_id, ts, asset, amount, fee, total)
            for asset, (amount, fee, total) in lines.items()
        ]
        self._send("balances", data, "trade")

    def _report(self, ev: OrderEvent, later: list[EngineEvent]) -> None:
        o = ev.order
        pair = self.pairs[o.symbol]
        userref = self.userrefs.setdefault(o.order_id, self.next_userref)
        ts = o.updated
        if ev.kind == "new":
            self._send("executions", [ef.pending_new(pair, o, userref, ts)], "pending_new")
            # A post-only order that would take never goes live: pending_new → canceled.
            nxt = next((e for e in later if isinstance(e, OrderEvent)), None)
            if nxt is None or nxt.order.order_id != o.order_id or nxt.reason != "post_only":
                self._send("executions", [ef.new(o, userref, ts)], "new")
        elif ev.kind == "fill" and ev.fill is not None:
            fill = ev.fill
            trade_id = self.trade_ids[fill.trade_id] = self._next_trade_id
            self._next_trade_id += 1
            fee_usd = self._usd(fill.fee_asset, fill.fee)
            report = ef.trade(pair, o, fill, userref, fill.trade_id, trade_id, fee_usd, fill.ts)
            self.fills.append((report, o.order_id))
            self._send("executions", [report], "trade")
        elif ev.kind in ("filled", "expired"):
            self._send(
                "executions",
                [ef.closed(pair, o, userref, ev.kind, self._usd(o.fee_asset, o.fee), ts)],
                ev.kind,
            )
        elif ev.kind == "canceled":
            reason = CANCEL_REASONS.get(ev.reason, "User requested")
            report = ef.canceled(pair, o, userref, reason, self._usd(o.fee_asset, o.fee), ts)
            self._send("executions", [report], "canceled")
        elif ev.kind == "amended":
            self._send("executions", [ef.amended(pair, o, userref, ts)], "amended")

    # -- dead man's switch -------------------------------------------------------------

    def arm_dead_man(self, timeout: int) -> tuple[int, int | None]:
        """(Re)arm the switch for ``timeout`` s, or disarm with 0; ``(now, trigger)`` in ns."""
        now = self.clock()
        if self._dead_man is not None:
            self._dead_man.cancel()
            self._dead_man = None
        if not timeout:
            self.dead_man_trigger = None
            return now, None
        loop = asyncio.get_running_loop()
        self._dead_man = loop.call_later(timeout * self.dead_man_second, self._fire)
        self.dead_man_trigger = now + timeout * 1_000_000_000
        return now, self.dead_man_trigger

    def _fire(self) -> None:
        # Expiry cancels every order of the account and leaves the switch disarmed.
        self._dead_man = None
        self.dead_man_trigger = None
        self.engine.cancel_all(reason="dead_man")

    def close(self) -> None:
        """The emulator stops: no timer may outlive it."""
        if self._dead_man is not None:
            self._dead_man.cancel()
            self._dead_man = None

    def key_for(self, token: object, conn: Connection) -> KrakenKey | None:
        """The API key behind ``token`` if it is valid for ``conn`` now."""
        return self.tokens.key_for(token, conn.id, self.clock())
