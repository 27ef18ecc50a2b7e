"""The kit from pytest: one generated test function, one test per check.

In a plugin package's test suite::

    from tickwire.core.testing import conformance_test

    test_examplex_conformance = conformance_test("examplex")

``pytest`` then lists ``test_examplex_conformance[subscribe:book]``,
``[reconnect]``, ... : a failure names its check and says what broke, a skip says
which hook or feature was missing; a check named in ``required`` may not be skipped
(``conformance_test("kraken", required=["orders"])``): losing a hook fails it. The
generated tests are synchronous (each runs its check in ``asyncio.run``), so they need
no pytest-asyncio configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from tickwire.core.errors import ConfigError
from tickwire.core.registry import Registry
from tickwire.core.testing.report import Outcome
from tickwire.core.testing.runner import planned_checks, resolve_specs, run_check

__all__ = ["conformance_test"]


def conformance_test(
    adapter: str,
    emulator: str | None = None,
    *,
    registry: Registry | None = None,
    missing: str | None = None,
    seed: int = 1,
    timeout: float = 15.0,
    symbols: Sequence[str] | None = None,
    required: Iterable[str] = (),
) -> Callable[..., None]:
    """A pytest test function, parametrized over every check that applies to ``adapter``.

    ``missing``: when the adapter (or its emulator) is not registered, the generated
    test is skipped with this reason instead of failing collection, e.g.
    ``missing="pip install ./examples/third_party_adapter"``. ``required``: checks
    that must run; a skip fails them (e.g. ``orders`` of an emulator that should have
    ``credentials()``).
    """
    import pytest  # a test-time dependency only

    try:
        adapter_spec, emulator_spec = resolve_specs(adapter, emulator, registry)
    except ConfigError as exc:
        if missing is None:
            raise
        reason = f"{exc}: {missing}"

        @pytest.mark.parametrize("check", ["not-installed"])
        def skipped(check: str) -> None:
            pytest.skip(reason)

        return skipped

    checks = {check.name: check for check in planned_checks(adapter_spec)}
    must_run = set(required)
    if unknown := sorted(must_run - set(checks)):
        raise ValueError(
            f"unknown required check(s) {unknown}; {adapter_spec.name} has {sorted(checks)}"
        )

    @pytest.mark.parametrize("check", list(checks))
    def conformance(check: str) -> None:
        result = asyncio.run(
            run_check(
                checks[check],
                adapter_spec,
                emulator_spec,
                seed=seed,
                timeout=timeout,
                symbols=symbols,
            )
        )
        if result.outcome is Outcome.SKIPPED:
            if check in must_run:
                pytest.fail(f"{adapter_spec.name} {check}: skipped: {result.detail}", pytrace=False)
            pytest.skip(result.detail)
        if result.outcome is Outcome.FAILED:
            pytest.fail(f"{adapter_spec.name} {check}: {result.detail}", pytrace=False)

    conformance.__doc__ = f"Conformance of {adapter_spec.name!r} against {emulator_spec.name!r}."
    return conformance
