"""The conformance kit: both built-in adapters pass it, and it catches broken adapters.

The built-ins run through the pytest integration (one test per check). The broken
adapters are the Kraken adapter with one deliberate fault each, run through the library
API; each must fail exactly the check that owns that part of the contract.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.connect import connect
from tickwire.core.errors import AuthError, SubscriptionError
from tickwire.core.fanout import EventHub
from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec
from tickwire.core.registry import default_registry
from tickwire.core.session import Session
from tickwire.core.testing import (
    BookModel,
    Outcome,
    conformance_test,
    event_problems,
    planned_checks,
    run_conformance,
)
from tickwire.core.types import (
    BookLevel,
    BookUpdate,
    Channel,
    Event,
    StreamError,
    StreamState,
    StreamStatus,
    Ticker,
    Trade,
)
from tickwire.exchanges.kraken import KrakenEmulator

# ``orders`` runs on each built-in's own account (its emulator's credentials() hook):
# were the hook lost, the check would be skipped, so a skip fails it here.
# The built-ins have every hook these checks need: a skip would hide a lost hook.
REQUIRED = [
    "orders",
    "order_lost_before",
    "order_lost_after",
    "order_delayed",
    "order_held",
    "token_expiry",
    "fetch_balances",
    "fetch_open_orders",
    "fetch_order",
    "fetch_candles",
    "fetch_book",
    "fetch_time",
]
test_kraken_conformance = conformance_test("kraken", required=REQUIRED)
test_kucoin_conformance = conformance_test("kucoin", required=REQUIRED)


# --- the kit must be able to fail: the Kraken adapter with one fault each --------------


class _Rewriting(EventHub):
    """An event hub that passes every event through ``rewrite`` (None drops it)."""

    def __init__(self, rewrite: Callable[[Event], Event | None], **kwargs: Any) -> None:
        self.rewrite = rewrite
        super().__init__(**kwargs)

    def _rewire(self) -> None:
        super()._rewire()
        deliver = self.push

        def push(event: Event) -> None:
            rewritten = self.rewrite(event)
            if rewritten is not None:
                deliver(rewritten)

        self.push = push


def rewriting_client(rewrite: Callable[[Event], Event | None]) -> type[KrakenClient]:
    class Rewritten(KrakenClient):
        def __init__(self, config: ClientConfig) -> None:
            super().__init__(config)
            self._events = self.context.hub = _Rewriting(
                rewrite,
                maxsize=config.queue.maxsize,
                policy=config.queue.overflow,
                venue=self.venue,
            )

    return Rewritten


def float_trade_prices(event: Event) -> Event:
    if isinstance(event, Trade):
        return msgspec.structs.replace(event, price=float(event.price))  # type: ignore[arg-type]
    return event


def crossed_tickers(event: Event) -> Event:
    if isinstance(event, Ticker):
        return msgspec.structs.replace(event, bid=event.ask, ask=event.bid)
    return event


def native_symbols(event: Event) -> Event:
    if isinstance(event, Ticker):
        return msgspec.structs.replace(event, symbol=event.symbol.replace("/", ""))
    return event


class _Dropper:
    """Drops every 10th book delta: the live book and the delivered events disagree."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, event: Event) -> Event | None:
        if isinstance(event, BookUpdate) and not event.snapshot:
            self.count += 1
            if self.count % 10 == 0:
                return None
        return event


class ForgetsToResubscribe(KrakenClient):
    async def on_open(self, session: Session) -> None:
        kept, self._subscriptions = self._subscriptions, set()
        try:
            await super().on_open(session)
        finally:
            self._subscriptions = kept


class SwallowsRefusals(KrakenClient):
    async def subscribe(self, channel: Any, symbols: Any = (), **options: Any) -> None:
        try:
            await super().subscribe(channel, symbols, **options)
        except SubscriptionError:
            pass


class UnsubscribesOnlyLocally(KrakenClient):
    async def unsubscribe(self, channel: Any, symbols: Any = (), **options: Any) -> None:
        self._subscriptions = {s for s in self._subscriptions if s.symbol not in symbols}


def silent_resyncs(event: Event) -> Event | None:
    """The book resyncs, but the user is never told."""
    resync = (StreamState.RESYNCING, StreamState.RESYNCED)
    return None if isinstance(event, StreamStatus) and event.state in resync else event


def hidden_errors(event: Event) -> Event | None:
    """Malformed frames are skipped without a word."""
    return None if isinstance(event, StreamError) else event


class ReconnectsOnBadFrames(KrakenClient):
    """Treats a frame it cannot read as a broken connection (cryptofeed's habit)."""

    def on_frame(self, frame: bytes, received: int) -> None:
        try:
            msgspec.json.decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError):
            self.session.drop("unreadable frame")
        super().on_frame(frame, received)


def kraken_like(factory: Callable[[ClientConfig], Any]) -> AdapterSpec:
    return msgspec.structs.replace(default_registry().adapter("kraken"), factory=factory)


@pytest.mark.parametrize(
    ("factory", "check", "complaint"),
    [
        (rewriting_client(float_trade_prices), "subscribe:trades", "price is float, not Decimal"),
        (rewriting_client(crossed_tickers), "subscribe:ticker", "is not below ask"),
        (rewriting_client(native_symbols), "subscribe:ticker", "not a unified BASE/QUOTE"),
        (lambda config: rewriting_client(_Dropper())(config), "book_integrity", "differ from"),
        (ForgetsToResubscribe, "reconnect", "no RESUBSCRIBED and data"),
        (SwallowsRefusals, "errors", "did not raise SubscriptionError"),
        (UnsubscribesOnlyLocally, "subscribe:ticker", "arrived after its unsubscribe"),
        (rewriting_client(silent_resyncs), "book_resync", "RESYNCING"),
        (rewriting_client(hidden_errors), "malformed", "no StreamError for the frame"),
        (ReconnectsOnBadFrames, "malformed", "malformed frames broke the stream"),
    ],
    ids=[
        "float-prices",
        "crossed-ticker",
        "native-symbols",
        "dropped-deltas",
        "no-resubscribe",
        "swallowed-refusal",
        "local-unsubscribe",
        "silent-resync",
        "hidden-errors",
        "reconnects-on-bad-frames",
    ],
)
async def test_the_kit_fails_the_check_that_owns_the_fault(factory, check, complaint):
    report = await run_conformance(kraken_like(factory), "kraken", checks=[check], timeout=4.0)
    result = report.result(check)
    assert result.outcome is Outcome.FAILED, report
    assert complaint in result.detail, report
    assert not report.ok


async def test_a_correct_adapter_passes_the_same_checks():
    checks = ["subscribe:ticker", "subscribe:trades", "book_integrity", "errors"]
    report = await run_conformance(kraken_like(KrakenClient), "kraken", checks=checks)
    assert report.ok, report
    assert [r.check for r in report.results] == checks
    assert "4 passed, 0 failed, 0 skipped" in str(report)


class BareEmulator:
    """The Kraken emulator behind the bare Emulator protocol: no optional hooks at all."""

    def __init__(self, **kwargs: Any) -> None:
        self._inner = KrakenEmulator(**kwargs)

    @property
    def endpoints(self) -> dict[str, str]:
        return self._inner.endpoints

    async def __aenter__(self) -> BareEmulator:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._inner.__aexit__(*exc_info)


async def test_checks_the_emulator_cannot_support_are_skipped_with_the_reason():
    bare = EmulatorSpec(name="bare", venue="kraken", factory=BareEmulator)
    private = msgspec.structs.replace(kraken_like(KrakenClient), private=True)
    checks = ["reconnect", "book_resync", "orders"]
    report = await run_conformance(private, bare, checks=checks, timeout=5.0)
    assert report.ok, report
    reasons = {r.check: r.detail for r in report.results if r.outcome is Outcome.SKIPPED}
    assert "no drop_all() hook" in reasons["reconnect"]
    assert "corrupt_next_checksum / skip_sequence" in reasons["book_resync"]
    assert "offers no credentials()" in reasons["orders"]
    public = msgspec.structs.replace(kraken_like(KrakenClient), private=False)
    report = await run_conformance(public, "kraken", checks=["orders"])
    assert "declares private=False" in report.result("orders").detail


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
@pytest.mark.parametrize("api_keys", [None, "others"], ids=["default", "with-api-keys"])
async def test_the_emulator_account_is_verified_like_a_real_one(venue, api_keys):
    # The account credentials() hands out signs for real: right secrets connect, a wrong
    # secret is refused with AuthError, whether or not the emulator has other keys.
    factory = default_registry().emulator(venue).factory
    others = {"kraken": {"other": OTHER_SECRET}, "kucoin": {"other": ("s", "p")}}[venue]
    emulator = factory(seed=1, api_keys=None if api_keys is None else others)
    async with emulator:
        good = emulator.credentials()
        config = ClientConfig(
            venue=venue, credentials=good, connect_timeout=5.0, **emulator.endpoints
        )
        async with connect(config) as client:
            await client.subscribe(Channel.ORDERS)
        wrong = Credentials(good.api_key, OTHER_SECRET, good.passphrase)
        with pytest.raises(AuthError) as refused:
            async with connect(msgspec.structs.replace(config, credentials=wrong)):
                pass
    text = f"{refused.value} {refused.value!r}"
    assert good.api_secret not in text and OTHER_SECRET not in text


OTHER_SECRET = base64.b64encode(b"a well-formed secret the emulator does not know").decode()


def test_a_required_check_must_exist():
    with pytest.raises(ValueError, match="unknown required check"):
        conformance_test("kraken", required=["oders"])


def test_every_declared_channel_gets_its_own_check():
    names = [c.name for c in planned_checks(default_registry().adapter("kucoin"))]
    assert {"subscribe:ticker", "subscribe:trades", "subscribe:book", "subscribe:candles"} <= set(
        names
    )
    assert names[-1] == "orders"


async def test_unknown_check_names_are_refused():
    with pytest.raises(ValueError, match="unknown check"):
        await run_conformance("kraken", checks=["subscribe:nope"])


def test_event_problems_name_the_field_and_the_event():
    trade = Trade(
        venue="kraken",
        symbol="BTC/USD",
        trade_id="1",
        price=Decimal("-1"),
        size=Decimal(1),
        side="buy",  # type: ignore[arg-type]
        ts=0,
        received=1,
    )
    problems = event_problems(trade, venue="kucoin", symbols={"ETH/USD"})
    text = "\n".join(problems)
    assert "venue is 'kraken', not 'kucoin'" in text
    assert "ts must be positive" in text
    assert "never subscribed" in text
    assert "price is -1" in text
    assert "side 'buy' is not a Side" in text


def test_the_book_model_refuses_a_delta_before_a_snapshot():
    delta = BookUpdate(
        venue="x",
        symbol="A/B",
        bids=(BookLevel(Decimal(1), Decimal(1)),),
        asks=(),
        snapshot=False,
        ts=1,
        received=1,
    )
    assert "before any snapshot" in (BookModel().apply(delta, None) or "")


def test_channels_map_to_checks_only_when_declared():
    spec = msgspec.structs.replace(
        default_registry().adapter("kraken"), channels=frozenset({Channel.BOOK})
    )
    names = [c.name for c in planned_checks(spec)]
    assert "subscribe:book" in names and "subscribe:ticker" not in names
