"""core.reconcile: a lost reply is settled by asking the venue, never by sending again."""

from __future__ import annotations

import httpx
import pytest

from tickwire.core.deadline import Deadline
from tickwire.core.errors import (
    DecodeError,
    Disconnected,
    ExchangeError,
    RequestTimeout,
    TransportError,
)
from tickwire.core.reconcile import lookup_until, maybe_sent, reconcile, reconcile_each


def _caused(exc: Exception, cause: BaseException) -> Exception:
    exc.__cause__ = cause
    return exc


def test_only_a_request_that_provably_never_left_is_not_maybe_sent() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/orders")
    refused = _caused(TransportError("no"), httpx.ConnectError("refused", request=request))
    reset = _caused(TransportError("reset"), httpx.ReadError("reset", request=request))
    assert not maybe_sent(refused)
    assert maybe_sent(reset) and maybe_sent(RequestTimeout("slow")) and maybe_sent(DecodeError("x"))
    assert not maybe_sent(ExchangeError("v", 1, "refused"))  # an answer: nothing was lost


class Venue:
    """Answers lookups from a script: an order, None (no such order), or an error."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def lookup(self, deadline: Deadline) -> str | None:
        self.asked += 1
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]


async def test_a_failed_lookup_is_asked_again_until_the_order_is_found() -> None:
    venue = Venue(TransportError("reset"), None, "order-1")
    found = await reconcile(venue.lookup, Deadline(5), RequestTimeout("slow"), what="o")
    assert found == "order-1" and venue.asked == 3


async def test_after_a_reset_two_misses_mean_it_was_never_placed() -> None:
    venue = Venue(None, RequestTimeout("slow"), None)
    with pytest.raises(Disconnected, match="placing it again with the same client_id is safe"):
        await reconcile(venue.lookup, Deadline(5), TransportError("reset"), what="o")
    assert venue.asked == 3  # the failed lookup was no answer


async def test_after_a_timeout_misses_are_no_answer_until_the_deadline() -> None:
    venue = Venue()
    with pytest.raises(RequestTimeout, match="the outcome is unknown"):
        await reconcile(venue.lookup, Deadline(0.5), RequestTimeout("slow"), what="o")
    assert venue.asked >= 2


async def test_lookup_until_stops_at_the_checks_asked_for() -> None:
    venue = Venue(None, None, "late")
    assert await lookup_until(venue.lookup, Deadline(5), checks=2) is None
    assert venue.asked == 2


async def test_reconcile_each_settles_every_row_and_keeps_each_error() -> None:
    cause = TransportError("reset")

    async def resolve(client_id: str) -> str:
        if client_id == "gone":
            raise Disconnected(f"{client_id} was not placed")
        return f"order-of-{client_id}"

    found, failures = await reconcile_each(resolve, ["a", "gone", "b"], cause)
    assert found == ["order-of-a", "order-of-b"]
    assert list(failures) == ["gone"] and isinstance(failures["gone"], Disconnected)

    async def broken(client_id: str) -> str:
        raise RuntimeError("a bug, not an answer")

    with pytest.raises(RuntimeError, match="a bug") as caught:
        await reconcile_each(broken, ["a"], cause)
    assert caught.value.__cause__ is cause
