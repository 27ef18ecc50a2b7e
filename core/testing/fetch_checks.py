"""Checks of the one-shot calls (``fetch_*``) against what the emulator holds.

They run when the adapter's client has one-shot calls (``client._fetcher``, see
:mod:`tickwire.core.fetcher`); otherwise, or when the venue answers a call with
:class:`~tickwire.core.errors.NotSupported`, they are skipped with the reason. The private
ones also need the emulator's ``credentials()`` and, to judge the answers, its paper
account's ``engine`` (``balances()``, ``open_orders()``).

==========================  ==============================================================
check                       what must hold
==========================  ==============================================================
``fetch_balances``          with one order resting, every asset's total, available and
                            hold equal the engine's accounting, to the digits the venue
                            writes
``fetch_open_orders``       three orders placed, one canceled: exactly the other two, open,
                            with their client ids, prices and sizes, oldest first
``fetch_order``             by client id and by order id: the order placed; canceled, it
                            comes back canceled; an unknown client id → ``UnknownOrder``
``fetch_candles``           a range of :data:`CANDLE_BARS` one-minute bars (more than one
                            page on any venue whose page is smaller): continuous, oldest
                            first, sane OHLC, the whole range, or exactly the latest
                            ``candles_kept(60)`` bars where the emulator says the venue
                            keeps no more (Kraken: 720)
``fetch_book``              ``fetch_book(symbol, depth)``: a valid uncrossed book of
                            ``depth`` levels that equals the emulator's book
                            (``market.book`` or its ``book`` hook) as it stood at some
                            moment during the call (the market moves meanwhile)
``fetch_time``              ``|offset|`` within 1 s (plus the round trip); the server's
                            time inside the call's window
==========================  ==============================================================
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tickwire.core.errors import NotSupported, UnknownOrder
from tickwire.core.ids import new_client_id
from tickwire.core.testing.harness import CheckFailed, CheckSkipped, Harness, require
from tickwire.core.testing.invariants import book_problems
from tickwire.core.testing.orders import OrderSetup, order_setup
from tickwire.core.types import OrderAck, OrderStatus, OrderUpdate

__all__ = [
    "CANDLE_BARS",
    "check_fetch_balances",
    "check_fetch_book",
    "check_fetch_candles",
    "check_fetch_open_orders",
    "check_fetch_order",
    "check_fetch_time",
]

T = TypeVar("T")

CANDLE_BARS = 2000
"""One-minute bars the candle check asks for: more than a page of KuCoin (1500), Kraken
(720) and most venues, so a fetcher that does not page is caught."""
BOOK_DEPTH = 10
"""Levels per side the book check asks for."""
_BOOK_TRIES = 5  # each sampled throughout; a real mismatch misses every time
_CALL_TIMEOUT = 10.0
_NS = 1_000_000_000


def _fetching(h: Harness) -> None:
    if getattr(h.client, "_fetcher", None) is None:
        raise CheckSkipped(f"adapter {h.adapter.name!r} has no one-shot calls (no _fetcher)")


async def _call(what: str, awaitable: Awaitable[T]) -> T:
    """``awaitable``'s result; a NotSupported answer skips the check."""
    try:
        return await awaitable
    except NotSupported as exc:
        raise CheckSkipped(f"{what}: {exc}") from None


def _engine(h: Harness) -> Any:
    engine = getattr(h.emulator, "engine", None)
    if engine is None or not callable(getattr(engine, "balances", None)):
        raise CheckSkipped(
            f"emulator {h.emulator_spec.name!r} exposes no paper account (engine) to judge by"
        )
    return engine


async def _private(h: Harness) -> tuple[OrderSetup, Any]:
    _fetching(h)
    if h.credentials is None:
        raise CheckSkipped("the emulator gave no credentials")
    engine = _engine(h)
    (symbol,) = await h.pick_symbols(1)
    instrument = (await h.instruments()).get(symbol)
    if instrument is None:
        raise CheckSkipped("the one-shot order checks need the adapter's instruments")
    return await order_setup(h, symbol, instrument), engine


async def _rest(h: Harness, setup: OrderSetup, nudge: int = 0) -> tuple[OrderAck, str]:
    """A resting order with a fresh client id (``nudge`` ticks lower: distinct prices)."""
    client_id = new_client_id()
    price = setup.resting.price
    assert price is not None
    price -= setup.instrument.price_increment * nudge
    request = msgspec.structs.replace(setup.resting, client_id=client_id, price=price)
    ack = await h.client.place_order(request, timeout=_CALL_TIMEOUT)
    require(ack.client_id == client_id, f"OrderAck.client_id is {ack.client_id!r}")
    return ack, client_id


def _same_order(found: OrderUpdate, ack: OrderAck, setup: OrderSetup, what: str) -> None:
    require(
        found.order_id == ack.order_id, f"{what}: order id {found.order_id!r}, not {ack.order_id!r}"
    )
    require(
        found.client_id == ack.client_id,
        f"{what}: client id {found.client_id!r}, not {ack.client_id!r}",
    )
    require(found.symbol == setup.symbol, f"{what}: symbol {found.symbol!r}")
    require(
        found.size == setup.resting.size, f"{what}: size {found.size}, placed {setup.resting.size}"
    )


async def check_fetch_balances(h: Harness) -> None:
    """Balances equal the paper account's, with an order holding funds."""
    setup, engine = await _private(h)
    await _rest(h, setup)
    fetched = await _call("fetch_balances", h.client.fetch_balances(timeout=_CALL_TIMEOUT))
    truth: dict[str, tuple[Decimal, Decimal, Decimal]] = engine.balances()
    require(truth, "the emulator's account holds nothing to compare with")
    for asset, (total, available, hold) in truth.items():
        got = fetched.get(asset)
        if got is None:
            require(not total, f"fetch_balances has no {asset} (the account holds {total})")
            continue
        # ``available`` may be derived from two figures the venue rounded (Kraken:
        # balance - hold_trade), so it may be off by up to two units of the last digit.
        for field, value, want, units in (
            ("total", got.total, total, 1),
            ("available", got.available, available, 2),
            ("hold", got.hold, hold, 1),
        ):
            require(
                value is None or _reported(value, want, units),
                f"{asset}: {field} {value}, the account's is {want}",
            )
    extra = [a for a, b in fetched.items() if a not in truth and b.total]
    require(not extra, f"fetch_balances lists {extra}, which the account does not hold")
    require(any(hold for _, _, hold in truth.values()), "the resting order holds nothing")


def _reported(value: Decimal, truth: Decimal, units: int = 1) -> bool:
    """``value`` is ``truth`` as far as the venue writes it: less than ``units`` units of
    the last digit it shows apart (Kraken shows 4 decimals of USD; the engine keeps more)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return abs(value - truth) < units * Decimal(1).scaleb(exponent)


async def check_fetch_open_orders(h: Harness) -> None:
    """Three orders placed, one canceled: the other two are the open orders."""
    setup, engine = await _private(h)
    placed = [await _rest(h, setup, nudge=i) for i in range(3)]
    canceled = placed[1][0]
    await h.client.cancel_order(setup.symbol, order_id=canceled.order_id, timeout=_CALL_TIMEOUT)
    kept = [placed[0][0], placed[2][0]]
    for symbol in (setup.symbol, None):
        call = h.client.fetch_open_orders(symbol, timeout=_CALL_TIMEOUT)
        fetched = await _call("fetch_open_orders", call)
        what = f"fetch_open_orders({symbol!r})"
        ids = [o.order_id for o in fetched]
        require(
            ids == [a.order_id for a in kept],
            f"{what} gave {ids}, not the two left open {[a.order_id for a in kept]} (oldest first)",
        )
        for order, ack in zip(fetched, kept, strict=True):
            _same_order(order, ack, setup, what)
            require(order.status is OrderStatus.OPEN, f"{what}: status {order.status}")
    truth = {o.order_id for o in engine.open_orders()}
    require(truth == {a.order_id for a in kept}, f"the emulator holds {truth} open")


async def check_fetch_order(h: Harness) -> None:
    """An order by client id and by order id; canceled; an unknown client id refused."""
    setup, _ = await _private(h)
    ack, client_id = await _rest(h, setup)
    fetch, symbol = h.client.fetch_order, setup.symbol
    by_client = await _call(
        "fetch_order", fetch(client_id=client_id, symbol=symbol, timeout=_CALL_TIMEOUT)
    )
    _same_order(by_client, ack, setup, "fetch_order(client_id=...)")
    require(by_client.status is OrderStatus.OPEN, f"an open order is {by_client.status}")
    require(by_client.price == setup.resting.price, f"price {by_client.price}")
    by_id = await fetch(order_id=ack.order_id, symbol=symbol, timeout=_CALL_TIMEOUT)
    _same_order(by_id, ack, setup, "fetch_order(order_id=...)")
    await h.client.cancel_order(symbol, order_id=ack.order_id, timeout=_CALL_TIMEOUT)
    closed = await fetch(client_id=client_id, symbol=symbol, timeout=_CALL_TIMEOUT)
    _same_order(closed, ack, setup, "fetch_order of a canceled order")
    require(closed.status is OrderStatus.CANCELED, f"a canceled order is {closed.status}")
    unknown = new_client_id()
    try:
        found = await fetch(client_id=unknown, symbol=symbol, timeout=_CALL_TIMEOUT)
    except UnknownOrder:
        return
    raise CheckFailed(f"fetch_order of an unknown client id gave {found!r}, not UnknownOrder")


async def check_fetch_candles(h: Harness) -> None:
    """:data:`CANDLE_BARS` one-minute bars: continuous, oldest first, the range or the
    venue's kept window."""
    _fetching(h)
    (symbol,) = await h.pick_symbols(1)
    span = 60
    now = time.time_ns() // _NS
    first = (now // span - CANDLE_BARS) * span
    call = h.client.fetch_candles(symbol, span, first * _NS, now * _NS, timeout=60.0)
    candles = await _call("fetch_candles", call)
    require(candles, "fetch_candles gave nothing")
    starts = [c.start // _NS for c in candles]
    for before, after in itertools.pairwise(starts):
        require(after - before == span, f"candles are not continuous: {before} then {after}")
    for c in candles:
        require(c.symbol == symbol and c.interval == span, f"a candle of {c.symbol} {c.interval}s")
        require(
            c.low <= min(c.open, c.close) and max(c.open, c.close) <= c.high,
            f"candle at {c.start // _NS}: OHLC out of order",
        )
        require(c.volume >= 0, f"candle at {c.start // _NS}: volume {c.volume}")
    latest = now // span * span
    require(
        starts[-1] in (latest, latest - span),
        f"the newest candle starts at {starts[-1]}, the range ends in the bar of {latest}",
    )
    kept = h.hook("candles_kept")
    limit = kept(span) if kept is not None else None
    if limit is None:
        require(
            starts[0] == first,
            f"the oldest candle starts at {starts[0]}, not {first}: "
            f"{len(candles)} of the range's {CANDLE_BARS + 1} bars",
        )
    else:
        # The kept window ends with the running bar; a minute may turn during the call.
        oldest = {latest - (limit - 1) * span, latest - (limit - 2) * span}
        require(
            starts[0] in oldest,
            f"{len(candles)} candles from {starts[0]}: the venue "
            f"keeps the latest {limit}, from {min(oldest)}",
        )


Sides = tuple[tuple[tuple[Decimal, Decimal], ...], tuple[tuple[Decimal, Decimal], ...]]


def _truth(h: Harness, symbol: str) -> Callable[[], Sides] | None:
    """The emulator's true top :data:`BOOK_DEPTH` levels of ``symbol``, if it shows them."""
    market = getattr(h.emulator, "market", None)
    book = getattr(market, "book", None)  # the shared synthetic market, by unified symbol
    if not callable(book):
        book = h.hook("book")
    if book is None:
        return None
    read: Callable[[str, int], Any] = book

    def sides() -> Sides:
        bids, asks = read(symbol, BOOK_DEPTH)
        return tuple(map(tuple, bids)), tuple(map(tuple, asks))

    return sides


async def _states_during(truth: Callable[[], Sides], work: Awaitable[T]) -> tuple[T, list[Sides]]:
    """``work``'s result, and every state the true book passed through meanwhile: sampled
    between the loop's steps, so the moment the venue answered is among them."""
    states = [truth()]
    done = False

    async def sample() -> None:
        while not done:
            state = truth()
            if state != states[-1]:
                states.append(state)
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    try:
        result = await work
    finally:
        done = True
        await sampler
    return result, states


async def check_fetch_book(h: Harness) -> None:
    """``fetch_book`` is a valid book of the depth asked, equal to the emulator's own at a
    moment during the call (several tries: the market moves while the call waits)."""
    _fetching(h)
    (symbol,) = await h.pick_symbols(1)
    truth = _truth(h, symbol)
    got: Sides = ((), ())
    states: list[Sides] = []
    for _ in range(_BOOK_TRIES):
        call = _call("fetch_book", h.client.fetch_book(symbol, BOOK_DEPTH, timeout=_CALL_TIMEOUT))
        if truth is None:
            book = await call
        else:
            book, states = await _states_during(truth, call)
        problems = book_problems(book)
        require(not problems, f"fetch_book: {problems[0] if problems else ''}")
        bids, asks = book.bids(), book.asks()
        require(
            len(bids) == len(asks) == BOOK_DEPTH,
            f"fetch_book(depth={BOOK_DEPTH}) gave {len(bids)} bids, {len(asks)} asks",
        )
        require(book.symbol == symbol, f"fetch_book gave {book.symbol!r}'s book")
        if truth is None:
            return  # nothing to compare with: a valid book of the depth asked is all
        got = (tuple((b.price, b.size) for b in bids), tuple((a.price, a.size) for a in asks))
        if got in states:
            return
    raise CheckFailed(
        f"fetch_book never equaled the emulator's book in {_BOOK_TRIES} tries: last gave "
        f"bids {got[0][:2]}…, asks {got[1][:2]}…"
    )


async def check_fetch_time(h: Harness) -> None:
    """The venue's clock, and our offset from it within a second."""
    _fetching(h)
    before = time.time_ns()
    server = await _call("fetch_time", h.client.fetch_time(timeout=_CALL_TIMEOUT))
    after = time.time_ns()
    bound = _NS + server.round_trip
    require(
        abs(server.offset) <= bound,
        f"fetch_time: offset {server.offset / _NS:+.3f}s, more than 1 s",
    )
    require(
        before - bound <= server.server <= after + bound,
        f"fetch_time: the server's time is {(server.server - before) / _NS:+.3f}s off",
    )
    require(before <= server.local <= after, "fetch_time: local is outside the call")
