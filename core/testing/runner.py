"""Run the conformance checks: pick the specs, give each check a fresh harness, report.

::

    report = await run_conformance("kraken")                 # its registered emulator
    report = await run_conformance("examplex", "examplex", checks=["reconnect"])
    assert report.ok, report
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from tickwire.core.errors import ConfigError
from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec
from tickwire.core.registry import Registry, default_registry
from tickwire.core.testing.faults import check_book_resync, check_malformed, check_reconnect
from tickwire.core.testing.fetch_checks import (
    check_fetch_balances,
    check_fetch_book,
    check_fetch_candles,
    check_fetch_open_orders,
    check_fetch_order,
    check_fetch_time,
)
from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness
from tickwire.core.testing.market import (
    MARKET_CHANNELS,
    check_book_integrity,
    check_connect,
    check_errors,
    check_instruments,
    check_spec,
    check_subscribe,
)
from tickwire.core.testing.orders import check_orders
from tickwire.core.testing.private_faults import (
    check_order_delayed,
    check_order_held,
    check_order_lost_after,
    check_order_lost_before,
    check_token_expiry,
)
from tickwire.core.testing.report import CheckResult, ConformanceReport, Outcome

__all__ = ["Check", "planned_checks", "resolve_specs", "run_check", "run_conformance"]


@dataclass(frozen=True)
class Check:
    """One named contract test. ``private`` checks connect with the emulator's account."""

    name: str
    run: Callable[[Harness], Awaitable[None]]
    private: bool = False


def planned_checks(adapter: AdapterSpec) -> list[Check]:
    """Every check that applies to ``adapter``: one ``subscribe:<channel>`` per channel."""
    checks = [
        Check("spec", check_spec),
        Check("connect", check_connect),
        Check("instruments", check_instruments),
    ]
    for channel in MARKET_CHANNELS:
        if channel in adapter.channels:
            run = functools.partial(check_subscribe, channel=channel)
            checks.append(Check(f"subscribe:{channel}", run))
    checks += [
        Check("book_integrity", check_book_integrity),
        Check("reconnect", check_reconnect),
        Check("malformed", check_malformed),
        Check("book_resync", check_book_resync),
        Check("errors", check_errors),
        Check("order_lost_before", check_order_lost_before, private=True),
        Check("order_lost_after", check_order_lost_after, private=True),
        Check("order_delayed", check_order_delayed, private=True),
        Check("order_held", check_order_held, private=True),
        Check("token_expiry", check_token_expiry, private=True),
        Check("fetch_candles", check_fetch_candles),
        Check("fetch_book", check_fetch_book),
        Check("fetch_time", check_fetch_time),
        Check("fetch_balances", check_fetch_balances, private=True),
        Check("fetch_open_orders", check_fetch_open_orders, private=True),
        Check("fetch_order", check_fetch_order, private=True),
        Check("orders", check_orders, private=True),
    ]
    return checks


def resolve_specs(
    adapter: str | AdapterSpec,
    emulator: str | EmulatorSpec | None = None,
    registry: Registry | None = None,
) -> tuple[AdapterSpec, EmulatorSpec]:
    """The specs named (or given); without ``emulator``, the first one of the venue."""
    registry = registry or default_registry()
    adapter_spec = registry.adapter(adapter) if isinstance(adapter, str) else adapter
    if isinstance(emulator, EmulatorSpec):
        return adapter_spec, emulator
    if emulator is not None:
        return adapter_spec, registry.emulator(emulator)
    for spec in registry.emulators.values():
        if spec.venue == adapter_spec.name:
            return adapter_spec, spec
    raise ConfigError(f"venue {adapter_spec.name!r} has no registered emulator")


async def run_check(
    check: Check,
    adapter: AdapterSpec,
    emulator: EmulatorSpec,
    *,
    seed: int = 1,
    timeout: float = 15.0,
    symbols: Sequence[str] | None = None,
) -> CheckResult:
    """Run one check in its own emulator and client; never raises for the adapter's faults."""
    started = time.perf_counter()
    outcome, detail = Outcome.PASSED, ""
    if check.private and not adapter.private:
        detail = f"adapter {adapter.name!r} declares private=False (no order methods)"
        return CheckResult(check=check.name, outcome=Outcome.SKIPPED, detail=detail)
    try:
        # A generous bound on the whole check: a stuck adapter fails it instead of the run.
        async with asyncio.timeout(timeout * 8):
            harness = Harness(
                adapter,
                emulator,
                seed=seed,
                timeout=timeout,
                symbols=symbols,
                private=check.private,
            )
            async with harness as h:
                await check.run(h)
    except TimeoutError:
        outcome, detail = Outcome.FAILED, f"the check did not finish within {timeout * 8:g}s"
    except Exception as exc:
        # A client's TaskGroup wraps what the check raised inside ``async with client``.
        leaf = _leaf(exc)
        if isinstance(leaf, TimeoutError):
            outcome, detail = Outcome.FAILED, f"timed out inside the client ({leaf!r})"
        elif isinstance(leaf, CheckSkipped):
            outcome, detail = Outcome.SKIPPED, str(leaf)
        elif isinstance(leaf, CheckFailed):
            outcome, detail = Outcome.FAILED, str(leaf)
        else:
            outcome, detail = Outcome.FAILED, f"raised {type(leaf).__name__}: {leaf}"
    seconds = time.perf_counter() - started
    return CheckResult(check=check.name, outcome=outcome, detail=detail, seconds=seconds)


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


async def run_conformance(
    adapter: str | AdapterSpec,
    emulator: str | EmulatorSpec | None = None,
    *,
    registry: Registry | None = None,
    checks: Iterable[str] | None = None,
    seed: int = 1,
    timeout: float = 15.0,
    symbols: Sequence[str] | None = None,
) -> ConformanceReport:
    """Run the contract tests of ``adapter`` against ``emulator`` over real sockets.

    ``adapter``/``emulator`` are registered names or specs (default emulator: the first
    registered for the venue); ``checks`` limits the run to those names (see
    :func:`planned_checks`); ``symbols`` replaces the symbols picked from the adapter's
    instruments; ``timeout`` bounds every single wait. Checks run one after the other,
    each against a fresh emulator (seeded with ``seed``) and a fresh client.
    """
    adapter_spec, emulator_spec = resolve_specs(adapter, emulator, registry)
    plan = planned_checks(adapter_spec)
    if checks is not None:
        wanted = list(checks)
        known = {c.name: c for c in plan}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; {adapter_spec.name} has {sorted(known)}")
        plan = [known[name] for name in wanted]
    results = []
    for check in plan:
        results.append(
            await run_check(
                check, adapter_spec, emulator_spec, seed=seed, timeout=timeout, symbols=symbols
            )
        )
    return ConformanceReport(
        adapter=adapter_spec.name, emulator=emulator_spec.name, results=tuple(results)
    )
