"""Checks of the public side: lifecycle, instruments, every channel, error mapping.

Each check is an ``async def check_*(h: Harness)`` that raises
:class:`~.harness.CheckFailed` (or :class:`~.harness.CheckSkipped`) and returns None
when the adapter keeps the contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from tickwire.core.errors import ConfigError, NotSupported, SubscriptionError, TickwireError
from tickwire.core.protocol import StreamClient
from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness, require
from tickwire.core.testing.invariants import UNIFIED_SYMBOL
from tickwire.core.types import (
    BookUpdate,
    Candle,
    Channel,
    Event,
    OrderRequest,
    Side,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)

__all__ = [
    "EVENT_TYPES",
    "MARKET_CHANNELS",
    "check_book_integrity",
    "check_connect",
    "check_errors",
    "check_instruments",
    "check_spec",
    "check_subscribe",
]

#: The channels that need no account, and the event each one delivers.
EVENT_TYPES: dict[Channel, type[Ticker | Trade | BookUpdate | Candle]] = {
    Channel.TICKER: Ticker,
    Channel.TRADES: Trade,
    Channel.BOOK: BookUpdate,
    Channel.CANDLES: Candle,
}
MARKET_CHANNELS = tuple(EVENT_TYPES)

_CONTEXT = ("__aenter__", "__aexit__")
_MEMBERS = sorted(
    name for name in dir(StreamClient) if not name.startswith("_") or name in _CONTEXT
)
_AFTER_UNSUBSCRIBE = 3  # events of the still-subscribed symbol that must pass alone
_BOOK_DELTAS = 50  # deltas replayed and compared by the integrity check


async def check_spec(h: Harness) -> None:
    """The specs are coherent: names, channels, the emulator's venue, ``private``."""
    spec, emulator = h.adapter, h.emulator_spec
    require(spec.name and spec.name == spec.name.strip(), f"adapter name {spec.name!r} is blank")
    require(
        emulator.venue == spec.name,
        f"emulator {emulator.name!r} emulates {emulator.venue!r}, not {spec.name!r}",
    )
    require(spec.channels, "the adapter declares no channels")
    strange = [c for c in spec.channels if not isinstance(c, Channel)]
    require(not strange, f"channels must be Channel values, got {strange!r}")
    if spec.private:
        require(
            Channel.ORDERS in spec.channels,
            "a private adapter must declare the orders channel",
        )
    for field in ("ws_url", "ws_auth_url", "rest_url"):
        url = h.emulator.endpoints.get(field, "")
        require(
            not url or "127.0.0.1" in url,
            f"emulator endpoint {field} is {url!r}, not on 127.0.0.1",
        )
    unknown = set(h.emulator.endpoints) - {"ws_url", "ws_auth_url", "rest_url"}
    require(not unknown, f"emulator endpoints name unknown config fields {sorted(unknown)}")


async def check_connect(h: Harness) -> None:
    """Connect reports CONNECTED; close is idempotent and ends the stream with CLOSED."""
    client = h.client
    # Looked up on the class: isinstance() on the Protocol would call properties such as
    # ``native``, which may rightly raise NotSupported.
    missing = [name for name in _MEMBERS if not hasattr(type(client), name)]
    require(not missing, f"the client lacks StreamClient members {missing}")
    require(client.venue == h.adapter.name, f"client.venue is {client.venue!r}")
    require(client.subscriptions == frozenset(), "a fresh client already holds subscriptions")
    await h.next_of(StreamStatus, "a CONNECTED status", state=StreamState.CONNECTED)
    async with asyncio.timeout(h.timeout):
        await client.close()
        await client.close()
    await h.next_of(StreamStatus, "a CLOSED status after close()", state=StreamState.CLOSED)
    late = await h.until_end(timeout=2.0)
    require(not late, f"an event arrived after the CLOSED status: {late[:1]!r}")


async def check_instruments(h: Harness) -> None:
    """Instruments are keyed by unified symbol, with Decimal increments of this venue."""
    instruments = await h.instruments()
    if not instruments:
        raise CheckSkipped("the adapter does not list instruments (NotSupported)")
    for symbol, inst in instruments.items():
        where = f"instrument {symbol!r}"
        require(UNIFIED_SYMBOL.fullmatch(symbol), f"{where}: key is not a unified symbol")
        require(inst.symbol == symbol, f"{where}: .symbol is {inst.symbol!r}")
        require(inst.venue == h.adapter.name, f"{where}: .venue is {inst.venue!r}")
        require(f"{inst.base}/{inst.quote}" == symbol, f"{where}: base/quote disagree")
        require(inst.native_symbol, f"{where}: no native_symbol")
        for field in ("price_increment", "size_increment", "min_size"):
            value = getattr(inst, field)
            require(type(value) is Decimal, f"{where}: {field} is not a Decimal")
            require(value > 0 or field == "min_size", f"{where}: {field} is {value}")
        for field in ("price_precision", "size_precision"):
            value = getattr(inst, field)
            require(isinstance(value, int) and value >= 0, f"{where}: {field} is {value!r}")


def _channel_symbols(client: StreamClient, channel: Channel) -> set[str | None]:
    return {s.symbol for s in client.subscriptions if s.channel is channel}


async def check_subscribe(h: Harness, channel: Channel) -> None:
    """Subscribe two symbols, get events for both, unsubscribe one: only the other goes on."""
    kind = EVENT_TYPES[channel]
    symbols = await h.pick_symbols(2)
    client = h.client
    async with asyncio.timeout(h.timeout):
        await client.subscribe(channel, symbols)
        await client.subscribe(channel, symbols)  # again: a no-op, never a duplicate
    require(
        _channel_symbols(client, channel) == set(symbols),
        f"subscriptions after subscribe({channel}, {symbols}) are {sorted(client.subscriptions)}",
    )
    for symbol in symbols:
        await h.next_of(kind, f"a {kind.__name__} for {symbol}", symbol=symbol)
    if len(symbols) < 2:
        return
    gone, kept = symbols
    async with asyncio.timeout(h.timeout):
        await client.unsubscribe(channel, [gone])
    require(
        _channel_symbols(client, channel) == {kept},
        f"subscriptions after unsubscribing {gone} are {sorted(client.subscriptions)}",
    )
    await h.drain_backlog()  # delivered before the unsubscribe returned: allowed

    def only_kept(event: Event) -> bool:
        if isinstance(event, kind) and event.symbol == gone:
            raise CheckFailed(f"a {kind.__name__} for {gone} arrived after its unsubscribe")
        return isinstance(event, kind) and event.symbol == kept

    for _ in range(_AFTER_UNSUBSCRIBE):
        await h.next(only_kept, f"a {kind.__name__} for {kept} after unsubscribing {gone}")
    async with asyncio.timeout(h.timeout):
        await client.unsubscribe(channel, [kept])
    require(not _channel_symbols(client, channel), f"{channel} still subscribed")


async def check_book_integrity(h: Harness) -> None:
    """A snapshot, then deltas: replayed, they must equal the live book every time."""
    if Channel.BOOK not in h.adapter.channels:
        raise CheckSkipped("the adapter declares no book channel")
    (symbol,) = await h.pick_symbols(1)
    async with asyncio.timeout(h.timeout):
        await h.client.subscribe(Channel.BOOK, [symbol])
    await h.next_of(BookUpdate, f"a {symbol} book snapshot", symbol=symbol, snapshot=True)
    for _ in range(_BOOK_DELTAS):
        await h.next_of(BookUpdate, f"a {symbol} book delta", symbol=symbol, snapshot=False)
    await h.drain_backlog()
    h.book_checked(symbol)
    difference = h.models[symbol].differences(h.client.book(symbol))
    require(difference is None, difference or "")


async def check_errors(h: Harness) -> None:
    """Refusals are typed: unknown symbol or channel, no book, no order support."""
    client = h.client
    (symbol,) = await h.pick_symbols(1)
    channel = next((c for c in MARKET_CHANNELS if c in h.adapter.channels), None)
    if channel is None:
        raise CheckSkipped("the adapter declares no market-data channel")
    nope = f"TWNOPE/{symbol.split('/')[1]}"
    try:
        async with asyncio.timeout(h.timeout):
            await client.subscribe(channel, [nope])
    except SubscriptionError:
        pass
    except TimeoutError:
        raise CheckFailed(f"subscribe({channel}, [{nope!r}]) hung") from None
    except Exception as exc:
        raise CheckFailed(f"an unknown symbol raised {exc!r}, not SubscriptionError") from None
    else:
        raise CheckFailed(f"subscribe({channel}, [{nope!r}]) did not raise SubscriptionError")
    require(
        nope not in {s.symbol for s in client.subscriptions},
        f"the refused {nope} is listed in subscriptions",
    )
    for other in Channel:
        if other in h.adapter.channels:
            continue
        wanted = [symbol] if other in MARKET_CHANNELS else []
        # An account channel may also be refused for want of credentials (ConfigError).
        refusals = (SubscriptionError, NotSupported) + (() if wanted else (ConfigError,))
        try:
            await client.subscribe(other, wanted)
        except refusals:
            continue
        except Exception as exc:
            raise CheckFailed(f"the undeclared {other} channel raised {exc!r}") from None
        raise CheckFailed(f"the undeclared {other} channel was subscribed")
    try:
        await client.subscribe("no-such-channel", [symbol])
    except (ValueError, TickwireError):
        pass
    else:
        raise CheckFailed("subscribe('no-such-channel') did not raise")
    try:
        client.book(nope)
    except TickwireError:
        pass
    except Exception as exc:
        raise CheckFailed(f"book() of an unsubscribed symbol raised {exc!r}") from None
    else:
        raise CheckFailed("book() of an unsubscribed symbol returned a book")
    await _orders_refused_without_account(client, symbol)
    # The refusals broke nothing: the channel still streams.
    async with asyncio.timeout(h.timeout):
        await client.subscribe(channel, [symbol])
    kind = EVENT_TYPES[channel]
    await h.next_of(kind, f"a {kind.__name__} for {symbol} after the refusals", symbol=symbol)


async def _orders_refused_without_account(client: StreamClient, symbol: str) -> None:
    """Without credentials an order call is refused at once: NotSupported or ConfigError."""
    request = OrderRequest(symbol=symbol, side=Side.BUY, size=Decimal(1), price=Decimal(1))
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "place_order": lambda: client.place_order(request, timeout=5.0),
        "cancel_order": lambda: client.cancel_order(symbol, order_id="x", timeout=5.0),
        "cancel_all": lambda: client.cancel_all(timeout=5.0),
        "cancel_all_after": lambda: client.cancel_all_after(10.0, timeout=5.0),
    }
    for name, call in calls.items():
        try:
            async with asyncio.timeout(10.0):
                await call()
        except (NotSupported, ConfigError):
            continue
        except TimeoutError:
            raise CheckFailed(f"{name} without credentials hung") from None
        except Exception as exc:
            raise CheckFailed(f"{name} without credentials raised {exc!r}") from None
        raise CheckFailed(f"{name} succeeded without credentials")
