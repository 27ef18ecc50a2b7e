"""The paper matching engine: rules on a hand-built book, invariants on the synthetic one."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.exchanges.base.market import MarketTrade, SymbolSpec, SyntheticMarket
from tickwire.exchanges.base.matching import (
    BalanceEvent,
    MatchingEngine,
    OrderEvent,
    PaperError,
)

SPEC = SymbolSpec(
    symbol="BTC/USD",
    base="BTC",
    quote="USD",
    price=D("100.0"),
    price_precision=1,
    qty_precision=4,
    level_qty=D("1"),
    qty_min=D("0.001"),
    cost_min=D("0.5"),
    levels=20,
)


class FakeMarket:
    """A book the test writes by hand (the engine only reads it)."""

    def __init__(self) -> None:
        self.bids: list[tuple[D, D]] = [(D("99.0"), D("1")), (D("98.0"), D("2"))]
        self.asks: list[tuple[D, D]] = [(D("101.0"), D("1")), (D("102.0"), D("2"))]
        self.trades: list[MarketTrade] = []

    def spec(self, symbol: str) -> SymbolSpec:
        if symbol != SPEC.symbol:
            raise KeyError(symbol)
        return SPEC

    def side(self, symbol: str, bids: bool, depth: int | None = None) -> list[tuple[D, D]]:
        levels = self.bids if bids else self.asks
        return levels[:depth] if depth is not None else list(levels)

    def recent_trades(self, symbol: str, limit: int = 50) -> list[MarketTrade]:
        return self.trades[-limit:] if limit else []

    def print_trade(self, side: str, price: str, qty: str) -> None:
        tid = len(self.trades) + 1
        self.trades.append(MarketTrade("BTC/USD", tid, side, D(price), D(qty), "limit", 0))


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


@pytest.fixture
def engine(market: FakeMarket) -> MatchingEngine:
    return MatchingEngine(market, balances={"USD": D(1000), "BTC": D(5)}, clock=lambda: 42)


@pytest.fixture
def events(engine: MatchingEngine) -> list[list[Any]]:
    out: list[list[Any]] = []
    engine.add_listener(out.append)
    return out


def kinds(batch: list[Any]) -> list[str]:
    """Event kinds in order: order kinds, and ``asset:reason`` for balance events."""
    return [e.kind if isinstance(e, OrderEvent) else f"{e.asset}:{e.reason}" for e in batch]


def test_resting_limit_buy_holds_quote_with_fee_margin(engine, events):
    order = engine.place("BTC/USD", "buy", "limit", D("2"), D("100.0"))
    assert order.state == "open" and order.order_id == "O00000001"
    assert kinds(events[-1]) == ["new", "USD:hold", "open"]
    assert engine.balances()["USD"] == (D(1000), D(1000) - D("200.4"), D("200.4"))


def test_crossing_buy_walks_levels_at_their_prices_then_releases(engine, events):
    order = engine.place("BTC/USD", "buy", "limit", D("2"), D("102.0"))
    assert kinds(events[-1]) == [
        "new", "USD:hold",
        "fill", "BTC:trade", "USD:trade", "USD:fee",
        "fill", "BTC:trade", "USD:trade", "USD:fee",
        "filled", "USD:release",
    ]  # fmt: skip
    fills = [e.fill for e in events[-1] if isinstance(e, OrderEvent) and e.fill]
    assert [(f.price, f.size, f.liquidity) for f in fills] == [
        (D("101.0"), D("1"), "taker"),
        (D("102.0"), D("1"), "taker"),
    ]
    assert order.cost == D("203.0") and order.fee == D("203.0") * D("0.002")
    total, available, hold = engine.balances()["USD"]
    assert hold == 0 and total == available == D(1000) - D("203.0") * D("1.002")
    assert engine.balances()["BTC"] == (D(7), D(7), D(0))


def test_partial_take_rests_the_rest_and_keeps_the_right_hold(engine, events):
    order = engine.place("BTC/USD", "buy", "limit", D("4"), D("102.0"))
    # The level at 101 cost less than the 102 held for it: that margin is released.
    assert kinds(events[-1])[-2:] == ["open", "USD:release"]
    assert events[-1][-1].delta_hold == -D("1.002")
    assert order.state == "partially_filled" and order.remaining == 1
    assert events[-1][-2].order.state == "partially_filled"
    assert engine.balances()["USD"][2] == D("102.0") * D("1.002")


def test_sell_holds_base_and_fees_come_out_of_quote(engine):
    engine.place("BTC/USD", "sell", "market", D("1.5"))
    usd_total, _, _ = engine.balances()["USD"]
    value = D("99.0") + D("98.0") * D("0.5")
    assert usd_total == D(1000) + value - value * D("0.002")
    assert engine.balances()["BTC"] == (D("3.5"), D("3.5"), D(0))


def test_market_order_rest_is_canceled_when_the_book_runs_dry(engine, events):
    order = engine.place("BTC/USD", "buy", "market", D("4"))
    assert order.state == "canceled" and order.filled == 3
    # The hold was priced by walking the book, so the fills use it up exactly.
    assert kinds(events[-1])[-1] == "canceled" and events[-1][-1].reason == "market"
    assert engine.balances()["USD"][2] == 0


def test_ioc_cancels_rest_and_fok_is_all_or_nothing(engine, events):
    ioc = engine.place("BTC/USD", "buy", "limit", D("2"), D("101.0"), time_in_force="ioc")
    assert (ioc.state, ioc.filled) == ("canceled", D(1))
    fok = engine.place("BTC/USD", "buy", "limit", D("2"), D("101.0"), time_in_force="fok")
    assert (fok.state, fok.filled) == ("canceled", D(0))
    assert kinds(events[-1]) == ["new", "USD:hold", "canceled", "USD:release"]
    assert events[-1][2].reason == "fok"
    fok2 = engine.place("BTC/USD", "buy", "limit", D("3"), D("102.0"), time_in_force="fok")
    assert fok2.state == "filled"


def test_post_only_refused_when_it_would_take(engine, events):
    with pytest.raises(PaperError) as err:
        engine.place("BTC/USD", "buy", "limit", D("1"), D("101.0"), post_only=True)
    assert err.value.code == "post_only_would_take"
    assert events == [] and engine.open_orders() == []
    assert engine.place("BTC/USD", "buy", "limit", D("1"), D("100.9"), post_only=True).is_open


@pytest.mark.parametrize(
    ("args", "code", "detail"),
    [
        (("ETH/USD", "buy", "limit", D("1"), D("1")), "unknown_symbol", None),
        (("BTC/USD", "hold", "limit", D("1"), D("1")), "invalid_order", "param"),
        (("BTC/USD", "buy", "stop", D("1"), D("1")), "invalid_order", "param"),
        (("BTC/USD", "buy", "limit", D("0"), D("100")), "invalid_order", "size"),
        (("BTC/USD", "buy", "limit", D("0.00001"), D("100")), "invalid_order", "size"),
        (("BTC/USD", "buy", "limit", D("0.0001"), D("100")), "invalid_order", "min_size"),
        (("BTC/USD", "buy", "limit", D("0.001"), D("100")), "invalid_order", "min_cost"),
        (("BTC/USD", "buy", "limit", D("1"), None), "invalid_order", "price"),
        (("BTC/USD", "buy", "limit", D("1"), D("-1")), "invalid_order", "price"),
        (("BTC/USD", "buy", "limit", D("1"), D("100.05")), "invalid_order", "tick"),
        (("BTC/USD", "buy", "market", D("1"), D("100")), "invalid_order", "param"),
        (("BTC/USD", "buy", "limit", D("10"), D("100")), "insufficient_funds", None),
        (("BTC/USD", "sell", "limit", D("6"), D("200")), "insufficient_funds", None),
    ],
)
def test_refusals_change_nothing(engine, events, args, code, detail):
    before = engine.balances()
    with pytest.raises(PaperError) as err:
        engine.check(*args)
    with pytest.raises(PaperError) as err2:
        engine.place(*args)
    assert err.value.code == err2.value.code == code
    assert err.value.detail == detail
    assert engine.balances() == before and events == [] and engine.open_orders() == []


def test_client_ids_unique_among_open_orders(engine):
    first = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"), client_id="c1")
    with pytest.raises(PaperError, match="duplicate_client_id"):
        engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"), client_id="c1")
    assert engine.order(client_id="c1") is first
    engine.cancel(client_id="c1")
    again = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"), client_id="c1")
    assert engine.order(client_id="c1") is again and engine.order(order_id=first.order_id) is first


def test_cancel_releases_and_unknown_or_closed_orders_are_refused(engine, events):
    order = engine.place("BTC/USD", "sell", "limit", D("1"), D("110.0"))
    engine.cancel(order_id=order.order_id)
    assert kinds(events[-1]) == ["canceled", "BTC:release"] and events[-1][0].reason == "user"
    assert engine.balances()["BTC"] == (D(5), D(5), D(0))
    for kwargs in ({"order_id": order.order_id}, {"order_id": "nope"}, {"client_id": "x"}):
        with pytest.raises(PaperError) as err:
            engine.cancel(**kwargs)
        assert err.value.code == "unknown_order"


def test_cancel_all_in_one_list_oldest_first(engine, events):
    a = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"))
    b = engine.place("BTC/USD", "sell", "limit", D("1"), D("110.0"))
    assert engine.cancel_all("BTC/USD") == [a, b]
    assert kinds(events[-1]) == ["canceled", "USD:release", "canceled", "BTC:release"]
    assert engine.cancel_all() == []


def test_amend_in_place_adjusts_hold_and_can_take(engine, events):
    order = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"), client_id="a")
    engine.amend(client_id="a", size=D("2"))
    assert kinds(events[-1]) == ["amended", "USD:hold"]
    assert engine.balances()["USD"][2] == D("180.0") * D("1.002")
    with pytest.raises(PaperError, match="post_only_would_take"):
        engine.amend(order_id=order.order_id, price=D("101.0"), post_only=True)
    engine.amend(order_id=order.order_id, price=D("101.0"))
    assert kinds(events[-1])[:3] == ["amended", "USD:hold", "fill"]
    assert order.order_id == engine.open_orders()[0].order_id and order.filled == 1
    engine.amend(order_id=order.order_id, size=D("0.5"))  # at or below filled: done
    assert order.state == "filled" and order.size == order.filled
    assert engine.balances()["USD"][2] == 0
    with pytest.raises(PaperError, match="unknown_order"):
        engine.amend(order_id=order.order_id, price=D("95.0"))


def test_amend_refuses_more_than_available(engine):
    order = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"))
    with pytest.raises(PaperError, match="insufficient_funds"):
        engine.amend(order_id=order.order_id, size=D("12"))
    assert order.size == 1


def test_resting_order_fills_as_maker_when_the_book_crosses_it(engine, market, events):
    order = engine.place("BTC/USD", "buy", "limit", D("2"), D("100.0"))
    engine.on_market_step()
    assert order.filled == 0
    market.asks.insert(0, (D("99.5"), D("0.5")))
    engine.on_market_step()
    fill = events[-1][0].fill
    assert (fill.price, fill.size, fill.liquidity) == (D("100.0"), D("0.5"), "maker")
    assert fill.fee == D("50.0") * D("0.001")
    market.asks[0] = (D("100.0"), D("5"))
    engine.on_market_step()
    assert order.state == "filled"
    assert kinds(events[-1]) == [
        "fill",
        "BTC:trade",
        "USD:trade",
        "USD:fee",
        "filled",
        "USD:release",
    ]
    assert engine.balances()["USD"][2] == 0


def test_resting_order_fills_when_prints_sweep_through_it(market):
    engine = MatchingEngine(market, balances={"BTC": D(5)}, clock=lambda: 0)
    market.print_trade("buy", "120.0", "9")  # before the order: ignored
    order = engine.place("BTC/USD", "sell", "limit", D("2"), D("105.0"))
    market.print_trade("buy", "105.0", "1")  # at the price, not through it
    market.print_trade("sell", "106.0", "1")  # wrong side
    engine.on_market_step()
    assert order.filled == 0
    market.print_trade("buy", "105.5", "0.5")
    engine.on_market_step()
    engine.on_market_step()  # the same print is never counted twice
    assert order.filled == D("0.5")
    off = MatchingEngine(market, balances={"BTC": D(5)}, fill_on_trades=False)
    other = off.place("BTC/USD", "sell", "limit", D("2"), D("105.0"))
    market.print_trade("buy", "107.0", "3")
    off.on_market_step()
    assert other.filled == 0


def test_gtd_expires(market):
    now = [0]
    engine = MatchingEngine(market, balances={"USD": D(500)}, clock=lambda: now[0])
    order = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"), time_in_force="gtd",
                         expire_at=10)  # fmt: skip
    engine.on_market_step()
    assert order.is_open
    now[0] = 10
    engine.on_market_step()
    assert order.state == "expired" and engine.balances()["USD"] == (D(500), D(500), D(0))


def test_listener_removal_and_frozen_snapshots(engine, events):
    seen: list[Any] = []
    remove = engine.add_listener(seen.append)
    order = engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"))
    remove()
    engine.cancel(order_id=order.order_id)
    assert len(seen) == 1 and len(events) == 2
    snap = seen[0][0].order
    assert snap.state == "new" and order.state == "canceled"
    with pytest.raises(AttributeError):
        snap.state = "open"


# -- invariants on the real synthetic market ------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["limit", "market", "cancel", "amend", "replace", "step", "step", "cancel_all"]
        ),
        st.sampled_from(["buy", "sell"]),
        st.integers(-30, 30),  # price offset in ticks from the touch
        st.integers(1, 40_000),  # size in lots (lot 1e-8 … 0.0004 BTC up to ~0.4 ETH)
        st.sampled_from(["gtc", "gtc", "ioc", "fok"]),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 1000), ops=OPS, post_only_action=st.sampled_from(["reject", "cancel"]))
def test_invariants_hold_under_any_sequence(seed, ops, post_only_action):
    from tickwire.exchanges.kraken.instruments import DEFAULT_PAIRS

    specs = [p.spec for p in DEFAULT_PAIRS[:2]]
    market = SyntheticMarket(specs, seed=seed, clock=lambda: 0)
    start = {"USD": D(20_000), "BTC": D("0.3"), "ETH": D(2)}
    engine = MatchingEngine(
        market, balances=start, clock=lambda: 0, post_only_action=post_only_action
    )
    batches: list[list[Any]] = []
    engine.add_listener(batches.append)
    for i, (op, side, off, lots, tif, post_only) in enumerate(ops):
        spec = specs[i % 2]
        bids, asks = market.book(spec.symbol, 1)
        touch = bids[0][0] if side == "buy" else asks[0][0]
        price = touch + spec.tick * off * (1 if side == "buy" else -1)
        size = D(lots * 1000).scaleb(-spec.qty_precision)
        try:
            if op == "limit":
                engine.place(spec.symbol, side, "limit", size, price, time_in_force=tif,
                             post_only=post_only)  # fmt: skip
            elif op == "market":
                engine.place(spec.symbol, side, "market", size)
            elif op in ("cancel", "amend", "replace") and engine.open_orders():
                victim = engine.open_orders()[off % len(engine.open_orders())]
                if op == "cancel":
                    engine.cancel(order_id=victim.order_id)
                elif op == "amend":
                    engine.amend(order_id=victim.order_id, size=size, price=price)
                else:
                    engine.replace(order_id=victim.order_id, size=size, price=price)
            elif op == "step":
                market.step(spec.symbol)
                engine.on_market_step()
            elif op == "cancel_all":
                engine.cancel_all()
        except PaperError:
            pass
        check_invariants(engine, start, batches)


def check_invariants(engine: MatchingEngine, start: dict[str, D], batches: list[list[Any]]):
    flows = {asset: D(0) for asset in start}
    held: dict[str, D] = {asset: D(0) for asset in start}
    fees = D(0)
    for batch in batches:
        for ev in batch:
            if isinstance(ev, BalanceEvent):
                flows[ev.asset] += ev.delta_total
                held[ev.asset] += ev.delta_hold
                assert ev.delta_available == ev.delta_total - ev.delta_hold
                assert ev.total == ev.available + ev.hold
            elif ev.fill is not None:
                fees += ev.fill.fee
    for asset, (total, available, hold) in engine.balances().items():
        assert total >= 0 and available >= 0 and hold >= 0
        assert total == available + hold
        assert total == start[asset] + flows[asset]  # events account for every change
        assert hold == held[asset]
    for order in engine.open_orders():
        assert 0 <= order.filled < order.size
    # Conservation: what one side of each trade lost the other gained, fees aside.
    for batch in batches:
        for ev in batch:
            if isinstance(ev, OrderEvent):
                assert ev.order.filled <= ev.order.size
    value_in = sum(
        (e.fill.cost * (1 if e.fill.side == "sell" else -1) for b in batches for e in b
         if isinstance(e, OrderEvent) and e.fill), D(0),
    )  # fmt: skip
    assert flows["USD"] == value_in - fees
    if not engine.open_orders():
        assert all(h == 0 for _, _, h in engine.balances().values())


def test_post_only_cancel_action_accepts_then_cancels(market):
    engine = MatchingEngine(market, balances={"USD": D(500)}, post_only_action="cancel")
    batches: list[list[Any]] = []
    engine.add_listener(batches.append)
    order = engine.place("BTC/USD", "buy", "limit", D("1"), D("101.0"), post_only=True)
    assert order.state == "canceled" and order.filled == 0
    assert kinds(batches[-1]) == ["new", "USD:hold", "canceled", "USD:release"]
    assert batches[-1][2].reason == "post_only"
    assert engine.balances()["USD"] == (D(500), D(500), D(0))


def test_replace_is_atomic_with_a_new_id(engine, events):
    # 900 + fees is held: a successor needing more than the old hold plus what is
    # free would fail; one needing less than that works, counting the freed hold.
    old = engine.place("BTC/USD", "buy", "limit", D("9"), D("100.0"), client_id="r")
    with pytest.raises(PaperError, match="insufficient_funds"):
        engine.replace(order_id=old.order_id, size=D("10"))
    assert old.is_open and len(events) == 1
    new = engine.replace(client_id="r", price=D("99.5"), new_client_id="r")
    assert new.order_id != old.order_id and old.state == "canceled"
    assert (new.price, new.size, new.client_id) == (D("99.5"), D("9"), "r")
    assert kinds(events[-1]) == ["canceled", "USD:release", "new", "USD:hold", "open"]
    assert events[-1][0].reason == "replaced"
    assert engine.order(client_id="r") is new
    taken = engine.replace(order_id=new.order_id, price=D("101.0"), size=D("1"))
    assert taken.state == "filled" and engine.open_orders() == []
    with pytest.raises(PaperError, match="unknown_order"):
        engine.replace(order_id=new.order_id, price=D("99.0"))


def test_cancel_all_reason_is_the_callers(engine, events):
    engine.place("BTC/USD", "buy", "limit", D("1"), D("90.0"))
    engine.cancel_all(reason="dead_man")
    assert events[-1][0].reason == "dead_man"
