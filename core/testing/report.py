"""What a conformance run found: one :class:`CheckResult` per check, gathered in a report."""

from __future__ import annotations

from enum import StrEnum

import msgspec

__all__ = ["CheckResult", "ConformanceReport", "Outcome"]


class Outcome(StrEnum):
    """How one check ended."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # the adapter or emulator does not offer what the check needs


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """One check's outcome; ``detail`` says why it failed or was skipped."""

    check: str
    outcome: Outcome
    detail: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        line = f"{self.outcome.upper():<7} {self.check} ({self.seconds:.1f}s)"
        return f"{line}: {self.detail}" if self.detail else line


class ConformanceReport(msgspec.Struct, frozen=True, kw_only=True):
    """Every check run for one adapter against one emulator.

    ::

        report = await run_conformance("examplex")
        print(report)          # one line per check
        assert report.ok, report
    """

    adapter: str
    emulator: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks are not failures)."""
        return not self.failures

    @property
    def failures(self) -> list[CheckResult]:
        """The checks that failed."""
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    def result(self, check: str) -> CheckResult:
        """The result of the check called ``check`` (``KeyError`` if it did not run)."""
        for result in self.results:
            if result.check == check:
                return result
        raise KeyError(check)

    def __str__(self) -> str:
        counts = {o: sum(r.outcome is o for r in self.results) for o in Outcome}
        head = (
            f"conformance of adapter {self.adapter!r} against emulator {self.emulator!r}: "
            + ", ".join(f"{n} {o}" for o, n in counts.items())
        )
        return "\n".join([head, *(f"  {r}" for r in self.results)])
