"""The exchange-agnostic examples run on every emulated venue with only the config changed.

Each example is run in-process for a few seconds, exactly as from a shell (same
arguments), against the local emulators: with ``--offline`` (the shipped config files,
untouched) and, once, live-style, with the emulator's addresses written into the config
file's ``[endpoints]`` (what pointing at the real venue looks like). ``tickwire stream
--config`` runs on the same files.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from tickwire.core.cli import main as tickwire_main
from tickwire.core.config import load_config
from tickwire.core.registry import default_registry
from tickwire.core.types import BookUpdate, Ticker, decode_event
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIGS = EXAMPLES / "configs"
SECONDS = "2.5"

VENUES = [
    "kraken",
    "kucoin",
    pytest.param(
        "examplex",
        marks=pytest.mark.skipif(
            "examplex" not in default_registry().adapters,
            reason="tickwire-venue-example is not installed: "
            "pip install ./examples/third_party_adapter",
        ),
    ),
]


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch):
    """Import an example script by name, as ``python examples/NAME.py`` would run it."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    return load


def config(venue: str) -> str:
    return str(CONFIGS / f"{venue}.toml")


def book_symbols(venue: str) -> list[str]:
    subscriptions = load_config(config(venue)).subscriptions
    return [s for sub in subscriptions if sub.channel == "book" for s in sub.symbols]


@pytest.mark.parametrize("venue", VENUES)
async def test_book_imbalance_runs_on_every_venue_with_only_the_config_changed(
    example, capsys, venue
):
    await example("book_imbalance").main([config(venue), "--offline", "--duration", SECONDS])
    out = capsys.readouterr().out
    lines = out.splitlines()
    for symbol in book_symbols(venue):
        prefix = f"{venue} {symbol}: "
        assert any(line.startswith(prefix) and "updates, mean imbalance" in line for line in lines)
    assert "→" in out  # at least one signal was printed


async def test_spread_monitor_compares_the_same_assets_across_venues(example, capsys):
    args = [config("kraken"), config("kucoin"), "--offline", "--duration", SECONDS]
    await example("spread_monitor").main(args)
    out = capsys.readouterr().out
    for market in ("BTC/USD", "ETH/USD"):  # BTC/USD on Kraken is BTC/USDT on KuCoin
        assert any(
            line.startswith(f"{market}: ") and "comparisons" in line for line in out.splitlines()
        )
    assert "gap" in out and "bps" in out


async def test_arbitrage_watcher_counts_only_edges_that_survive_both_fees(example, capsys):
    watcher = example("arbitrage_watcher")
    # Offline, both emulators follow one shared market with their own lag, noise and
    # spread: their books cross now and then by a few bps, and the edges vary.
    no_fees = ["--fee", "kraken=0", "--fee", "kucoin=0"]
    base = [config("kraken"), config("kucoin"), "--offline", "--duration", SECONDS]
    await watcher.main([*base, *no_fees])
    out = capsys.readouterr().out
    edges = re.findall(r"^buy .* net (-?[\d.]+) bps", out, flags=re.MULTILINE)
    assert len(set(edges)) >= 2, out  # edges vary over time
    assert "book updates with an edge, best" in out
    await watcher.main(base)  # the conservative default fee: a few bps never pay 0.4 %
    assert "no opportunity net of fees" in capsys.readouterr().out


def test_net_edge_is_bid_after_fee_minus_ask_after_fee(example):
    net_edge = example("arbitrage_watcher").net_edge
    edge = net_edge(Decimal(100), Decimal(101), Decimal("0.001"), Decimal("0.002"))
    assert edge == Decimal("101") * Decimal("0.998") - Decimal("100") * Decimal("1.001")
    assert net_edge(Decimal(100), Decimal("100.2"), Decimal("0.001"), Decimal("0.001")) < 0


def live_style_configs(tmp_path: Path, emulators: dict[str, object]) -> list[str]:
    """The shipped config files plus an [endpoints] table naming the emulators."""
    paths = []
    for venue, emulator in emulators.items():
        endpoints = "".join(f'{k} = "{v}"\n' for k, v in emulator.endpoints.items())  # type: ignore[attr-defined]
        path = tmp_path / f"{venue}.toml"
        path.write_text(Path(config(venue)).read_text() + f"\n[endpoints]\n{endpoints}")
        paths.append(str(path))
    return paths


async def test_the_examples_need_nothing_but_the_config_file(example, capsys, tmp_path):
    async with KrakenEmulator(seed=2) as kraken, KucoinEmulator(seed=2) as kucoin:
        paths = live_style_configs(tmp_path, {"kraken": kraken, "kucoin": kucoin})
        await example("spread_monitor").main([*paths, "--duration", SECONDS])
    out = capsys.readouterr().out
    assert any(line.startswith("BTC/USD: ") for line in out.splitlines())


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_tickwire_stream_subscribes_what_the_config_lists(capsys, tmp_path, venue):
    factory = {"kraken": KrakenEmulator, "kucoin": KucoinEmulator}[venue]
    async with factory(seed=4) as emulator:
        (path,) = live_style_configs(tmp_path, {venue: emulator})
        argv = ["stream", "--config", path, "--json", "--duration", "1.5"]
        # main() runs its own event loop: give it a thread, the emulator keeps this one.
        assert await asyncio.to_thread(tickwire_main, argv) == 0
    events = [decode_event(line) for line in capsys.readouterr().out.splitlines()]
    seen = {(type(e), e.symbol) for e in events if isinstance(e, Ticker | BookUpdate)}
    for symbol in book_symbols(venue):
        assert (Ticker, symbol) in seen and (BookUpdate, symbol) in seen


def test_stream_without_symbols_or_subscriptions_is_one_line(capsys, tmp_path):
    path = tmp_path / "bare.toml"
    path.write_text('venue = "kraken"\n')
    assert tickwire_main(["stream", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lists no [[subscriptions]]" in err and str(path) in err
    assert tickwire_main(["stream", "kraken"]) == 2  # no --symbol, no --config: usage


def test_the_examples_name_no_venue():
    for name in ("venues", "spread_monitor", "arbitrage_watcher", "book_imbalance"):
        code = (EXAMPLES / f"{name}.py").read_text().lower()
        assert not [v for v in ("kraken", "kucoin", "examplex") if f"tickwire.adapters.{v}" in code]
        assert not [
            v for v in ("kraken", "kucoin", "examplex") if f"tickwire.exchanges.{v}" in code
        ]
