"""PendingRequests: correlation, late replies, timeouts, disconnects, duplicate keys."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from tickwire.core.errors import Disconnected, InvalidOrder, RequestTimeout
from tickwire.core.rpc import PendingRequests


def test_ids_count_up_per_instance() -> None:
    a: PendingRequests[int, str] = PendingRequests()
    b: PendingRequests[int, str] = PendingRequests()
    assert [a.next_id(), a.next_id(), a.next_id()] == [1, 2, 3]
    assert b.next_id() == 1


async def test_resolve_delivers_the_reply_and_forgets_the_key() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    key = pending.next_id()
    future = pending.register(key)
    assert key in pending and len(pending) == 1
    waiter = asyncio.create_task(pending.wait(key, timeout=5))
    await asyncio.sleep(0)
    assert pending.resolve(key, "ack")
    assert key not in pending and len(pending) == 0  # settled: no longer pending
    assert await waiter == "ack"
    assert future.result() == "ack"
    assert key not in pending and len(pending) == 0
    assert not pending.resolve(key, "late")  # late or duplicate: ignored, never raises


async def test_reply_between_register_and_wait_is_not_lost() -> None:
    pending: PendingRequests[tuple[int, str], str] = PendingRequests()
    key = (7, "BTC/USD")
    pending.register(key)
    assert pending.resolve(key, "fast reply")  # arrived while the request was being sent
    assert not pending.resolve(key, "duplicate")
    assert await pending.wait(key, timeout=5) == "fast reply"
    assert len(pending) == 0


async def test_unknown_key_is_ignored_by_resolve_and_reject() -> None:
    pending: PendingRequests[str, str] = PendingRequests()
    assert not pending.resolve("nope", "x")
    assert not pending.reject("nope", ValueError())
    with pytest.raises(KeyError, match="not registered"):
        await pending.wait("nope", timeout=1)


async def test_timeout_raises_request_timeout_and_forgets_the_key() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    pending.register(1)
    with pytest.raises(RequestTimeout, match=r"add_order: no reply within 0.01s"):
        await pending.wait(1, timeout=0.01, what="add_order")
    assert 1 not in pending
    assert not pending.resolve(1, "too late")


async def test_reject_raises_in_the_waiter() -> None:
    pending: PendingRequests[str, str] = PendingRequests()
    pending.register("cl-1")
    error = InvalidOrder("kraken", "EOrder:Invalid price", "bad price")
    assert pending.reject("cl-1", error)
    assert not pending.reject("cl-1", error)  # already done
    with pytest.raises(InvalidOrder) as caught:
        await pending.wait("cl-1", timeout=5)
    assert caught.value is error
    assert len(pending) == 0


async def test_rejected_timeout_error_is_not_mistaken_for_our_deadline() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    pending.register(1)
    pending.reject(1, TimeoutError("venue-side timeout"))
    with pytest.raises(TimeoutError, match="venue-side") as caught:
        await pending.wait(1, timeout=5)
    assert not isinstance(caught.value, RequestTimeout)


async def test_fail_all_fails_every_pending_request() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    keys = [pending.next_id() for _ in range(3)]
    for key in keys:
        pending.register(key)
    pending.resolve(keys[0], "done before the disconnect")
    waiters = [asyncio.create_task(pending.wait(key, timeout=5)) for key in keys[1:]]
    await asyncio.sleep(0)
    pending.fail_all(Disconnected("socket closed"))
    assert len(pending) == 0
    assert await pending.wait(keys[0], timeout=5) == "done before the disconnect"
    for waiter in waiters:
        with pytest.raises(Disconnected):
            await waiter
    assert len(pending) == 0 and not pending._settled


async def test_failure_between_register_and_wait_is_not_lost() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    pending.register(1)
    pending.register(2)
    pending.reject(1, InvalidOrder("kucoin", 400100, "bad size"))
    pending.fail_all(Disconnected("socket closed"))
    with pytest.raises(InvalidOrder):
        await pending.wait(1, timeout=5)
    with pytest.raises(Disconnected):
        await pending.wait(2, timeout=5)


async def test_duplicate_key_is_a_value_error() -> None:
    pending: PendingRequests[str, str] = PendingRequests()
    pending.register("cl-1")
    with pytest.raises(ValueError, match="already pending"):
        pending.register("cl-1")
    pending.resolve("cl-1", "ok")
    pending.register("cl-1")  # reusable once settled; the uncollected answer is dropped
    waiter = asyncio.create_task(pending.wait("cl-1", timeout=5))
    await asyncio.sleep(0)
    assert not waiter.done()
    pending.resolve("cl-1", "second")
    assert await waiter == "second"


async def test_cancelled_waiter_forgets_the_key() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    future = pending.register(1)
    waiter = asyncio.create_task(pending.wait(1, timeout=5))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert future.cancelled()
    assert 1 not in pending
    assert not pending.resolve(1, "late")


async def test_discard_forgets_without_waiting() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    future = pending.register(1)
    pending.discard(1)
    pending.discard(1)  # absent is fine
    assert future.cancelled() and 1 not in pending
    assert not pending.resolve(1, "late")


async def test_caller_may_await_the_future_itself() -> None:
    pending: PendingRequests[tuple[int, str], str] = PendingRequests()
    keys = [(5, "BTC/USD"), (5, "ETH/USD")]
    futures = [pending.register(key) for key in keys]
    for key in keys:
        pending.resolve(key, f"ack {key[1]}")
    assert await asyncio.gather(*futures) == ["ack BTC/USD", "ack ETH/USD"]
    for key in keys:
        pending.discard(key)
    assert len(pending) == 0 and not pending._settled


async def test_externally_cancelled_future_stops_being_pending() -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    futures = [pending.register(key) for key in (1, 2)]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await asyncio.gather(*futures)  # the timeout cancels both futures
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert len(pending) == 0
    assert not pending.resolve(1, "late")
    pending.register(1)  # the key is free again


async def test_settled_futures_nobody_collects_are_bounded() -> None:
    pending: PendingRequests[int, int] = PendingRequests()
    for key in range(5000):
        pending.register(key)
        pending.resolve(key, key)
    assert len(pending) == 0
    assert len(pending._settled) <= 1024
    assert await pending.wait(4999, timeout=1) == 4999  # recent answers still collectable


async def test_unawaited_failures_are_not_logged_as_never_retrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pending: PendingRequests[int, str] = PendingRequests()
    pending.register(1)
    pending.register(2)
    pending.fail_all(Disconnected("socket closed"))
    pending.reject(3, ValueError())  # unknown: nothing happens
    await asyncio.sleep(0)  # run the done callbacks
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        del pending
        gc.collect()
    assert "never retrieved" not in caplog.text
