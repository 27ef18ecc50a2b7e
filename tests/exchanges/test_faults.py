"""The shared fault vocabulary: shots, wildcard keys, values, and the hook mixins."""

from __future__ import annotations

import pytest

from tickwire.exchanges.base.faults import (
    BAD_CHECKSUM,
    DELAY_ORDER,
    FAIL_ORDER_AFTER,
    FAIL_ORDER_BEFORE,
    HOLD_ORDER,
    RATE_LIMIT,
    SKIP_SEQUENCE,
    ChecksumHooks,
    FaultPlan,
    OrderFaultHooks,
    RateLimitHooks,
    SequenceHooks,
)


class Venue(OrderFaultHooks, RateLimitHooks, ChecksumHooks, SequenceHooks):
    rate_limit_kinds = ("subscribe", "order")

    def __init__(self) -> None:
        self.faults = FaultPlan()


def test_own_key_first_then_wildcard_and_counts() -> None:
    plan = FaultPlan()
    plan.arm("x", "a", times=2)
    plan.arm("x")
    assert plan.armed("x", "a") == 2
    assert [plan.take("x", "b"), plan.take("x", "b")] == [True, False]
    assert [plan.take("x", "a") for _ in range(3)] == [True, True, False]
    with pytest.raises(ValueError):
        plan.arm("x", times=0)


def test_values_come_back_in_order_and_disarm_forgets() -> None:
    plan = FaultPlan()
    plan.arm("d", value=0.5)
    plan.arm("d", value=1.5)
    assert plan.take_value("d", "m") == 0.5
    assert plan.take_value("d") == 1.5
    assert plan.take_value("d", default=-1) == -1
    plan.arm("d", value=2)
    plan.arm("e")
    plan.disarm("d")
    assert (plan.armed("d"), plan.armed("e")) == (0, 1)
    plan.disarm()
    assert plan.armed("e") == 0


def test_hooks_arm_the_standard_names() -> None:
    venue = Venue()
    venue.fail_next_order("before", method="add_order")
    venue.fail_next_order("after", times=2)
    venue.delay_next_order(0.25)
    venue.hold_next_order(method="cancel_order")
    venue.rate_limit_next("subscribe", 3)
    venue.corrupt_next_checksum("BTC/USD")
    venue.skip_sequence()
    plan = venue.faults
    assert plan.armed(FAIL_ORDER_BEFORE, "add_order") == 1
    assert plan.armed(FAIL_ORDER_AFTER) == 2
    assert plan.take_value(DELAY_ORDER, "add_order") == 0.25
    assert not plan.take(HOLD_ORDER, "add_order") and plan.take(HOLD_ORDER, "cancel_order")
    assert plan.armed(RATE_LIMIT, "subscribe") == 3
    assert plan.take(BAD_CHECKSUM, "BTC/USD") and plan.take(SKIP_SEQUENCE, "ETH/USD")
    with pytest.raises(ValueError):
        venue.fail_next_order("before_process")
    with pytest.raises(ValueError):
        venue.rate_limit_next("request")
    with pytest.raises(ValueError):
        venue.delay_next_order(-1)
