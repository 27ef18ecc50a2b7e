"""The optional level2 C extension (``_kucoin``): built where CI says it must be,
switched off by ``TICKWIRE_NO_EXTENSIONS``, in use on the client's sockets, and refusing
arguments it cannot work with."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tickwire.adapters.kucoin import book as book_module

from .l2_driver import Side

PROBE = (
    "import tickwire.adapters.kucoin.book as b, tickwire.adapters.kucoin.sockets as s; "
    "print(b.EXTENSION is not None, s.EXTENSION is not None)"
)
requires_c = pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is off")


def probe(**env: str) -> str:
    """What a fresh interpreter with ``env`` added sees."""
    environment = {k: v for k, v in os.environ.items() if k != "TICKWIRE_NO_EXTENSIONS"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI must prove the extension was built")
def test_ci_built_the_extension() -> None:
    from tickwire.adapters.kucoin import _kucoin  # ImportError: the build failed silently

    assert probe() == "True True", _kucoin.__file__


def test_the_environment_switch_forces_the_python_path() -> None:
    assert probe(TICKWIRE_NO_EXTENSIONS="1") == "False False"
    assert probe(TICKWIRE_NO_EXTENSIONS="0") == probe()


@requires_c
def test_the_switch_is_off_here_and_the_sockets_use_the_extension() -> None:
    assert probe() == "True True"
    assert Side(True, {"BTC-USDT": "BTC/USDT"}).uses_c


def test_a_client_whose_level2_handler_is_its_own_keeps_the_python_path() -> None:
    from tickwire.adapters.kucoin.client import KucoinClient

    class Custom(KucoinClient):
        def _on_level2(self, push, received):  # type: ignore[no-untyped-def]
            super()._on_level2(push, received)

    assert Side(True, {"BTC-USDT": "BTC/USDT"}).uses_c == (book_module.EXTENSION is not None)
    custom = Side(True, {"BTC-USDT": "BTC/USDT"}, client_type=Custom)
    assert not custom.uses_c


@requires_c
def test_handler_refuses_what_it_cannot_work_with() -> None:
    handler = book_module.EXTENSION.handler  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        handler(print, None, None, None, {})
    with pytest.raises(TypeError, match="books must be a dict"):
        handler(print, None, None, None, [], None)
    seen = []
    on_frame = handler(lambda *a, **k: seen.append((a, k)), "sock", None, None, {}, None)
    on_frame("not bytes", 1)
    on_frame(b"{}", 2)
    on_frame(b"{}", received=3)
    assert seen == [
        (("sock", "not bytes", 1), {}),
        (("sock", b"{}", 2), {}),
        (("sock", b"{}"), {"received": 3}),
    ]
    with pytest.raises(TypeError):
        on_frame(*range(9))
