"""What the commands share: the context, symbol resolution, the live loop, error lines."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import aiohttp
from rich.console import Console
from rich.live import Live

from tickwire.core.cli.tables import Board
from tickwire.core.errors import (
    ExchangeError,
    NotSupported,
    TickwireError,
)
from tickwire.core.protocol import StreamClient
from tickwire.core.registry import Registry
from tickwire.core.types import Event, Instrument

__all__ = [
    "CommandError",
    "Context",
    "describe_error",
    "live_board",
    "positive",
    "resolve_symbols",
    "run_for",
]

#: Quote currencies tried, in order, when a symbol is given as a bare asset (``BTC``):
#: the same asset then maps to ``BTC/USD`` on Kraken and ``BTC/USDT`` on KuCoin.
PREFERRED_QUOTES = ("USD", "USDT", "USDC", "EUR")

_FPS = 4  # screen refreshes per second: smooth enough, and cheap next to the feed


class CommandError(Exception):
    """A problem the user can fix, reported as one line (unlike a bug)."""


@dataclass
class Context:
    """What every command gets: where to draw, which plugins, what never to print."""

    console: Console
    registry: Registry
    stdout: TextIO
    secrets: set[str] = field(default_factory=set)

    def redact(self, text: str) -> str:
        """``text`` with every known secret masked (a last line of defence)."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def positive(text: str) -> float:
    """argparse type: a number of seconds greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


# --- symbols ---------------------------------------------------------------------------


async def resolve_symbols(
    client: StreamClient, wanted: Sequence[str], *, timeout: float = 10.0
) -> list[str]:
    """Unified symbols for ``wanted``; an entry without ``/`` is an asset (``BTC``).

    An asset becomes this venue's pair for it in the first of :data:`PREFERRED_QUOTES`
    it lists, so one ``--symbols BTC ETH`` means the same assets on every venue. A
    symbol the venue does not list is a :class:`CommandError` naming a few it does.
    Where the adapter cannot list instruments, symbols pass through unchanged and the
    venue's own refusal (a ``SubscriptionError``) reports unknown ones.
    """
    try:
        async with asyncio.timeout(timeout):
            instruments = await client.instruments()
    except NotSupported:
        return [w for w in wanted if "/" in w]
    resolved: list[str] = []
    for item in wanted:
        symbol = item.upper() if "/" in item else _pair_for(instruments, item.upper())
        if symbol is None or symbol not in instruments:
            examples = ", ".join(sorted(instruments)[:5])
            raise CommandError(
                f"{client.venue}: unknown symbol {item!r} (listed there, e.g.: {examples})"
            )
        resolved.append(symbol)
    return list(dict.fromkeys(resolved))


def _pair_for(instruments: Mapping[str, Instrument], asset: str) -> str | None:
    for quote in PREFERRED_QUOTES:
        if f"{asset}/{quote}" in instruments:
            return f"{asset}/{quote}"
    return next((s for s, i in sorted(instruments.items()) if i.base == asset), None)


def pick_default_symbols(instruments: Collection[str], assets: Sequence[str]) -> list[str]:
    """The venue's pairs for ``assets`` (best quote first); its first pairs if none match."""
    listed = set(instruments)
    chosen = []
    for asset in assets:
        pair = next((f"{asset}/{q}" for q in PREFERRED_QUOTES if f"{asset}/{q}" in listed), None)
        if pair is not None:
            chosen.append(pair)
    return chosen or sorted(listed)[: len(assets)]


# --- running ---------------------------------------------------------------------------


async def run_for(
    duration: float | None,
    main: Sequence[Coroutine[Any, Any, None]],
    background: Sequence[Coroutine[Any, Any, None]] = (),
) -> None:
    """Run ``main`` until all of them end or ``duration`` passes; ``background`` alongside.

    The end of the duration is a normal end, not an error. Anything that fails fails
    the whole run (as an ExceptionGroup, which :func:`describe_error` unwraps).
    """
    deadline = asyncio.timeout(duration)
    try:
        async with deadline, asyncio.TaskGroup() as tasks:
            helpers = [tasks.create_task(coro) for coro in background]
            workers = [tasks.create_task(coro) for coro in main]
            if workers:
                await asyncio.wait(workers)
            for helper in helpers:
                helper.cancel()
    except TimeoutError:
        if not deadline.expired():
            raise


async def _consume(stream: AsyncIterator[Event], board: Board) -> None:
    apply = board.apply
    async for event in stream:
        apply(event)


async def live_board(
    board: Board,
    console: Console,
    streams: Sequence[AsyncIterator[Event]],
    duration: float | None,
    background: Sequence[Coroutine[Any, Any, None]] = (),
) -> None:
    """Show ``board`` in place, fed by ``streams``, until they end or ``duration`` passes.

    ``background`` runs alongside (the demo's fault injector) and is cancelled at the end.

    The screen is redrawn from the event loop at a fixed rate (rich's own refresh thread
    would read the board while events change it). On a non-terminal console, rich
    prints only the final board, which is what a log or a test wants.
    """
    live = Live(
        board,  # renders itself at the console's width
        console=console,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )

    async def redraw() -> None:
        while True:
            await asyncio.sleep(1 / _FPS)
            live.update(board, refresh=True)

    with live:
        try:
            await run_for(duration, [_consume(s, board) for s in streams], [redraw(), *background])
        finally:
            live.update(board)  # drawn once more as the display stops
    if not console.is_terminal:
        console.line()  # rich ends a non-terminal's final frame without a newline


# --- errors ----------------------------------------------------------------------------


def describe_error(exc: BaseException) -> str | None:
    """One line for an expected failure, or ``None`` for a bug (which keeps its traceback).

    Nothing here formats a URL or a config value, so credentials cannot leak through it.
    """
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]  # a TaskGroup wraps the first real failure
    if isinstance(exc, CommandError):
        return str(exc)
    if isinstance(exc, ExchangeError):
        code = f" ({exc.code})" if str(exc.code) != exc.message else ""
        return f"{exc.venue}: {exc.message}{code}"
    if isinstance(exc, TickwireError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientError):
        return f"cannot reach the venue: {_os_reason(exc)}"
    if isinstance(exc, OSError):
        return f"cannot reach the venue: {_os_reason(exc)}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return None


def _os_reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    return str(strerror) if strerror else type(exc).__name__


def debug_enabled() -> bool:
    """``TICKWIRE_DEBUG=1`` shows tracebacks instead of one-line errors."""
    return os.environ.get("TICKWIRE_DEBUG", "") not in ("", "0")
