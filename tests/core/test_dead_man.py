"""core.dead_man: the switch is re-armed while the connection is up, never while down."""

from __future__ import annotations

import asyncio

import pytest

from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.dead_man import DeadManOption, dead_man_option, keep_armed
from tickwire.core.errors import ConfigError, RateLimited


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


KEYS = Credentials(api_key="k", api_secret="s")


def _option(**options: object) -> DeadManOption | None:
    config = ClientConfig(venue="v", credentials=KEYS, options=options)
    return dead_man_option(config, low=5, high=86400, share=3)


def test_the_option_is_the_timer_and_a_share_of_it_unless_a_refresh_is_given() -> None:
    assert _option() is None
    assert _option(dead_man_switch=60) == DeadManOption(60.0, 20.0)
    assert _option(dead_man_switch=60, dead_man_refresh=5) == DeadManOption(60.0, 5.0)


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"dead_man_switch": 4}, r"dead_man_switch must be seconds in \[5, 86400\], got 4"),
        ({"dead_man_switch": 86401}, "dead_man_switch must be seconds"),
        ({"dead_man_switch": True}, "dead_man_switch must be seconds"),
        ({"dead_man_switch": "60"}, "dead_man_switch must be seconds"),
        ({"dead_man_switch": 60, "dead_man_refresh": 60}, "dead_man_refresh must be seconds"),
        ({"dead_man_switch": 60, "dead_man_refresh": 0}, "dead_man_refresh must be seconds"),
    ],
)
def test_values_outside_the_venues_range_are_config_errors(
    options: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        _option(**options)


def test_a_switch_without_credentials_is_a_config_error() -> None:
    config = ClientConfig(venue="v", options={"dead_man_switch": 60})
    with pytest.raises(ConfigError, match="needs credentials"):
        dead_man_option(config, low=1, high=86399, share=4)
