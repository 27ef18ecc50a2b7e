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
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tickwire.core.errors import TickwireError

__all__ = ["keep_armed"]


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
