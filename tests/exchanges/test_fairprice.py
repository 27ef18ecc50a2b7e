"""The shared fair price, and a synthetic market anchored to it."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from tickwire.exchanges.base.fairprice import FairPrice, VenueProfile, profile_for
from tickwire.exchanges.base.market import SymbolSpec, SyntheticMarket

T0 = 1_800_000_000.0  # a fixed wall time, so every run asks about the same moment

BTC = SymbolSpec(
    "BTC/USD", "BTC", "USD", Decimal("66788.0"), 1, 8, Decimal("0.5"), Decimal(0), Decimal(0)
)
ETH_BTC = SymbolSpec(
    "ETH/BTC", "ETH", "BTC", Decimal("0.04715"), 5, 7, Decimal("3"), Decimal(0), Decimal(0)
)


def test_the_fair_price_is_the_same_in_another_process():
    here = [FairPrice(seed=0).price("BTC", T0 + i / 10) for i in range(5)]
    code = (
        "from tickwire.exchanges.base.fairprice import FairPrice; "
        f"print([FairPrice(seed=0).price('BTC', {T0} + i / 10) for i in range(5)])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert there.strip() == repr(here)
    assert len(set(here)) == 5  # and it moves


def test_the_walk_moves_like_a_random_walk_and_seeds_differ():
    fair, other = FairPrice(seed=0), FairPrice(seed=1)
    one_second = [
        abs(fair.price("BTC", T0 + s + 1) / fair.price("BTC", T0 + s) - 1) for s in range(300)
    ]
    one_minute = [
        abs(fair.price("BTC", T0 + s + 60) / fair.price("BTC", T0 + s) - 1)
        for s in range(0, 3000, 10)
    ]
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    # A random walk's moves grow with the square root of time: ~7.7x from 1 s to 60 s.
    assert 3 < mean(one_minute) / mean(one_second) < 20
    assert 0.1e-4 < mean(one_second) < 5e-4  # lively, but bps, not percents
    assert fair.price("BTC", T0) != other.price("BTC", T0)


def test_levels_are_learned_through_cross_pairs():
    fair = FairPrice(levels={})
    fair.adopt([ETH_BTC, BTC])  # ETH/BTC first: it is priced once BTC is known
    assert fair.levels["BTC"] == 66788.0
    assert fair.levels["ETH"] == pytest.approx(66788.0 * 0.04715)
    assert fair.price("USDT", T0) == 1.0 and fair.price("XYZ", T0) is None


def test_venue_quotes_lag_and_differ():
    fair = FairPrice(seed=0)
    kraken, kucoin = profile_for("kraken"), profile_for("kucoin")
    gaps = {
        round(fair.quote(BTC, kraken, T0 + i / 4) / fair.quote(BTC, kucoin, T0 + i / 4), 6)
        for i in range(40)
    }
    assert len(gaps) > 20  # the cross-venue difference keeps changing
    assert profile_for("somewhere") == profile_for("somewhere")  # a plugin's: stable


def anchored(clock: list[float], profile: VenueProfile) -> SyntheticMarket:
    market = SyntheticMarket([BTC, ETH_BTC], seed=3, clock=lambda: int(clock[0] * 1e9))
    market.anchor_to(FairPrice(seed=0, clock=lambda: clock[0]), profile)
    return market


def test_an_anchored_market_follows_the_fair_price_on_its_grids_and_never_crosses():
    clock = [T0]
    profile = profile_for("kraken")
    market = anchored(clock, profile)
    fair = FairPrice(seed=0)
    errors, mids = [], []
    for _ in range(4000):
        clock[0] += 0.01
        change = market.step("BTC/USD")
        for price, qty in change.bids + change.asks:
            assert price == price.quantize(Decimal("0.1")) and qty == qty.quantize(Decimal("1e-8"))
        for trade in change.trades:
            assert trade.qty > 0 and trade.price == trade.price.quantize(Decimal("0.1"))
        bids, asks = market.book("BTC/USD", 1)
        assert bids[0][0] < asks[0][0]
        mid = (bids[0][0] + asks[0][0]) / 2
        mids.append(mid)
        errors.append(abs(float(mid) / fair.quote(BTC, profile, clock[0]) - 1))
    # 40 s of market: the book moved by several bps and stayed within half a bp of its price.
    assert sorted(errors)[len(errors) // 2] < 0.5e-4
    assert (max(mids) - min(mids)) / min(mids) > Decimal("3e-4")


def test_anchoring_is_opt_in_and_seeded_markets_replay():
    clock = [T0]
    plain = [SyntheticMarket([BTC], seed=3, clock=lambda: 0) for _ in range(2)]
    assert [plain[0].step() for _ in range(50)] == [plain[1].step() for _ in range(50)]
    one, two = anchored(clock, profile_for("kraken")), anchored(clock, profile_for("kucoin"))
    (bid1, _), (bid2, _) = one.book("BTC/USD", 1)[0][0], two.book("BTC/USD", 1)[0][0]
    # Re-centred on the same fair price: a few bps apart, not the seeds' hundreds of dollars.
    assert abs(bid1 / bid2 - 1) < Decimal("0.001")
