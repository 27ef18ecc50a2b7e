"""``python -m tickwire.exchanges``: every emulator offered, every URL printed, one-line errors."""

from __future__ import annotations

import socket
import subprocess
import sys

from tickwire.core.registry import default_registry
from tickwire.exchanges.__main__ import _url_lines, available


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tickwire.exchanges", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "", "TICKWIRE_DEBUG": ""},
    )


def test_every_registered_emulator_is_offered_plugins_included() -> None:
    assert set(available()) == set(default_registry().emulators) >= {"kraken", "kucoin"}
    usage = _run("--help").stdout
    for name in available():
        assert name in usage


def test_a_port_in_use_is_one_line_and_exit_code_1() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("kraken", "--port", str(port))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cannot serve kraken on 127.0.0.1:{port}" in lines[0]
    assert "address already in use" in lines[0].lower()


async def test_every_url_a_client_needs_is_printed() -> None:
    spec = available()["kucoin"]
    async with spec.factory(seed=1, port=0) as emulator:
        lines = _url_lines(emulator)
    text = "\n".join(lines)
    # KuCoin clients take only rest_url (the socket comes from the token call), but the
    # socket's own address is printed too, marked as reached through it.
    assert emulator.rest_url in text and emulator.ws_url in text
    assert "reached through" in text
