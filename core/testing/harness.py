"""The harness every check runs in: a fresh emulator, a client of it, and a watched stream.

::

    async with Harness(adapter_spec, emulator_spec) as h:
        symbols = await h.pick_symbols(2)
        await h.client.subscribe("ticker", symbols)
        ticker = await h.next(lambda e: isinstance(e, Ticker), "a ticker")

Every event the check reads through :meth:`Harness.next` is validated on the way
(:func:`~.invariants.event_problems`); every ``BookUpdate`` is replayed into a
:class:`~.invariants.BookModel`, and whenever the client has delivered everything it
produced, the model must equal the client's live book. The first violation fails the
check at once, with a message naming the event.

While a check runs, an emulator that has ``async step(n)`` is stepped continuously, so a
check never waits long for market activity.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

import msgspec

from tickwire.core.config import ClientConfig, Credentials, ReconnectPolicy
from tickwire.core.errors import NotSupported, TickwireError
from tickwire.core.hookspecs import AdapterSpec, Emulator, EmulatorSpec
from tickwire.core.protocol import StreamClient
from tickwire.core.testing.invariants import (
    UNIFIED_SYMBOL,
    BookModel,
    book_problems,
    event_problems,
)
from tickwire.core.types import (
    BookUpdate,
    Event,
    Instrument,
    StreamError,
    StreamState,
    StreamStatus,
)

__all__ = ["CheckFailed", "CheckSkipped", "Harness", "require"]

E = TypeVar("E")

#: Reconnect fast: the kit drops sockets on purpose and should not wait out a backoff.
FAST_RECONNECT = ReconnectPolicy(base_delay=0.01, max_delay=0.2)
_PUMP_STEPS = 4  # market events per pump tick, when the emulator can be stepped
_PUMP_PERIOD = 0.02  # seconds between pump ticks


class CheckFailed(AssertionError):
    """The adapter broke the contract; the message says how."""


class CheckSkipped(Exception):
    """The adapter or emulator lacks what the check needs; the message says what."""


def require(condition: object, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


class Harness:
    """One emulator, one client of it, and the validated event stream between them.

    ``private`` connects with the emulator's ``credentials()`` (the order checks);
    ``timeout`` bounds every wait of a check.
    """

    def __init__(
        self,
        adapter: AdapterSpec,
        emulator: EmulatorSpec,
        *,
        seed: int = 1,
        timeout: float = 15.0,
        symbols: Sequence[str] | None = None,
        private: bool = False,
    ) -> None:
        self.adapter = adapter
        self.emulator_spec = emulator
        self.seed = seed
        self.timeout = timeout
        self.private = private
        self.symbols: list[str] = list(symbols or [])
        self.subscribed: set[str] = set()  # symbols events may name
        self.allow_stream_errors = False
        self.event_count = 0
        self.models: dict[str, BookModel] = {}
        self.observers: list[Callable[[Event], None]] = []  # see every event, in order
        self._given_symbols = bool(symbols)
        self._stack = AsyncExitStack()
        self._emulator: Emulator | None = None
        self._client: StreamClient | None = None
        self._events: AsyncIterator[Event] | None = None
        self._pump: asyncio.Task[None] | None = None
        self.credentials: Credentials | None = None
        self.config: ClientConfig | None = None

    # --- lifecycle -----------------------------------------------------------------

    async def __aenter__(self) -> Harness:
        try:
            emulator = self.emulator_spec.factory(seed=self.seed)
            await self._stack.enter_async_context(emulator)
            self._emulator = emulator
            self.config = self._config(emulator)
            self._client = self.adapter.factory(self.config)
            async with asyncio.timeout(self.timeout):
                await self._stack.enter_async_context(self._client)
            self._events = self._client.events()
            step = getattr(emulator, "step", None)
            if callable(step):
                self._pump = asyncio.create_task(self._run_pump(step), name="conformance-pump")
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        await self._stack.__aexit__(exc_type, exc, tb)
        if pump is not None and not pump.cancelled() and pump.exception() is not None:
            raise CheckFailed(f"the emulator's step() failed: {pump.exception()!r}")

    def _config(self, emulator: Emulator) -> ClientConfig:
        if self.private:
            get = getattr(emulator, "credentials", None)
            if not callable(get):
                raise CheckSkipped(
                    f"emulator {self.emulator_spec.name!r} offers no credentials() "
                    "(private checks need an account on it)"
                )
            self.credentials = get()
        config = ClientConfig(
            venue=self.adapter.name,
            reconnect=FAST_RECONNECT,
            credentials=self.credentials,
            request_timeout=min(self.timeout, 10.0),
        )
        return msgspec.structs.replace(config, **emulator.endpoints)

    async def _run_pump(self, step: Callable[[int], Any]) -> None:
        while True:
            await step(_PUMP_STEPS)
            await asyncio.sleep(_PUMP_PERIOD)

    @property
    def client(self) -> StreamClient:
        """The connected client under test."""
        if self._client is None:
            raise RuntimeError("the harness is not running")
        return self._client

    @property
    def emulator(self) -> Emulator:
        """The running emulator."""
        if self._emulator is None:
            raise RuntimeError("the harness is not running")
        return self._emulator

    def hook(self, name: str) -> Callable[..., Any] | None:
        """The emulator's optional hook ``name`` (``drop_all``...), or None."""
        hook = getattr(self.emulator, name, None)
        return hook if callable(hook) else None

    # --- symbols -------------------------------------------------------------------

    async def instruments(self) -> dict[str, Instrument]:
        """The adapter's instruments; ``{}`` when it cannot list them."""
        try:
            async with asyncio.timeout(self.timeout):
                return dict(await self.client.instruments())
        except NotSupported:
            return {}

    async def pick_symbols(self, n: int) -> list[str]:
        """``n`` symbols to test with (fewer if the venue lists fewer): given, or listed."""
        if not self._given_symbols:
            listed = await self.instruments()
            tradable = sorted(s for s, i in listed.items() if i.tradable)
            if not tradable:
                raise CheckFailed(
                    "the adapter lists no instruments: pass symbols= to run_conformance"
                )
            self.symbols = tradable
        chosen = self.symbols[:n]
        for symbol in chosen:
            require(UNIFIED_SYMBOL.fullmatch(symbol), f"{symbol!r} is not a unified symbol")
        self.subscribed.update(chosen)
        return chosen

    # --- events --------------------------------------------------------------------

    async def next(
        self, predicate: Callable[[Event], bool], what: str, timeout: float | None = None
    ) -> Event:
        """The next event matching ``predicate``; every event read on the way is checked."""
        limit = self.timeout if timeout is None else timeout
        events = self._events
        if events is None:
            raise RuntimeError("the harness is not running")
        try:
            async with asyncio.timeout(limit):
                while True:
                    event = await anext(events)
                    self.observe(event)
                    if predicate(event):
                        return event
        except TimeoutError:
            raise CheckFailed(f"no {what} within {limit:g}s") from None
        except StopAsyncIteration:
            raise CheckFailed(f"the event stream ended while waiting for {what}") from None

    async def next_of(self, kind: type[E], what: str, **fields: object) -> E:
        """The next event of ``kind`` whose attributes equal ``fields``."""

        def matches(event: Event) -> bool:
            return isinstance(event, kind) and all(
                getattr(event, k) == v for k, v in fields.items()
            )

        return await self.next(matches, what)  # type: ignore[return-value]

    async def until_end(self, timeout: float) -> list[Event]:
        """Read (and check) events until the stream ends; fail if it does not end in time."""
        events = self._events
        if events is None:
            raise RuntimeError("the harness is not running")
        seen: list[Event] = []
        try:
            async with asyncio.timeout(timeout):
                async for event in events:
                    self.observe(event)
                    seen.append(event)
        except TimeoutError:
            raise CheckFailed(f"the event stream did not end within {timeout:g}s") from None
        return seen

    async def drain_backlog(self) -> None:
        """Read (and check) whatever the client had already delivered."""
        events = self._events
        size = getattr(events, "__len__", None)
        if events is None or size is None:
            return
        for _ in range(size()):
            self.observe(await anext(events))

    @property
    def backlog(self) -> int | None:
        """Events delivered but not read yet (None: the stream cannot tell)."""
        size = getattr(self._events, "__len__", None)
        return None if size is None else int(size())

    def observe(self, event: Event) -> None:
        """Check one event against the contract; raise :class:`CheckFailed` on a violation."""
        self.event_count += 1
        for observer in self.observers:
            observer(event)
        problems = event_problems(event, venue=self.adapter.name, symbols=self.subscribed)
        if problems:
            raise CheckFailed(problems[0])
        if isinstance(event, StreamError) and not self.allow_stream_errors:
            raise CheckFailed(f"the client reported {event.error}: {event.message}")
        if isinstance(event, StreamStatus):
            if event.state is StreamState.RECONNECTING:
                # Only a book the drop reset waits for a snapshot: another socket's drop
                # (the private one's) leaves it in sync, and its deltas go on. A book
                # already synced again has its new snapshot queued behind this status.
                for symbol, model in self.models.items():
                    if not self._live_synced(symbol):
                        model.reset()
            elif event.state is StreamState.RESYNCING and event.symbol in self.models:
                self.models[event.symbol].reset()
        elif isinstance(event, BookUpdate):
            self._replay(event)

    def _live_synced(self, symbol: str) -> bool:
        try:
            return self.client.book(symbol).synced
        except TickwireError:
            return False  # unsubscribed meanwhile

    def _replay(self, update: BookUpdate) -> None:
        try:
            book = self.client.book(update.symbol)
        except TickwireError:
            return  # a late update of a book that was just unsubscribed
        model = self.models.setdefault(update.symbol, BookModel())
        problem = model.apply(update, book.depth)
        if problem is not None:
            raise CheckFailed(f"{update.symbol}: {problem}")
        if self.backlog == 0 and book.synced:
            # Everything the client produced has been read: the events must add up to
            # exactly the live book, and the book must be sane.
            difference = model.differences(book)
            if difference is not None:
                raise CheckFailed(difference)
            problems = book_problems(book)
            if problems:
                raise CheckFailed(problems[0])

    def book_checked(self, symbol: str) -> None:
        """Check the live book of ``symbol`` now: synced and sane."""
        book = self.client.book(symbol)
        require(book.synced, f"{symbol}: the book is not synced")
        problems = book_problems(book)
        require(not problems, problems[0] if problems else "")
