"""The kit's one-shot checks (``fetch_*``) must be able to fail: an adapter whose fetcher
gets one answer wrong, or an emulator whose clock is off, fails exactly that check with
the reason; an adapter without one-shot calls is skipped. (The built-ins passing them
runs in test_conformance.py, one test per check.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.adapters.kucoin.client import KucoinClient
from tickwire.core.book import OrderBook
from tickwire.core.config import ClientConfig
from tickwire.core.errors import UnknownOrder
from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec
from tickwire.core.registry import default_registry
from tickwire.core.testing import Outcome, run_conformance
from tickwire.core.types import OrderStatus, OrderUpdate
from tickwire.exchanges.kraken import KrakenEmulator

FETCH_CHECKS = ["fetch_balances", "fetch_open_orders", "fetch_order", "fetch_candles",
                "fetch_book", "fetch_time"]  # fmt: skip

Rewrite = Callable[[Any], Any]


def rewritten(client: type, call: str, rewrite: Callable[[Callable[..., Any]], Any]) -> type:
    """``client`` whose fetcher's ``call`` is replaced by ``rewrite(original)``."""

    class Rewritten(client):  # type: ignore[misc, valid-type]
        def __init__(self, config: ClientConfig) -> None:
            super().__init__(config)
            fetcher = self._fetcher
            setattr(fetcher, call, rewrite(getattr(fetcher, call)))

    return Rewritten


def after(transform: Rewrite) -> Callable[[Callable[..., Any]], Any]:
    """A rewrite that changes what the original call returned."""

    def wrap(original: Callable[..., Any]) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return transform(await original(*args, **kwargs))

        return call

    return wrap


def one_more_usd(balances: dict[str, Any]) -> dict[str, Any]:
    usd = balances["USD"]
    return {**balances, "USD": msgspec.structs.replace(usd, total=usd.total + 1)}


def drop_newest(orders: list[Any]) -> list[Any]:
    return orders[:-1]


def hole_in_the_middle(candles: list[Any]) -> list[Any]:
    return candles[: len(candles) // 2] + candles[len(candles) // 2 + 1 :]


def first_page_only(candles: list[Any]) -> list[Any]:
    return candles[-1500:]


def thinner_best_bid(book: OrderBook) -> OrderBook:
    bids, asks = book.bids(), book.asks()
    bad = OrderBook(book.venue, book.symbol, depth=book.depth)
    best = bids[0]
    bad.apply_snapshot(
        [(best.price, best.size / 2), *((b.price, b.size) for b in bids[1:])],
        [(a.price, a.size) for a in asks],
        ts=book.ts,
    )
    return bad


def never_unknown(original: Callable[..., Any]) -> Any:
    async def call(**kwargs: Any) -> Any:
        try:
            return await original(**kwargs)
        except UnknownOrder:
            now = time.time_ns()
            return OrderUpdate(venue="kraken", symbol="BTC/USD", order_id="made-up",
                               status=OrderStatus.OPEN, ts=now, received=now)  # fmt: skip

    return call


def spec(venue: str, client: type) -> AdapterSpec:
    return msgspec.structs.replace(default_registry().adapter(venue), factory=client)


@pytest.mark.parametrize(
    ("venue", "client", "check", "complaint"),
    [
        ("kraken", rewritten(KrakenClient, "fetch_balances", after(one_more_usd)),
         "fetch_balances", "USD: total"),
        ("kraken", rewritten(KrakenClient, "fetch_open_orders", after(drop_newest)),
         "fetch_open_orders", "not the two left open"),
        ("kraken", rewritten(KrakenClient, "fetch_order", never_unknown),
         "fetch_order", "not UnknownOrder"),
        ("kucoin", rewritten(KucoinClient, "fetch_candles", after(hole_in_the_middle)),
         "fetch_candles", "not continuous"),
        ("kucoin", rewritten(KucoinClient, "fetch_candles", after(first_page_only)),
         "fetch_candles", "1500 of the range's 2001 bars"),
        ("kraken", rewritten(KrakenClient, "fetch_book", after(thinner_best_bid)),
         "fetch_book", "never equaled the emulator's book"),
        ("kucoin", rewritten(KucoinClient, "fetch_book", after(thinner_best_bid)),
         "fetch_book", "never equaled the emulator's book"),
    ],
    ids=["balances", "open-orders", "unknown-order", "candle-hole", "one-page", "kraken-book",
         "kucoin-book"],
)  # fmt: skip
async def test_the_kit_fails_the_fetch_check_that_was_broken(venue, client, check, complaint):
    report = await run_conformance(spec(venue, client), checks=[check])
    result = report.result(check)
    assert result.outcome is Outcome.FAILED, report
    assert complaint in result.detail, report


class SkewedKraken(KrakenEmulator):
    """A Kraken emulator whose clock runs 5 s ahead."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(clock=lambda: time.time_ns() + 5_000_000_000, **kwargs)


class ForgetsItsWindow(KrakenEmulator):
    """Kraken without the candles_kept hook: the kit expects the whole range."""

    candles_kept = None


@pytest.mark.parametrize(
    ("emulator", "check", "complaint"),
    [(SkewedKraken, "fetch_time", "more than 1 s"),
     (ForgetsItsWindow, "fetch_candles", "720 of the range's 2001 bars")],
    ids=["skewed-clock", "no-candles-kept"],
)  # fmt: skip
async def test_the_kit_judges_by_the_emulator(emulator, check, complaint):
    variant = EmulatorSpec(name="kraken-variant", venue="kraken", factory=emulator)
    report = await run_conformance("kraken", variant, checks=[check])
    result = report.result(check)
    assert result.outcome is Outcome.FAILED, report
    assert complaint in result.detail, report


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_the_built_ins_run_every_fetch_check(venue):
    # test_conformance.py runs them too, but there a lost hook would only skip one.
    report = await run_conformance(venue, checks=FETCH_CHECKS)
    assert [r.outcome for r in report.results] == [Outcome.PASSED] * len(FETCH_CHECKS), report


async def test_an_adapter_without_one_shot_calls_is_skipped():
    report = await run_conformance("examplex", checks=FETCH_CHECKS)
    assert report.ok, report
    assert {r.outcome for r in report.results} == {Outcome.SKIPPED}, report
    assert all("no one-shot calls" in r.detail for r in report.results), report


def test_usd_is_compared_to_the_digits_the_venue_writes():
    from tickwire.core.testing.fetch_checks import _reported

    assert _reported(Decimal("99996.8212"), Decimal("99996.821225140000"))
    assert not _reported(Decimal("99996.8214"), Decimal("99996.821225140000"))
    assert not _reported(Decimal("99997.8212"), Decimal("99996.821225140000"))
