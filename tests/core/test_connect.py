"""connect(): a URL override the venue would ignore is refused, not silently dropped."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tickwire.core import connect
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError
from tickwire.core.hookspecs import AdapterSpec, hookimpl
from tickwire.core.registry import Registry
from tickwire.core.types import Channel


def _registry() -> Registry:
    def factory(config: ClientConfig) -> object:
        return SimpleNamespace(config=config)

    class Plugin:
        @hookimpl
        def register_adapters(self) -> list[AdapterSpec]:
            return [
                AdapterSpec(
                    name="tokenvenue",
                    factory=factory,  # type: ignore[arg-type]
                    channels=frozenset({Channel.TICKER}),
                    urls=frozenset({"rest_url"}),
                )
            ]

    registry = Registry(load_entry_points=False)
    registry.register(Plugin(), name="tokenvenue")
    return registry


def test_an_override_the_venue_uses_is_taken() -> None:
    client = connect("tokenvenue", registry=_registry(), rest_url="http://127.0.0.1:9")
    assert client.config.rest_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]


def test_an_override_the_venue_would_ignore_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"tokenvenue does not use ws_url \(it takes: rest_url\)"):
        connect("tokenvenue", registry=_registry(), ws_url="ws://127.0.0.1:9/ws")


def test_kucoin_refuses_a_ws_url_it_would_ignore() -> None:
    with pytest.raises(ConfigError, match=r"kucoin does not use ws_url \(it takes: rest_url\)"):
        connect("kucoin", ws_url="ws://127.0.0.1:9/ws")
