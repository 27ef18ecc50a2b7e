"""A venue's dead man's switch, kept armed while the connection is healthy.

A venue that cancels every open order unless it is told otherwise in time (KuCoin's
``dead-cancel-all``, Kraken's ``cancel_all_orders_after``) protects a strategy only if
the refresh stops when the client loses its connection: :func:`keep_armed` re-arms it
every ``period`` while ``up`` holds and stops the moment ``down`` says otherwise, so the
venue's timer runs out and fires, which is the point::

    context.spawn(
        keep_armed(arm, 60.0, 20.0, up=healthy.wait, down=unhealthy.wait, report=context.error),
        "venue-dead-man",
    )

:func:`dead_man_option` reads the user's side of it from the config (``[options]
dead_man_switch`` and ``dead_man_refresh``), each venue supplying its accepted range.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError, TickwireError

__all__ = ["DeadManOption", "dead_man_option", "keep_armed"]


class DeadManOption(NamedTuple):
    """The managed switch a config asks for: the venue's timer and how often to re-arm."""

    seconds: float
    period: float


def dead_man_option(
    config: ClientConfig, *, low: float, high: float, share: int
) -> DeadManOption | None:
    """``options.dead_man_switch`` (seconds, within the venue's ``low``..``high``) and
    ``options.dead_man_refresh`` (seconds between re-arms; default ``1/share`` of the
    timer, so a refresh or two may fail before it fires) validated; ``None`` when unset.
    A switch needs credentials: it guards the account's orders."""
    value = config.options.get("dead_man_switch")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(
            f"options.dead_man_switch must be seconds in [{low:g}, {high:g}], got {value!r}"
        )
    if config.credentials is None:
        raise ConfigError("options.dead_man_switch needs credentials")
    period = config.options.get("dead_man_refresh", value / share)
    if isinstance(period, bool) or not isinstance(period, int | float) or not 0 < period < value:
        raise ConfigError(
            f"options.dead_man_refresh must be seconds below dead_man_switch, got {period!r}"
        )
    return DeadManOption(float(value), float(period))


async def keep_armed(
    arm: Callable[[float], Awaitable[Any]],
    seconds: float,
    period: float,
    *,
    up: Callable[[], Awaitable[Any]],
    down: Callable[[], Awaitable[Any]] | None = None,
    report: Callable[[BaseException, str], None],
) -> None:
    """Call ``arm(seconds)`` every ``period`` seconds, each time once ``up()`` returns (the
    connection is healthy). ``down()``, if given, returns when it no longer is: the wait
    for the next refresh ends there, so a lost connection is never re-armed. A failed
    refresh (a :class:`~tickwire.core.errors.TickwireError`) is reported and retried at
    the next period. Runs until cancelled."""
    while True:
        await up()
        try:
            await arm(seconds)
        except TickwireError as exc:
            report(exc, "dead man's switch")
        if down is None:
            await asyncio.sleep(period)
            continue
        try:
            async with asyncio.timeout(period):
                await down()  # down: stop refreshing at once
        except TimeoutError:
            pass
