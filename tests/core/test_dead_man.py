"""core.dead_man: the switch is re-armed while the connection is up, never while down."""

from __future__ import annotations

import asyncio

from tickwire.core.dead_man import keep_armed
from tickwire.core.errors import RateLimited


async def test_the_switch_pauses_while_the_connection_is_down() -> None:
    healthy, unhealthy = asyncio.Event(), asyncio.Event()
    calls: list[float] = []
    enough = asyncio.Event()
    wanted = 3

    async def arm(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) >= wanted:
            enough.set()

    healthy.set()
    loop = asyncio.create_task(
        keep_armed(arm, 5.0, 0.01, up=healthy.wait, down=unhealthy.wait, report=print)
    )
    try:
        async with asyncio.timeout(5):
            await enough.wait()  # refreshed every 10 ms while healthy
        healthy.clear()
        unhealthy.set()
        paused_at = len(calls)
        await asyncio.sleep(0.1)  # a quiet period: ten refresh periods, nothing to await
        assert len(calls) == paused_at  # down: the switch is left to fire
        wanted, enough = paused_at + 2, asyncio.Event()
        unhealthy.clear()
        healthy.set()
        async with asyncio.timeout(5):
            await enough.wait()  # up again: re-armed
        assert set(calls) == {5.0}
    finally:
        loop.cancel()


async def test_a_failed_refresh_is_reported_and_retried() -> None:
    reported: list[tuple[BaseException, str]] = []
    second = asyncio.Event()
    calls = 0

    async def arm(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimited("v", 429, "slow down")
        second.set()

    async def up() -> None:
        pass

    def report(exc: BaseException, where: str) -> None:
        reported.append((exc, where))

    loop = asyncio.create_task(keep_armed(arm, 5.0, 0.01, up=up, report=report))
    try:
        await asyncio.wait_for(second.wait(), 5)
    finally:
        loop.cancel()
    [(error, where)] = reported
    assert isinstance(error, RateLimited) and where == "dead man's switch"
