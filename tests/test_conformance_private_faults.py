"""The kit's private-fault checks must be able to fail: a client or emulator that breaks
one of them fails exactly that check, with the reason; a bare emulator skips them."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.errors import TickwireError
from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec
from tickwire.core.registry import default_registry
from tickwire.core.testing import Outcome, run_conformance
from tickwire.core.types import OrderAck, OrderRequest
from tickwire.exchanges.kraken import KrakenEmulator

FAULT_CHECKS = ["order_lost_before", "order_lost_after", "order_delayed", "order_held",
                "token_expiry"]  # fmt: skip


def kraken_like(factory: Any) -> AdapterSpec:
    return msgspec.structs.replace(default_registry().adapter("kraken"), factory=factory)


class RetriesBlindly(KrakenClient):
    """Sends a failed order again at once: places an order the caller was told failed."""

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        try:
            return await super().place_order(request, timeout=timeout)
        except TickwireError:
            return await super().place_order(request, timeout=timeout)


class IgnoresTheTimeout(KrakenClient):
    """Waits for a reply far longer than the caller allowed."""

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        return await super().place_order(request, timeout=60.0)


class GivesUpEarly(KrakenClient):
    """Treats a slow reply as no reply."""

    async def place_order(self, request: OrderRequest, *, timeout: float = 10.0) -> OrderAck:
        return await super().place_order(request, timeout=min(timeout, 0.2))


class IgnoresOrderFaults(KrakenEmulator):
    """An emulator that declares the hooks but never misbehaves."""

    def fail_next_order(self, stage: str = "before", **_: Any) -> None:
        pass

    async def expire_tokens(self) -> None:
        pass


def emulator(factory: Any) -> EmulatorSpec:
    return EmulatorSpec(name="kraken-variant", venue="kraken", factory=factory)


@pytest.mark.parametrize(
    ("client", "venue", "check", "complaint"),
    [
        (RetriesBlindly, KrakenEmulator, "order_lost_before", "the venue never saw"),
        (KrakenClient, IgnoresOrderFaults, "order_lost_before", "the venue never saw"),
        (IgnoresTheTimeout, KrakenEmulator, "order_held", "hung past its 1s timeout"),
        (GivesUpEarly, KrakenEmulator, "order_delayed", "late raised RequestTimeout"),
        (KrakenClient, IgnoresOrderFaults, "token_expiry", "after expire_tokens()"),
    ],
    ids=["blind-retry", "inert-emulator", "ignored-timeout", "early-give-up", "no-expiry"],
)
async def test_the_kit_fails_the_fault_check_that_was_broken(client, venue, check, complaint):
    report = await run_conformance(kraken_like(client), emulator(venue), checks=[check],
                                   timeout=4.0)  # fmt: skip
    result = report.result(check)
    assert result.outcome is Outcome.FAILED, report
    assert complaint in result.detail, report


async def test_the_fault_checks_pass_on_the_built_in_kraken_pair():
    report = await run_conformance("kraken", checks=FAULT_CHECKS)
    assert report.ok, report
    assert [r.outcome for r in report.results] == [Outcome.PASSED] * len(FAULT_CHECKS)


class NoFaultHooks:
    """The Kraken emulator with an account (credentials) but no fault hooks."""

    def __init__(self, **kwargs: Any) -> None:
        self._inner = KrakenEmulator(**kwargs)

    @property
    def endpoints(self) -> dict[str, str]:
        return self._inner.endpoints

    def credentials(self) -> Any:
        return self._inner.credentials()

    async def __aenter__(self) -> NoFaultHooks:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._inner.__aexit__(*exc_info)


async def test_fault_checks_are_skipped_naming_the_missing_hook():
    report = await run_conformance("kraken", emulator(NoFaultHooks), checks=FAULT_CHECKS)
    details = {r.check: r.detail for r in report.results if r.outcome is Outcome.SKIPPED}
    assert set(details) == set(FAULT_CHECKS), report
    assert "no fail_next_order() hook" in details["order_lost_before"]
    assert "no delay_next_order() hook" in details["order_delayed"]
    assert "no hold_next_order() hook" in details["order_held"]
    assert "no expire_tokens() hook" in details["token_expiry"]
