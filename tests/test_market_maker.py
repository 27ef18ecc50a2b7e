"""The example market maker, on each emulator with only the config file changed.

Acceptance (issue 4): the same program quotes on either venue, gets fills, and ends with
fills and a position equal to the emulator's own accounting: the paper matching
engine's fills and the changes of its balances, exactly, but for the one rounding the
venue's ledger documents (Kraken books fees and balances at the asset's precision,
e.g. 4 decimals for USD; KuCoin books them unrounded).

One shipped file, ``configs/market_maker.toml``, serves both venues: each test writes
it with only its ``venue`` line changed (and checks that exactly one line differs).
The emulator is run as the live venue would be: that file plus an
``[endpoints]`` table naming the emulator, credentials from the environment variables
the file names (set to the emulator's test account, verified for real). Its market is
made busy (one symbol, a step every 10 ms) so fills certainly happen: the default suite
runs each venue for 8 s, the slow one (CI's second step) for the full 60 s.

Two trackers are checked against the emulator besides the program's own: one started
halfway through the run (subscribed first, then seeded from the venue's fill history,
then fed the live updates) and one started after it, from the history alone.
"""

from __future__ import annotations

import asyncio
import importlib
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tickwire.core import Fill, Position, PositionTracker, connect
from tickwire.core.config import ClientConfig, load_config
from tickwire.core.errors import ConfigError
from tickwire.core.types import Channel, OrderUpdate, Side
from tickwire.exchanges.base.matching import Fill as EngineFill
from tickwire.exchanges.base.matching import OrderEvent
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kraken.instruments import asset_for
from tickwire.exchanges.kucoin import KucoinEmulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIGS = EXAMPLES / "configs"
# Quotes close to the touch and quick to follow the mid: fills and amends both happen.
STRATEGY = ["--spread-bps", "0.2", "--requote-bps", "0.1"]
VENUES = {
    "kraken": (KrakenEmulator, "BTC/USD"),
    "kucoin": (KucoinEmulator, "BTC-USDT"),
}


SHIPPED = CONFIGS / "market_maker.toml"


def config_text(venue: str) -> str:
    """The shipped config with its ``venue = ...`` line, and nothing else, changed."""
    lines = SHIPPED.read_text().splitlines(keepends=True)
    text = "".join(f'venue = "{venue}"\n' if x.startswith("venue = ") else x for x in lines)
    assert tomllib.loads(text)["venue"] == venue
    return text


def config_path(venue: str, tmp_path: Path) -> Path:
    """``config_text(venue)`` as a file."""
    path = tmp_path / f"market_maker.{venue}.toml"
    path.write_text(config_text(venue))
    return path


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch):
    """Import an example script by name, as ``python examples/NAME.py`` would run it."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module


def ledger_rounding(venue: str, asset: str, value: Decimal) -> Decimal:
    """How the venue's ledger books an amount of ``asset`` (the documented rounding)."""
    if venue == "kraken":
        return value.quantize(Decimal(1).scaleb(-asset_for(asset).precision))
    return value


def live_style(venue: str, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shipped config pointed at ``emulator``; its account's keys in the variables."""
    text = config_text(venue)
    names = tomllib.loads(text)["credentials"][venue]
    credentials = emulator.credentials()
    monkeypatch.setenv(names["api_key_env"], credentials.api_key)
    monkeypatch.setenv(names["api_secret_env"], credentials.api_secret)
    if "passphrase_env" in names:
        monkeypatch.setenv(names["passphrase_env"], credentials.passphrase)
    endpoints = "".join(f'{key} = "{url}"\n' for key, url in emulator.endpoints.items())
    path = tmp_path / f"market_maker_live_{venue}.toml"
    path.write_text(f"{text}\n[endpoints]\n{endpoints}")
    return str(path)


async def tracker_from_halfway(
    venue: str,
    ex: Any,
    symbol: str,
    fills: list[EngineFill],
    halfway: float,
    filling: asyncio.Event,
    done: asyncio.Event,
) -> tuple[PositionTracker, int]:
    """A second program's tracker, started ``halfway`` s into the maker's run once the
    account has fills: subscribed to the account's orders first, then seeded from the
    venue's fill history, then fed the live updates (a repeat of a seeded fill adds
    nothing), until the maker is done and every engine fill is booked. Returns the
    tracker and how many fills it was seeded with."""
    started = asyncio.get_running_loop().time()
    await filling.wait()
    # Scenario timing, not a wait for an event: join the run at its middle.
    await asyncio.sleep(max(0.0, halfway - (asyncio.get_running_loop().time() - started)))
    config = ClientConfig(venue=venue, credentials=ex.credentials(), **ex.endpoints)
    tracker = PositionTracker()
    caught_up = asyncio.Event()  # the tracker has booked as many fills as the engine made

    def book(update: Any) -> None:
        tracker.book(update)
        if tracker.position(symbol).fills >= len(fills):
            caught_up.set()

    async with connect(config) as client:
        updates = client.events(types=[OrderUpdate])  # buffered from here on
        await client.subscribe(Channel.ORDERS)
        tracker.seed(await client.fetch_fills(symbol, timeout=60))  # paged: counter waits
        seeded = tracker.position(symbol).fills
        live = asyncio.create_task(updates.run_callback(book))
        await done.wait()  # the engine's fills are final now
        async with asyncio.timeout(30):
            while tracker.position(symbol).fills < len(fills):
                caught_up.clear()
                await caught_up.wait()
        live.cancel()
    return tracker, seeded


async def run_the_maker_against_the_engine(
    venue: str, seconds: float, example: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    """Run the market maker for ``seconds`` on ``venue``'s emulator and check its fills,
    position and balances, and two other trackers', against the paper engine's own."""
    emulator_class, native_symbol = VENUES[venue]
    async with emulator_class(seed=5, symbols=[native_symbol], interval=0.01) as ex:
        fills: list[EngineFill] = []
        filling = asyncio.Event()  # the account has fills: a tracker may join

        def on_engine(events: Any) -> None:
            fills.extend(e.fill for e in events if isinstance(e, OrderEvent) and e.fill)
            if len(fills) >= 2:
                filling.set()

        ex.engine.add_listener(on_engine)
        start = ex.engine.balances()
        path = live_style(venue, ex, tmp_path, monkeypatch)
        done = asyncio.Event()
        unified = {"kraken": "BTC/USD", "kucoin": "BTC/USDT"}[venue]
        halfway = asyncio.create_task(
            tracker_from_halfway(venue, ex, unified, fills, seconds / 2, filling, done)
        )
        try:
            maker = await example("market_maker").main(
                [path, "--duration", str(seconds), *STRATEGY]
            )
        finally:
            done.set()
        joined, seeded = await halfway
        end = ex.engine.balances()
        # A tracker started afresh (a restarted program) from the venue's fill history.
        async with connect(load_config(path)) as client:
            history = await client.fetch_fills(maker.symbol, timeout=60)  # paged, as above
        restarted = PositionTracker()
        restarted.seed(history)
        assert ex.engine.open_orders() == []  # everything was canceled on exit
        # The managed dead man's switch was armed, and closing leaves it to fire.
        assert (ex.desk.dead_man_trigger if venue == "kraken" else ex.dcp.setting) is not None
        placed_by_maker = {ex.engine.order(order_id=f.order_id).client_id for f in fills}
    mine = maker.position
    base, quote = mine.base_asset, mine.quote_asset
    out = capsys.readouterr().out

    # It quoted, its quotes followed the mid, and the market filled them.
    assert len(maker.fills) >= 4 and maker.counts["amended"] > 0, out
    assert placed_by_maker <= maker.client_ids  # only the maker traded, with its ids
    # Its fills are the engine's fills, one for one, in order.
    assert [(f.order_id, f.side, f.price, f.size) for f in maker.fills] == [
        (f.order_id, Side(f.side), f.price, f.size) for f in fills
    ]
    assert [f.fee for f in maker.fills] == [
        ledger_rounding(venue, f.fee_asset, f.fee) for f in fills
    ]
    # Its position is the change of the engine's balances (fees as the ledger books them).
    fees = sum((ledger_rounding(venue, quote, f.fee) for f in fills), Decimal(0))
    fee_rounding = sum((f.fee for f in fills), Decimal(0)) - fees
    assert mine.base_change == end[base][0] - start[base][0]
    assert mine.quote_change == end[quote][0] - start[quote][0] + fee_rounding
    assert mine.fees == {quote: fees}
    # The restarted tracker, seeded from the venue's history alone, agrees on everything.
    again = restarted[maker.symbol]
    assert (again.size, again.entry, again.realized, again.cash, again.fills) == (
        mine.size,
        mine.entry,
        mine.realized,
        mine.cash,
        mine.fills,
    )
    # Fees: the venue's history reports each at full precision, the pushes (and the
    # ledger) at the asset's: equal once each is rounded as the ledger books it.
    assert sum((ledger_rounding(venue, quote, f.fee) for f in history), Decimal(0)) == fees
    # The tracker that joined halfway (history, then live updates) agrees as well.
    assert 0 < seeded < len(fills), "it joined while the maker was trading"
    half = joined[maker.symbol]
    assert (half.size, half.entry, half.realized, half.cash, half.fills) == (
        mine.size,
        mine.entry,
        mine.realized,
        mine.cash,
        mine.fills,
    )
    # Its fees: the seeded fills' as the history reports them (full precision), the
    # later ones' as the pushes do (the ledger's rounding).
    assert half.fees[quote] == sum(f.fee for f in history[:seeded]) + sum(
        ledger_rounding(venue, quote, f.fee) for f in fills[seeded:]
    )
    # Its balances, from Balance events alone, are the engine's final totals.
    assert maker.balances[base] == ledger_rounding(venue, base, end[base][0])
    assert maker.balances[quote] == ledger_rounding(venue, quote, end[quote][0])
    assert f"{venue} {maker.symbol}: {len(maker.fills)} fills" in out
    assert ex.credentials().api_secret not in out


@pytest.mark.timeout(70)
@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_fills_and_position_equal_the_emulators_own_accounting(
    venue, example, tmp_path, monkeypatch, capsys
):
    await run_the_maker_against_the_engine(venue, 8.0, example, tmp_path, monkeypatch, capsys)


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_a_60_second_run_equals_the_emulators_own_accounting(
    venue, example, tmp_path, monkeypatch, capsys
):
    await run_the_maker_against_the_engine(venue, 60.0, example, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_offline_it_runs_on_the_emulators_account_without_credentials(
    venue, example, tmp_path, monkeypatch, capsys
):
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KUCOIN_API_KEY", "KUCOIN_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    args = [
        str(config_path(venue, tmp_path)),
        "--offline",
        "--duration",
        "2.5",
        "--spread-bps",
        "0",
    ]
    maker = await example("market_maker").main(args)
    out = capsys.readouterr().out
    assert maker.counts["placed"] >= 2 and maker.counts["refused"] == 0, out
    assert not maker.open_ids - maker.closed_ids  # the venue confirmed every cancel
    assert f"{venue} {maker.symbol}: " in out and "  position: " in out
    assert maker.symbol == {"kraken": "BTC/USD", "kucoin": "BTC/USDT"}[venue]


def test_switching_venue_is_one_line_of_one_file():
    kraken, kucoin = config_text("kraken").splitlines(), config_text("kucoin").splitlines()
    differing = [(a, b) for a, b in zip(kraken, kucoin, strict=True) if a != b]
    assert differing == [('venue = "kraken"', 'venue = "kucoin"')]
    assert SHIPPED.read_text().splitlines() in (kraken, kucoin)  # one of them, as shipped
    assert sorted(p.name for p in CONFIGS.glob("market_maker*")) == ["market_maker.toml"]


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
def test_the_config_is_the_venue(venue, tmp_path, monkeypatch):
    # Live, the venue's credential variables must be set; offline they are not read.
    for name in ("KRAKEN_API_KEY", "KUCOIN_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match=f"{venue.upper()}_API_KEY is not set"):
        load_config(config_path(venue, tmp_path))
    config = load_config(config_path(venue, tmp_path), secrets=False)
    assert config.venue == venue and config.credentials is None
    assert config.options == {"dead_man_switch": 30}  # the managed dead man's switch
    assert config.app == {"market": "BTC/USD"}  # venue-neutral: the program resolves it
    channels = {(s.channel, len(s.symbols)) for s in config.subscriptions}
    assert channels == {(Channel.ORDERS, 0), (Channel.BALANCES, 0)}


def test_the_market_resolves_to_the_venues_symbol_with_dollar_quotes_as_one(example):
    resolve = example("market_maker").venue_symbol
    assert resolve("BTC/USD", {"BTC/USD", "BTC/USDT"}) == "BTC/USD"
    assert resolve("BTC/USD", {"BTC/USDC", "BTC/USDT"}) == "BTC/USDT"
    assert resolve("btc/usdt", {"BTC/USD", "BTC/USDT"}) == "BTC/USDT"  # exact first
    assert resolve("BTC/USDC", {"BTC/USD"}) == "BTC/USD"
    assert resolve("BTC/EUR", {"BTC/USD"}) is None  # only dollars are interchangeable
    assert resolve("ETH/USD", {"BTC/USD"}) is None


def test_the_position_keeps_average_cost_and_realized_profit():
    position = Position("BTC/USD")

    def fill(side: Side, price: str, size: str, fee: str) -> None:
        position.add(
            Fill(symbol="BTC/USD", order_id="o", side=side, price=Decimal(price),
                 size=Decimal(size), fee=Decimal(fee), fee_asset="USD")
        )  # fmt: skip

    fill(Side.BUY, "100", "1", "0.1")
    fill(Side.BUY, "110", "1", "0.11")
    assert position.entry == Decimal(105) and position.size == 2
    fill(Side.SELL, "120", "3", "0.36")  # closes 2 at +15 each, opens a short of 1 at 120
    assert position.realized == Decimal(30) and position.size == -1
    assert position.entry == Decimal(120)
    assert position.base_change == Decimal(-1)
    assert position.quote_change == Decimal("-100") - 110 + 360 - Decimal("0.57")
    assert position.fees == {"USD": Decimal("0.57")}
    fill(Side.BUY, "90", "1", "0")  # the short closes at +30
    assert position.realized == Decimal(60) and position.size == 0
    assert position.entry == 0


def test_the_market_maker_names_no_venue():
    code = (EXAMPLES / "market_maker.py").read_text().lower()
    assert "tickwire.adapters" not in code and "tickwire.exchanges" not in code
    assert "kraken" not in code and "kucoin" not in code  # the venue is the config file
