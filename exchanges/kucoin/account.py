"""One emulated account (one per API key): paper engine, KuCoin order records, pushes.

:class:`Account` owns the :class:`~tickwire.exchanges.base.matching.MatchingEngine`
(symbols in the market's ``BASE/QUOTE`` spelling; order and trade ids minted in KuCoin's
24-hex shape) and turns each engine event list into KuCoin pushes, in the engine's order
(reference §8, §14):

| engine event | ``/spotMarket/tradeOrdersV2`` ``type``/``status`` |
|---|---|
| ``new`` | ``received``/``new`` (V2 only) |
| ``open`` | ``open``/``open`` |
| ``fill`` | ``match``/``open`` as maker, ``match``/``match`` as taker |
| ``amended`` (a partial cancel) | ``update``/``open`` with ``oldSize`` |
| ``filled`` | ``filled``/``done`` |
| ``canceled``, ``expired`` | ``canceled``/``done`` |

Balance events become ``/account/balance`` pushes: a hold or a release is one
``trade.hold`` push (``holdChange`` positive or negative); a fill's settlement is one
``trade.setted`` push per currency (the quote leg and its fee merged), with the
``tradeId`` in ``relationContext``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tickwire.exchanges.base.market import SyntheticMarket
from tickwire.exchanges.base.matching import (
    BalanceEvent,
    Fill,
    MatchingEngine,
    OrderEvent,
    OrderSnapshot,
)
from tickwire.exchanges.kucoin import orderframes
from tickwire.exchanges.kucoin.orderframes import KcOrder
from tickwire.exchanges.kucoin.private import BALANCE, ORDERS_V1, ORDERS_V2, PrivateFeed
from tickwire.exchanges.kucoin.symbols import KucoinSymbol

__all__ = ["DEFAULT_BALANCES", "MAKER_FEE", "TAKER_FEE", "Account", "OrderMeta"]

MAKER_FEE = Decimal("0.001")
TAKER_FEE = Decimal("0.001")
"""KuCoin's base spot rates (VIP 0, both 0.1%), also what ``/market/snapshot`` shows."""

DEFAULT_BALANCES: dict[str, Decimal] = {
    "USDT": Decimal(100_000),
    "BTC": Decimal(2),
    "ETH": Decimal(30),
    "SOL": Decimal(500),
}
"""The trade account's starting totals when the emulator is given no ``balances``."""

_EVENTS = {
    "open": ("open", "open"),
    "filled": ("filled", "done"),
    "canceled": ("canceled", "done"),
    "expired": ("canceled", "done"),
}


@dataclass(frozen=True, slots=True)
class OrderMeta:
    """Wire fields of an order being placed that the engine does not keep."""

    client_oid: str
    time_in_force: str
    cancel_after: int = 0
    remark: str | None = None
    tags: str | None = None
    hidden: bool = False
    iceberg: bool = False


@dataclass(slots=True)
class _Batch:
    """Per event list: which fill a trade id belongs to, for the settlement pushes."""

    fills: dict[str, Fill] = field(default_factory=dict)


class Account:
    """One trading account over ``market``: engine, records, and the private pushes."""

    def __init__(
        self,
        market: SyntheticMarket,
        symbols: Iterable[KucoinSymbol],
        feed: PrivateFeed,
        rng: random.Random,
        *,
        balances: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.symbols = {s.name: s for s in symbols}
        self._names = {s.spec.symbol: s.name for s in self.symbols.values()}
        self.feed = feed
        self._rng = rng
        self._clock = market.clock
        self.user_id = f"{rng.getrandbits(96):024x}"
        self._salt = rng.getrandbits(24)
        self._accounts: dict[str, str] = {}
        self._event_seq = rng.randint(10**14, 9 * 10**14)
        self.engine = MatchingEngine(
            market,
            balances=self._starting(balances),
            maker_fee=MAKER_FEE,
            taker_fee=TAKER_FEE,
            clock=market.clock,
            order_id=self._mint,
            trade_id=self._mint_trade,
            # KuCoin accepts a post-only order that would take, then cancels it.
            post_only_action="cancel",
        )
        self.records: dict[str, KcOrder] = {}
        """KuCoin order id → record, every order ever accepted."""
        self.client_oids: set[str] = set()
        """Every clientOid ever accepted: the venue refuses a reused one."""
        self.fills: list[Fill] = []
        """Every execution of the account's orders, oldest first (``/api/v1/hf/fills``)."""
        self._meta: OrderMeta | None = None
        self.engine.add_listener(self._on_events)

    def _starting(self, balances: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
        if balances is not None:
            return {a: Decimal(v) for a, v in balances.items()}
        assets = {a for s in self.symbols.values() for a in (s.spec.base, s.spec.quote)}
        # Assets of custom symbols get 100 typical levels' worth (quotes: 1e6).
        quotes = {s.spec.quote for s in self.symbols.values()}
        out: dict[str, Decimal] = {}
        for asset in sorted(assets):
            if asset in DEFAULT_BALANCES:
                out[asset] = DEFAULT_BALANCES[asset]
            elif asset in quotes:
                out[asset] = Decimal(1_000_000)
            else:
                qty = max(s.spec.level_qty for s in self.symbols.values() if s.spec.base == asset)
                out[asset] = qty * 100
        return out

    # -- ids -------------------------------------------------------------------------

    def _object_id(self, n: int) -> str:
        # Shaped like the venue's ids (a Mongo ObjectId: seconds, then a counter);
        # the counter part keeps them unique.
        seconds = self._clock() // 1_000_000_000
        return f"{seconds & 0xFFFFFFFF:08x}{self._salt:06x}{n:010x}"

    def _mint(self, n: int) -> str:
        return self._object_id(2 * n)

    def _mint_trade(self, n: int) -> str:
        return self._object_id(2 * n + 1)

    def account_id(self, currency: str) -> str:
        """The trade account id of ``currency`` (stable per emulator)."""
        if currency not in self._accounts:
            self._accounts[currency] = str(self._rng.randint(10**11, 10**12 - 1))
        return self._accounts[currency]

    # -- names -----------------------------------------------------------------------

    def spec_symbol(self, name: str) -> str:
        """The market's spelling (``BTC/USDT``) of a KuCoin symbol; ``KeyError`` if unknown."""
        return self.symbols[name].spec.symbol

    def name(self, spec_symbol: str) -> str:
        """The KuCoin spelling (``BTC-USDT``) of a market symbol."""
        return self._names[spec_symbol]

    # -- placement -------------------------------------------------------------------

    def expect(self, meta: OrderMeta | None) -> None:
        """Attach ``meta`` to the next order the engine accepts (``None`` forgets it)."""
        self._meta = meta

    def record(self, order_id: str) -> KcOrder | None:
        """The record of an order by KuCoin order id."""
        return self.records.get(order_id)

    def by_client(self, client_oid: str) -> KcOrder | None:
        """The latest order carrying ``client_oid`` (an altered order's replacement)."""
        order = self.engine.order(client_id=client_oid)
        return None if order is None else self.records.get(order.order_id)

    def snapshot(self, rec: KcOrder) -> OrderSnapshot:
        """The engine's current view of a recorded order."""
        order = self.engine.order(order_id=rec.order_id)
        assert order is not None  # every record comes from an accepted order
        return order.snapshot()

    # -- engine events → pushes ------------------------------------------------------

    def _on_events(self, events: list[OrderEvent | BalanceEvent]) -> None:
        batch = _Batch()
        pending: list[BalanceEvent] = []
        for event in events:
            if isinstance(event, BalanceEvent):
                pending.append(event)
                continue
            self._balances(pending, batch)
            pending = []
            self._order(event, batch)
        self._balances(pending, batch)

    def _order(self, event: OrderEvent, batch: _Batch) -> None:
        snap = event.order
        rec = self.records.get(snap.order_id)
        if rec is None:
            meta = self._meta or OrderMeta(snap.client_id or snap.order_id, "GTC")
            self._meta = None
            rec = KcOrder(
                snap.order_id,
                meta.client_oid,
                self.name(snap.symbol),
                snap.size,
                meta.time_in_force,
                meta.cancel_after,
                meta.remark,
                meta.tags,
                meta.hidden,
                meta.iceberg,
                size=snap.size,
            )
            self.records[rec.order_id] = rec
            self.client_oids.add(rec.client_oid)
        old_size: Decimal | None = None
        fill = event.fill
        if event.kind == "new":
            kind, status = "received", "new"
        elif event.kind == "fill":
            assert fill is not None
            batch.fills[fill.trade_id] = fill
            self.fills.append(fill)
            kind, status = "match", "open" if fill.liquidity == "maker" else "match"
        elif event.kind == "amended":
            old_size = rec.size
            rec.canceled += max(old_size - snap.size, Decimal(0))
            kind, status = "update", "open"
        else:
            kind, status = _EVENTS[event.kind]
            if status == "done" and kind == "canceled":
                rec.canceled += snap.size - snap.filled
        rec.size = snap.size
        ts = fill.ts if fill is not None else snap.updated
        for topic in (ORDERS_V2, ORDERS_V1):
            if self.feed.wanted(topic) and not (topic == ORDERS_V1 and kind == "received"):
                frame = orderframes.order_change(
                    topic, self.user_id, rec, snap, kind, status, ts, fill=fill, old_size=old_size
                )
                self.feed.publish(topic, frame)

    def _balances(self, events: list[BalanceEvent], batch: _Batch) -> None:
        if not events or not self.feed.wanted(BALANCE):
            return
        # A fill's legs and fee of one currency settle as one push, as on the venue.
        merged: list[tuple[BalanceEvent, Decimal, Decimal]] = []
        for ev in events:
            last = merged[-1][0] if merged else None
            if (
                last is not None
                and ev.reason in ("trade", "fee")
                and last.reason in ("trade", "fee")
                and (last.asset, last.ref) == (ev.asset, ev.ref)
            ):
                _, avail, hold = merged[-1]
                merged[-1] = (ev, avail + ev.delta_available, hold + ev.delta_hold)
            else:
                merged.append((ev, ev.delta_available, ev.delta_hold))
        for ev, avail_change, hold_change in merged:
            self._event_seq += 1
            fill = batch.fills.get(ev.ref)
            if fill is not None:
                relation = "trade.setted"
                order_id, symbol = fill.order_id, fill.symbol
                context = {"symbol": self.name(symbol), "orderId": order_id, "tradeId": ev.ref}
            else:
                relation = "trade.hold"
                order = self.engine.order(order_id=ev.ref)
                symbol = order.symbol if order is not None else ""
                context = {"symbol": self._names.get(symbol, ""), "orderId": ev.ref}
            frame = orderframes.balance_change(
                self.user_id,
                str(self._event_seq),
                self.account_id(ev.asset),
                ev.asset,
                ev.total,
                ev.available,
                ev.hold,
                avail_change,
                hold_change,
                relation,
                context,
                ev.ts // 1_000_000,
            )
            self.feed.publish(BALANCE, frame)
