"""The examples fail the way the ``tickwire`` command does: one line, exit code 1.

Run as from a shell (subprocesses), on 127.0.0.1 only; ``TICKWIRE_DEBUG=1`` brings the
traceback back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tickwire.core.registry import default_registry

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KRAKEN_", "KUCOIN_"))}
    env["TICKWIRE_DEBUG"] = "1" if debug else ""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_the_market_maker_without_credentials_is_one_line() -> None:
    result = _run(str(EXAMPLES / "market_maker.py"), str(EXAMPLES / "configs/market_maker.toml"))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "market_maker.py: error: "
        f"{EXAMPLES / 'configs/market_maker.toml'}: missing secret: "
        "credentials.kraken.api_key_env: environment variable KRAKEN_API_KEY is not set"
    )
    traced = _run(
        str(EXAMPLES / "market_maker.py"), str(EXAMPLES / "configs/market_maker.toml"), debug=True
    )
    assert traced.returncode == 1 and "Traceback" in traced.stderr


@pytest.mark.skipif("examplex" not in default_registry().adapters, reason="examplex not installed")
def test_an_example_against_a_refused_port_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "examplex.toml"
    config.write_text(
        'venue = "examplex"\n[endpoints]\nws_url = "ws://127.0.0.1:1/ws"\n'
        '[[subscriptions]]\nchannel = "book"\nsymbols = ["BTC/USD"]\n'
    )
    result = _run(str(EXAMPLES / "book_imbalance.py"), str(config), "--duration", "5")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("book_imbalance.py: error: examplex main: cannot connect to ")
    assert "ws://127.0.0.1:1/ws: Connection refused" in line
