"""Third-party plugins: the examplex package, install and uninstall, broken plugins.

The examplex tests need ``pip install ./examples/third_party_adapter`` (CI does it) and
skip with that instruction otherwise. The install, uninstall and broken-plugin tests
need nothing: they install tiny distributions for real, as a ``*.dist-info`` folder with
an ``entry_points.txt`` on ``sys.path``, which is all ``importlib.metadata`` (and so
tickwire's registry) sees of an installed package; deleting the folder uninstalls it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.cli import main
from tickwire.core.config import ClientConfig, Credentials
from tickwire.core.connect import connect
from tickwire.core.errors import ConnectTimeout
from tickwire.core.registry import Registry
from tickwire.core.testing import conformance_test
from tickwire.core.types import Ticker
from tickwire.exchanges.kraken import KrakenEmulator

INSTALL_HINT = "pip install ./examples/third_party_adapter"

test_examplex_conformance = conformance_test("examplex", missing=INSTALL_HINT)


def examplex_installed() -> bool:
    return "examplex" in Registry().adapters


needs_examplex = pytest.mark.skipif(
    not examplex_installed(), reason=f"tickwire-venue-example is not installed: {INSTALL_HINT}"
)


def exchanges_listing(registry: Registry) -> str:
    out = io.StringIO()
    assert main(["exchanges"], console=Console(file=out, width=200), registry=registry) == 0
    return out.getvalue()


# --- the examplex package ----------------------------------------------------------


@needs_examplex
def test_tickwire_exchanges_lists_examplex():
    listing = exchanges_listing(Registry())
    adapters, emulators = listing.split("Emulators")
    assert "examplex" in adapters and "examplex" in emulators
    assert "plugin problem" not in listing


@needs_examplex
@pytest.mark.parametrize(
    ("side", "other"),
    [("tickwire_examplex.emulator", "adapter"), ("tickwire_examplex.adapter", "emulator")],
)
def test_neither_side_of_examplex_imports_the_other(side, other):
    probe = (
        f"import sys, {side}\n"
        f"leaked = [m for m in sys.modules if m.startswith('tickwire_examplex.{other}')]\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


@needs_examplex
async def test_a_wrong_secret_is_refused_and_never_shown():
    from tickwire_examplex.emulator import ExamplexEmulator

    async with ExamplexEmulator(seed=3) as ex:
        good = ex.credentials()
        wrong = Credentials(good.api_key, "0123456789abcdef-wrong-secret")
        config = ClientConfig(venue="examplex", credentials=wrong, connect_timeout=1.0)
        refused: ConnectTimeout | None = None
        try:  # except*: BaseClient.connect() currently re-raises inside an ExceptionGroup
            async with connect(config, **ex.endpoints):
                pass
        except* ConnectTimeout as group:
            refused = group.exceptions[0]  # type: ignore[assignment]
        assert refused is not None
        text = f"{refused} {refused!r}"
        assert "bad signature" in text
        assert wrong.api_secret not in text and good.api_secret not in text


# --- installing, uninstalling and broken plugins, through real entry points ---------


def install(site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """Install a distribution into ``site``: its modules and a dist-info with entry points."""
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[tickwire.adapters]\n{lines}")
    return info


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh site directory on sys.path; modules imported from it are forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("tw_"):
            del sys.modules[name]


DEMO_PLUGIN = """
    from tickwire.adapters.kraken.client import KrakenClient
    from tickwire.core.hookspecs import AdapterSpec, hookimpl
    from tickwire.core.types import Channel

    @hookimpl
    def register_adapters():
        return [AdapterSpec(name="tw-demo-venue", factory=KrakenClient,
                            channels=frozenset({Channel.TICKER}), description="demo")]
"""


def test_installing_a_plugin_lists_it_and_uninstalling_removes_it(site):
    assert "tw-demo-venue" not in Registry().adapters
    info = install(site, "tw-demo", {"tw-demo": "tw_demo_plugin"}, {"tw_demo_plugin": DEMO_PLUGIN})
    installed = Registry()
    assert "tw-demo-venue" in installed.adapters
    assert installed.problems == []
    assert "tw-demo-venue" in exchanges_listing(installed)

    shutil.rmtree(info)  # what `pip uninstall` does to the metadata
    uninstalled = Registry()
    assert "tw-demo-venue" not in uninstalled.adapters
    assert {"kraken", "kucoin"} <= set(uninstalled.adapters)
    assert uninstalled.problems == []


BROKEN_PLUGINS = {
    "tw_broken_plugin": "raise ImportError('this plugin is broken on purpose')\n",
    "tw_copycat_plugin": """
        from tickwire.core.hookspecs import AdapterSpec, hookimpl

        @hookimpl
        def register_adapters():
            return [AdapterSpec(name="kraken", factory=object, channels=frozenset())]
    """,
    "tw_failing_hook": """
        from tickwire.core.hookspecs import hookimpl

        @hookimpl
        def register_emulators():
            raise RuntimeError("the hook fails on purpose")
    """,
}
BROKEN_ENTRY_POINTS = {
    "tw-broken": "tw_broken_plugin",
    "tw-missing": "tw_no_such_module",
    "tw-copycat": "tw_copycat_plugin",
    "tw-failing-hook": "tw_failing_hook",
}


async def test_broken_plugins_are_reported_by_name_and_the_built_ins_still_work(site):
    install(site, "tw-broken-plugins", BROKEN_ENTRY_POINTS, BROKEN_PLUGINS)
    registry = Registry()
    problems = "\n".join(str(p) for p in registry.problems)
    assert "plugin 'tw-broken' failed to import: ImportError('this plugin is broken" in problems
    assert "plugin 'tw-missing' failed to import: ModuleNotFoundError" in problems
    assert "plugin 'tw-copycat' registers 'kraken', already registered by plugin" in problems
    assert "plugin 'tw-failing-hook' failed: RuntimeError('the hook fails" in problems
    assert len(registry.problems) == 4

    listing = exchanges_listing(registry)
    for name in BROKEN_ENTRY_POINTS:
        assert f"plugin problem: plugin '{name}'" in listing

    # The built-ins are untouched: the first claim on "kraken" wins, and it streams.
    assert registry.adapter("kraken").factory is KrakenClient
    assert {"kraken", "kucoin"} <= set(registry.emulators)
    async with (
        KrakenEmulator(seed=5) as ex,
        connect("kraken", registry=registry, **ex.endpoints) as client,
    ):
        events = client.events()
        await client.subscribe("ticker", ["BTC/USD"])
        async for event in events:
            if isinstance(event, Ticker):
                assert event.symbol == "BTC/USD"
                break
