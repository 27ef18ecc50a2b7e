"""The conformance kit: the contract tests every tickwire adapter must pass.

Given an adapter and an emulator (registered names or specs), the kit runs, over real
sockets on 127.0.0.1, each check against a fresh emulator and a fresh client:

==================  ========================================================================
check               what must hold
==================  ========================================================================
``spec``            the specs agree: the emulator emulates this venue, channels are
                    :class:`~tickwire.core.types.Channel` values, endpoints are loopback
``connect``         ``connect`` reports ``connected``; ``close`` is idempotent and ends
                    the stream with ``closed``
``instruments``     keyed by unified symbol, ``Decimal`` increments, this venue's name
``subscribe:<ch>``  for every declared market channel: two symbols subscribed (twice: no
                    duplicate), events for both, one unsubscribed, only the other goes on
``book_integrity``  replaying the delivered ``BookUpdate`` events gives exactly the live
                    book, every time the consumer has caught up; books sorted, spread > 0
``reconnect``       ``drop_all()`` twice: ``reconnecting``, ``resubscribed``, the same
                    subscriptions, fresh data, a book rebuilt from a snapshot
``book_resync``     ``corrupt_next_checksum()`` or ``skip_sequence()``: ``resyncing``, a
                    snapshot before any delta, ``resynced``, an exact book
``errors``          unknown symbol → ``SubscriptionError``; undeclared channel →
                    ``SubscriptionError``/``NotSupported``; order methods without
                    credentials → ``NotSupported``/``ConfigError`` at once; the stream
                    survives refusals
``order_lost_*``    ``fail_next_order("before"/"after")``: a typed error in time and
                    nothing placed / the order placed once, never re-sent
``order_delayed``   ``delay_next_order()``: the call waits for the late reply
``order_held``      ``hold_next_order()``: ``RequestTimeout`` within the call's timeout
``token_expiry``    ``expire_tokens()``: the stream resubscribes, orders work again
``fetch_*``         the one-shot calls against the emulator's market and account (see
                    :mod:`.fetch_checks`); skipped where the client has no ``_fetcher``
``orders``          with ``private=True`` and the emulator's ``credentials()``: open,
                    cancel, fill, cancel all, typed refusals, calls that never hang, no
                    secret in any repr, event, error or log record
==================  ========================================================================

Every event read during any check is validated (:func:`~.invariants.event_problems`):
the venue's name, ``ts``/``received`` positive nanoseconds, unified subscribed symbols,
``Decimal`` money, bid < ask, best-first snapshot levels, OHLC order, no ``StreamError``.
A check the emulator cannot support (no hook, no account) is *skipped* with the reason.

As a library::

    report = await run_conformance("examplex")
    assert report.ok, report

From pytest (one test per check)::

    test_conformance = conformance_test("examplex")

From a shell: ``python -m tickwire.core.testing examplex``.
"""

from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness
from tickwire.core.testing.invariants import BookModel, book_problems, event_problems
from tickwire.core.testing.offline import emulated
from tickwire.core.testing.pytest_support import conformance_test
from tickwire.core.testing.report import CheckResult, ConformanceReport, Outcome
from tickwire.core.testing.runner import Check, planned_checks, run_check, run_conformance

__all__ = [
    "BookModel",
    "Check",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "ConformanceReport",
    "Harness",
    "Outcome",
    "book_problems",
    "conformance_test",
    "emulated",
    "event_problems",
    "planned_checks",
    "run_check",
    "run_conformance",
]
